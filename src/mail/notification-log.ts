/**
 * What happened to each update-info e-mail, in Redis: one record per digest
 * window (status, count, attempts, last error), per-tenant counts and last
 * error, the tenant's recent notifications, and cluster-wide totals — for the
 * admin API, the dashboard and metrics. Records hold the address and the
 * number of messages, never anything about the messages themselves.
 */
import type { Redis } from 'ioredis';
import { redisKey } from '../storage/redis.ts';
import type { DigestKind } from './digest-store.ts';

/** Where a notification stands. `retrying` is the only non-final status. */
export type NotificationStatus = 'sent' | 'retrying' | 'failed' | 'skipped';

/** One notification (one digest window of one address). */
export interface NotificationRecord {
  /** The digest window id. */
  id: string;
  kind: DigestKind;
  to: string;
  /** Tenants whose messages the e-mail covers. */
  tenants: string[];
  /** Messages counted (those read before the window closed are not). */
  count: number;
  status: NotificationStatus;
  attempts: number;
  /** Last SMTP error (reply text or error code). */
  error?: string | undefined;
  updatedAt: string;
}

/** Counts and last error of a tenant, or of the whole installation. */
export interface NotifyStats {
  sent: number;
  failed: number;
  skipped: number;
  /** Transient failures (each retried). */
  retried: number;
  lastSentAt?: string | undefined;
  lastError?: string | undefined;
  lastErrorAt?: string | undefined;
}

/** Records are kept this long (enough for support questions about a missing e-mail). */
const RECORD_TTL_MS = 30 * 86_400_000;
/** Recent notifications listed per tenant. */
const RECENT_PER_TENANT = 100;

const STAT_FIELD: Record<NotificationStatus, keyof NotifyStats> = { sent: 'sent', failed: 'failed', skipped: 'skipped', retrying: 'retried' };

/** Notification records over one Redis connection and key prefix. */
export class NotificationLog {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private recordKey(id: string): string {
    return redisKey(this.prefix, 'notify', 'rec', id);
  }

  private statsKey(tenantId: string | undefined): string {
    return tenantId === undefined ? redisKey(this.prefix, 'notify', 'totals') : redisKey(this.prefix, 'notify', 'stats', tenantId);
  }

  private recentKey(tenantId: string): string {
    return redisKey(this.prefix, 'notify', 'recent', tenantId);
  }

  /**
   * Stores the record and updates the counters: each final status counts once
   * per notification (a re-run job does not count twice), each transient
   * failure counts as one retry.
   */
  async record(rec: NotificationRecord): Promise<void> {
    const prevRaw = (await this.redis.call('SET', this.recordKey(rec.id), JSON.stringify(rec), 'PX', String(RECORD_TTL_MS), 'GET')) as string | null;
    const prev = prevRaw ? (JSON.parse(prevRaw) as NotificationRecord) : undefined;
    const counts = rec.status === 'retrying' || prev?.status !== rec.status;
    const tx = this.redis.multi();
    for (const tenantId of [undefined, ...rec.tenants]) {
      const key = this.statsKey(tenantId);
      if (counts) tx.hincrby(key, STAT_FIELD[rec.status], 1);
      if (rec.status === 'sent') tx.hset(key, 'lastSentAt', rec.updatedAt);
      if (rec.error !== undefined) tx.hset(key, 'lastError', rec.error, 'lastErrorAt', rec.updatedAt);
      if (tenantId !== undefined && !prev) tx.lpush(this.recentKey(tenantId), rec.id).ltrim(this.recentKey(tenantId), 0, RECENT_PER_TENANT - 1);
    }
    await tx.exec();
  }

  /** One record by window id. */
  async get(id: string): Promise<NotificationRecord | undefined> {
    const raw = await this.redis.get(this.recordKey(id));
    return raw ? (JSON.parse(raw) as NotificationRecord) : undefined;
  }

  /** Counts and last error of a tenant (or of every tenant together when `tenantId` is undefined). */
  async stats(tenantId?: string): Promise<NotifyStats> {
    const h = await this.redis.hgetall(this.statsKey(tenantId));
    const n = (v: string | undefined) => (v === undefined ? 0 : Number(v));
    return {
      sent: n(h.sent),
      failed: n(h.failed),
      skipped: n(h.skipped),
      retried: n(h.retried),
      ...(h.lastSentAt ? { lastSentAt: h.lastSentAt } : {}),
      ...(h.lastError ? { lastError: h.lastError, lastErrorAt: h.lastErrorAt } : {}),
    };
  }

  /** The tenant's most recent notifications, newest first. */
  async recent(tenantId: string, limit = 20): Promise<NotificationRecord[]> {
    const ids = await this.redis.lrange(this.recentKey(tenantId), 0, Math.min(limit, RECENT_PER_TENANT) - 1);
    if (ids.length === 0) return [];
    const raws = await this.redis.mget(ids.map((id) => this.recordKey(id)));
    return raws.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as NotificationRecord);
  }
}
