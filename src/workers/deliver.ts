/**
 * Queue `deliver`: seals and publishes for one recipient (individual mode) or
 * for all (shared mode). Exactly once toward ehBox: the row is checked before
 * every side effect, the PublicationId is derived from message and row and
 * is the same on every retry, and a "PublicationId already used" answer
 * (a previous attempt did publish) counts as published. Out-of-Office (826)
 * follows the tenant policy: forward, keep or fail.
 */
import { fromEhboxType } from '../common/identifiers.ts';
import { EhboxStatusError, type SendResult } from '../ehbox/ehbox-client.ts';
import { prepareMessage, sealPreparedAsync, type PreparedMessage, type SealedFields } from '../ehbox/message-sealer.ts';
import type { PublicationDestination, SendMessageRequest } from '../ehbox/wire/messages.ts';
import { loadPrepared } from '../outbound/inner-cache.ts';
import { timedCrypto } from '../observability/crypto-timing-hook.ts';
import { FINAL_STATES } from '../outbound/message-input.ts';
import type { Destination, MessageMeta, RecipientRow } from '../outbound/message-store.ts';
import { publicationIdFor } from '../outbound/outbound-service.ts';
import type { Sender } from '../outbound/sender-registry.ts';
import type { Tenant } from '../tenancy/tenant-store.ts';
import type { OutboundDeps } from './outbound-deps.ts';
import { describeFailure, finalRow } from './outcomes.ts';
import { jobId, type JobData } from './queues.ts';
import { kickReceipts } from './receipts.ts';

/** ehBox status meaning "this PublicationId was already used by this sender" (sandbox code; see docs/sandbox.md). */
export const DUPLICATE_PUBLICATION_CODE = '820';
/** Out-of-Office rounds before giving up (a substitute may be absent too). */
const MAX_OOO_ROUNDS = 3;

async function etkCertsFor(deps: OutboundDeps, d: { type: string; id: string }): Promise<Uint8Array[]> {
  return (await deps.etkDepot.getEtks({ type: d.type, value: d.id })).map((e) => e.encryptionCertDer);
}

function request(meta: MessageMeta, publicationId: string, sender: Sender, destinations: PublicationDestination[], sealed: SealedFields): SendMessageRequest {
  return {
    publicationId,
    boxId: sender.box.box,
    destinations,
    ...sealed,
    contentSpecification: {
      contentType: 'DOCUMENT',
      isImportant: meta.important,
      isEncrypted: meta.encrypted,
      publicationReceipt: meta.receipts.published,
      receivedReceipt: meta.receipts.received,
      readReceipt: meta.receipts.read,
    },
    customMetas: meta.customMetas,
    metas: [],
    copyMailTo: [],
  };
}

/** The ETK identifier of an ehBox address (INSS → SSIN, NIHII/HOSPITAL → NIHII-HOSPITAL, …). */
function etkIdentifierOf(d: Destination): { type: string; id: string } {
  return { type: d.type === 'NIHII' && d.id.length === 11 ? 'NIHII11' : fromEhboxType(d.type, d.subType), id: d.id };
}

interface Publication {
  destinations: PublicationDestination[];
  certs: Uint8Array[];
}

/** Sends, following Out-of-Office answers per tenant policy; returns the final result and forwarded substitutes. */
async function sendWithPolicy(deps: OutboundDeps, tenant: Tenant, sender: Sender, prepared: PreparedMessage, meta: MessageMeta, publicationId: string, pub: Publication) {
  const substitutes: Destination[] = [];
  let result: SendResult | undefined;
  for (let round = 0; round < MAX_OOO_ROUNDS; round++) {
    const sealed = await timedCrypto('seal', () => sealPreparedAsync(prepared, meta.encrypted ? [...pub.certs, ...sender.ownEtks.map((e) => e.encryptionCertDer)] : []));
    try {
      result = await sender.ehbox.send(request(meta, publicationId, sender, pub.destinations, sealed));
    } catch (err) {
      // an earlier attempt did publish (e.g. a crash before its answer was recorded): the answer names that message
      if (err instanceof EhboxStatusError && err.code === DUPLICATE_PUBLICATION_CODE) return { result: { kind: 'published' as const, messageId: err.response?.id ?? '' }, substitutes };
      throw err;
    }
    if (result.kind === 'published' || tenant.oooPolicy === 'fail') break;
    for (const a of result.absent) {
      const d = pub.destinations.find((x) => x.id === a.recipient.id && x.type === a.recipient.type) ?? pub.destinations.find((x) => x.quality === a.recipient.quality && x.id === a.recipient.id);
      if (d) d.oooProcessed = true;
      else pub.destinations.push({ ...a.recipient, oooProcessed: true });
      if (tenant.oooPolicy !== 'forward') continue;
      for (const s of a.substitutes) {
        if (pub.destinations.some((x) => x.id === s.id && x.type === s.type)) continue;
        pub.destinations.push({ id: s.id, type: s.type, subType: s.subType, quality: s.quality });
        substitutes.push({ id: s.id, type: s.type, subType: s.subType, quality: s.quality });
        if (meta.encrypted) pub.certs.push(...(await etkCertsFor(deps, etkIdentifierOf(s))));
      }
    }
  }
  return { result: result!, substitutes };
}

