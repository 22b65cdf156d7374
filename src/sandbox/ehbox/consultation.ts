/**
 * The consultation operations as the sandbox performs them: box info, lists
 * (100 per call, newest first), full messages, receipts, move/delete with the
 * folder rules, and the housekeeping (stand-by release, expiry).
 */
import type { BoxAddress, BoxEntry, Folder, ReceiptRow, StoredMessage } from './model.ts';
import { addDays, Codes, EhboxBusinessError, isoDate, MAX_ITEMS_PER_CALL, MAX_MESSAGE_AGE_DAYS, type Caller, type EhboxContext } from './context.ts';
import type { EhboxEvent } from './store.ts';

/** Allowed moves (PROTOCOL.md §6): a message only goes to and from its bin. */
const ALLOWED_MOVES: Record<Folder, Folder> = { INBOX: 'BININBOX', BININBOX: 'INBOX', SENTBOX: 'BINSENTBOX', BINSENTBOX: 'SENTBOX' };

/** getBoxInfo. */
export function boxInfo(ctx: EhboxContext, caller: Caller, boxId?: BoxAddress) {
  const box = ctx.actingBox(caller, boxId);
  return {
    boxId: box.address,
    nbrMessagesInStandBy: ctx.store.standBy(box.key).length,
    currentSize: ctx.store.usedBytes(box.key),
    maxSize: ctx.directory.maxSize(box.key),
  };
}

/** Checks a 1-based inclusive index range against the 100-per-call limit. */
export function checkRange(start: number, end: number): void {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 1 || end < start) {
    throw new EhboxBusinessError(Codes.INVALID_RANGE, `Invalid index range ${start}..${end}`);
  }
  if (end - start + 1 > MAX_ITEMS_PER_CALL) {
    throw new EhboxBusinessError(Codes.INVALID_RANGE, `At most ${MAX_ITEMS_PER_CALL} items per call (asked ${start}..${end})`);
  }
}

/** One line of a list answer. */
export interface ListedMessage {
  entry: BoxEntry;
  message: StoredMessage;
}

/** getMessagesList for one box; listing an inbox message counts as RECEIVED. */
export function listMessages(ctx: EhboxContext, caller: Caller, req: { boxId?: BoxAddress | undefined; source: Folder; start: number; end: number }): ListedMessage[] {
  checkRange(req.start, req.end);
  const box = ctx.actingBox(caller, req.boxId);
  return listBoxes(ctx, [box], req.source, req.start, req.end);
}

/** getAllEhboxesMessagesList: every box of the caller merged, newest first. */
export function listAllBoxes(ctx: EhboxContext, caller: Caller, req: { source: Folder; start: number; end: number }): ListedMessage[] {
  checkRange(req.start, req.end);
  const boxes = caller.boxes.map((address) => ({ address, key: ctx.directory.resolve(address).ok ? keyOf(ctx, address) : '' })).filter((b) => b.key);
  return listBoxes(ctx, boxes, req.source, req.start, req.end);
}

function keyOf(ctx: EhboxContext, a: BoxAddress): string {
  const r = ctx.directory.resolve(a);
  return r.ok ? r.key : '';
}

function listBoxes(ctx: EhboxContext, boxes: { key: string }[], source: Folder, start: number, end: number): ListedMessage[] {
  const all: (ListedMessage & { box: string })[] = [];
  for (const b of boxes) {
    for (const entry of ctx.store.list(b.key, source)) {
      const message = ctx.store.messages.get(entry.messageId);
      if (message) all.push({ entry, message, box: b.key });
    }
  }
  all.sort((x, y) => (x.entry.addedAt < y.entry.addedAt ? 1 : x.entry.addedAt > y.entry.addedAt ? -1 : 0));
  const page = all.slice(start - 1, end);
  const events: EhboxEvent[] = [];
  if (source === 'INBOX') for (const p of page) ctx.receipt(events, p.message, p.box, p.entry.destination, 'RECEIVED');
  ctx.persist(events);
  return page;
}

/** getFullMessage: the message with its content; fetching an inbox message counts as RECEIVED and READ. */
export function fullMessage(ctx: EhboxContext, caller: Caller, req: { boxId?: BoxAddress | undefined; source: 'INBOX' | 'SENTBOX' | 'HISTORY'; messageId: string }) {
  const box = ctx.actingBox(caller, req.boxId);
  const found = locate(ctx, box.key, req.source, req.messageId);
  const message = ctx.store.messages.get(req.messageId)!;
  if (found.side === 'in') {
    const events: EhboxEvent[] = [];
    ctx.receipt(events, message, box.key, found.entry.destination, 'RECEIVED');
    ctx.receipt(events, message, box.key, found.entry.destination, 'READ');
    ctx.persist(events);
  }
  return { message, entry: found.entry };
}

function locate(ctx: EhboxContext, box: string, source: 'INBOX' | 'SENTBOX' | 'HISTORY', messageId: string) {
  const sides: ('in' | 'out')[] = source === 'INBOX' ? ['in'] : source === 'SENTBOX' ? ['out'] : ['in', 'out'];
  for (const s of sides) {
    const entry = ctx.store.findOnSide(box, messageId, s);
    if (entry && ctx.store.messages.has(messageId)) return { entry, side: s };
  }
  throw new EhboxBusinessError(Codes.MESSAGE_NOT_FOUND, `Message ${messageId} is not in ${source}`);
}

/**
 * getHistory (SOAPAction getMessageHistory): the sandbox answers the message
 * itself followed by the acknowledgment and error messages the platform
 * generated about it (the real semantics are undocumented).
 */
