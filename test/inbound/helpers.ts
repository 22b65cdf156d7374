/**
 * The inbound test bench: a sandbox, real Redis (own prefix) and the
 * in-process S3, a gateway without workers (the tests drive polls and start
 * inbound workers themselves, with fast intervals), one tenant whose box is
 * a seeded hospital, and helpers to make seeded parties send to it.
 */
import { senderBoxForParty } from '../../src/main/demo-tenant.ts';
import type { Sandbox } from '../../src/sandbox/sandbox.ts';
import type { Party } from '../../src/sandbox/directory/party.ts';
import { startGateway, type Gateway } from '../../src/main/gateway.ts';
import { createInboundDeps, type InboundDeps, type InboundDepsInput } from '../../src/inbound/inbound-deps.ts';
import type { SenderBox } from '../../src/tenancy/sender-box-store.ts';
import type { Tenant } from '../../src/tenancy/tenant-store.ts';
import { sendAsParty, partyKeystore } from '../../src/sandbox/party-sender.ts';
import { prepareMessage, sealPrepared, digestOf, type PlainMessage } from '../../src/ehbox/message-sealer.ts';
import { publish } from '../../src/sandbox/ehbox/publication.ts';
import { parseEtk } from '../../src/crypto/etk.ts';
import { boxKey } from '../../src/sandbox/ehbox/model.ts';
import type { Folder } from '../../src/ehbox/wire/types.ts';
import { messageInputSchema } from '../../src/outbound/message-input.ts';
import { startTestSandbox, partyWith } from '../helpers/sandbox.ts';
import { createTestRedis, type TestRedis } from '../helpers/redis.ts';
import { startTestS3, type TestS3 } from '../helpers/s3.ts';
import { testConfig } from '../helpers/config.ts';

/** A running bench. */
export interface InboundBench {
  sandbox: Sandbox;
  redis: TestRedis;
  s3: TestS3;
  gw: Gateway;
  tenant: Tenant;
  box: SenderBox;
  hospital: Party;
  anchors: Uint8Array[];
  /** Inbound deps over the gateway's adapters (overrides for intervals and the step observer). */
  inboundDeps(over?: Partial<InboundDepsInput>): InboundDeps;
  close(): Promise<void>;
}

/** Starts the bench; `label` names the Redis prefix. */
export async function startInboundBench(label: string, opts: { inboxPolicy?: 'bin' | 'delete'; workers?: Parameters<typeof startGateway>[1]['workers'] } = {}): Promise<InboundBench> {
  const sandbox = await startTestSandbox();
  const redis = await createTestRedis(label);
  const s3 = await startTestS3();
  const config = testConfig({ ...s3.settings, REDIS_PREFIX: redis.prefix });
  const gw = await startGateway(config, { api: false, workers: opts.workers ?? [], sandbox: false }, () => {}, { sandbox });
  // the gateway made a demo tenant polling a seeded hospital: remove it, so no schedule of its competes for that box
  if (gw.demo) await gw.tenancy.tenants.delete(gw.demo.tenantId);
  const hospital = partyWith(sandbox, 'HOSPITAL');
  const tenant = await gw.tenancy.tenants.create({ name: `Inbound ${label}`, inboxPolicy: opts.inboxPolicy ?? 'bin' });
  const box = await gw.tenancy.boxes.create(tenant.id, senderBoxForParty(sandbox, hospital));
  const anchors = [sandbox.material.ca.issuing.der, sandbox.material.ca.root.der];
  return {
    sandbox,
    redis,
    s3,
    gw,
    tenant,
    box,
    hospital,
    anchors,
    inboundDeps: (over = {}) =>
      createInboundDeps({
        redis: gw.redis,
        prefix: redis.prefix,
        blobs: gw.deps.staging.blobs,
        outbound: gw.deps,
        trustAnchorsDer: anchors,
        pollIntervalMs: 60_000,
        webhookMaxAttempts: 3,
        ...over,
      }),
    async close() {
      await gw?.close();
      await sandbox?.close();
      await redis?.cleanup();
      await s3?.stop();
    },
  };
}

/** Seeded care providers (persons with a NIHII) with a valid ETK, present, with room in their box. */
export function providers(sandbox: Sandbox): Party[] {
  return sandbox.directory.parties.filter((p) => p.kind === 'person' && !!p.nihii && p.etk === 'valid' && !p.outOfOffice && p.quotaBytes > 1_000_000);
}

/** A letter from a GP, with free text, patient INSS and one annex. */
export function letter(marker: string): PlainMessage {
  return {
    title: `Referral letter ${marker}`,
    document: { filename: `referral-${marker}.pdf`, mimeType: 'application/pdf', content: new Uint8Array(Buffer.from(`%PDF-1.4 fictitious referral ${marker}`)) },
    freeText: `Please see the patient this week (${marker})`,
    patientInss: '85073003328',
    annexes: [{ title: `Lab results ${marker}`, filename: 'lab.txt', mimeType: 'text/plain', content: new Uint8Array(Buffer.from(`lab values ${marker}`)) }],
  };
}

