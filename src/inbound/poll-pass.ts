/**
 * Reading a box's INBOX while mail keeps arriving. ehBox lists newest first,
 * 100 per call, so pages shift under the reader: new mail pushes everything
 * down, and what we move out pulls everything up. A pass therefore
 * - reads pages from index 1 until an empty page, skipping ids already seen
 *   in this poll (dedupe by MessageId),
 * - after each page moves or deletes what it handled, and advances only past
 *   the messages that stay (deferred or skipped ones),
 * so older mail is never skipped; mail that arrived above the read position
 * is found by the next pass, and passes repeat until one finds nothing new.
 */
import { EhboxStatusError } from '../ehbox/ehbox-client.ts';
import type { PollSummary } from './box-health.ts';
import { ingestOne, type IngestResult, type PollContext } from './ingest.ts';
import type { HeldPollLock } from './poll-lock.ts';

/** ehBox's page size limit for lists, moves and deletes. */
export const EHBOX_PAGE_SIZE = 100;
/** Messages of one page fetched and unsealed at once (overlaps the SOAP round trips with unsealing). */
const PAGE_CONCURRENCY = 8;
/** Passes per poll: bounds one poll under a continuous flood (the next poll continues). */
const MAX_PASSES = 10;

/** Counters of one poll. */
export type PollCounters = Pick<PollSummary, 'fetched' | 'stored' | 'flagged' | 'notices' | 'cleaned'> & { skipped: number; deferred: number };

/** Runs `fn` over `items`, at most `limit` at a time; the first failure rejects (others finish first). */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !failure) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.err;
  return out;
}

/** Moves (policy `bin`) or deletes (policy `delete`) handled messages; answers the ids that left INBOX. */
async function cleanUp(ctx: PollContext, policy: 'bin' | 'delete', ids: readonly string[]): Promise<Set<string>> {
  const gone = new Set<string>();
  const box = ctx.box.box;
  const call = (messageIds: string[]) =>
    policy === 'bin'
      ? ctx.sender.ehbox.moveMessage({ boxId: box, source: 'INBOX', destination: 'BININBOX', messageIds })
      : ctx.sender.ehbox.deleteMessage({ boxId: box, source: 'INBOX', messageIds });
  for (let i = 0; i < ids.length; i += EHBOX_PAGE_SIZE) {
    const batch = ids.slice(i, i + EHBOX_PAGE_SIZE);
    try {
      const res = await call(batch);
      const failed = new Set(res.messageIds);
      for (const id of batch) if (!failed.has(id)) gone.add(id);
    } catch (err) {
      if (!(err instanceof EhboxStatusError)) throw err;
      // partial failure reported as a business error: one by one; an id that is no longer there is gone already
      for (const id of batch) {
        await call([id]).then(
          (r) => (r.messageIds.includes(id) ? undefined : gone.add(id)),
          (e: unknown) => {
            if (!(e instanceof EhboxStatusError)) throw e;
          },
        );
      }
    }
  }
  return gone;
}

function count(c: PollCounters, r: IngestResult): void {
  if (r.kind === 'letter' && r.created) c.stored++;
  if (r.kind === 'letter' && r.created && r.flagged) c.flagged++;
  if (r.kind === 'notice') c.notices++;
  if (r.kind === 'skipped') c.skipped++;
  if (r.kind === 'deferred') c.deferred++;
}

/** One pass over INBOX; true when it found messages it had not seen in this poll. */
async function pass(ctx: PollContext, policy: 'bin' | 'delete', lock: HeldPollLock, seen: Set<string>, c: PollCounters): Promise<boolean> {
  const { deps, box } = ctx;
  let start = 1;
  let found = false;
  for (;;) {
    const res = await ctx.sender.ehbox.getMessagesList({ boxId: box.box, source: 'INBOX', startIndex: start, endIndex: start + EHBOX_PAGE_SIZE - 1 });
    const page = res.list?.messages ?? [];
    if (page.length === 0) return found;
    const fresh = [...new Set(page.map((m) => m.messageId))].filter((id) => !seen.has(id));
    for (const id of fresh) seen.add(id);
    found ||= fresh.length > 0;
    c.fetched += fresh.length;
    const results = await mapLimit(fresh, PAGE_CONCURRENCY, (id) => ingestOne(ctx, id));
    results.forEach((r) => count(c, r));
    const clean = fresh.filter((_, i) => results[i]!.clean);
    let removed = 0;
    if (clean.length > 0) {
      await deps.observe?.({ step: 'before-cleanup', tenantId: box.tenantId, boxId: box.id, ehboxMessageIds: clean });
      const gone = await cleanUp(ctx, policy, clean);
      removed = gone.size;
      c.cleaned += gone.size;
      const letters = results.flatMap((r, i) => (r.kind === 'letter' && gone.has(fresh[i]!) ? [r.inboxId] : []));
      await deps.inbox.markCleaned(letters);
      await deps.observe?.({ step: 'cleaned', tenantId: box.tenantId, boxId: box.id, ehboxMessageIds: [...gone] });
    }
    start += page.length - removed;
    await lock.renew();
  }
}

/** Passes until one finds nothing new (or MAX_PASSES); `seen` spans the whole poll. */
export async function drainInbox(ctx: PollContext, policy: 'bin' | 'delete', lock: HeldPollLock, c: PollCounters, seen = new Set<string>()): Promise<void> {
  for (let i = 0; i < MAX_PASSES; i++) {
    if (!(await pass(ctx, policy, lock, seen, c))) return;
  }
}