export function history(ctx: EhboxContext, caller: Caller, req: { boxId?: BoxAddress | undefined; source: 'INBOX' | 'SENTBOX' | 'HISTORY'; messageId: string }): string[] {
  const box = ctx.actingBox(caller, req.boxId);
  locate(ctx, box.key, req.source, req.messageId);
  const related: string[] = [];
  for (const m of ctx.store.messages.values()) {
    if (m.acknowledgment?.messageId === req.messageId) related.push(m.messageId);
  }
  return [req.messageId, ...related];
}

/** getMessageAcknowledgmentsStatus: only the sender of a message may ask. */
export function acknowledgmentsStatus(ctx: EhboxContext, caller: Caller, req: { boxId?: BoxAddress | undefined; messageId: string; start: number; end: number }): ReceiptRow[] {
  checkRange(req.start, req.end);
  const box = ctx.actingBox(caller, req.boxId);
  const m = ctx.store.messages.get(req.messageId);
  if (!m || m.senderBox !== box.key) throw new EhboxBusinessError(Codes.MESSAGE_NOT_FOUND, `No sent message ${req.messageId} in this box`);
  const rows = new Map(ctx.store.receiptRows(req.messageId).map((r) => [r.recipientBox, r]));
  // recipients still waiting in stand-by have a row without dates
  for (const d of m.destinations) {
    const r = ctx.directory.resolve(d);
    if (r.ok && !rows.has(r.key)) rows.set(r.key, { recipient: r.address, recipientBox: r.key });
  }
  return [...rows.values()].slice(req.start - 1, req.end);
}

/** moveMessage: answers the ids that could not be moved (the others were). */
export function moveMessages(ctx: EhboxContext, caller: Caller, req: { boxId?: BoxAddress | undefined; source: Folder; destination: Folder; messageIds: string[] }): string[] {
  if (req.messageIds.length > MAX_ITEMS_PER_CALL) throw new EhboxBusinessError(Codes.INVALID_RANGE, `At most ${MAX_ITEMS_PER_CALL} ids per call`);
  if (ALLOWED_MOVES[req.source] !== req.destination) {
    throw new EhboxBusinessError(Codes.MOVE_NOT_ALLOWED, `Messages cannot move from ${req.source} to ${req.destination}`);
  }
  const box = ctx.actingBox(caller, req.boxId);
  const events: EhboxEvent[] = [];
  const failed: string[] = [];
  for (const id of req.messageIds) {
    if (!ctx.store.entry(box.key, id, req.source)) failed.push(id);
    else ctx.emit(events, { t: 'move', box: box.key, messageId: id, from: req.source, to: req.destination });
  }
  ctx.persist(events);
  return failed;
}

/** deleteMessage: definitive; frees space, which may release stand-by messages. Answers the ids not deleted. */
export function deleteMessages(ctx: EhboxContext, caller: Caller, req: { boxId?: BoxAddress | undefined; source: Folder; messageIds: string[] }): string[] {
  if (req.messageIds.length > MAX_ITEMS_PER_CALL) throw new EhboxBusinessError(Codes.INVALID_RANGE, `At most ${MAX_ITEMS_PER_CALL} ids per call`);
  const box = ctx.actingBox(caller, req.boxId);
  const events: EhboxEvent[] = [];
  const failed: string[] = [];
  for (const id of req.messageIds) {
    if (!ctx.store.entry(box.key, id, req.source)) failed.push(id);
    else ctx.emit(events, { t: 'delete', box: box.key, messageId: id, folder: req.source });
  }
  releaseStandBy(ctx, events, box.key);
  ctx.persist(events);
  return failed;
}

/** Delivers waiting messages, oldest first, while they fit in the box. */
export function releaseStandBy(ctx: EhboxContext, events: EhboxEvent[], key: string): void {
  for (const e of ctx.store.standBy(key)) {
    const m = ctx.store.messages.get(e.messageId);
    if (!m) continue;
    if (ctx.store.usedBytes(key) + m.size > ctx.directory.maxSize(key)) break;
    ctx.emit(events, { t: 'release', box: key, messageId: e.messageId });
    ctx.receipt(events, m, key, e.destination, 'PUBLISHED');
  }
}

/**
 * Expiry (PROTOCOL.md §5.8): messages older than a year go whatever their
 * state; a message past its expiration date that was read and sits in a bin
 * leaves that bin. The space freed releases stand-by messages. Returns the
 * number of messages removed or taken out of a bin.
 */
export function sweepExpired(ctx: EhboxContext): number {
  const today = isoDate(ctx.now());
  const cutoff = isoDate(addDays(ctx.now(), -MAX_MESSAGE_AGE_DAYS));
  const events: EhboxEvent[] = [];
  const freed = new Set<string>();
  let removed = 0;
  for (const m of [...ctx.store.messages.values()]) {
    if (m.publicationDate < cutoff) {
      for (const box of ctx.store.boxesHolding(m.messageId)) freed.add(box);
      ctx.emit(events, { t: 'purge', messageId: m.messageId });
      removed++;
      continue;
    }
    if (m.expirationDate >= today) continue;
    for (const box of ctx.store.boxesHolding(m.messageId)) {
      const e = ctx.store.entry(box, m.messageId, 'BININBOX');
      if (e && ctx.store.receipt(m.messageId, box)?.read) {
        ctx.emit(events, { t: 'delete', box, messageId: m.messageId, folder: 'BININBOX' });
        freed.add(box);
        removed++;
      }
    }
  }
  for (const box of freed) releaseStandBy(ctx, events, box);
  ctx.persist(events);
  return removed;
}
