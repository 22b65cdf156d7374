/**
 * An in-process TTL cache that satisfies both the STS TokenCache and the ETK
 * Depot EtkCache: the default when no shared (Redis) cache is configured, e.g.
 * for the CLI or a single process. It is bounded so a long-running process
 * asking many distinct ETKs cannot grow without limit.
 */
import type { TokenCache } from '../sts/sts-client.ts';
import type { EtkCache } from '../etkdepot/etk-depot-client.ts';

/** Entries kept at most; the oldest inserted entry is dropped first (ETKs are small, a few KB each). */
export const DEFAULT_MEMORY_CACHE_ENTRIES = 10_000;

/** A bounded in-memory key → value store with a time-to-live per entry. */
export class MemoryTtlCache implements TokenCache, EtkCache {
  private readonly entries = new Map<string, { value: string; expiresAt: number }>();

  constructor(
    private readonly maxEntries = DEFAULT_MEMORY_CACHE_ENTRIES,
    private readonly now: () => number = Date.now,
  ) {}

  /** The value, unless absent or expired. */
  async get(key: string): Promise<string | undefined> {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  /** Stores a value for `ttlMs` milliseconds. */
  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.now() + Math.max(1, ttlMs) });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  /** Number of entries held (expired ones included until read). */
  get size(): number {
    return this.entries.size;
  }
}
