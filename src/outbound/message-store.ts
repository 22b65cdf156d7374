/**
 * Outbound messages in Redis: one hash per message (`meta` + one field per
 * recipient row), a per-tenant time index, and idempotency keys. Rows change
 * through one Lua script so that a state never goes backwards (a retried or
 * duplicated job cannot undo `published`), and so that every change is atomic.
 * Only metadata lives here: no title, no content (those are staged in S3).
 */
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { decodeCursor, encodeCursor } from '../storage/cursor.ts';
import type { MessageRecipient } from '../tenancy/recipient-ref.ts';
import { FINAL_STATES, type MessageState, type RecipientState } from './message-input.ts';

/** Box address as ehBox wants it. */
export interface Destination {
  id: string;
  type: string;
  subType?: string | undefined;
  quality: string;
}

/** One recipient of one message. */
export interface RecipientRow {
  idx: number;
  ref: MessageRecipient;
  /** Group the row came from, when expanded from one. */
  group?: string | undefined;
  /** Identifier in ETK Depot spelling, once known. */
  type?: string | undefined;
  id?: string | undefined;
  quality?: string | undefined;
  state: RecipientState;
  code?: string | undefined;
  reason?: string | undefined;
  destination?: Destination | undefined;
  email?: string | undefined;
  language?: string | undefined;
  publicationId: string;
  ehboxMessageId?: string | undefined;
  substitutes?: Destination[] | undefined;
  updatedAt: string;
}

/** Part sizes and names (never content). */
export interface StagedParts {
  document: { filename: string; mimeType: string; size: number };
  annexes: { filename: string; mimeType: string; size: number }[];
  freeText: boolean;
  table: boolean;
  patient: boolean;
}

/** What we keep about a message. */
export interface MessageMeta {
  id: string;
  tenantId: string;
  senderBoxId: string;
  createdAt: string;
  mode: 'individual' | 'shared';
  encrypted: boolean;
  important: boolean;
  receipts: { published: boolean; received: boolean; read: boolean };
  notifyRecipients: boolean;
  customMetas: { key: string; value: string }[];
  parts: StagedParts;
  recipientCount: number;
  /** Set when the staged plaintext was deleted. */
  purgedAt?: string | undefined;
}

export interface StoredMessage {
  meta: MessageMeta;
  rows: RecipientRow[];
  /** The inner signatures were saved (`markInnerSaved`): sealing needs no new inner signature. */
  innerSaved?: boolean;
}

/** Ranks from here on are final states (published, failed, …). */
const FINAL_RANK = 10;

const STATE_RANK: Record<RecipientState, number> = {
  pending: 0,
  resolving: 1,
  sealing: 2,
  sending: 3,
  published: 10,
  'ooo-forwarded': 10,
  received: 11,
  read: 12,
  failed: 10,
};

/**
 * Row update in Lua: KEYS[1] message hash; ARGV: field, patch JSON, new rank,
 * force flag. Refuses to lower the state rank unless forced (retry of failed
 * rows) and keeps the hash's `open` count (rows not yet final) in step.
 * Returns the stored row JSON, or nil when the row does not exist.
 */
const UPDATE_ROW = `
local FINAL_RANK = ${FINAL_RANK}
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return nil end
local row = cjson.decode(cur)
local patch = cjson.decode(ARGV[2])
local rank = tonumber(ARGV[3])
local was = row.rank or 0
if ARGV[4] ~= '1' and rank < was then return cur end
for k, v in pairs(patch) do row[k] = v end
row.rank = rank
if redis.call('HEXISTS', KEYS[1], 'open') == 1 then
  if was < FINAL_RANK and rank >= FINAL_RANK then redis.call('HINCRBY', KEYS[1], 'open', -1)
  elseif was >= FINAL_RANK and rank < FINAL_RANK then redis.call('HINCRBY', KEYS[1], 'open', 1) end
end
local out = cjson.encode(row)
redis.call('HSET', KEYS[1], ARGV[1], out)
return out
`;

const rowField = (idx: number) => `r:${idx}`;

/** Overall state of a message from its rows. */
export function messageState(rows: readonly RecipientRow[]): MessageState {
  if (rows.length === 0) return 'accepted';
  const final = rows.filter((r) => FINAL_STATES.has(r.state));
  const failed = rows.filter((r) => r.state === 'failed').length;
  if (final.length < rows.length) return rows.every((r) => r.state === 'pending') ? 'accepted' : 'processing';
  if (failed === rows.length) return 'failed';
  return failed > 0 ? 'partially-failed' : 'delivered';
}

const storedRow = z.looseObject({ idx: z.number(), state: z.string() });

/** Rows are written with null for cleared fields; readers see them as absent. */
function withoutNulls<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutNulls) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => [k, withoutNulls(v)])) as T;
  }
  return value;
}

/** Shape of outbound message ids (`newMessageId` in outbound-service makes them). */
export const MESSAGE_ID_PATTERN = /^m[0-9a-z]{24}$/;

/** What a `GET /v1/messages` cursor names: (time, id), or a bare time from an older page. */
export function decodeMessageCursor(cursor: string): { score: number; id?: string } | undefined {
  if (/^\d{1,16}$/.test(cursor)) return { score: Number(cursor) };
  return decodeCursor(cursor, MESSAGE_ID_PATTERN);
}

/** A stored row as readers see it (no nulls, no rank). */
function parseRow(json: string): RecipientRow {
  const parsed = withoutNulls(JSON.parse(json) as RecipientRow & { rank?: number });
  storedRow.parse(parsed);
  delete parsed.rank;
  return parsed;
}

