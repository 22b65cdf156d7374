/**
 * sendMessage as the sandbox performs it: access, destination, digest, size,
 * PublicationId and Out-of-Office checks, then delivery to every destination
 * box (or stand-by when the box is full), a copy in the sender's SENTBOX and
 * the receipts the sender asked for.
 */
import crypto from 'node:crypto';
import { boxKey, type BoxAddress, type Destination, type StoredFreeInformations, type StoredMessage } from './model.ts';
import { addDays, Codes, EhboxBusinessError, isoDate, MAX_MESSAGE_AGE_DAYS, MAX_MESSAGE_BYTES, type Caller, type EhboxContext } from './context.ts';
import type { EhboxEvent } from './store.ts';
import type { SendMessageRequest } from '../../ehbox/wire/messages.ts';

/** The decoded SendMessageRequest (the wire model). */
export type PublicationInput = SendMessageRequest;

/** An absent recipient reported with code 826. */
export interface AbsentRecipient {
  recipient: BoxAddress;
  absentFrom: string;
  absentTo: string;
  substitutes: BoxAddress[];
}

export type PublicationResult =
  | { code: typeof Codes.OK; messageId: string; publicationId: string }
  | { code: typeof Codes.OUT_OF_OFFICE; absent: AbsentRecipient[] };

/** Qualities that may publish to everyone of a quality (`Id=ALL`). */
const BROADCAST_QUALITIES = new Set(['INSTITUTION', 'INSTITUTION_EHP', 'HOSPITAL', 'CTRL_ORGANISM']);

/** Why delivery to one destination fails after the message was accepted (reported by an ERROR message). */
export interface DeliveryFailureDecision {
  code: string;
  message: string;
}

/** Options of publish. */
export interface PublishOptions {
  /** Decides, per resolved destination, whether its delivery fails asynchronously. */
  deliveryFailure?: (destination: { address: BoxAddress; requested: Destination }) => DeliveryFailureDecision | undefined;
}

/** Performs sendMessage for an authenticated caller. Throws EhboxBusinessError for non-100/826 codes. */
export function publish(ctx: EhboxContext, caller: Caller, input: PublicationInput, options: PublishOptions = {}): PublicationResult {
  const sender = ctx.actingBox(caller, input.boxId);
  const kind = input.contentSpecification.contentType;
  if (kind !== 'DOCUMENT' && kind !== 'NEWS') throw new EhboxBusinessError(Codes.INVALID_CONTENT_TYPE, `Only DOCUMENT and NEWS can be published, not ${kind}`);
  const targets = resolveDestinations(ctx, sender.address, input.destinations);
  checkDigests(input);
  const size = messageSize(input);
  if (size > MAX_MESSAGE_BYTES) {
    throw new EhboxBusinessError(Codes.TOO_LARGE, `Message of ${size} bytes exceeds the ${MAX_MESSAGE_BYTES}-byte limit`);
  }
  const events: EhboxEvent[] = [];
  const previous = input.publicationId ? ctx.store.publicationOwner(sender.key, input.publicationId) : undefined;
  if (previous !== undefined && ctx.store.messages.has(previous)) {
    if (input.contentSpecification.contentType === 'DOCUMENT' || ctx.store.messages.get(previous)?.contentType === 'DOCUMENT') {
      throw new EhboxBusinessError(Codes.DUPLICATE_PUBLICATION_ID, `PublicationId ${input.publicationId} was already used by this sender`, { messageId: previous });
    }
  }
  const absent = outOfOffice(ctx, targets);
  if (absent.length > 0) return { code: Codes.OUT_OF_OFFICE, absent };
  // NEWS: the new item replaces the old one
  if (previous !== undefined && ctx.store.messages.has(previous)) ctx.emit(events, { t: 'purge', messageId: previous });

  const now = ctx.now();
  const messageId = ctx.newMessageId(events);
  const publicationId = input.publicationId ?? messageId;
  const m = storeMessage(ctx, input, sender, targets, { messageId, publicationId, size, now });
  ctx.emit(events, { t: 'message', m });
  ctx.emit(events, { t: 'pubid', senderBox: sender.key, publicationId, messageId });
  ctx.emit(events, { t: 'entry', box: sender.key, e: { messageId, folder: 'SENTBOX', destination: sender.address, addedAt: now.toISOString(), standBy: false } });
  const failed: { address: BoxAddress; failure: DeliveryFailureDecision }[] = [];
  for (const t of targets) {
    const failure = options.deliveryFailure?.({ address: t.address, requested: t.destination });
    if (failure) {
      failed.push({ address: t.address, failure });
      continue;
    }
    const full = ctx.store.usedBytes(t.key) + size > ctx.directory.maxSize(t.key);
    ctx.emit(events, { t: 'entry', box: t.key, e: { messageId, folder: 'INBOX', destination: t.address, addedAt: now.toISOString(), standBy: full } });
    if (!full) ctx.receipt(events, m, t.key, t.address, 'PUBLISHED');
  }
  reportFailures(ctx, events, m, failed);
  ctx.persist(events);
  return { code: Codes.OK, messageId, publicationId };
}

