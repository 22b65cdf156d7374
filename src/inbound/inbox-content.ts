/**
 * The content of received messages in S3, through the encrypted blob store
 * (AES-256-GCM at rest): `inbox/<tenant>/<id>/document`, `…/annex-<n>` and
 * `…/fields.json` (title, free text or table, patient INSS, annex titles,
 * custom metas). Keys are derived from the deterministic inbox id, so a
 * repeated write after a crash overwrites the same objects.
 */
import type { Readable } from 'node:stream';
import type { BlobStore } from '../storage/blob-store.ts';
import type { UnsealedMessage } from '../ehbox/message-unsealer.ts';
import type { InboxFields, StoredPart } from './inbox-record.ts';

/** Object keys of one received message. */
export const inboxKeys = (tenantId: string, id: string) => ({
  prefix: `inbox/${tenantId}/${id}/`,
  document: `inbox/${tenantId}/${id}/document`,
  annex: (n: number) => `inbox/${tenantId}/${id}/annex-${n}`,
  fields: `inbox/${tenantId}/${id}/fields.json`,
});

/** What storing the content produced: the part list for the metadata. */
export interface StoredContent {
  document: StoredPart;
  annexes: StoredPart[];
}

/** The small decrypted fields of an unsealed message. */
export function fieldsOf(m: UnsealedMessage): InboxFields {
  return {
    title: m.title,
    freeText: m.freeText ? { text: m.freeText.value, render: m.freeText.render } : undefined,
    table: m.table ? { title: m.table.title, rows: m.table.rows.map((r) => ({ left: r.left.value, right: r.right.value })) } : undefined,
    patientInss: m.patientInss?.value,
    annexTitles: m.annexes.map((a) => a.title.value),
    customMetas: m.customMetas,
    copyMailTo: m.copyMailTo,
  };
}

/** Writes and reads the content of received messages. */
export class InboxContent {
  constructor(readonly blobs: BlobStore) {}

  /** Stores every readable part and the fields; answers the part list (sizes of what was stored). */
  async put(tenantId: string, id: string, m: UnsealedMessage): Promise<StoredContent> {
    const k = inboxKeys(tenantId, id);
    const part = async (key: string, p: { filename: string; mimeType: string; value?: Uint8Array | undefined }): Promise<StoredPart> => {
      if (p.value === undefined) return { filename: p.filename, mimeType: p.mimeType, size: 0, available: false };
      const body = Buffer.from(p.value.buffer, p.value.byteOffset, p.value.byteLength);
      const res = await this.blobs.put(key, body);
      return { filename: p.filename, mimeType: p.mimeType, size: res.size, available: true };
    };
    const [document, annexes] = await Promise.all([
      part(k.document, { filename: m.document.filename, mimeType: m.document.mimeType, value: m.document.value }),
      Promise.all(m.annexes.map((a, n) => part(k.annex(n), { filename: a.filename, mimeType: a.mimeType, value: a.content.value }))),
      this.blobs.put(k.fields, Buffer.from(JSON.stringify(fieldsOf(m)))),
    ]);
    return { document, annexes };
  }

  /** The decrypted small fields (in memory only). */
  async fields(tenantId: string, id: string): Promise<InboxFields> {
    return JSON.parse((await this.blobs.getBuffer(inboxKeys(tenantId, id).fields)).toString('utf8')) as InboxFields;
  }

  /** The decrypted document or annex `n` as a stream. */
  open(tenantId: string, id: string, part: 'document' | number): Promise<Readable> {
    const k = inboxKeys(tenantId, id);
    return this.blobs.get(part === 'document' ? k.document : k.annex(part));
  }
}