/** Processor of the deliver queue. */
export async function processDeliver(data: JobData<'deliver'>, deps: OutboundDeps): Promise<void> {
  const m = await deps.store.getRows(data.messageId, data.rows);
  if (!m) return;
  const rows = m.rows.filter((r): r is RecipientRow => !!r && !FINAL_STATES.has(r.state) && !!r.destination);
  if (rows.length === 0) return;
  const tenant = await deps.tenancy.tenants.get(m.meta.tenantId);
  const box = await deps.tenancy.boxes.get(m.meta.tenantId, m.meta.senderBoxId);
  if (!tenant || !box) {
    for (const r of rows) await deps.store.updateRow(m.meta.id, r.idx, { state: 'failed', code: 'SENDER_BOX_NOT_FOUND', reason: 'The tenant or sender box no longer exists' });
    return;
  }
  try {
    // `sealing` before any work, so that a crash here is visible (and recovered) like one while sending
    for (const r of rows) await deps.store.updateRow(m.meta.id, r.idx, { state: 'sealing' });
    const sender = await deps.senders.get(box);
    const prepared = m.meta.encrypted
      ? await loadPrepared(deps.staging, m.meta.id, () => deps.staging.load(m.meta, false), sender.session.keystore.authentication)
      : prepareMessage(await deps.staging.load(m.meta), { encrypted: false });
    const pub: Publication = { destinations: rows.map((r) => ({ ...r.destination! })), certs: [] };
    if (m.meta.encrypted) for (const r of rows) pub.certs.push(...(await etkCertsFor(deps, { type: r.type!, id: r.id! })));
    for (const r of rows) await deps.store.updateRow(m.meta.id, r.idx, { state: 'sending' });
    const publicationId = m.meta.mode === 'shared' ? publicationIdFor(m.meta.id, 'shared') : rows[0]!.publicationId;
    const { result, substitutes } = await sendWithPolicy(deps, tenant, sender, prepared, m.meta, publicationId, pub);
    for (const r of rows) {
      if (result.kind === 'published') {
        const forwarded = substitutes.length > 0;
        await finalRow(deps, m.meta, r.idx, { state: forwarded ? 'ooo-forwarded' : 'published', ehboxMessageId: result.messageId || undefined, substitutes: forwarded ? substitutes : undefined });
      } else {
        const absent = result.absent.map((a) => `${a.recipient.type} ${a.recipient.id} absent ${a.absentFrom}..${a.absentTo}`).join('; ');
        await finalRow(deps, m.meta, r.idx, { state: 'failed', code: 'OUT_OF_OFFICE', reason: `Recipient is out of office (${absent})` });
      }
    }
    if (result.kind === 'published') await kickReceipts(deps.queues, m.meta.id, rows[0]!.idx);
  } catch (err) {
    const f = describeFailure(err);
    if (!f.permanent) throw err;
    for (const r of rows) await finalRow(deps, m.meta, r.idx, { state: 'failed', code: f.code, reason: f.reason });
  }
  await scheduleCleanup(deps, m.meta.id);
}

/** When every row is final, schedules the removal of the staged plaintext after the retention time. */
export async function scheduleCleanup(deps: OutboundDeps, messageId: string): Promise<void> {
  if (!(await deps.store.allFinal(messageId))) return;
  const meta = (await deps.store.getRows(messageId, []))?.meta;
  if (!meta) return;
  await deps.queues.add('cleanup', { messageId }, { jobId: jobId(messageId, 'cleanup', meta.recipientCount), delay: deps.retentionHours * 3600_000 });
}
