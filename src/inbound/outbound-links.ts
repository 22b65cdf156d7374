/**
 * Links from what ehBox tells a sender back to our outbound recipient rows.
 * ACKNOWLEDGMENT messages and getMessageAcknowledgmentsStatus name the sent
 * message by its ehBox MessageId; ERROR messages name it by PublicationId.
 * Neither can be turned back into our message id, so the receipts worker
 * (kicked by `deliver` once a row is published) indexes both in Redis:
 *
 * - `outref:e:<tenant>:<box>:<ehboxMessageId>` → outbound message id
 * - `outref:p:<tenant>:<box>:<publicationId>` → outbound message id
 *
 * The rows themselves say which recipient (row index) each id belongs to, so
 * the map stays one small string per publication. The updates never lower a
 * row's state (the message store refuses it anyway) and tell the row-change
 * listeners (status webhooks) only when the state really changed.
 */
import type { Redis } from 'ioredis';
import type { SystemNotice } from '../ehbox/message-unsealer.ts';
import type { AcknowledgmentRow } from '../ehbox/wire/consultation-messages.ts';
import type { BoxAddress } from '../ehbox/wire/types.ts';
import type { RecipientState } from '../outbound/message-input.ts';
import type { MessageStore, RecipientRow, StoredMessage } from '../outbound/message-store.ts';
import { publicationIdFor } from '../outbound/outbound-service.ts';
import type { OutboundDeps } from '../workers/outbound-deps.ts';
import { redisKey, withRedis } from '../storage/redis.ts';

/**
 * How long the links live: ehBox keeps a message at most a year, and a READ
 * receipt can come as late as that; a little more covers clock skew.
 */
const LINK_TTL_SECONDS = 400 * 86_400;

/** What applying a notice or receipt did. */
export type LinkOutcome = 'applied' | 'unchanged' | 'unmatched';

/** The part of the outbound dependencies the updates use. */
export type RowUpdateDeps = Pick<OutboundDeps, 'store' | 'onRowChange'>;

/** States a row may move to `target` from (anything else is at or past it, or not published yet). */
const FROM: Partial<Record<RecipientState, ReadonlySet<RecipientState>>> = {
  received: new Set(['published', 'ooo-forwarded']),
  read: new Set(['published', 'ooo-forwarded', 'received']),
  failed: new Set(['published', 'ooo-forwarded', 'sending']),
};

/** True when two ehBox addresses name the same box (ids match; qualities when both are given). */
export function sameBox(a: Pick<BoxAddress, 'id'> & { quality?: string | undefined }, b: Pick<BoxAddress, 'id'> & { quality?: string | undefined }): boolean {
  return a.id === b.id && (!a.quality || !b.quality || a.quality.toUpperCase() === b.quality.toUpperCase());
}

/** Rows whose destination (or one of its Out-of-Office substitutes) is `addr`. */
function rowsFor(rows: readonly RecipientRow[], addr: Pick<BoxAddress, 'id'> & { quality?: string | undefined }): RecipientRow[] {
  return rows.filter((r) => (r.destination && sameBox(r.destination, addr)) || (r.substitutes ?? []).some((s) => sameBox(s, addr)));
}

/** The Redis map ehBox MessageId / PublicationId → outbound message id. */
export class OutboundLinks {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private ehboxKey(tenantId: string, boxId: string, ehboxMessageId: string): string {
    return redisKey(this.prefix, 'outref', 'e', tenantId, boxId, ehboxMessageId);
  }

  private publicationKey(tenantId: string, boxId: string, publicationId: string): string {
    return redisKey(this.prefix, 'outref', 'p', tenantId, boxId, publicationId);
  }

  /** Indexes every published row of a message (idempotent; rows not yet published are indexed by a later call). */
  async index(m: StoredMessage): Promise<void> {
    const { tenantId, senderBoxId, id } = m.meta;
    const multi = this.redis.multi();
    const publicationIds = new Set(m.rows.map((r) => r.publicationId));
    if (m.meta.mode === 'shared') publicationIds.add(publicationIdFor(id, 'shared'));
    for (const p of publicationIds) multi.set(this.publicationKey(tenantId, senderBoxId, p), id, 'EX', LINK_TTL_SECONDS);
    for (const e of new Set(m.rows.map((r) => r.ehboxMessageId).filter((x): x is string => !!x))) {
      multi.set(this.ehboxKey(tenantId, senderBoxId, e), id, 'EX', LINK_TTL_SECONDS);
    }
    await withRedis(() => multi.exec());
  }

