/**
 * The whole path through the gateway: 20 messages posted with
 * `notifyRecipients` to one sandbox doctor are resolved (Addressbook e-mail
 * and language), sealed and published, and the doctor receives exactly one
 * digest e-mail — which contains nothing of the title, text, document,
 * annex or patient.
 */
import { senderBoxForParty } from '../../src/main/demo-tenant.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSsin } from '../../src/common/identifiers.ts';
import { createDrbg } from '../../src/crypto/drbg.ts';
import { startGateway, type Gateway } from '../../src/main/gateway.ts';
import { messageInputSchema } from '../../src/outbound/message-input.ts';
import type { Sandbox } from '../../src/sandbox/sandbox.ts';
import { testConfig } from '../helpers/config.ts';
import { createTestRedis, type TestRedis } from '../helpers/redis.ts';
import { startTestS3, type TestS3 } from '../helpers/s3.ts';
import { partyWith, startTestSandbox } from '../helpers/sandbox.ts';
import { startTestSmtp, type TestSmtp } from './helpers/smtp.ts';
import { startNotifyWorkers, type NotifyRole } from '../../src/workers/notify-workers.ts';

/** Digest window of the test. */
const WINDOW_MS = 1000;
const MARKER = 'ZZMARKER-e2e-4b1f';
const BURST = 20;

let sandbox: Sandbox;
let redis: TestRedis;
let s3: TestS3;
let smtp: TestSmtp;
let gw: Gateway;
let tenantId: string;
let notify: NotifyRole;

async function waitPublished(ids: string[], timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const states = await Promise.all(ids.map(async (id) => (await gw.outbound.get(tenantId, id)).rows[0]!.state));
    if (states.every((s) => s === 'published')) return;
    if (Date.now() > end) throw new Error(`not all published: ${states.join(',')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  sandbox = await startTestSandbox();
  redis = await createTestRedis('gateway-mail');
  s3 = await startTestS3();
  smtp = await startTestSmtp();
  const config = testConfig({ ...s3.settings, REDIS_PREFIX: redis.prefix, SMTP_URL: smtp.url });
  // The notify worker starts once the burst is published (below), so the pipeline's speed cannot split it over two windows.
  gw = await startGateway(config, { api: false, workers: ['resolve', 'deliver', 'cleanup'], sandbox: false }, () => {}, { sandbox });
  const hospital = partyWith(sandbox, 'HOSPITAL');
  const tenant = await gw.tenancy.tenants.create({ name: 'Hôpital Fictif' });
  tenantId = tenant.id;
  await gw.tenancy.boxes.create(tenant.id, { ...senderBoxForParty(sandbox, hospital), label: 'Hôpital Fictif – Cardiologie' });
}, 120_000);

afterAll(async () => {
  await notify?.close();
  await gw?.close();
  await sandbox?.close();
  await smtp?.close();
  await redis?.cleanup();
  await s3?.stop();
});

describe('update-info e-mails through the gateway', () => {
  it('sends one digest for a burst of 20 messages, with none of their title or content', async () => {
    const doctor = partyWith(sandbox, 'DOCTOR', (p) => p.email !== undefined);
    const tenant = await gw.tenancy.tenants.require(tenantId);
    const patient = generateSsin(createDrbg('gateway-mail-patient'));
    const accept = async (i: number) => {
      const input = messageInputSchema.parse({
        title: `Discharge letter ${MARKER} ${i}`,
        document: { filename: `${MARKER}.txt`, mimeType: 'text/plain' },
        freeText: `Free text ${MARKER}`,
        annexes: [{ filename: `${MARKER}-annex.txt`, mimeType: 'text/plain', title: `Annex ${MARKER}` }],
        patientInss: patient,
        recipients: [{ type: 'NIHII', id: doctor.nihii, quality: 'DOCTOR' }],
        notifyRecipients: true,
      });
      const { id } = await gw.outbound.accept(tenant, input, { document: { body: Buffer.from(`Document ${MARKER}`) }, annexes: [{ body: Buffer.from(`annex ${MARKER}`) }] });
      return id;
    };
    // A burst: all 20 accepted together.
    const ids = await Promise.all(Array.from({ length: BURST }, (_x, i) => accept(i)));
    await waitPublished(ids);
    // Every row enqueued its notification through the gateway's onRowChange; the worker now takes them in one window.
    notify = await startNotifyWorkers(gw.config, { redis: gw.redis, queues: gw.deps.queues, store: gw.deps.store, tenancy: gw.tenancy, dataDir: gw.config.EHBOX_DATA_DIR }, { windowMs: WINDOW_MS });
    const [mail] = await smtp.waitFor(doctor.email!, 1, 30_000);
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    expect(smtp.to(doctor.email!)).toHaveLength(1);
    const [record] = await notify.records.recent(tenantId);
    expect(record).toMatchObject({ status: 'sent', count: BURST, to: doctor.email });
    expect(mail!.raw).not.toContain(MARKER);
    expect(mail!.mail.decoded).not.toContain(MARKER);
    expect(mail!.mail.decoded).not.toContain(patient);
    expect(mail!.mail.decoded).not.toContain('Discharge');
    expect(mail!.mail.text).toContain(`${BURST}`);
    expect(mail!.mail.text).toContain('Hôpital Fictif – Cardiologie');
    const expected = { FR: 'nouveaux messages dans votre eHealthBox', NL: 'nieuwe berichten in uw eHealthBox', DE: 'neue Nachrichten in Ihrer eHealthBox' }[doctor.language];
    expect(mail!.mail.subject).toBe(`${BURST} ${expected}`);
  });
});