/** One ERROR message per distinct failure code, listing the destinations it hit. */
function reportFailures(ctx: EhboxContext, events: EhboxEvent[], m: StoredMessage, failed: { address: BoxAddress; failure: DeliveryFailureDecision }[]): void {
  const byCode = new Map<string, { message: string; destinations: BoxAddress[] }>();
  for (const f of failed) {
    const group = byCode.get(f.failure.code) ?? { message: f.failure.message, destinations: [] };
    group.destinations.push(f.address);
    byCode.set(f.failure.code, group);
  }
  for (const [code, g] of byCode) {
    ctx.systemMessage(events, m, 'ERROR', { error: { code, messages: [g.message], destinations: g.destinations, publicationId: m.publicationId } });
  }
}

interface Target {
  address: BoxAddress;
  key: string;
  destination: Destination;
}

function resolveDestinations(ctx: EhboxContext, sender: BoxAddress, destinations: Destination[]): Target[] {
  const out = new Map<string, Target>();
  for (const d of destinations) {
    if (d.id === 'ALL') {
      if (!BROADCAST_QUALITIES.has(sender.quality)) {
        throw new EhboxBusinessError(Codes.QUALITY_NOT_ALLOWED, `A ${sender.quality} may not publish to all ${d.quality}`);
      }
      for (const a of ctx.directory.boxesWithQuality(d)) out.set(boxKey(a), { address: a, key: boxKey(a), destination: { ...a, oooProcessed: true } });
      continue;
    }
    const r = ctx.directory.resolve(d);
    if (!r.ok) throw new EhboxBusinessError(r.code, r.message, { destination: d });
    const prior = out.get(r.key);
    out.set(r.key, { address: r.address, key: r.key, destination: { ...d, oooProcessed: (prior?.destination.oooProcessed ?? false) || d.oooProcessed } });
  }
  return [...out.values()];
}

function checkDigests(input: PublicationInput): void {
  const parts = [{ what: 'Document', ...input.document }, ...input.annexes.map((a, i) => ({ what: `Annex ${i + 1}`, ...a }))];
  for (const p of parts) {
    const actual = crypto.createHash('sha256').update(p.content.bytes).digest('base64');
    if (actual !== p.digest.trim()) throw new EhboxBusinessError(Codes.DIGEST_MISMATCH, `${p.what}: digest does not match the content`);
  }
}

/** The volume counted against the 10 MB limit: every content byte as sent. */
export function messageSize(input: PublicationInput): number {
  let n = input.document.content.bytes.length + (input.inssPatient?.length ?? 0);
  for (const a of input.annexes) n += a.title.length + a.content.bytes.length;
  const f = input.freeInformations;
  if (f?.kind === 'text') n += f.text.length;
  if (f?.kind === 'old') n += f.value.length;
  if (f?.kind === 'table') for (const r of f.rows) n += r.left.length + r.right.length;
  return n;
}

function outOfOffice(ctx: EhboxContext, targets: Target[]) {
  const today = isoDate(ctx.now());
  const absent: AbsentRecipient[] = [];
  for (const t of targets) {
    if (t.destination.oooProcessed) continue;
    const period = ctx.store.ooo(t.key).find((o) => o.startDate <= today && today <= o.endDate);
    if (period) absent.push({ recipient: t.address, absentFrom: period.startDate, absentTo: period.endDate, substitutes: period.substitutes });
  }
  return absent;
}

function storeMessage(
  ctx: EhboxContext,
  input: PublicationInput,
  sender: { address: BoxAddress; key: string },
  targets: Target[],
  meta: { messageId: string; publicationId: string; size: number; now: Date },
): StoredMessage {
  const put = (b: Uint8Array) => ctx.blobs.put(b);
  const f = input.freeInformations;
  let free: StoredFreeInformations | undefined;
  if (f?.kind === 'text') free = { kind: 'text', text: put(f.text) };
  else if (f?.kind === 'old') free = { kind: 'old', value: put(f.value), render: f.render };
  else if (f?.kind === 'table') free = { kind: 'table', title: f.title, rows: f.rows.map((r) => ({ left: put(r.left), right: put(r.right) })) };
  return {
    messageId: meta.messageId,
    publicationId: meta.publicationId,
    sender: ctx.directory.senderInfo(sender.address),
    senderBox: sender.key,
    destinations: targets.map((t) => ({ ...t.destination, ...t.address })),
    contentType: input.contentSpecification.contentType,
    applicationName: input.contentSpecification.applicationName,
    isImportant: input.contentSpecification.isImportant,
    isEncrypted: input.contentSpecification.isEncrypted,
    receipts: {
      published: input.contentSpecification.publicationReceipt,
      received: input.contentSpecification.receivedReceipt,
      read: input.contentSpecification.readReceipt,
    },
    document: {
      title: input.document.title,
      content: { blob: put(input.document.content.bytes), binary: input.document.content.binary },
      downloadFileName: input.document.downloadFileName,
      mimeType: input.document.mimeType,
    },
    freeInformations: free,
    inssPatient: input.inssPatient ? put(input.inssPatient) : undefined,
    annexes: input.annexes.map((a) => ({
      title: put(a.title),
      content: { blob: put(a.content.bytes), binary: a.content.binary },
      downloadFileName: a.downloadFileName,
      mimeType: a.mimeType,
    })),
    customMetas: input.customMetas,
    metas: input.metas,
    copyMailTo: input.copyMailTo,
    publicationDate: isoDate(meta.now),
    expirationDate: isoDate(addDays(meta.now, MAX_MESSAGE_AGE_DAYS)),
    size: meta.size,
  };
}
