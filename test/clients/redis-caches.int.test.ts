/**
 * The Redis-backed caches against a real Redis (127.0.0.1:6379): PX TTLs,
 * the load lock, 50 "workers" asking one ETK making one depot call, tokens
 * shared between STS clients, and a Redis outage that does not stop ETK
 * lookups. Each test writes under its own prefix and deletes exactly those keys.
 */
import crypto from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisEtkCache, RedisTokenCache, createRedisCaches } from '../../src/ehealth/redis-caches.ts';
import { EtkDepotClient } from '../../src/etkdepot/etk-depot-client.ts';
import { StsClient } from '../../src/sts/sts-client.ts';
import { endpointsAt } from '../../src/ehealth/session.ts';
import { parseHolderIdentity } from '../../src/crypto/certificate-names.ts';
import { sandboxTarget, type ConformanceTarget } from './helpers/conformance-target.ts';

/** Connections shared by the simulated worker processes (each worker has its own clients and caches). */
const CONNECTIONS = 10;
const WORKERS = 50;

let t: ConformanceTarget;
const redis: Redis[] = [];
let prefix = '';

beforeAll(async () => {
  t = await sandboxTarget().create();
  for (let i = 0; i < CONNECTIONS; i++) redis.push(new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1 }));
  await redis[0]!.ping();
});
afterEach(async () => {
  // exactly the keys of this test: everything under its unique prefix
  const keys = await redis[0]!.keys(`${prefix}*`);
  if (keys.length > 0) await redis[0]!.del(...keys);
  prefix = '';
});
afterAll(async () => {
  await Promise.all(redis.map((r) => r.quit()));
  await t?.close();
});

function newPrefix(): string {
  prefix = `ehbox-test:${crypto.randomUUID()}:`;
  return prefix;
}

const ownId = () => {
  const id = parseHolderIdentity(t.keystore.authentication.certificate)!;
  return { type: id.type, value: id.id };
};

function worker(i: number, p: string, extra: { negativeTtlMs?: number } = {}): EtkDepotClient {
  return new EtkDepotClient({ url: endpointsAt(t.proxy.url).etkDepot, timeoutMs: 10_000, trustAnchorsDer: t.trustAnchorsDer, cache: new RedisEtkCache(redis[i % CONNECTIONS]!, p), ...extra });
}

describe('Redis caches', () => {
  it('stores values under the prefix with a PX TTL', async () => {
    const p = newPrefix();
    const cache = new RedisTokenCache(redis[0]!, p);
    await cache.set('k', 'v', 300);
    expect(await cache.get('k')).toBe('v');
    const pttl = await redis[0]!.pttl(`${p}k`);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(300);
    await new Promise((r) => setTimeout(r, 350));
    expect(await cache.get('k')).toBeUndefined();
  });

  it('lets one holder take the load lock; release only frees its own lock', async () => {
    const p = newPrefix();
    const a = new RedisEtkCache(redis[0]!, p);
    const b = new RedisEtkCache(redis[1]!, p);
    const releaseA = await a.lock('etk:x', 150);
    expect(releaseA).toBeDefined();
    expect(await b.lock('etk:x', 150)).toBeUndefined();
    await new Promise((r) => setTimeout(r, 200));
    const releaseB = await b.lock('etk:x', 5000);
    expect(releaseB).toBeDefined();
    await releaseA!(); // A's lock expired: B's must survive
    expect(await a.lock('etk:x', 150)).toBeUndefined();
    await releaseB!();
    expect(await a.lock('etk:x', 150)).toBeDefined();
  });

  it('50 workers asking one ETK at once make one depot call', async () => {
    const p = newPrefix();
    const before = t.proxy.count('getEtk');
    const results = await Promise.all(Array.from({ length: WORKERS }, (_, i) => worker(i, p).getEtks(ownId())));
    expect(t.proxy.count('getEtk') - before).toBe(1);
    const ders = new Set(results.map((r) => Buffer.from(r[0]!.der).toString('hex')));
    expect(ders.size).toBe(1);
    expect(await redis[0]!.exists(`${p}etk:${ownId().type}:${ownId().value}:`)).toBe(1);
    expect(await redis[0]!.exists(`${p}etk:${ownId().type}:${ownId().value}::lock`)).toBe(0);
  });

  it('shares "no ETK" between workers for the negative TTL', async () => {
    const p = newPrefix();
    const id = { type: 'SSIN', value: t.unknownSsin };
    const before = t.proxy.count('getEtk');
    const all = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => worker(i, p, { negativeTtlMs: 60_000 }).getEtks(id)));
    expect(all.every((r) => r.status === 'rejected' && (r.reason as { code?: string }).code === 'ETK_NOT_FOUND')).toBe(true);
    expect(t.proxy.count('getEtk') - before).toBe(1);
    const pttl = await redis[0]!.pttl(`${p}etk:SSIN:${t.unknownSsin}:`);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(60_000);
  });

  it('shares an STS token between client instances', async () => {
    const p = newPrefix();
    const before = t.proxy.count('stsRequestSecureToken');
    const clients = [0, 1, 2].map((i) => new StsClient({ url: endpointsAt(t.proxy.url).sts, timeoutMs: 10_000, cache: createRedisCaches(redis[i]!, p).token }));
    const first = await clients[0]!.token(t.keystore, t.quality);
    const others = await Promise.all(clients.slice(1).map((c) => c.token(t.keystore, t.quality)));
    expect(others.every((o) => o.assertionId === first.assertionId)).toBe(true);
    expect(t.proxy.count('stsRequestSecureToken') - before).toBe(1);
  });

  it('keeps answering ETK lookups while Redis is unreachable', async () => {
    newPrefix();
    const down = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
    down.on('error', () => {});
    try {
      const client = new EtkDepotClient({ url: endpointsAt(t.proxy.url).etkDepot, timeoutMs: 10_000, trustAnchorsDer: t.trustAnchorsDer, cache: new RedisEtkCache(down, prefix) });
      const etks = await client.getEtks(ownId());
      expect(etks[0]!.verdict.ok).toBe(true);
    } finally {
      down.disconnect();
    }
  });
});
