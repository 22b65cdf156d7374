/**
 * Never two polls of one box at once: a per-box Redis lock with a random
 * token (SET NX PX), renewed while the poll makes progress and released only
 * by its holder. A poll that finds the lock taken leaves a "poll again" mark
 * instead, which the holder picks up when it finishes, so a trigger during a
 * poll is never lost. A crashed holder's lock expires on its own.
 *
 * Redis keys: `inbox:poll-lock:<tenant>:<box>` (token), `inbox:poll-again:<tenant>:<box>`.
 */
import crypto from 'node:crypto';
import type { Redis } from 'ioredis';
import { redisKey, withRedis } from '../storage/redis.ts';

/** Lock lifetime without renewal: far above one page's work, short enough that a crashed poller blocks little. */
export const POLL_LOCK_TTL_MS = 60_000;

/** Raised when the lock expired under a slow poll (another poll may have started): this one stops. */
export class PollLockLostError extends Error {
  override readonly name = 'PollLockLostError';
  readonly code = 'POLL_LOCK_LOST';
}

const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** A held lock. */
export interface HeldPollLock {
  /** Extends the lock; throws PollLockLostError when it is no longer ours. */
  renew(): Promise<void>;
  /** True (and clears the mark) when someone asked for another poll meanwhile. */
  takeAgain(): Promise<boolean>;
  release(): Promise<void>;
}

/** Per-box poll locks. */
export class PollLocks {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlMs = POLL_LOCK_TTL_MS,
  ) {}

  private keys(tenantId: string, boxId: string) {
    return { lock: redisKey(this.prefix, 'inbox', 'poll-lock', tenantId, boxId), again: redisKey(this.prefix, 'inbox', 'poll-again', tenantId, boxId) };
  }

  /** Asks for a poll after the running one (if any). */
  async markAgain(tenantId: string, boxId: string): Promise<void> {
    await withRedis(() => this.redis.set(this.keys(tenantId, boxId).again, '1', 'PX', this.ttlMs * 2));
  }

  /** True while some poll holds the box's lock. */
  async isHeld(tenantId: string, boxId: string): Promise<boolean> {
    return (await withRedis(() => this.redis.exists(this.keys(tenantId, boxId).lock))) === 1;
  }

  /** Takes the box's lock, or answers undefined (and marks "poll again") when another poll holds it. */
  async acquire(tenantId: string, boxId: string): Promise<HeldPollLock | undefined> {
    const k = this.keys(tenantId, boxId);
    const token = crypto.randomBytes(16).toString('hex');
    const ok = await withRedis(() => this.redis.set(k.lock, token, 'PX', this.ttlMs, 'NX'));
    if (ok !== 'OK') {
      await this.markAgain(tenantId, boxId);
      return undefined;
    }
    const redis = this.redis;
    const ttl = String(this.ttlMs);
    return {
      async renew() {
        const res = await withRedis(() => redis.eval(RENEW, 1, k.lock, token, ttl));
        if (res !== 1) throw new PollLockLostError('the poll lock of this box expired; another poll may be running');
      },
      async takeAgain() {
        return (await withRedis(() => redis.del(k.again))) === 1;
      },
      async release() {
        await withRedis(() => redis.eval(RELEASE, 1, k.lock, token));
      },
    };
  }
}
