/**
 * Queue `resolve`: one job per message (and per retry round). Resolves every
 * pending recipient (Addressbook + ETK, cached), records each outcome on its
 * row (a bad recipient fails alone, permanently, with its code), computes the
 * inner signatures once for the whole message, then enqueues the deliveries.
 */
import { UnrecoverableError } from 'bullmq';
import { prepareMessageAsync } from '../ehbox/message-sealer.ts';
import { describeFailure, finalRow } from './outcomes.ts';
import { hasInner, hasInnerInMemory, saveInner } from '../outbound/inner-cache.ts';
import type { RecipientRow } from '../outbound/message-store.ts';
import type { OutboundDeps } from './outbound-deps.ts';
import { jobId, type JobData } from './queues.ts';

/** Runs `fn` over `items`, at most `limit` at a time. */
export async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (err) {
        errors.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (errors.length > 0) throw errors[0];
}

async function resolveRow(deps: OutboundDeps, messageId: string, row: RecipientRow, sender: Awaited<ReturnType<OutboundDeps['senders']['get']>>): Promise<void> {
  await deps.store.updateRow(messageId, row.idx, { state: 'resolving' });
  try {
    const r = await deps.resolveRecipient(sender, row.ref as Parameters<OutboundDeps['resolveRecipient']>[1]);
    await deps.store.updateRow(messageId, row.idx, { state: 'resolving', type: r.type, id: r.id, quality: r.quality, destination: r.destination, email: r.email, language: r.language });
  } catch (err) {
    const f = describeFailure(err);
    if (!f.permanent) throw err;
    const meta = (await deps.store.get(undefined, messageId))?.meta;
    if (meta) await finalRow(deps, meta, row.idx, { state: 'failed', code: f.code, reason: f.reason });
  }
}

/** Processor of the resolve queue. */
export async function processResolve(data: JobData<'resolve'>, deps: OutboundDeps): Promise<void> {
  const m = await deps.store.get(undefined, data.messageId);
  if (!m) return;
  const box = await deps.tenancy.boxes.get(m.meta.tenantId, m.meta.senderBoxId);
  if (!box) {
    for (const r of m.rows.filter((x) => x.state === 'pending' || x.state === 'resolving')) {
      await deps.store.updateRow(m.meta.id, r.idx, { state: 'failed', code: 'SENDER_BOX_NOT_FOUND', reason: 'The sender box no longer exists' });
    }
    return;
  }
  const todo = m.rows.filter((r) => r.state === 'pending' || (r.state === 'resolving' && !r.destination));
  let sender;
  try {
    sender = await deps.senders.get(box);
  } catch (err) {
    const f = describeFailure(err);
    if (!f.permanent) throw err;
    for (const r of todo) await deps.store.updateRow(m.meta.id, r.idx, { state: 'failed', code: f.code, reason: `sender box: ${f.reason}` });
    return;
  }
  await mapLimit(todo, deps.resolveConcurrency, (row) => resolveRow(deps, m.meta.id, row, sender));
  // Saved inner signatures are recorded on the message (no storage round trip to find out). A message
  // without the mark is signed (again): nothing was enqueued from an unmarked inner layer, so no delivery
  // used it — except for messages staged before the mark existed, which a later round checks in the store.
  const innerSaved = m.innerSaved || hasInnerInMemory(m.meta.id) || (data.round > 0 && (await hasInner(deps.staging, m.meta.id)));
  if (m.meta.encrypted && !innerSaved) {
    const plain = await deps.staging.load(m.meta);
    await saveInner(deps.staging, m.meta.id, await prepareMessageAsync(plain, { encrypted: true, sender: sender.session.keystore.authentication }));
    await deps.store.markInnerSaved(m.meta.id);
  }
  if (m.meta.encrypted) deps.staging.forget(m.meta.id); // sealing works from the inner signatures now
  const fresh = await deps.store.get(undefined, m.meta.id);
  const ready = (fresh?.rows ?? []).filter((r) => r.state === 'resolving' && r.destination);
  if (ready.length === 0) return;
  if (m.meta.mode === 'shared') {
    await deps.queues.add('deliver', { messageId: m.meta.id, rows: ready.map((r) => r.idx), round: data.round }, { jobId: jobId(m.meta.id, 'shared', 'deliver', data.round) });
  } else {
    for (const r of ready) {
      await deps.queues.add('deliver', { messageId: m.meta.id, rows: [r.idx], round: data.round }, { jobId: jobId(m.meta.id, r.idx, 'deliver', data.round) });
    }
  }
}

/** Wraps a processor so that permanent failures skip the remaining attempts. */
export function unrecoverableOnPermanent<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args) => {
    try {
      await fn(...args);
    } catch (err) {
      const f = describeFailure(err);
      if (f.permanent) throw new UnrecoverableError(`${f.code}: ${f.reason}`);
      throw err;
    }
  };
}
