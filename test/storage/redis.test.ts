import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bullmqPrefix, createRedis, deleteByPattern, isRedisUnavailable, mapRedisError, pingRedis, redisKey, withRedis,
} from '../../src/storage/redis.ts';
import { StorageError } from '../../src/storage/storage-error.ts';
import { createTestRedis, type TestRedis } from '../helpers/redis.ts';

let t: TestRedis;
beforeAll(async () => { t = await createTestRedis('storage-redis'); });
afterAll(async () => { await t.cleanup(); });

async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('createRedis', () => {
  it('connects lazily and answers commands', async () => {
    const redis = t.connection();
    expect(redis.status).toBe('wait');
    await pingRedis(redis);
    await redis.set(redisKey(t.prefix, 'probe'), '1');
    expect(await redis.get(redisKey(t.prefix, 'probe'))).toBe('1');
  });

  it('gives BullMQ workers a connection with maxRetriesPerRequest null and no key prefix', () => {
    const blocking = t.connection('blocking');
    expect(blocking.options.maxRetriesPerRequest).toBeNull();
    expect(blocking.options.keyPrefix ?? '').toBe('');
    expect(t.connection().options.maxRetriesPerRequest).toBe(1);
    expect(bullmqPrefix({ REDIS_PREFIX: 'ehbox:' })).toBe('ehbox:bull');
  });

  it('turns "Redis is down" into STORE_UNAVAILABLE within a second', async () => {
    const errors: Error[] = [];
    const down = createRedis(
      { REDIS_URL: `redis://127.0.0.1:${await closedPort()}`, REDIS_PREFIX: 'x:', REDIS_COMMAND_TIMEOUT_MS: 1000 },
      { onError: (e) => errors.push(e) },
    );
    try {
      const started = Date.now();
      const err = await withRedis(() => down.get('k')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StorageError);
      expect((err as StorageError).code).toBe('STORE_UNAVAILABLE');
      expect(Date.now() - started).toBeLessThan(1500);
      await expect(pingRedis(down)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      expect(errors.length).toBeGreaterThan(0);
    } finally {
      down.disconnect();
    }
  });

  it('leaves command errors (bugs) untouched', async () => {
    const key = redisKey(t.prefix, 'a-string');
    await t.redis.set(key, 'x');
    const err = await withRedis(() => t.redis.lpush(key, 'y')).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(StorageError);
    expect(String(err)).toContain('WRONGTYPE');
    expect(isRedisUnavailable(new Error('Command timed out'))).toBe(true);
    expect(isRedisUnavailable(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBe(true);
    const plain = new TypeError('bug');
    expect(mapRedisError(plain)).toBe(plain);
  });
});

describe('redisKey and deleteByPattern', () => {
  it('refuses key parts that would break the layout or SCAN patterns', () => {
    expect(redisKey('p:', 'tenant', 'abc_1')).toBe('p:tenant:abc_1');
    for (const bad of ['', 'a:b', 'a*', 'a?', '[x]', 'sp ace']) expect(() => redisKey('p:', bad)).toThrow(TypeError);
  });

  it('deletes only the keys under the pattern', async () => {
    const inside = [redisKey(t.prefix, 'scope', 'a'), redisKey(t.prefix, 'scope', 'b')];
    const outside = redisKey(t.prefix, 'scope-other', 'c');
    for (const k of [...inside, outside]) await t.redis.set(k, '1');
    expect(await deleteByPattern(t.redis, `${t.prefix}scope:*`)).toBe(2);
    expect(await t.redis.exists(...inside)).toBe(0);
    expect(await t.redis.exists(outside)).toBe(1);
  });
});
