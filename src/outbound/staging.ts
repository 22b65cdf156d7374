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
export class Staging {
  constructor(readonly blobs: BlobStore) {}

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
    const k = stagingKeys(meta.id);
    const empty = Buffer.alloc(0);
    const [fieldsRaw, document] = await Promise.all([this.blobs.getBuffer(k.fields), contents ? this.blobs.getBuffer(k.document) : empty]);
    const fields = JSON.parse(fieldsRaw.toString('utf8')) as StagedFields;
    const annexes = await Promise.all(
      meta.parts.annexes.map(async (a, i) => ({ ...a, title: fields.annexTitles[i] ?? a.filename, content: contents ? await this.blobs.getBuffer(k.annex(i)) : empty })),
    );
    return {
      title: fields.title,
      document: { filename: meta.parts.document.filename, mimeType: meta.parts.document.mimeType, content: document },
      freeText: fields.freeText,
      table: fields.table,
      patientInss: fields.patientInss,
      annexes: annexes.map((a) => ({ title: a.title, filename: a.filename, mimeType: a.mimeType, content: a.content })),
    };
  }

  /** Removes every staged object of a message (idempotent). */
  async purge(meta: MessageMeta): Promise<void> {
    const k = stagingKeys(meta.id);
    const keys = [k.document, k.fields, k.innerBundle, ...meta.parts.annexes.map((_, i) => k.annex(i))];
    await Promise.all(keys.map((key) => this.blobs.delete(key)));
  }
}
