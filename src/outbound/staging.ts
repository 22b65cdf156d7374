/**
 * Where an accepted message's plaintext waits until every recipient is
 * served: objects in the (encrypted-at-rest) blob store under
 * `staging/<messageId>/…` — the document, each annex, the small fields
 * (title, free text or table, patient INSS, annex titles) and, once computed,
 * the inner (author) signature of every field, so that it is made once per
 * content however many recipients or retries follow.
 */
import type { Readable } from 'node:stream';
import type { BlobStore } from '../storage/blob-store.ts';
import type { PlainMessage } from '../ehbox/message-sealer.ts';
import type { MessageMeta } from './message-store.ts';

/** The small plaintext fields, staged as one JSON object. */
export interface StagedFields {
  title: string;
  freeText?: string | undefined;
  table?: { title?: string | undefined; rows: { left: string; right: string }[] } | undefined;
  patientInss?: string | undefined;
  annexTitles: string[];
}

/** Object keys of one message. */
export const stagingKeys = (messageId: string) => ({
  prefix: `staging/${messageId}/`,
  document: `staging/${messageId}/document`,
  annex: (n: number) => `staging/${messageId}/annex-${n}`,
  fields: `staging/${messageId}/fields.json`,
  innerBundle: `staging/${messageId}/inner.bin`,
});

/** Writes and reads a message's staged plaintext. */
/** Plaintext handed from accept to resolve in one process: at most this many messages, bytes and milliseconds. */
const HAND_OFF_MAX_MESSAGES = 512;
const HAND_OFF_MAX_BYTES = 32 * 1024 * 1024;
const HAND_OFF_TTL_MS = 60_000;

export class Staging {
  /**
   * Messages just accepted by this process, in memory only, so that their
   * resolution here (the all-in-one set-up, or API and workers in one
   * process) does not read back what was just written. Bounded and short-
   * lived; S3 stays the source of truth for every other reader.
   */
  private readonly recent = new Map<string, { plain: PlainMessage; bytes: number; at: number }>();
  private recentBytes = 0;

  constructor(readonly blobs: BlobStore) {}

  /** Keeps an accepted message's plaintext for this process's `load` (the staged objects are already written). */
  handOff(messageId: string, fields: StagedFields, meta: MessageMeta, files: { document: { body: Buffer | Readable }; annexes: { body: Buffer | Readable }[] }): void {
    const doc = files.document.body;
    if (!Buffer.isBuffer(doc) || files.annexes.some((a) => !Buffer.isBuffer(a.body))) return; // streamed parts are not in memory
    const annexes = files.annexes.map((a) => a.body as Buffer);
    const bytes = doc.length + annexes.reduce((n, a) => n + a.length, 0);
    if (bytes > HAND_OFF_MAX_BYTES / 4) return;
    this.forget(messageId);
    this.recent.set(messageId, { plain: plainOf(meta, fields, doc, annexes), bytes, at: Date.now() });
    this.recentBytes += bytes;
    for (const [id, e] of this.recent) {
      if (this.recent.size <= HAND_OFF_MAX_MESSAGES && this.recentBytes <= HAND_OFF_MAX_BYTES && Date.now() - e.at < HAND_OFF_TTL_MS) break;
      this.forget(id);
    }
  }

  /** Drops a hand-off (its resolution is done, or it is purged). */
  forget(messageId: string): void {
    const e = this.recent.get(messageId);
    if (!e) return;
    this.recent.delete(messageId);
    this.recentBytes -= e.bytes;
  }

  async putFile(messageId: string, part: 'document' | number, body: Buffer | Readable, size?: number): Promise<number> {
    const k = stagingKeys(messageId);
    const key = part === 'document' ? k.document : k.annex(part);
    const res = await this.blobs.put(key, body, size === undefined ? {} : { contentLength: size });
    return res.size;
  }

  async putFields(messageId: string, fields: StagedFields): Promise<void> {
    await this.blobs.put(stagingKeys(messageId).fields, Buffer.from(JSON.stringify(fields)));
  }

  /**
   * Rebuilds the plaintext message (in memory only). Without `contents`, the
   * document and annex bytes are left empty (enough when sealing from saved
   * inner signatures, which carry them).
   */
  async load(meta: MessageMeta, contents = true): Promise<PlainMessage> {
    const handed = this.recent.get(meta.id);
    if (handed && Date.now() - handed.at < HAND_OFF_TTL_MS) return handed.plain;
    const k = stagingKeys(meta.id);
    const empty = Buffer.alloc(0);
    const [fieldsRaw, document] = await Promise.all([this.blobs.getBuffer(k.fields), contents ? this.blobs.getBuffer(k.document) : empty]);
    const fields = JSON.parse(fieldsRaw.toString('utf8')) as StagedFields;
    const annexes = await Promise.all(meta.parts.annexes.map(async (_, i) => (contents ? await this.blobs.getBuffer(k.annex(i)) : empty)));
    return plainOf(meta, fields, document, annexes);
  }

  /** Removes every staged object of a message (idempotent). */
  async purge(meta: MessageMeta): Promise<void> {
    this.forget(meta.id);
    const k = stagingKeys(meta.id);
    const keys = [k.document, k.fields, k.innerBundle, ...meta.parts.annexes.map((_, i) => k.annex(i))];
    await Promise.all(keys.map((key) => this.blobs.delete(key)));
  }
}

/** The plaintext message from its staged parts. */
function plainOf(meta: MessageMeta, fields: StagedFields, document: Buffer, annexes: Buffer[]): PlainMessage {
  return {
    title: fields.title,
    document: { filename: meta.parts.document.filename, mimeType: meta.parts.document.mimeType, content: document },
    freeText: fields.freeText,
    table: fields.table,
    patientInss: fields.patientInss,
    annexes: meta.parts.annexes.map((a, i) => ({ title: fields.annexTitles[i] ?? a.filename, filename: a.filename, mimeType: a.mimeType, content: annexes[i] ?? Buffer.alloc(0) })),
  };
}
