/**
 * Staging hand-off: an accepted message's plaintext is handed to this
 * process's resolution without reading it back, stays bounded and
 * short-lived, and every other reader still goes to the store.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { BlobStore, PutResult } from '../../src/storage/blob-store.ts';
import type { MessageMeta } from '../../src/outbound/message-store.ts';
import { Staging, stagingKeys } from '../../src/outbound/staging.ts';

/** An in-memory store that counts reads (a test double; the real stores are tested elsewhere). */
function countingStore(): BlobStore & { reads: number } {
  const objects = new Map<string, Buffer>();
  const store = {
    reads: 0,
    async put(key: string, body: Buffer | Readable): Promise<PutResult> {
      const buf = Buffer.isBuffer(body) ? body : Buffer.concat(await body.toArray());
      objects.set(key, buf);
      return { size: buf.length } as PutResult;
    },
    async get(key: string) {
      return Readable.from([await store.getBuffer(key)]);
    },
    async getBuffer(key: string) {
      store.reads++;
      const b = objects.get(key);
      if (!b) throw new Error(`missing ${key}`);
      return b;
    },
    async delete(key: string) {
      objects.delete(key);
    },
    async exists(key: string) {
      return objects.has(key);
    },
  };
  return store;
}

function meta(id: string, docSize: number): MessageMeta {
  return {
    id, tenantId: 't', senderBoxId: 'b', createdAt: new Date().toISOString(), mode: 'individual', encrypted: true, important: false,
    receipts: { published: true, received: false, read: false }, notifyRecipients: false, customMetas: [],
    parts: { document: { filename: 'letter.txt', mimeType: 'text/plain', size: docSize }, annexes: [{ filename: 'a.txt', mimeType: 'text/plain', size: 1 }], freeText: true, table: false, patient: false },
    recipientCount: 1,
  };
}

async function stage(staging: Staging, id: string, doc: Buffer) {
  const fields = { title: 'Consultation report', freeText: 'See attached', annexTitles: ['Lab'] };
  await staging.putFile(id, 'document', doc);
  await staging.putFile(id, 0, Buffer.from('x'));
  await staging.putFields(id, fields);
  return fields;
}

describe('Staging hand-off', () => {
  it('serves the accepting process from memory, and the store once forgotten', async () => {
    const store = countingStore();
    const staging = new Staging(store);
    const doc = Buffer.from('Fictitious letter body');
    const fields = await stage(staging, 'm1', doc);
    staging.handOff('m1', fields, meta('m1', doc.length), { document: { body: doc }, annexes: [{ body: Buffer.from('x') }] });
    const handed = await staging.load(meta('m1', doc.length));
    expect(store.reads).toBe(0);
    expect(handed).toMatchObject({ title: 'Consultation report', freeText: 'See attached', annexes: [{ title: 'Lab', filename: 'a.txt' }] });
    expect(Buffer.from(handed.document.content).toString()).toBe('Fictitious letter body');
    staging.forget('m1');
    const stored = await staging.load(meta('m1', doc.length));
    expect(store.reads).toBe(3); // fields, document, annex
    expect(stored).toEqual(handed);
  });

  it('keeps nothing for streamed parts, and is bounded in messages', async () => {
    const store = countingStore();
    const staging = new Staging(store);
    const fields = await stage(staging, 'm2', Buffer.from('doc'));
    staging.handOff('m2', fields, meta('m2', 3), { document: { body: Readable.from([Buffer.from('doc')]) }, annexes: [] });
    await staging.load(meta('m2', 3));
    expect(store.reads).toBeGreaterThan(0);

    const small = Buffer.from('d');
    for (let i = 0; i < 600; i++) staging.handOff(`n${i}`, fields, meta(`n${i}`, 1), { document: { body: small }, annexes: [{ body: small }] });
    await stage(staging, 'n0', small);
    const before = store.reads;
    await staging.load(meta('n0', 1)); // the oldest was dropped: read from the store
    expect(store.reads).toBeGreaterThan(before);
    const after = store.reads;
    await staging.load(meta('n599', 1)); // the newest is still handed
    expect(store.reads).toBe(after);
  });

  it('purge forgets the hand-off along with the staged objects', async () => {
    const store = countingStore();
    const staging = new Staging(store);
    const doc = Buffer.from('doc');
    const fields = await stage(staging, 'm3', doc);
    staging.handOff('m3', fields, meta('m3', 3), { document: { body: doc }, annexes: [{ body: Buffer.from('x') }] });
    await staging.purge(meta('m3', 3));
    expect(await store.exists(stagingKeys('m3').document)).toBe(false);
    await expect(staging.load(meta('m3', 3))).rejects.toThrow(/missing/);
  });
});
