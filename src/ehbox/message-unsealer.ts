/**
 * Reading side of ehBox (SEALING.md §4): takes a getFullMessage answer and the
 * reader's keys, unseals every encryptable field on its own (document, free
 * text or each table cell, patient INSS, each annex title and content), and
 * returns the plaintext with a verdict per field and one for the message (the
 * worst field). Content that failed a check is still handed back — with its
 * failing verdict and the message flagged — never silently as valid; content
 * after a fatal is not available at all. Unencrypted messages pass through.
 * ACKNOWLEDGMENT and ERROR messages also get a typed view.
 */
import { unseal } from '../crypto/unseal.ts';
import type { Credential, Keystore } from '../crypto/types.ts';
import type { EteeLayer, SignerIdentity, Verdict } from '../crypto/verdict.ts';
import type { ConsultationDestination, ConsultationMessage, FullMessage, MessageInfo } from './wire/consultation-messages.ts';
import type { AckType, ContentType, CustomMeta, EhboxIdentifier, SenderInfo } from './wire/messages.ts';

/** How one field came out: clear by design, verified, content with a failed check, or unreadable (fatal). */
export type FieldStatus = 'plain' | 'verified' | 'failed' | 'unreadable';

const SEVERITY: Record<FieldStatus, number> = { plain: 0, verified: 1, failed: 2, unreadable: 3 };

/** Message-level finding of our own: the fields were not all sealed by the same sender. */
export const FIELD_SIGNERS_DIFFER = 'FIELD_SIGNERS_DIFFER';

/** The verification outcome of one field. */
export interface FieldVerdict {
  /** `document`, `freeText`, `table[0].left`, `patientInss`, `annex[1].title`, `annex[1].content`, … */
  field: string;
  status: FieldStatus;
  /** True for `plain` and `verified` (warnings such as SIGNING_TIME_EXPIRED do not clear it). */
  ok: boolean;
  /** eHealth code of the fatal, else of the first error (SEALING.md §3.5). */
  code?: string | undefined;
  layer?: EteeLayer | undefined;
  reason?: string | undefined;
  /** Informational warning codes. */
  warnings: string[];
  /** The outer (authentication) signer: who sealed the field. */
  signer?: SignerIdentity | undefined;
  signingTime?: string | undefined;
  /** True when the field was base64 text of a sealed blob and was decoded first (connector leniency). */
  base64Decoded?: boolean | undefined;
}

/** A field's clear value (absent when unreadable) and its verdict. */
export interface UnsealedField<T> {
  value?: T | undefined;
  verdict: FieldVerdict;
}

/** One problem of a message, for logs and status pages (no content). */
export interface MessageProblem {
  field: string;
  code: string;
  layer?: EteeLayer | undefined;
  reason: string;
}

/** The verdict of the whole message: the worst of its fields. */
export interface MessageVerdict {
  ok: boolean;
  status: FieldStatus;
  /** True when some content failed a check or could not be read: never pass it on as valid. */
  flagged: boolean;
  encrypted: boolean;
  problems: MessageProblem[];
  warnings: { field: string; code: string }[];
  /** The sender's authentication certificate, when every sealed field names the same one. */
  signer?: SignerIdentity | undefined;
}

/** A typed view of the platform's own messages. */
export type SystemNotice =
  | { kind: 'acknowledgment'; messageId: string; ackType: AckType; dateTime: string; recipient?: EhboxIdentifier | undefined }
  | { kind: 'error'; code: string; messages: string[]; publicationId?: string | undefined; destinations: EhboxIdentifier[]; failures: string[] };