/** Redis-backed outbound message store. */
export class MessageStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    redis.defineCommand('ehbUpdateRow', { numberOfKeys: 1, lua: UPDATE_ROW });
  }

  key(id: string): string {
    return `${this.prefix}msg:${id}`;
  }

  private index(tenantId: string): string {
    return `${this.prefix}tenant:${tenantId}:msgs`;
  }

  /** Creates a message and its rows in one transaction. */
  async create(meta: MessageMeta, rows: RecipientRow[]): Promise<void> {
    const fields: Record<string, string> = { meta: JSON.stringify(meta), open: String(rows.filter((r) => STATE_RANK[r.state] < FINAL_RANK).length) };
    for (const r of rows) fields[rowField(r.idx)] = JSON.stringify({ ...r, rank: STATE_RANK[r.state] });
    await this.redis.multi().hset(this.key(meta.id), fields).zadd(this.index(meta.tenantId), Date.parse(meta.createdAt), meta.id).exec();
  }

  /** A message of a tenant (undefined for another tenant's or unknown ids). */
  async get(tenantId: string | undefined, id: string): Promise<StoredMessage | undefined> {
    const all = await this.redis.hgetall(this.key(id));
    if (!all.meta) return undefined;
    const meta = JSON.parse(all.meta) as MessageMeta;
    if (tenantId !== undefined && meta.tenantId !== tenantId) return undefined;
    const rows: RecipientRow[] = [];
    for (const [k, v] of Object.entries(all)) {
      if (k.startsWith('r:')) rows.push(parseRow(v));
    }
    rows.sort((a, b) => a.idx - b.idx);
    return all.inner === '1' ? { meta, rows, innerSaved: true } : { meta, rows };
  }

  /**
   * The meta and some rows of a message (any tenant), without reading the
   * others: a delivery job of a 500-member group touches its own row only.
   */
  async getRows(id: string, idxs: readonly number[]): Promise<{ meta: MessageMeta; rows: (RecipientRow | undefined)[] } | undefined> {
    const [meta, ...raw] = await this.redis.hmget(this.key(id), 'meta', ...idxs.map(rowField));
    if (!meta) return undefined;
    return { meta: JSON.parse(meta) as MessageMeta, rows: raw.map((v) => (v ? parseRow(v) : undefined)) };
  }

  /**
   * Whether every row of the message is final (undefined for an unknown
   * message), from the `open` count the row updates keep — no row is read.
   */
  async allFinal(id: string): Promise<boolean | undefined> {
    const open = await this.redis.hget(this.key(id), 'open');
    if (open !== null) return Number(open) <= 0;
    const m = await this.get(undefined, id);
    return m ? m.rows.every((r) => FINAL_STATES.has(r.state)) : undefined;
  }

  /** Reads one row. */
  async row(id: string, idx: number): Promise<RecipientRow | undefined> {
    const raw = await this.redis.hget(this.key(id), rowField(idx));
    return raw ? withoutNulls(JSON.parse(raw) as RecipientRow) : undefined;
  }

  /**
   * Merges a patch into a row. The state never goes back (published stays
   * published) unless `force` (an explicit retry of a failed row).
   */
  async updateRow(id: string, idx: number, patch: Partial<RecipientRow> & { state: RecipientState }, force = false): Promise<RecipientRow | undefined> {
    // undefined → null so that a patch can clear a field (JSON would drop it)
    const body = JSON.stringify({ ...patch, updatedAt: new Date().toISOString() }, (_k, v: unknown) => (v === undefined ? null : v));
    const cmd = (this.redis as unknown as { ehbUpdateRow(k: string, f: string, p: string, rank: string, force: string): Promise<string | null> }).ehbUpdateRow;
    const out = await cmd.call(this.redis, this.key(id), rowField(idx), body, String(STATE_RANK[patch.state]), force ? '1' : '0');
    return out ? withoutNulls(JSON.parse(out) as RecipientRow) : undefined;
  }

  /** Records that the message's inner signatures are saved (read back by `get` as `innerSaved`). */
  async markInnerSaved(id: string): Promise<void> {
    await this.redis.hset(this.key(id), 'inner', '1');
  }

  async setMeta(meta: MessageMeta): Promise<void> {
    await this.redis.hset(this.key(meta.id), 'meta', JSON.stringify(meta));
  }

  /**
   * Message ids of a tenant, newest first, after `cursor` (the previous
   * page's). A cursor names the last message (creation time and id), so
   * messages of the same millisecond at a page boundary are neither skipped
   * nor repeated; a bare number (older cursors) means "created before".
   */
  async list(tenantId: string, opts: { cursor?: string | undefined; limit: number }): Promise<{ ids: string[]; cursor?: string }> {
    const key = this.index(tenantId);
    let max = '+inf';
    let offset = 0;
    const after = opts.cursor === undefined ? undefined : decodeMessageCursor(opts.cursor);
    if (after?.id !== undefined) {
      const id = after.id;
      max = String(after.score);
      // newest first: members of the cursor's score come in descending id order; skip the cursor's and those before it
      const same = await this.redis.zrangebyscore(key, after.score, after.score);
      offset = same.filter((m) => m >= id).length;
    } else if (after) {
      max = `(${after.score}`;
    }
    const res = await this.redis.zrevrangebyscore(key, max, '-inf', 'WITHSCORES', 'LIMIT', offset, opts.limit);
    const ids: string[] = [];
    for (let i = 0; i < res.length; i += 2) ids.push(res[i]!);
    const lastScore = res[res.length - 1];
    return ids.length === opts.limit && lastScore !== undefined ? { ids, cursor: encodeCursor(lastScore, ids[ids.length - 1]!) } : { ids };
  }

}