  /** The outbound message id of a sent ehBox message. */
  async byEhboxMessageId(tenantId: string, boxId: string, ehboxMessageId: string): Promise<string | undefined> {
    return (await withRedis(() => this.redis.get(this.ehboxKey(tenantId, boxId, ehboxMessageId)))) ?? undefined;
  }

  /** The outbound message id of a PublicationId. */
  async byPublicationId(tenantId: string, boxId: string, publicationId: string): Promise<string | undefined> {
    return (await withRedis(() => this.redis.get(this.publicationKey(tenantId, boxId, publicationId)))) ?? undefined;
  }
}

/** Moves one row to `target` unless it is already there or past it; tells the listeners on a real change. */
export async function advanceRow(deps: RowUpdateDeps, m: StoredMessage, row: RecipientRow, target: 'received' | 'read' | 'failed', extra: Partial<RecipientRow> = {}): Promise<boolean> {
  if (!FROM[target]?.has(row.state)) return false;
  const updated = await deps.store.updateRow(m.meta.id, row.idx, { ...extra, state: target });
  if (!updated || updated.state !== target) return false;
  row.state = target;
  await deps.onRowChange?.(m.meta, updated);
  return true;
}

async function ownMessage(store: MessageStore, tenantId: string, boxId: string, messageId: string | undefined): Promise<StoredMessage | undefined> {
  if (!messageId) return undefined;
  const m = await store.get(tenantId, messageId);
  return m && m.meta.senderBoxId === boxId ? m : undefined;
}

/** An ACKNOWLEDGMENT message: RECEIVED → `received`, READ → `read` on the acknowledged row(s). */
export async function applyAcknowledgment(deps: RowUpdateDeps & { links: OutboundLinks }, tenantId: string, boxId: string, ack: Extract<SystemNotice, { kind: 'acknowledgment' }>): Promise<LinkOutcome> {
  // PUBLISHED is what `deliver` already recorded: nothing to match
  if (ack.ackType === 'PUBLISHED') return 'unchanged';
  const m = await ownMessage(deps.store, tenantId, boxId, await deps.links.byEhboxMessageId(tenantId, boxId, ack.messageId));
  if (!m) return 'unmatched';
  const candidates = m.rows.filter((r) => r.ehboxMessageId === ack.messageId);
  const rows = ack.recipient && candidates.length > 1 ? rowsFor(candidates, ack.recipient) : candidates;
  let changed = false;
  for (const r of rows) changed = (await advanceRow(deps, m, r, ack.ackType === 'READ' ? 'read' : 'received')) || changed;
  return changed ? 'applied' : 'unchanged';
}

/** An ERROR message: the rows of that publication (narrowed to the destinations it lists) become `failed` with `EHBOX_<code>`. */
export async function applyError(deps: RowUpdateDeps & { links: OutboundLinks }, tenantId: string, boxId: string, err: Extract<SystemNotice, { kind: 'error' }>): Promise<LinkOutcome> {
  if (!err.publicationId) return 'unmatched';
  const m = await ownMessage(deps.store, tenantId, boxId, await deps.links.byPublicationId(tenantId, boxId, err.publicationId));
  if (!m) return 'unmatched';
  const shared = m.meta.mode === 'shared' && publicationIdFor(m.meta.id, 'shared') === err.publicationId;
  const ofPublication = shared ? m.rows : m.rows.filter((r) => r.publicationId === err.publicationId);
  const named = err.destinations.flatMap((d) => rowsFor(ofPublication, d));
  const rows = err.destinations.length > 0 && named.length > 0 ? [...new Set(named)] : ofPublication;
  const reason = [err.messages.join('; '), err.failures.join('; ')].filter(Boolean).join(' — ') || `ehBox reported delivery error ${err.code}`;
  let changed = false;
  for (const r of rows) changed = (await advanceRow(deps, m, r, 'failed', { code: `EHBOX_${err.code}`, reason })) || changed;
  return changed ? 'applied' : 'unchanged';
}

/** Receipt rows of getMessageAcknowledgmentsStatus for one sent ehBox message. */
export async function applyReceiptRows(deps: RowUpdateDeps, m: StoredMessage, ehboxMessageId: string, receipts: readonly AcknowledgmentRow[]): Promise<number> {
  const candidates = m.rows.filter((r) => r.ehboxMessageId === ehboxMessageId);
  let changed = 0;
  for (const rc of receipts) {
    const target = rc.read ? 'read' : rc.received ? 'received' : undefined;
    if (!target) continue;
    const rows = candidates.length === 1 && m.meta.mode === 'individual' ? candidates : rowsFor(candidates, rc.recipient);
    for (const r of rows) if (await advanceRow(deps, m, r, target)) changed++;
  }
  return changed;
}