/** A message as the reader sees it, after unsealing. */
export interface UnsealedMessage {
  messageId?: string | undefined;
  publicationId?: string | undefined;
  contentType: ContentType;
  sender: SenderInfo;
  messageInfo: MessageInfo;
  destinations: ConsultationDestination[];
  important: boolean;
  applicationName?: string | undefined;
  title: string;
  document: { filename: string; mimeType: string } & UnsealedField<Uint8Array>;
  /** Free text (or the legacy rendered free information, with its `render`). */
  freeText?: (UnsealedField<string> & { render?: string | undefined }) | undefined;
  table?: { title?: string | undefined; rows: { left: UnsealedField<string>; right: UnsealedField<string> }[] } | undefined;
  patientInss?: UnsealedField<string> | undefined;
  annexes: { filename: string; mimeType: string; title: UnsealedField<string>; content: UnsealedField<Uint8Array> }[];
  customMetas: CustomMeta[];
  copyMailTo: string[];
  notice?: SystemNotice | undefined;
  fields: FieldVerdict[];
  verdict: MessageVerdict;
}

/** The reader's keys and trust. */
export interface UnsealMessageOptions {
  /** The reader's keystore, or its private-key entries (readPkcs12); matched by RecipientInfo. */
  credentials: Keystore | readonly Credential[];
  /** DER CA certificates the sender's certificate must chain to. */
  trustAnchorsDer: readonly Uint8Array[];
  /** Verification time (default now). */
  at?: Date | undefined;
}

const utf8 = new TextDecoder('utf-8');
const BASE64_TEXT = /^[A-Za-z0-9+/]+={0,2}$/;
/** First byte of a DER/BER SEQUENCE: every CMS ContentInfo starts with it. */
const SEQUENCE_TAG = 0x30;

/** Undoes a base64 wrapping of a sealed blob (the connector's lenient decode); other bytes are left alone. */
export function sealedBlobOf(bytes: Uint8Array): { blob: Uint8Array; base64Decoded: boolean } {
  if (bytes.length === 0 || bytes[0] === SEQUENCE_TAG) return { blob: bytes, base64Decoded: false };
  const text = Buffer.from(bytes).toString('latin1').replace(/\s+/g, '');
  if (text.length % 4 !== 0 || !BASE64_TEXT.test(text)) return { blob: bytes, base64Decoded: false };
  const decoded = new Uint8Array(Buffer.from(text, 'base64'));
  return decoded[0] === SEQUENCE_TAG ? { blob: decoded, base64Decoded: true } : { blob: bytes, base64Decoded: false };
}

function fieldVerdict(field: string, verdict: Verdict, base64Decoded: boolean): FieldVerdict {
  const first = verdict.fatal ?? verdict.errors[0];
  return {
    field,
    status: verdict.fatal ? 'unreadable' : verdict.ok ? 'verified' : 'failed',
    ok: verdict.ok,
    code: first?.code,
    layer: first?.layer,
    reason: first?.message,
    warnings: verdict.warnings.map((w) => w.code),
    signer: verdict.signer,
    signingTime: verdict.signingTime?.toISOString(),
    ...(base64Decoded ? { base64Decoded } : {}),
  };
}

/** Unseals one field (exported for list views, e.g. the sealed patient INSS of ContentInfo). */
export function unsealField(field: string, bytes: Uint8Array, encrypted: boolean, opts: UnsealMessageOptions): UnsealedField<Uint8Array> {
  // empty content is never sealed (SEALING.md §4); clear messages pass through
  if (!encrypted || bytes.length === 0) return { value: bytes, verdict: { field, status: 'plain', ok: true, warnings: [] } };
  const { blob, base64Decoded } = sealedBlobOf(bytes);
  const credentials = isCredentialList(opts.credentials) ? opts.credentials : opts.credentials.entries;
  const res = unseal(blob, { credentials, trustAnchors: opts.trustAnchorsDer, ...(opts.at ? { at: opts.at } : {}) });
  return { value: res.content, verdict: fieldVerdict(field, res.verdict, base64Decoded) };
}

function isCredentialList(c: Keystore | readonly Credential[]): c is readonly Credential[] {
  return Array.isArray(c);
}

function asText(f: UnsealedField<Uint8Array>): UnsealedField<string> {
  return { value: f.value === undefined ? undefined : utf8.decode(f.value), verdict: f.verdict };
}