/** Makes `from` send `message` to the bench's hospital (sealed, as a care provider's software would). */
export function sendToHospital(b: InboundBench, from: Party, message: PlainMessage): string {
  const res = sendAsParty({ material: b.sandbox.material, directory: b.sandbox.directory, ehbox: b.sandbox.ehbox }, { from: from.name, to: [b.hospital.name], message });
  if (res.code !== '100') throw new Error(`send failed: ${res.code}`);
  return res.messageId;
}

const encryptionCerts = new Map<string, Uint8Array>();

/** A party's ETK encryption certificate (parsed once: parsing an ETK costs tens of milliseconds). */
function etkOf(b: InboundBench, p: Party): Uint8Array {
  let der = encryptionCerts.get(p.name);
  if (!der) {
    der = parseEtk(b.sandbox.material.parties.get(p.name)!.etk!).encryption.der;
    encryptionCerts.set(p.name, der);
  }
  return der;
}

/**
 * What sendAsParty does (seal for the hospital and the sender, publish as the
 * sender) with the ETKs parsed once, for floods; `alter` may change the sealed fields.
 */
export function publishToHospital(b: InboundBench, from: Party, message: PlainMessage, alter: (sealed: ReturnType<typeof sealPrepared>) => void = () => {}): string {
  const prepared = prepareMessage(message, { encrypted: true, sender: partyKeystore(b.sandbox.material, from).authentication });
  const sealed = sealPrepared(prepared, [etkOf(b, b.hospital), etkOf(b, from)]);
  alter(sealed);
  const res = publish(b.sandbox.ehbox, { boxes: [from.boxes[0]!] }, {
    destinations: [{ ...b.hospital.boxes[0]! }],
    ...sealed,
    contentSpecification: { contentType: 'DOCUMENT', isImportant: false, isEncrypted: true, publicationReceipt: false, receivedReceipt: false, readReceipt: false },
    customMetas: [],
    metas: [],
    copyMailTo: [],
  });
  if (res.code !== '100') throw new Error(`publish failed: ${res.code}`);
  return res.messageId;
}

/** Publishes a message whose sealed document has one byte flipped (its digest matches the altered bytes). */
export function sendTampered(b: InboundBench, from: Party, message: PlainMessage): string {
  return publishToHospital(b, from, message, (sealed) => {
    const bytes = new Uint8Array(sealed.document.content.bytes);
    const at = Math.floor(bytes.length / 2);
    bytes[at] = bytes[at]! ^ 0x01;
    sealed.document = { ...sealed.document, content: { ...sealed.document.content, bytes }, digest: digestOf(bytes) };
  });
}

/** ehBox MessageIds in a folder of the hospital's box. */
export function folder(b: InboundBench, f: Folder): string[] {
  return b.sandbox.ehbox.store.list(boxKey(b.hospital.boxes[0]!), f).map((e) => e.messageId);
}

/** `message.received` webhook jobs for an inbox id. */
export async function receivedWebhooks(b: InboundBench, inboxId: string) {
  const jobs = await b.gw.deps.queues.queue('webhook').getJobs(['waiting', 'delayed', 'active', 'completed', 'failed', 'prioritized']);
  return jobs.filter((j) => j.data.event === 'message.received' && (j.data.payload as { inboxId?: string }).inboxId === inboxId);
}

/** Waits until `check` answers true. */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 20_000, what: string | (() => string) = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Sends an outbound message from the bench's tenant through the pipeline (needs the outbound workers). */
export async function sendOutbound(b: InboundBench, recipients: Party[], extra: Record<string, unknown> = {}): Promise<string> {
  const input = messageInputSchema.parse({
    title: 'Discharge summary',
    document: { filename: 'summary.txt', mimeType: 'text/plain' },
    recipients: recipients.map((p) => ({ type: 'NIHII', id: p.nihii, quality: p.quality })),
    ...extra,
  });
  const tenant = await b.gw.tenancy.tenants.require(b.tenant.id);
  const { id } = await b.gw.outbound.accept(tenant, input, { document: { body: Buffer.from('fictitious discharge summary') }, annexes: [] });
  return id;
}

/** Waits until every row of an outbound message satisfies `pred`; answers the message. */
export async function waitRows(b: InboundBench, id: string, pred: (state: string) => boolean, what: string, timeoutMs = 30_000) {
  let last: Awaited<ReturnType<Gateway['outbound']['get']>> | undefined;
  await waitFor(async () => {
    last = await b.gw.outbound.get(b.tenant.id, id);
    return last.rows.every((r) => pred(r.state));
  }, timeoutMs, () => `${what} (rows: ${JSON.stringify(last?.rows.map((r) => r.state))})`);
  return last!;
}
