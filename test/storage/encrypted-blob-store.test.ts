import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StagingKeyring } from '../../src/config/staging-keys.ts';
import { readAll } from '../../src/storage/blob-store.ts';
import { EncryptedBlobStore, KEY_ID_METADATA } from '../../src/storage/encrypted-blob-store.ts';
import type { S3BlobStore } from '../../src/storage/s3-blob-store.ts';
import { encryptedLength } from '../../src/storage/segment-cipher.ts';
import { StorageError } from '../../src/storage/storage-error.ts';
import { startTestS3, type TestS3 } from '../helpers/s3.ts';

const SEGMENT = 64 * 1024;
const TAG = 16;
const MARKER = 'FICTITIOUS-PATIENT-MARKER-7c1e';
const keyA = { id: 'key-a', key: Buffer.alloc(32, 0xa1) };
const keyB = { id: 'key-b', key: Buffer.alloc(32, 0xb2) };

let s3: TestS3;
let raw: S3BlobStore;
let enc: EncryptedBlobStore;

beforeAll(async () => {
  s3 = await startTestS3();
  raw = s3.store();
  enc = new EncryptedBlobStore(raw, new StagingKeyring([keyA]));
});
afterAll(async () => { await s3.stop(); });

async function failure(promise: Promise<unknown>): Promise<StorageError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(StorageError);
  return err as StorageError;
}

function headerLength(keyId: string): number {
  return 7 + keyId.length + 12;
}

/** Plaintext of `length` bytes carrying the marker at the start of every 1 KiB. */
function markedText(length: number): Buffer {
  const b = Buffer.alloc(length, 0x2e);
  for (let i = 0; i + MARKER.length <= length; i += 1024) b.write(MARKER, i);
  return b;
}

describe('EncryptedBlobStore round trips', () => {
  it.each([0, 1, 100, SEGMENT - 1, SEGMENT, SEGMENT + 1, 2 * SEGMENT, 3 * SEGMENT + 7])('%i bytes', async (length) => {
    const plain = markedText(length);
    expect(await enc.put(`rt/${length}`, plain)).toEqual({ size: length });
    const stored = await raw.getBuffer(`rt/${length}`);
    expect(stored.length).toBe(encryptedLength(length, keyA.id));
    expect((await enc.getBuffer(`rt/${length}`)).equals(plain)).toBe(true);
  });

  it('streams 10 MB through both ways without changing a byte', async () => {
    const total = 10 * 1024 * 1024;
    let seed = 7;
    const source = (): Readable => {
      let produced = 0;
      return new Readable({
        read() {
          if (produced >= total) return void this.push(null);
          seed = (seed * 1_103_515_245 + 12_345) >>> 0;
          const chunk = Buffer.alloc(Math.min(total - produced, 1 + (seed % 150_000)), seed & 0xff);
          produced += chunk.length;
          this.push(chunk);
        },
      });
    };
    const expected = createHash('sha256');
    seed = 7;
    for await (const chunk of source()) expected.update(chunk as Buffer);
    seed = 7;
    expect(await enc.put('big/streamed', source())).toEqual({ size: total });
    const got = createHash('sha256');
    let length = 0;
    for await (const chunk of await enc.get('big/streamed')) {
      got.update(chunk as Buffer);
      length += (chunk as Buffer).length;
    }
    expect(length).toBe(total);
    expect(got.digest('hex')).toBe(expected.digest('hex'));
  });

  it('keeps no plaintext at rest and names the key in metadata and header', async () => {
    const plain = markedText(200 * 1024);
    await enc.put('rest/marker', plain, { metadata: { stage: 'staged' } });
    const stored = await raw.getBuffer('rest/marker');
    expect(stored.includes(Buffer.from(MARKER))).toBe(false);
    expect(stored.subarray(0, 4).toString('latin1')).toBe('EHBS');
    expect(stored.subarray(7, 7 + keyA.id.length).toString('latin1')).toBe(keyA.id);
    const head = await raw.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: 'rest/marker' }));
    expect(head.Metadata?.[KEY_ID_METADATA]).toBe(keyA.id);
    expect(head.Metadata?.stage).toBe('staged');
    expect(head.ContentType).toBe('application/octet-stream');
  });

  it('uses a fresh IV per object: the same plaintext twice gives different ciphertexts', async () => {
    const plain = Buffer.from('same content');
    await enc.put('iv/1', plain);
    await enc.put('iv/2', plain);
    expect((await raw.getBuffer('iv/1')).equals(await raw.getBuffer('iv/2'))).toBe(false);
  });

  it('reports BLOB_NOT_FOUND, and passes delete/exists through', async () => {
    expect((await failure(enc.get('missing/one'))).code).toBe('BLOB_NOT_FOUND');
    await enc.put('del/one', Buffer.from('x'));
    expect(await enc.exists('del/one')).toBe(true);
    await enc.delete('del/one');
    expect(await enc.exists('del/one')).toBe(false);
  });

  it('fails the put and stores nothing when the source fails or its length is wrong', async () => {
    const failing = Readable.from((async function* () {
      yield Buffer.alloc(100_000, 1);
      throw new Error('upload interrupted');
    })());
    await expect(enc.put('fail/source', failing)).rejects.toThrow('upload interrupted');
    expect(await enc.exists('fail/source')).toBe(false);
    await expect(enc.put('fail/length', Readable.from([Buffer.alloc(10)]), { contentLength: 12 })).rejects.toThrow(RangeError);
    expect(await enc.exists('fail/length')).toBe(false);
  });
});

