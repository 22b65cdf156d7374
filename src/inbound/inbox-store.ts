/**
 * The inbox: received messages, stored once, handed over to the integration
 * engine. Content goes to S3 through the encrypted blob store (InboxContent);
 * metadata, verdict and hand-over state go to Redis, with time indexes per
 * tenant and per box (all states and per state) for cursor paging.
 *
 * Exactly once: the dedupe key (box, ehBox MessageId) is set with SET NX in
 * the same Lua script that writes the record and its indexes, so whatever
 * crashes or runs twice, one ehBox message makes one inbox record.
 *
 * Redis keys (under REDIS_PREFIX):
 * - `inbox:msg:<id>` hash: `meta` (JSON InboxMeta), `state`, `announcedAt`, `cleanedAt`, `ackedAt`
 * - `inbox:ehbox:<tenant>:<box>:<ehboxMessageId>` → inbox id, or `notice` for a handled ACK/ERROR
 * - `inbox:idx:<tenant>:tenant:any`, `…:tenant:<state>`, `…:box:<box>:any`, `…:box:<box>:<state>` zsets scored by receivedAt (ms)
 */
import type { Redis } from 'ioredis';
import { decodeCursor, encodeCursor } from '../storage/cursor.ts';
import { redisKey, withRedis } from '../storage/redis.ts';
import { INBOX_ID_PATTERN, type InboxMeta, type InboxRecord, type InboxState } from './inbox-record.ts';
import type { InboxContent } from './inbox-content.ts';

/** Value of a dedupe key whose message was an ACKNOWLEDGMENT or ERROR (handled, not stored as a letter). */
export const NOTICE_MARK = 'notice';

/** Page size when none is asked, and the largest page. */
export const DEFAULT_INBOX_PAGE = 50;
export const MAX_INBOX_PAGE = 200;

/**
 * KEYS: dedupe, record, idx all/all, all/new, box/all, box/new; ARGV: id, meta JSON, score.
 * Returns 1 when stored now, 0 when the dedupe key already existed (nothing written).
 */
const COMMIT = `
if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then return 0 end
redis.call('HSET', KEYS[2], 'meta', ARGV[2], 'state', 'new')
for i = 3, 6 do redis.call('ZADD', KEYS[i], ARGV[3], ARGV[1]) end
return 1
`;

/**
 * KEYS: record, all/new, all/acked, box/new, box/acked; ARGV: id, now.
 * Returns -1 unknown, 0 already acked, 1 acked now.
 */
const ACK = `
local s = redis.call('HGET', KEYS[1], 'state')
if not s then return -1 end
if s == 'acked' then return 0 end
local score = redis.call('ZSCORE', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[1], 'state', 'acked', 'ackedAt', ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
if score then
  redis.call('ZADD', KEYS[3], score, ARGV[1])
  redis.call('ZADD', KEYS[5], score, ARGV[1])
end
return 1
`;

/** Filters and cursor of a listing. */
export interface InboxQuery {
  box?: string | undefined;
  state?: InboxState | undefined;
  /** Only messages received at or after this time (ms since epoch). */
  sinceMs?: number | undefined;
  cursor?: string | undefined;
  limit?: number | undefined;
}

/** The position a cursor names, or undefined when it is not one of ours. */
export function decodeInboxCursor(cursor: string): { score: number; id: string } | undefined {
  return decodeCursor(cursor, INBOX_ID_PATTERN);
}

