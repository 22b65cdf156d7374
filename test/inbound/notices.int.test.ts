import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInboundWorkers } from '../../src/workers/inbound-workers.ts';
import { processPoll } from '../../src/workers/poll.ts';
import type { InboundDeps } from '../../src/inbound/inbound-deps.ts';
import { boxKey, type StoredMessage } from '../../src/sandbox/ehbox/model.ts';
import type { EhboxEvent } from '../../src/sandbox/ehbox/store.ts';
import { actor } from '../sandbox/helpers/actors.ts';
import { providers, folder, sendOutbound, startInboundBench, waitFor, waitRows, type InboundBench } from './helpers.ts';

let b: InboundBench;
let deps: InboundDeps;
/** Unmatched ACK/ERROR messages wait this long in this file before being consumed. */
const GRACE_MS = 400;

beforeAll(async () => {
  b = await startInboundBench('inbound-notices', { workers: ['resolve', 'deliver', 'cleanup'] });
  // receipts rounds far apart: in this file rows may only move through the ACK/ERROR messages the poll reads
  deps = b.inboundDeps({ receiptsIntervalMs: 600_000, noticeGraceMs: GRACE_MS });
  startInboundWorkers(deps, ['receipts']);
}, 120_000);

afterAll(async () => {
  await b?.close();
});

const poll = () => processPoll({ tenantId: b.tenant.id, boxId: b.box.id }, deps);

async function indexed(messageId: string) {
  const m = await b.gw.outbound.get(b.tenant.id, messageId);
  await waitFor(async () => (await deps.links.byPublicationId(b.tenant.id, b.box.id, m.rows[0]!.publicationId)) === messageId, 5000, 'index');
  return m;
}

describe('ACKNOWLEDGMENT and ERROR messages', () => {
  it('moves the acknowledged row to received then read, and bins the ACK messages without storing them as letters', async () => {
    const [doc] = providers(b.sandbox).slice(2, 3);
    const id = await sendOutbound(b, [doc!], { receipts: { published: true, received: true, read: true } });
    await waitRows(b, id, (s) => s === 'published', 'published');
    const m = await indexed(id);
    const ehboxId = m.rows[0]!.ehboxMessageId!;

    const before = new Set(folder(b, 'INBOX'));
    await actor(b.sandbox, doc!.name).ehbox.getFullMessage({ source: 'INBOX', messageId: ehboxId });
    const acks = [...b.sandbox.ehbox.store.messages.values()].filter((x) => x.contentType === 'ACKNOWLEDGMENT' && x.acknowledgment?.messageId === ehboxId);
    expect(acks.map((x) => x.acknowledgment!.ackType).sort()).toEqual(['PUBLISHED', 'READ', 'RECEIVED']);
    expect(acks.every((x) => folder(b, 'INBOX').includes(x.messageId) || before.has(x.messageId))).toBe(true);

    const summary = await poll();
    expect(summary).toMatchObject({ ok: true, stored: 0, notices: 3 });
    expect((await b.gw.outbound.get(b.tenant.id, id)).rows[0]!.state).toBe('read');
    for (const ack of acks) {
      expect(folder(b, 'INBOX')).not.toContain(ack.messageId);
      expect(folder(b, 'BININBOX')).toContain(ack.messageId);
    }
    const letters = await deps.inbox.list(b.tenant.id, { limit: 200 });
    expect(letters.items.filter((r) => acks.some((a) => a.messageId === r.meta.ehboxMessageId))).toHaveLength(0);
    // handled once: a second poll neither re-reads nor re-applies them
    expect(await poll()).toMatchObject({ fetched: 0, notices: 0 });
  });

  it('marks the recipient failed with EHBOX_<code> when the platform reports a delivery error', async () => {
    const [ok, bad] = providers(b.sandbox).slice(3, 5);
    b.sandbox.faults.set('sendMessage', { deliveryFailure: { code: '850', message: 'Recipient box closed (fictitious)', recipients: [bad!.boxes[0]!.id] } });
    let id: string;
    try {
      id = await sendOutbound(b, [ok!, bad!]);
      await waitRows(b, id, (s) => s === 'published', 'published');
    } finally {
      b.sandbox.faults.clear('sendMessage');
    }
    await indexed(id);
    const errors = [...b.sandbox.ehbox.store.messages.values()].filter((x) => x.contentType === 'ERROR' && folder(b, 'INBOX').includes(x.messageId));
    expect(errors).toHaveLength(1);

    expect(await poll()).toMatchObject({ notices: 1, stored: 0 });
    const m = await b.gw.outbound.get(b.tenant.id, id);
    expect(m.rows.map((r) => r.state)).toEqual(['published', 'failed']);
    expect(m.rows[1]!.code).toBe('EHBOX_850');
    expect(m.rows[1]!.reason).toContain('Recipient box closed');
    expect(folder(b, 'BININBOX')).toContain(errors[0]!.messageId);
  });

  it('keeps an unmatched notice in INBOX during the grace period, then consumes it as unmatched', async () => {
    // an ERROR about a publication this gateway never made (e.g. sent by other software from the same box)
    const hospitalBox = b.hospital.boxes[0]!;
    const about = {
      messageId: '9999999999999',
      publicationId: 'FOREIGN1',
      sender: { ...hospitalBox, name: 'Hospital' },
      senderBox: boxKey(hospitalBox),
    } as unknown as StoredMessage;
    const events: EhboxEvent[] = [];
    b.sandbox.ehbox.systemMessage(events, about, 'ERROR', { error: { code: '851', messages: ['Undeliverable (fictitious)'], destinations: [], publicationId: 'FOREIGN1' } });
    b.sandbox.ehbox.persist(events);
    const notice = folder(b, 'INBOX').find((x) => b.sandbox.ehbox.store.messages.get(x)?.error?.publicationId === 'FOREIGN1')!;
    expect(notice).toBeDefined();

    expect(await poll()).toMatchObject({ notices: 0 });
    expect(folder(b, 'INBOX')).toContain(notice);
    await new Promise((r) => setTimeout(r, GRACE_MS + 50));
    expect(await poll()).toMatchObject({ notices: 1 });
    expect(folder(b, 'INBOX')).not.toContain(notice);
    const logged = await b.gw.redis.lrange(`${b.redis.prefix}inbox:unmatched:${b.tenant.id}`, 0, -1);
    expect(logged.map((l) => JSON.parse(l) as { ehboxMessageId: string; code: string })).toContainEqual(expect.objectContaining({ ehboxMessageId: notice, code: '851' }));
  });
});
