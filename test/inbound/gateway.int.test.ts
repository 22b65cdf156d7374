import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.ts';
import type { Gateway } from '../../src/main/gateway.ts';
import { QUEUE_NAMES } from '../../src/workers/queues.ts';
import { pollSchedulerId } from '../../src/workers/poll.ts';
import { InboxStore } from '../../src/inbound/inbox-store.ts';
import { InboxContent } from '../../src/inbound/inbox-content.ts';
import { inboxIdFor } from '../../src/inbound/inbox-record.ts';
import { sendAsParty } from '../../src/sandbox/party-sender.ts';
import { boxKey } from '../../src/sandbox/ehbox/model.ts';
import { waitFor } from './helpers.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';

let t: TestGateway;
let sandbox: Sandbox;
let gw: Gateway;

beforeAll(async () => {
  t = await startTestGateway('inbound-gateway', { config: { POLL_INTERVAL_SECONDS: 5 }, roles: { api: false, workers: QUEUE_NAMES, sandbox: false } });
  ({ sandbox, gw } = t);
}, 120_000);

afterAll(async () => {
  await t?.close();
});

describe('all-in-one gateway', () => {
  it("schedules a poll of the demo tenant's box and hands over what a GP sends to it", async () => {
    const demo = gw.demo!;
    // the workers sync the schedules as they start
    await waitFor(async () => (await gw.deps.queues.queue('poll').getJobSchedulers()).length > 0, 5000, 'the schedules');
    const schedulers = await gw.deps.queues.queue('poll').getJobSchedulers();
    expect(schedulers.map((s) => [s.key, s.every])).toEqual([[pollSchedulerId(demo.tenantId, demo.boxId), 5000]]);

    const gp = sandbox.directory.parties.find((p) => p.quality === 'DOCTOR' && p.etk === 'valid')!;
    const sent = sendAsParty(sandbox, { from: gp.name, to: [demo.hospital], message: { title: 'Note', document: { filename: 'n.txt', mimeType: 'text/plain', content: new Uint8Array(Buffer.from('fictitious note')) }, annexes: [] } });
    if (sent.code !== '100') throw new Error(`send failed: ${sent.code}`);
    const inbox = new InboxStore(gw.redis, t.redis.prefix, new InboxContent(gw.deps.staging.blobs));
    const id = inboxIdFor(demo.tenantId, demo.boxId, sent.messageId);
    await waitFor(async () => (await inbox.get(demo.tenantId, id))?.cleanedAt !== undefined, 15_000, 'the scheduled poll');
    expect((await inbox.get(demo.tenantId, id))!.meta.verdict.ok).toBe(true);
    const hospital = sandbox.directory.party(demo.hospital)!;
    expect(sandbox.ehbox.store.list(boxKey(hospital.boxes[0]!), 'BININBOX').map((e) => e.messageId)).toContain(sent.messageId);
  });
});
