/**
 * Turns a plaintext message into the encryptable fields of an ehBox
 * publication (SEALING.md §4): each field sealed on its own (document, free
 * text or table cells, patient INSS, annex titles and contents), digests over
 * the bytes actually sent. The inner (author) signature of every field is
 * computed once per content (`prepareMessage`), so sealing the same message
 * for many recipient sets costs one outer signature per field and set.
 */
import crypto from 'node:crypto';
import { sealInner, sealInnerAsync, signInner, signInnerAsync, type InnerSigned } from '../crypto/seal.ts';
import type { Credential } from '../crypto/types.ts';
import type { FreeInformations, PublicationAnnex, PublicationDocument } from './wire/messages.ts';

/** A message as the hospital system gives it, before any sealing. */
export interface PlainMessage {
  title: string;
  document: { filename: string; mimeType: string; content: Uint8Array };
  freeText?: string | undefined;
  table?: { title?: string | undefined; rows: { left: string; right: string }[] } | undefined;
  patientInss?: string | undefined;
  annexes: { title: string; filename: string; mimeType: string; content: Uint8Array }[];
}

/** The encryptable part of a SendMessageRequest. */
export interface SealedFields {
  document: PublicationDocument;
  freeInformations?: FreeInformations | undefined;
  inssPatient?: Uint8Array | undefined;
  annexes: PublicationAnnex[];
}

type Field = { clear: Uint8Array; inner?: InnerSigned };

/** A message whose inner signatures are done, ready to be sealed for any recipient set. */
export interface PreparedMessage {
  plain: PlainMessage;
  encrypted: boolean;
  sender: Credential | undefined;
  document: Field;
  freeText?: Field | undefined;
  table?: { title?: string | undefined; rows: { left: Field; right: Field }[] } | undefined;
  inss?: Field | undefined;
  annexes: { title: Field; content: Field }[];
}

const utf8 = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

type PrepareOptions = { encrypted: boolean; sender?: Credential; signingTime?: Date };

/** Signs every non-empty field once (when encrypted); content stays in memory only. */
export function prepareMessage(plain: PlainMessage, opts: PrepareOptions): PreparedMessage {
  return assemblePrepared(plain, opts, (clear) => ({ clear, inner: innerFor(clear, opts) ? signInner(clear, opts.sender!, innerOptions(opts)) : undefined }));
}

/** `prepareMessage` with the inner signatures in the thread pool, all fields at once. */
export async function prepareMessageAsync(plain: PlainMessage, opts: PrepareOptions): Promise<PreparedMessage> {
  const pending: Promise<void>[] = [];
  const prepared = assemblePrepared(plain, opts, (clear) => {
    const f: Field = { clear, inner: undefined };
    if (innerFor(clear, opts)) pending.push(signInnerAsync(clear, opts.sender!, innerOptions(opts)).then((inner) => void (f.inner = inner)));
    return f;
  });
  await Promise.all(pending);
  return prepared;
}

const innerFor = (clear: Uint8Array, opts: PrepareOptions) => opts.encrypted && clear.length > 0;
const innerOptions = (opts: { signingTime?: Date | undefined }) => (opts.signingTime ? { signingTime: opts.signingTime } : {});

function assemblePrepared(plain: PlainMessage, opts: PrepareOptions, field: (clear: Uint8Array) => Field): PreparedMessage {
  if (opts.encrypted && !opts.sender) throw new Error('an encrypted message needs the sender credential');
  return {
    plain,
    encrypted: opts.encrypted,
    sender: opts.sender,
    document: field(plain.document.content),
    freeText: plain.freeText !== undefined ? field(utf8(plain.freeText)) : undefined,
    table: plain.table ? { title: plain.table.title, rows: plain.table.rows.map((r) => ({ left: field(utf8(r.left)), right: field(utf8(r.right)) })) } : undefined,
    inss: plain.patientInss !== undefined ? field(utf8(plain.patientInss)) : undefined,
    annexes: plain.annexes.map((a) => ({ title: field(utf8(a.title)), content: field(a.content) })),
  };
}

/** Base64 SHA-256 of the bytes sent (PROTOCOL.md §5.5). */
export function digestOf(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('base64');
}

/**
 * Seals every field for `recipients` (DER encryption certificates: the
 * destinations' ETKs plus the sender's own). Empty fields go as they are.
 */
export function sealPrepared(m: PreparedMessage, recipients: readonly Uint8Array[], opts: { signingTime?: Date } = {}): SealedFields {
  return assembleSealed(m, (f) => (f.inner ? sealInner(f.inner, recipients, m.sender!, innerOptions(opts)) : f.clear));
}

/** `sealPrepared` without blocking the event loop: every field sealed at once, signatures in the thread pool. */
export async function sealPreparedAsync(m: PreparedMessage, recipients: readonly Uint8Array[], opts: { signingTime?: Date } = {}): Promise<SealedFields> {
  const sealed = new Map<Field, Uint8Array>();
  const fields: Field[] = [];
  assembleSealed(m, (f) => {
    fields.push(f);
    return f.clear;
  });
  await Promise.all(fields.map(async (f) => {
    sealed.set(f, f.inner ? await sealInnerAsync(f.inner, recipients, m.sender!, innerOptions(opts)) : f.clear);
  }));
  return assembleSealed(m, (f) => sealed.get(f)!);
}

function assembleSealed(m: PreparedMessage, out: (f: Field) => Uint8Array): SealedFields {
  const docBytes = out(m.document);
  const free: FreeInformations | undefined = m.freeText
    ? { kind: 'text', text: out(m.freeText) }
    : m.table
      ? { kind: 'table', title: m.table.title, rows: m.table.rows.map((r) => ({ left: out(r.left), right: out(r.right) })) }
      : undefined;
  return {
    document: {
      title: m.plain.title,
      content: { bytes: docBytes, binary: true },
      downloadFileName: m.plain.document.filename,
      mimeType: m.plain.document.mimeType,
      digest: digestOf(docBytes),
    },
    freeInformations: free,
    inssPatient: m.inss ? out(m.inss) : undefined,
    annexes: m.annexes.map((a, i) => {
      const content = out(a.content);
      const plainAnnex = m.plain.annexes[i]!;
      // an empty annex goes unsealed as inline text (SEALING.md §4)
      return {
        title: out(a.title),
        content: { bytes: content, binary: content.length > 0 },
        downloadFileName: plainAnnex.filename,
        mimeType: plainAnnex.mimeType,
        digest: digestOf(content),
      };
    }),
  };
}
