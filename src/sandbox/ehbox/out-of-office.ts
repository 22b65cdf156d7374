/**
 * Out-of-Office periods with the documented limits (PROTOCOL.md §6):
 * one period per insert, at most 5 substitutes, at most 10 periods per box,
 * no overlap, at most one year long and ending before today + 1 year;
 * substitutes are persons and may not be absent themselves in that period.
 */
import crypto from 'node:crypto';
import { boxKey, type BoxAddress, type OutOfOffice } from './model.ts';
import { addDays, Codes, EhboxBusinessError, isoDate, type Caller, type EhboxContext } from './context.ts';
import type { EhboxEvent } from './store.ts';

const MAX_SUBSTITUTES = 5;
const MAX_PERIODS = 10;
const MAX_PERIOD_DAYS = 366;

/** A substitute that was refused, with its own absence when that is the reason. */
export interface RejectedSubstitute extends BoxAddress {
  absentFrom?: string | undefined;
  absentTo?: string | undefined;
}

/** insertOoO. Returns the new period; throws with the rejected substitutes in `details`. */
export function insertOoO(ctx: EhboxContext, caller: Caller, req: { boxId?: BoxAddress | undefined; startDate: string; endDate: string; substitutes: BoxAddress[] }): OutOfOffice {
  const box = ctx.actingBox(caller, req.boxId);
  const today = isoDate(ctx.now());
  const horizon = isoDate(addDays(ctx.now(), 365));
  const days = (Date.parse(req.endDate) - Date.parse(req.startDate)) / 86_400_000;
  if (!(days >= 0) || req.endDate < today || req.endDate > horizon || days > MAX_PERIOD_DAYS) {
    throw new EhboxBusinessError(Codes.OOO_INVALID_PERIOD, `Invalid Out-of-Office period ${req.startDate}..${req.endDate}`);
  }
  const existing = ctx.store.ooo(box.key);
  if (existing.length >= MAX_PERIODS) throw new EhboxBusinessError(Codes.OOO_TOO_MANY_PERIODS, `At most ${MAX_PERIODS} periods per box`);
  if (existing.some((o) => o.startDate <= req.endDate && req.startDate <= o.endDate)) {
    throw new EhboxBusinessError(Codes.OOO_OVERLAP, 'The period overlaps an existing Out-of-Office period');
  }
  if (req.substitutes.length > MAX_SUBSTITUTES) {
    throw new EhboxBusinessError(Codes.OOO_TOO_MANY_SUBSTITUTES, `At most ${MAX_SUBSTITUTES} substitutes`);
  }
  const rejected: RejectedSubstitute[] = [];
  const substitutes: BoxAddress[] = [];
  for (const s of req.substitutes) {
    const r = ctx.directory.resolve(s);
    if (!r.ok || !r.person || r.key === box.key) {
      rejected.push(s);
      continue;
    }
    const away = ctx.store.ooo(r.key).find((o) => o.startDate <= req.endDate && req.startDate <= o.endDate);
    if (away) rejected.push({ ...s, absentFrom: away.startDate, absentTo: away.endDate });
    else substitutes.push(r.address);
  }
  if (rejected.length > 0) throw new EhboxBusinessError(Codes.OOO_INVALID_SUBSTITUTE, 'Some substitutes were refused', rejected);
  const ooo: OutOfOffice = { oooId: nextOoOId(), startDate: req.startDate, endDate: req.endDate, substitutes };
  const events: EhboxEvent[] = [];
  ctx.emit(events, { t: 'ooo-add', box: box.key, ooo });
  ctx.persist(events);
  return ooo;
}

/** A fresh OoO id (OoOIdType: 1..13 characters). */
function nextOoOId(): string {
  return crypto.randomBytes(6).toString('hex').toUpperCase();
}

/** deleteOoO: answers the ids that were not found (the others are deleted). */
export function deleteOoO(ctx: EhboxContext, caller: Caller, req: { boxId?: BoxAddress | undefined; oooIds: string[] }): string[] {
  const box = ctx.actingBox(caller, req.boxId);
  const known = new Set(ctx.store.ooo(box.key).map((o) => o.oooId));
  const events: EhboxEvent[] = [];
  const missing: string[] = [];
  for (const id of req.oooIds) {
    if (known.has(id)) ctx.emit(events, { t: 'ooo-del', box: box.key, oooId: id });
    else missing.push(id);
  }
  ctx.persist(events);
  return missing;
}

/** getOoOList: past, current and future periods. */
export function listOoO(ctx: EhboxContext, caller: Caller, req: { boxId?: BoxAddress | undefined }): OutOfOffice[] {
  return ctx.store.ooo(ctx.actingBox(caller, req.boxId).key);
}

/** Seeds an active period directly (sandbox directory setup, not an eHealth operation). */
export function seedOoO(ctx: EhboxContext, box: BoxAddress, ooo: Omit<OutOfOffice, 'oooId'>): void {
  const key = boxKey(box);
  if (ctx.store.ooo(key).length > 0) return;
  const events: EhboxEvent[] = [];
  ctx.emit(events, { t: 'ooo-add', box: key, ooo: { ...ooo, oooId: nextOoOId() } });
  ctx.persist(events);
}