/** The typed view of an ACKNOWLEDGMENT or ERROR message (undefined for DOCUMENT and NEWS). */
export function systemNoticeOf(m: ConsultationMessage): SystemNotice | undefined {
  const kind = m.contentSpecification.contentType;
  if (kind === 'ACKNOWLEDGMENT' && m.acknowledgment) {
    const a = m.acknowledgment;
    return { kind: 'acknowledgment', messageId: a.messageId, ackType: a.ackType, dateTime: a.dateTime, recipient: a.recipient };
  }
  if (kind === 'ERROR' && m.error) {
    const e = m.error;
    return { kind: 'error', code: e.code, messages: e.messages, publicationId: e.publicationId, destinations: e.destinations, failures: e.failures };
  }
  return undefined;
}

function sameSigner(a: SignerIdentity, b: SignerIdentity): boolean {
  return a.serial === b.serial && a.issuer === b.issuer;
}

/** Folds the field verdicts into the message verdict. */
export function messageVerdictOf(fields: readonly FieldVerdict[], encrypted: boolean): MessageVerdict {
  let status: FieldStatus = 'plain';
  const problems: MessageProblem[] = [];
  const warnings: { field: string; code: string }[] = [];
  const signers: SignerIdentity[] = [];
  for (const f of fields) {
    if (SEVERITY[f.status] > SEVERITY[status]) status = f.status;
    if (!f.ok) problems.push({ field: f.field, code: f.code ?? 'UNKNOWN', layer: f.layer, reason: f.reason ?? 'verification failed' });
    for (const w of f.warnings) warnings.push({ field: f.field, code: w });
    if (f.signer && !signers.some((s) => sameSigner(s, f.signer!))) signers.push(f.signer);
  }
  if (signers.length > 1) {
    problems.push({ field: 'message', code: FIELD_SIGNERS_DIFFER, reason: `fields sealed by ${signers.length} different certificates` });
    if (SEVERITY[status] < SEVERITY.failed) status = 'failed';
  }
  const ok = problems.length === 0;
  return { ok, status, flagged: !ok, encrypted, problems, warnings, signer: signers.length === 1 ? signers[0] : undefined };
}

/** Unseals every encryptable field of a full message. Never throws on bad content: it shows in the verdicts. */
export function unsealMessage(full: FullMessage, opts: UnsealMessageOptions): UnsealedMessage {
  const m = full.message;
  const encrypted = m.contentSpecification.isEncrypted;
  const fields: FieldVerdict[] = [];
  const bytes = (field: string, b: Uint8Array) => {
    const r = unsealField(field, b, encrypted, opts);
    fields.push(r.verdict);
    return r;
  };
  const text = (field: string, b: Uint8Array) => asText(bytes(field, b));
  const document = bytes('document', m.document.content.bytes);
  const f = m.freeInformations;
  const freeText = f?.kind === 'text' ? text('freeText', f.text) : f?.kind === 'old' ? { ...text('oldFreeInformation', f.value), render: f.render } : undefined;
  const table = f?.kind === 'table' ? { title: f.title, rows: f.rows.map((r, i) => ({ left: text(`table[${i}].left`, r.left), right: text(`table[${i}].right`, r.right) })) } : undefined;
  const patientInss = m.inssPatient ? text('patientInss', m.inssPatient) : undefined;
  const annexes = m.annexes.map((a, i) => ({
    filename: a.downloadFileName,
    mimeType: a.mimeType,
    title: text(`annex[${i}].title`, a.title),
    content: bytes(`annex[${i}].content`, a.content.bytes),
  }));
  return {
    messageId: m.messageId,
    publicationId: m.publicationId,
    contentType: m.contentSpecification.contentType,
    sender: full.sender,
    messageInfo: full.messageInfo,
    destinations: m.destinations,
    important: m.contentSpecification.isImportant,
    applicationName: m.contentSpecification.applicationName,
    title: m.document.title,
    document: { filename: m.document.downloadFileName, mimeType: m.document.mimeType, ...document },
    freeText,
    table,
    patientInss,
    annexes,
    customMetas: m.customMetas,
    copyMailTo: m.copyMailTo,
    notice: systemNoticeOf(m),
    fields,
    verdict: messageVerdictOf(fields, encrypted),
  };
}