describe('EncryptedBlobStore detects tampering', () => {
  const plain = markedText(3 * SEGMENT + 500);
  const hdr = headerLength(keyA.id);
  const stride = SEGMENT + TAG;
  let original: Buffer;

  beforeAll(async () => {
    await enc.put('tamper/original', plain);
    original = await raw.getBuffer('tamper/original');
  });

  async function readAltered(name: string, altered: Buffer): Promise<StorageError> {
    await raw.put(`tamper/${name}`, altered);
    return failure(enc.getBuffer(`tamper/${name}`));
  }

  it('a flipped ciphertext bit', async () => {
    const altered = Buffer.from(original);
    altered[hdr + stride + 10]! ^= 0x01;
    expect((await readAltered('flip', altered)).code).toBe('BLOB_TAMPERED');
  });

  it('a flipped tag bit and a flipped IV bit', async () => {
    const tag = Buffer.from(original);
    tag[hdr + stride - 1]! ^= 0x80;
    expect((await readAltered('tag', tag)).code).toBe('BLOB_TAMPERED');
    const iv = Buffer.from(original);
    iv[hdr - 1]! ^= 0x01;
    expect((await readAltered('iv', iv)).code).toBe('BLOB_TAMPERED');
  });

  it('truncation at a segment boundary, inside a segment, and inside the header', async () => {
    expect((await readAltered('cut-boundary', original.subarray(0, hdr + 3 * stride))).code).toBe('BLOB_TAMPERED');
    expect((await readAltered('cut-inside', original.subarray(0, original.length - 5))).code).toBe('BLOB_TAMPERED');
    expect((await readAltered('cut-tag', original.subarray(0, hdr + 3 * stride + 10))).code).toBe('BLOB_TAMPERED');
    expect((await readAltered('cut-header-only', original.subarray(0, hdr))).code).toBe('BLOB_TAMPERED');
    expect((await readAltered('cut-header', original.subarray(0, 9))).code).toBe('BLOB_TAMPERED');
  });

  it('reordered segments and appended bytes', async () => {
    const s0 = original.subarray(hdr, hdr + stride);
    const s1 = original.subarray(hdr + stride, hdr + 2 * stride);
    const swapped = Buffer.concat([original.subarray(0, hdr), s1, s0, original.subarray(hdr + 2 * stride)]);
    expect((await readAltered('swap', swapped)).code).toBe('BLOB_TAMPERED');
    expect((await readAltered('append', Buffer.concat([original, Buffer.alloc(20)]))).code).toBe('BLOB_TAMPERED');
  });

  it('an object that is not ours, and one sealed under an unknown key id', async () => {
    expect((await readAltered('foreign', Buffer.from('%PDF-1.7 not encrypted at all'))).code).toBe('BLOB_TAMPERED');
    const renamed = Buffer.from(original);
    renamed.write('key-z', 7, 'latin1');
    expect((await readAltered('renamed', renamed)).code).toBe('BLOB_KEY_UNKNOWN');
  });

  it('streams authenticated segments only, then fails the stream', async () => {
    const altered = Buffer.from(original);
    altered[hdr + 2 * stride + 3]! ^= 0x01;
    await raw.put('tamper/stream', altered);
    const stream = await enc.get('tamper/stream');
    const received: Buffer[] = [];
    const err = await (async () => {
      for await (const chunk of stream) received.push(chunk as Buffer);
    })().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).code).toBe('BLOB_TAMPERED');
    const delivered = Buffer.concat(received);
    expect(delivered.length).toBe(2 * SEGMENT);
    expect(delivered.equals(plain.subarray(0, 2 * SEGMENT))).toBe(true);
  });
});

describe('key rotation', () => {
  it('writes with the current key and reads with any configured key', async () => {
    const plain = markedText(5000);
    await new EncryptedBlobStore(raw, new StagingKeyring([keyA])).put('rot/old', plain);
    const rotated = new EncryptedBlobStore(raw, new StagingKeyring([keyB, keyA]));
    expect((await rotated.getBuffer('rot/old')).equals(plain)).toBe(true);
    await rotated.put('rot/new', plain);
    const head = await raw.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: 'rot/new' }));
    expect(head.Metadata?.[KEY_ID_METADATA]).toBe(keyB.id);
    const onlyB = new EncryptedBlobStore(raw, new StagingKeyring([keyB]));
    expect((await onlyB.getBuffer('rot/new')).equals(plain)).toBe(true);
    expect((await failure(onlyB.get('rot/old'))).code).toBe('BLOB_KEY_UNKNOWN');
  });

  it('a key with the right id but the wrong bytes is tampering', async () => {
    await enc.put('rot/wrong', Buffer.from('x'));
    const impostor = new EncryptedBlobStore(raw, new StagingKeyring([{ id: keyA.id, key: Buffer.alloc(32, 0xee) }]));
    expect((await failure(impostor.getBuffer('rot/wrong'))).code).toBe('BLOB_TAMPERED');
  });

  it('reads back a stream through readAll too', async () => {
    await enc.put('rot/readall', Buffer.from('readable'));
    expect((await readAll(await enc.get('rot/readall'))).toString()).toBe('readable');
  });
});
