/**
 * Encryption at rest for staged plaintext (CONVENTIONS §3): wraps any
 * BlobStore so that what reaches S3 is AES-256-GCM ciphertext under the
 * current staging key (format in segment-cipher.ts), and reads back objects
 * written under any configured key, which is how keys rotate.
 */
import { Readable } from 'node:stream';
import type { StagingKeyring } from '../config/staging-keys.ts';
import { readAll, type BlobMeta, type BlobStore, type PutResult } from './blob-store.ts';
import {
  DEFAULT_SEGMENT_EXPONENT, ENCRYPTION_FORMAT, encryptSegments, encryptedLength, openSegments, type ByteCounter,
} from './segment-cipher.ts';

/** Object metadata naming the key an object was encrypted with (the header says it too). */
export const KEY_ID_METADATA = 'ehb-key-id';
/** Object metadata naming the encryption format. */
export const FORMAT_METADATA = 'ehb-enc';

/** Hands a Buffer to the cipher in segment-sized slices, so the ciphertext is produced as fast as S3 takes it. */
function* slices(buffer: Buffer, size: number): Generator<Buffer> {
  for (let offset = 0; offset < buffer.length; offset += size) yield buffer.subarray(offset, offset + size);
}

/** A BlobStore that encrypts on put and authenticates + decrypts on get. */
export class EncryptedBlobStore implements BlobStore {
  private readonly exponent: number;

  constructor(
    readonly inner: BlobStore,
    readonly keyring: StagingKeyring,
    options: { segmentExponent?: number } = {},
  ) {
    this.exponent = options.segmentExponent ?? DEFAULT_SEGMENT_EXPONENT;
  }

  /**
   * Encrypts and stores `body`; `size` is the plaintext length. The stored
   * content type is always application/octet-stream (the real one would leak
   * what the blob holds); `meta.metadata` is stored in clear.
   */
  async put(key: string, body: Buffer | Readable, meta: BlobMeta = {}): Promise<PutResult> {
    const current = this.keyring.current;
    const plaintextLength = Buffer.isBuffer(body) ? body.length : meta.contentLength;
    const source = Buffer.isBuffer(body) ? slices(body, 2 ** this.exponent) : body;
    const counter: ByteCounter = { bytes: 0 };
    const ciphertext = Readable.from(encryptSegments(source, current, counter, plaintextLength, this.exponent));
    await this.inner.put(key, ciphertext, {
      contentType: 'application/octet-stream',
      contentLength: plaintextLength === undefined ? undefined : encryptedLength(plaintextLength, current.id, this.exponent),
      metadata: { ...meta.metadata, [KEY_ID_METADATA]: current.id, [FORMAT_METADATA]: ENCRYPTION_FORMAT },
    });
    return { size: counter.bytes };
  }

  /**
   * The decrypted object. Rejects with BLOB_NOT_FOUND, BLOB_KEY_UNKNOWN or
   * BLOB_TAMPERED (bad header) before returning; tampering further in fails
   * the stream with BLOB_TAMPERED before the altered segment is released.
   */
  async get(key: string): Promise<Readable> {
    const opened = await openSegments(await this.inner.get(key), this.keyring);
    return Readable.from(opened.plaintext, { objectMode: false });
  }

  async getBuffer(key: string): Promise<Buffer> {
    return readAll(await this.get(key));
  }

  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }

  exists(key: string): Promise<boolean> {
    return this.inner.exists(key);
  }
}
