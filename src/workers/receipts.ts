/**
 * Queue `receipts`: receipt tracking of one outbound message.
 * - Round 0 is kicked by `deliver` each time rows are published (job id
 *   `<messageId>.receipts.k<row>`): it indexes the message's ehBox MessageIds
 *   and PublicationIds (outbound-links.ts) so that ACKNOWLEDGMENT and ERROR
 *   messages found by the poll can be matched, and — when the message asked
 *   for received/read receipts — starts the message's one polling chain
 *   (claimed with SET NX, so several kicks start one chain).
 * - Rounds 1, 2, … (job id `<messageId>.receipts.<n>`, delayed by the
 *   interval) call getMessageAcknowledgmentsStatus (100 rows per call) for
 *   each sent ehBox message whose rows are not final yet, move rows to
 *   `received` / `read`, and schedule the next round until every row is final
 *   (`read`; `received` when read was not asked; `failed`) or the tracking
 *   time is over.
 */
import { EhboxStatusError } from '../ehbox/ehbox-client.ts';
import type { AcknowledgmentRow } from '../ehbox/wire/consultation-messages.ts';
import type { InboundDeps } from '../inbound/inbound-deps.ts';
import { applyReceiptRows } from '../inbound/outbound-links.ts';
import { EHBOX_PAGE_SIZE } from '../inbound/poll-pass.ts';
import { FINAL_STATES } from '../outbound/message-input.ts';
import type { RecipientRow, StoredMessage } from '../outbound/message-store.ts';
import type { Sender } from '../outbound/sender-registry.ts';
import { redisKey, withRedis } from '../storage/redis.ts';
import { jobId, type JobData, type QueueRegistry } from './queues.ts';

/** Pages of one receipts listing (a 10,000-recipient shared message at most). */
const MAX_RECEIPT_PAGES = 100;

/** The job id of the kick that `deliver` sends for a published row (one per deliver job). */
export function receiptsKickJobId(messageId: string, row: number): string {
  return jobId(messageId, 'receipts', `k${row}`);
}

/** Kicks receipt tracking once rows of a message are published (what `deliver` calls). */
export async function kickReceipts(queues: QueueRegistry, messageId: string, row: number): Promise<void> {
  await queues.add('receipts', { messageId, round: 0 }, { jobId: receiptsKickJobId(messageId, row) });
}

/** True when nothing more can happen to the row on the receipts side. */
export function receiptFinal(m: StoredMessage, r: RecipientRow): boolean {
  if (r.state === 'failed' || r.state === 'read') return true;
  if (r.state === 'received') return !m.meta.receipts.read;
  // published without a known ehBox MessageId (a retried publication): nothing to ask about
  return FINAL_STATES.has(r.state) && !r.ehboxMessageId;
}

/** Every receipt row of one sent ehBox message. */
async function allReceipts(sender: Sender, ehboxMessageId: string): Promise<AcknowledgmentRow[]> {
  const rows: AcknowledgmentRow[] = [];
  for (let page = 0; page < MAX_RECEIPT_PAGES; page++) {
    const start = page * EHBOX_PAGE_SIZE + 1;
    const res = await sender.ehbox.getMessageAcknowledgmentsStatus({ boxId: sender.box.box, messageId: ehboxMessageId, startIndex: start, endIndex: start + EHBOX_PAGE_SIZE - 1 });
    rows.push(...res.rows);
    if (res.rows.length < EHBOX_PAGE_SIZE) break;
  }
  return rows;
}

/** Asks ehBox for the receipts of every open row; answers how many rows moved. */
async function pollReceipts(deps: InboundDeps, m: StoredMessage): Promise<number> {
  const box = await deps.outbound.tenancy.boxes.get(m.meta.tenantId, m.meta.senderBoxId);
  if (!box) return 0;
  const sender = await deps.outbound.senders.get(box);
  const open = new Set(m.rows.filter((r) => !receiptFinal(m, r) && r.ehboxMessageId).map((r) => r.ehboxMessageId!));
  let moved = 0;
  for (const ehboxMessageId of open) {
    try {
      moved += await applyReceiptRows(deps.outbound, m, ehboxMessageId, await allReceipts(sender, ehboxMessageId));
    } catch (err) {
      // the platform no longer knows this message (e.g. deleted from SENTBOX): nothing more to learn about it
      if (!(err instanceof EhboxStatusError)) throw err;
      deps.log?.(`receipts ${m.meta.id}: ehBox ${ehboxMessageId}: ${err.code}`);
    }
  }
  return moved;
}

/** Processor of the receipts queue. */
export async function processReceipts(data: JobData<'receipts'>, deps: InboundDeps): Promise<void> {
  const m = await deps.outbound.store.get(undefined, data.messageId);
  if (!m) return;
  await deps.links.index(m);
  if (!m.meta.receipts.received && !m.meta.receipts.read) return;
  const chainKey = redisKey(deps.prefix, 'receipts', 'chain', m.meta.id);
  const ttlSeconds = Math.ceil((deps.receiptsMaxAgeMs + deps.receiptsIntervalMs) / 1000) + 3600;
  if (data.round === 0) {
    const claimed = await withRedis(() => deps.redis.set(chainKey, '1', 'EX', ttlSeconds, 'NX'));
    if (claimed === 'OK') await scheduleRound(deps, m.meta.id, 1);
    return;
  }
  await pollReceipts(deps, m);
  const after = (await deps.outbound.store.get(undefined, m.meta.id)) ?? m;
  const done = after.rows.every((r) => receiptFinal(after, r));
  const expired = Date.now() - Date.parse(m.meta.createdAt) >= deps.receiptsMaxAgeMs;
  if (done || expired) return;
  await scheduleRound(deps, m.meta.id, data.round + 1);
}

async function scheduleRound(deps: InboundDeps, messageId: string, round: number): Promise<void> {
  await deps.outbound.queues.add('receipts', { messageId, round }, { jobId: jobId(messageId, 'receipts', round), delay: deps.receiptsIntervalMs });
}
