/**
 * Redis-backed caches shared by every worker process: STS tokens
 * (TokenCache) and ETK Depot answers (EtkCache), each under a key prefix with
 * a millisecond TTL (`SET … PX`). The ETK cache also offers the cross-process
 * load lock (`SET NX PX` with a random token, released only by its holder), so
 * that 50 workers missing one ETK make one depot call while the others wait
 * for the stored answer.
 */
import crypto from 'node:crypto';
import type { Redis } from 'ioredis';
import type { TokenCache } from '../sts/sts-client.ts';
import type { EtkCache } from '../etkdepot/etk-depot-client.ts';

/** Deletes the lock only when it still holds our token (a lock that expired and was taken over is left alone). */
const RELEASE_SCRIPT = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/** Redis never accepts a TTL below 1 ms. */
const MIN_TTL_MS = 1;

/** The Redis commands the caches use (an ioredis client satisfies it). */
export type CacheRedis = Pick<Redis, 'get' | 'set' | 'eval'>;

/** A prefixed key/value store with PX TTLs. */
class RedisTtlStore {
  constructor(
    protected readonly redis: CacheRedis,
    readonly prefix: string,
  ) {}

  /** The stored value, if any. */
  async get(key: string): Promise<string | undefined> {
    return (await this.redis.get(this.prefix + key)) ?? undefined;
  }

  /** Stores a value with a TTL in milliseconds. */
  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.redis.set(this.prefix + key, value, 'PX', Math.max(MIN_TTL_MS, Math.round(ttlMs)));
  }
}

/** STS tokens shared between processes (values are the tokens as JSON; they expire before NotOnOrAfter). */
export class RedisTokenCache extends RedisTtlStore implements TokenCache {}

/** ETK answers shared between processes, with the cross-process load lock. */
export class RedisEtkCache extends RedisTtlStore implements EtkCache {
  /** Key suffix of a load lock (next to the value's key). */
  static readonly LOCK_SUFFIX = ':lock';

  /** Takes the load lock of `key`; resolves to its release function, or undefined when someone else holds it. */
  async lock(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
    const lockKey = this.prefix + key + RedisEtkCache.LOCK_SUFFIX;
    const token = crypto.randomUUID();
    const taken = await this.redis.set(lockKey, token, 'PX', Math.max(MIN_TTL_MS, Math.round(ttlMs)), 'NX');
    if (taken !== 'OK') return undefined;
    return async () => {
      await this.redis.eval(RELEASE_SCRIPT, 1, lockKey, token);
    };
  }
}

/** Both caches under one prefix (e.g. `ehbox:` → `ehbox:sts:…`, `ehbox:etk:…`). */
export function createRedisCaches(redis: CacheRedis, prefix: string): { token: RedisTokenCache; etk: RedisEtkCache } {
  return { token: new RedisTokenCache(redis, prefix), etk: new RedisEtkCache(redis, prefix) };
}
