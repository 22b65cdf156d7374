/**
 * The narrow interface the gateway needs from object storage (CONVENTIONS
 * §2.6): put / get / delete / exists by key, streaming both ways, so a 10 MB
 * document is never held in memory twice. Implementations: S3BlobStore (any
 * S3) and EncryptedBlobStore (AES-256-GCM at rest around any BlobStore).
 */
import type { Readable } from 'node:stream';
import { StorageError } from './storage-error.ts';

/** Optional data stored with an object. Metadata is stored in clear: never put titles, file names or patient data in it. */
export interface BlobMeta {
  /** MIME type of the stored bytes. */
  contentType?: string | undefined;
  /** Announced length of a stream body: a stream of another length fails the put (truncated uploads are refused). */
  contentLength?: number | undefined;
  /** Small ASCII key/value pairs (keys `[a-z0-9-]`). */
  metadata?: Readonly<Record<string, string>> | undefined;
}

/** What a put reports: the number of bytes the caller gave (plaintext bytes for the encrypted store). */
export interface PutResult {
  size: number;
}

/** Object storage by key. Missing objects raise BLOB_NOT_FOUND; an unreachable store raises STORE_UNAVAILABLE. */
export interface BlobStore {
  /** Stores `body` under `key`, replacing any previous object; a failed put stores nothing. */
  put(key: string, body: Buffer | Readable, meta?: BlobMeta): Promise<PutResult>;
  /** The object's bytes as a stream; rejects with BLOB_NOT_FOUND before any byte when it does not exist. */
  get(key: string): Promise<Readable>;
  /** The whole object in memory (small objects only). */
  getBuffer(key: string): Promise<Buffer>;
  /** Removes the object; removing a missing object is not an error (idempotent clean-up). */
  delete(key: string): Promise<void>;
  /** True when the object exists. */
  exists(key: string): Promise<boolean>;
}

/** S3's limit on key length, in bytes. */
const MAX_KEY_BYTES = 1024;
/** S3's "safe" key characters; anything else is refused so keys are portable across S3 implementations and file stores. */
const SAFE_KEY = /^[A-Za-z0-9!_.*'()/=-]+$/;
const METADATA_KEY = /^[a-z0-9-]{1,64}$/;
/** Metadata values travel as HTTP header values: printable ASCII, kept short. */
const METADATA_VALUE = /^[\x20-\x7e]{0,256}$/;

/** Throws INVALID_BLOB_KEY unless `key` is a safe, relative, S3-portable key. */
export function assertValidBlobKey(key: string): void {
  const valid = key.length > 0
    && Buffer.byteLength(key) <= MAX_KEY_BYTES
    && SAFE_KEY.test(key)
    && key.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
  if (!valid) throw new StorageError('INVALID_BLOB_KEY', 'invalid blob key: use non-empty segments of A-Z a-z 0-9 ! _ . * \' ( ) = - separated by /');
}

/** Throws INVALID_BLOB_KEY when metadata cannot travel as S3 headers. */
export function assertValidMetadata(metadata: Readonly<Record<string, string>> | undefined): void {
  for (const [k, v] of Object.entries(metadata ?? {})) {
    if (!METADATA_KEY.test(k) || !METADATA_VALUE.test(v)) {
      throw new StorageError('INVALID_BLOB_KEY', `invalid metadata entry ${JSON.stringify(k)}: keys [a-z0-9-], values printable ASCII up to 256 characters`);
    }
  }
}

/** Reads a whole stream into one Buffer. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}
