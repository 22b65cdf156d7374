/**
 * Real Redis for integration tests (127.0.0.1:6379 unless TEST_REDIS_URL):
 * every test file gets a unique key prefix, and cleanup deletes exactly the
 * keys under it (never FLUSHALL/FLUSHDB: other files and people share Redis).
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createRedis, deleteByPattern, type RedisRole, type RedisSettings } from '../../src/storage/redis.ts';

/** A Redis namespace for one test file. */
export interface TestRedis {
  /** A `command` connection. */
  redis: Redis;
  /** Unique prefix, e.g. `ehbox-test:tenancy:1234-9f3a1c:`; pass it as REDIS_PREFIX. */
  prefix: string;
  /** Settings for code that takes the Redis part of the configuration. */
  settings: RedisSettings;
  /** Another connection (closed by cleanup), e.g. a `blocking` one for BullMQ workers. */
  connection(role?: RedisRole): Redis;
  /** Every key under the prefix (to assert what was written). */
  keys(): Promise<string[]>;
  /** Deletes the keys under the prefix and closes the connections. */
  cleanup(): Promise<void>;
}

/** Opens a Redis namespace; `label` (letters, digits, dashes) makes leftovers recognisable. */
export async function createTestRedis(label: string): Promise<TestRedis> {
  const safeLabel = label.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  const prefix = `ehbox-test:${safeLabel}:${process.pid}-${randomBytes(3).toString('hex')}:`;
  const settings: RedisSettings = {
    REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_PREFIX: prefix,
    REDIS_COMMAND_TIMEOUT_MS: 5000,
  };
  const connections: Redis[] = [];
  const connection = (role: RedisRole = 'command'): Redis => {
    const redis = createRedis(settings, { role, name: `test-${safeLabel}` });
    connections.push(redis);
    return redis;
  };
  const redis = connection();
  await redis.ping();
  return {
    redis,
    prefix,
    settings,
    connection,
    async keys() {
      const found: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        cursor = next;
        found.push(...batch);
      } while (cursor !== '0');
      return found.sort();
    },
    async cleanup() {
      await deleteByPattern(redis, `${prefix}*`);
      await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}