/** Redis side of the inbox. */
export class InboxStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    /** The S3 side (content); the store only carries it so callers need one object. */
    readonly content: InboxContent,
  ) {
    redis.defineCommand('ehbInboxCommit', { numberOfKeys: 6, lua: COMMIT });
    redis.defineCommand('ehbInboxAck', { numberOfKeys: 5, lua: ACK });
  }

  private recordKey(id: string): string {
    return redisKey(this.prefix, 'inbox', 'msg', id);
  }

  /** The dedupe key of an ehBox message in a tenant's box. */
  dedupeKey(tenantId: string, boxId: string, ehboxMessageId: string): string {
    return redisKey(this.prefix, 'inbox', 'ehbox', tenantId, boxId, ehboxMessageId);
  }

  private index(tenantId: string, box: string | undefined, state: InboxState | undefined): string {
    const scope = box === undefined ? ['tenant'] : ['box', box];
    return redisKey(this.prefix, 'inbox', 'idx', tenantId, ...scope, state ?? 'any');
  }

  /** What the dedupe key says: an inbox id, NOTICE_MARK, or undefined when never handled. */
  async handled(tenantId: string, boxId: string, ehboxMessageId: string): Promise<string | undefined> {
    const v = await withRedis(() => this.redis.get(this.dedupeKey(tenantId, boxId, ehboxMessageId)));
    return v ?? undefined;
  }

  /** Marks an ACK/ERROR message handled (so a re-poll only finishes its move). */
  async markNotice(tenantId: string, boxId: string, ehboxMessageId: string): Promise<void> {
    await withRedis(() => this.redis.set(this.dedupeKey(tenantId, boxId, ehboxMessageId), NOTICE_MARK, 'NX'));
  }

  /** Writes the record and its indexes once; false when this ehBox message was already stored. */
  async commit(meta: InboxMeta): Promise<boolean> {
    const keys = [
      this.dedupeKey(meta.tenantId, meta.boxId, meta.ehboxMessageId),
      this.recordKey(meta.id),
      this.index(meta.tenantId, undefined, undefined),
      this.index(meta.tenantId, undefined, 'new'),
      this.index(meta.tenantId, meta.boxId, undefined),
      this.index(meta.tenantId, meta.boxId, 'new'),
    ];
    const cmd = (this.redis as unknown as { ehbInboxCommit(...a: string[]): Promise<number> }).ehbInboxCommit;
    const res = await withRedis(() => cmd.call(this.redis, ...keys, meta.id, JSON.stringify(meta), String(Date.parse(meta.receivedAt))));
    return res === 1;
  }

  /** A record of the tenant (undefined for unknown ids and for other tenants' ids). */
  async get(tenantId: string | undefined, id: string): Promise<InboxRecord | undefined> {
    if (!INBOX_ID_PATTERN.test(id)) return undefined;
    const all = await withRedis(() => this.redis.hgetall(this.recordKey(id)));
    if (!all.meta) return undefined;
    const meta = JSON.parse(all.meta) as InboxMeta;
    if (tenantId !== undefined && meta.tenantId !== tenantId) return undefined;
    return { meta, state: all.state === 'acked' ? 'acked' : 'new', announcedAt: all.announcedAt, cleanedAt: all.cleanedAt, ackedAt: all.ackedAt };
  }

  /** Records that the `message.received` webhook was enqueued. */
  async markAnnounced(id: string, at = new Date()): Promise<void> {
    await withRedis(() => this.redis.hset(this.recordKey(id), 'announcedAt', at.toISOString()));
  }

  /** Records that the ehBox copy was moved to the bin or deleted. */
  async markCleaned(ids: readonly string[], at = new Date()): Promise<void> {
    if (ids.length === 0) return;
    const multi = this.redis.multi();
    for (const id of ids) multi.hset(this.recordKey(id), 'cleanedAt', at.toISOString());
    await withRedis(() => multi.exec());
  }

  /** Moves a message to `acked`; undefined for unknown or other tenants' ids. */
  async ack(tenantId: string, id: string, at = new Date()): Promise<InboxRecord | undefined> {
    const rec = await this.get(tenantId, id);
    if (!rec) return undefined;
    const { boxId } = rec.meta;
    const keys = [this.recordKey(id), this.index(tenantId, undefined, 'new'), this.index(tenantId, undefined, 'acked'), this.index(tenantId, boxId, 'new'), this.index(tenantId, boxId, 'acked')];
    const cmd = (this.redis as unknown as { ehbInboxAck(...a: string[]): Promise<number> }).ehbInboxAck;
    await withRedis(() => cmd.call(this.redis, ...keys, id, at.toISOString()));
    return this.get(tenantId, id);
  }

  /**
   * Records of a tenant, oldest first (the order an integration engine
   * consumes them in), from `sinceMs` and after `cursor`; `cursor` in the
   * answer when there may be more.
   */
  async list(tenantId: string, q: InboxQuery = {}): Promise<{ items: InboxRecord[]; cursor?: string }> {
    const limit = Math.min(Math.max(q.limit ?? DEFAULT_INBOX_PAGE, 1), MAX_INBOX_PAGE);
    const key = this.index(tenantId, q.box, q.state);
    const after = q.cursor === undefined ? undefined : decodeInboxCursor(q.cursor);
    let min = q.sinceMs ?? 0;
    let offset = 0;
    if (after && after.score >= min) {
      min = after.score;
      // members with the cursor's score sort by id: skip those up to the cursor's
      const same = await withRedis(() => this.redis.zrangebyscore(key, after.score, after.score));
      offset = same.filter((m) => m <= after.id).length;
    }
    const res = await withRedis(() => this.redis.zrangebyscore(key, min, '+inf', 'WITHSCORES', 'LIMIT', offset, limit));
    const pairs: { id: string; score: string }[] = [];
    for (let i = 0; i < res.length; i += 2) pairs.push({ id: res[i]!, score: res[i + 1]! });
    const records = await Promise.all(pairs.map((p) => this.get(tenantId, p.id)));
    const items = records.filter((r): r is InboxRecord => r !== undefined);
    const last = pairs[pairs.length - 1];
    return pairs.length === limit && last ? { items, cursor: encodeCursor(last.score, last.id) } : { items };
  }
}
