import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInboundWorkers } from '../../src/workers/inbound-workers.ts';
import { receiptFinal } from '../../src/workers/receipts.ts';
import type { InboundDeps } from '../../src/inbound/inbound-deps.ts';
import { actor } from '../sandbox/helpers/actors.ts';
import { providers, folder, sendOutbound, startInboundBench, waitFor, waitRows, type InboundBench } from './helpers.ts';

let b: InboundBench;
let deps: InboundDeps;
/** Receipt rounds in this file: fast, so the chain runs many rounds within a test. */
const INTERVAL_MS = 250;

beforeAll(async () => {
  b = await startInboundBench('inbound-receipts', { workers: ['resolve', 'deliver', 'cleanup'] });
  deps = b.inboundDeps({ receiptsIntervalMs: INTERVAL_MS });
  startInboundWorkers(deps, ['receipts']);
}, 120_000);

afterAll(async () => {
  await b?.close();
});

async function receiptJobs(messageId: string) {
  const jobs = await b.gw.deps.queues.queue('receipts').getJobs(['waiting', 'delayed', 'active', 'prioritized']);
  return jobs.filter((j) => j.data.messageId === messageId);
}

describe('receipts polling', () => {
  it('moves outbound rows to received and read from getMessageAcknowledgmentsStatus, then stops', async () => {
    const [a, c] = providers(b.sandbox).slice(5, 7);
    const id = await sendOutbound(b, [a!, c!], { receipts: { received: true, read: true } });
    const published = await waitRows(b, id, (s) => s === 'published', 'published');
    // round 0 indexed the ehBox ids for the ACK matching of the poll
    await waitFor(async () => (await deps.links.byEhboxMessageId(b.tenant.id, b.box.id, published.rows[0]!.ehboxMessageId!)) === id, 5000, 'index');

    const doctorA = actor(b.sandbox, a!.name);
    const doctorC = actor(b.sandbox, c!.name);
    // A only lists its inbox (RECEIVED); C opens the message (RECEIVED + READ)
    await doctorA.ehbox.getMessagesList({ source: 'INBOX', startIndex: 1, endIndex: 100 });
    const cList = await doctorC.ehbox.getMessagesList({ source: 'INBOX', startIndex: 1, endIndex: 100 });
    const cMsg = cList.list!.messages.find((m) => m.messageId === published.rows[1]!.ehboxMessageId)!;
    await doctorC.ehbox.getFullMessage({ source: 'INBOX', messageId: cMsg.messageId });

    await waitFor(async () => {
      const m = await b.gw.outbound.get(b.tenant.id, id);
      return m.rows[0]!.state === 'received' && m.rows[1]!.state === 'read';
    }, 10_000, 'received/read');
    // the chain keeps going: A is not final while read was asked
    expect((await receiptJobs(id)).length).toBe(1);

    await doctorA.ehbox.getFullMessage({ source: 'INBOX', messageId: published.rows[0]!.ehboxMessageId! });
    const done = await waitRows(b, id, (s) => s === 'read', 'read', 10_000);
    expect(done.rows.every((r) => receiptFinal({ meta: { receipts: { received: true, read: true } } } as never, r))).toBe(true);
    // once every row is final no further round is scheduled
    await new Promise((r) => setTimeout(r, INTERVAL_MS * 3));
    expect(await receiptJobs(id)).toHaveLength(0);

    // status webhooks announced each receipt
    const hooks = await b.gw.deps.queues.queue('webhook').getJobs(['waiting', 'delayed', 'completed', 'failed']);
    const states = hooks.filter((j) => j.data.event === 'message.status' && (j.data.payload as { messageId?: string }).messageId === id).map((j) => (j.data.payload as { state: string }).state);
    expect(states.filter((s) => s === 'received')).toHaveLength(1);
    expect(states.filter((s) => s === 'read')).toHaveLength(2);
    // the receipts came from the status service: the ACK messages still wait in the hospital's INBOX
    expect(folder(b, 'INBOX').length).toBeGreaterThanOrEqual(4);
  });

  it('does not poll receipts for messages that did not ask for them, but still indexes them', async () => {
    const [a] = providers(b.sandbox).slice(7, 8);
    const id = await sendOutbound(b, [a!]);
    const published = await waitRows(b, id, (s) => s === 'published', 'published');
    await waitFor(async () => (await deps.links.byPublicationId(b.tenant.id, b.box.id, published.rows[0]!.publicationId)) === id, 5000, 'index');
    expect(await receiptJobs(id)).toHaveLength(0);
  });
});
