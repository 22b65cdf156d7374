/**
 * The at-rest format of staged blobs: AES-256-GCM in independent segments so
 * a 10 MB document streams through in 64 KiB steps and each step is
 * authenticated before its plaintext is released.
 *
 *   header  = "EHBS" | version (1) | log2(segment size) (1) | key id length (1) | key id | IV (12)
 *   segment = AES-256-GCM(plaintext ≤ segment size) | tag (16)
 *
 * A fresh random IV per object; segment i uses the IV with its last 32 bits
 * XORed with i, and authenticates header | i | final-flag as additional data,
 * so a changed header, reordered, dropped, truncated or appended segment all
 * fail authentication (BLOB_TAMPERED). The key id in the header makes every
 * object self-describing: any key of the keyring decrypts what it encrypted.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { StagingKey, StagingKeyring } from '../config/staging-keys.ts';
import { StorageError } from './storage-error.ts';

const MAGIC = Buffer.from('EHBS', 'latin1');
const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** magic + version + segment exponent + key id length. */
const FIXED_HEADER_BYTES = MAGIC.length + 3;
/** 64 KiB segments: small enough to keep memory flat, large enough that the 16-byte tags cost 0.02 %. */
export const DEFAULT_SEGMENT_EXPONENT = 16;
/** Segment sizes accepted when reading (1 KiB – 16 MiB), so a forged header cannot make us buffer more. */
const MIN_SEGMENT_EXPONENT = 10;
const MAX_SEGMENT_EXPONENT = 24;
/** The segment counter is 32 bits wide. */
const MAX_SEGMENTS = 0xffff_ffff;

/** Name of the format, stored in object metadata for operators. */
export const ENCRYPTION_FORMAT = 'aes-256-gcm-segmented-v1';

interface Header {
  bytes: Buffer;
  keyId: string;
  iv: Buffer;
  segmentSize: number;
}

function tampered(message: string, cause?: unknown): StorageError {
  return new StorageError('BLOB_TAMPERED', message, { cause });
}

function buildHeader(keyId: string, exponent: number): Header {
  const id = Buffer.from(keyId, 'latin1');
  const iv = randomBytes(IV_BYTES);
  const bytes = Buffer.concat([MAGIC, Buffer.from([VERSION, exponent, id.length]), id, iv]);
  return { bytes, keyId, iv, segmentSize: 2 ** exponent };
}

/** Ciphertext length for a plaintext length (announced to the inner store, which checks it). */
export function encryptedLength(plaintextLength: number, keyId: string, exponent = DEFAULT_SEGMENT_EXPONENT): number {
  const segments = Math.max(1, Math.ceil(plaintextLength / 2 ** exponent));
  return FIXED_HEADER_BYTES + Buffer.byteLength(keyId, 'latin1') + IV_BYTES + plaintextLength + segments * TAG_BYTES;
}

function segmentParams(header: Header, index: number, final: boolean): { nonce: Buffer; aad: Buffer } {
  if (index >= MAX_SEGMENTS) throw new StorageError('BLOB_TAMPERED', 'object has too many segments');
  const nonce = Buffer.from(header.iv);
  nonce.writeUInt32BE((nonce.readUInt32BE(IV_BYTES - 4) ^ index) >>> 0, IV_BYTES - 4);
  const trailer = Buffer.alloc(5);
  trailer.writeUInt32BE(index, 0);
  trailer[4] = final ? 1 : 0;
  return { nonce, aad: Buffer.concat([header.bytes, trailer]) };
}

function encryptSegment(key: Buffer, header: Header, index: number, final: boolean, pieces: Buffer[]): Buffer {
  const { nonce, aad } = segmentParams(header, index, final);
  const cipher = createCipheriv('aes-256-gcm', key, nonce).setAAD(aad);
  const out = pieces.map((p) => cipher.update(p));
  out.push(cipher.final(), cipher.getAuthTag());
  return Buffer.concat(out);
}

function decryptSegment(key: Buffer, header: Header, index: number, final: boolean, segment: Buffer): Buffer {
  const { nonce, aad } = segmentParams(header, index, final);
  const body = segment.subarray(0, segment.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce).setAAD(aad).setAuthTag(segment.subarray(body.length));
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch (err) {
    throw tampered(`blob segment ${index} failed authentication`, err);
  }
}

/** A FIFO of buffers from which exact byte counts are taken without copying whole chunks. */
class ByteQueue {
  private chunks: Buffer[] = [];
  length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** Removes up to `n` bytes, returned as slices of the queued chunks. */
  take(n: number): Buffer[] {
    const out: Buffer[] = [];
    let need = Math.min(n, this.length);
    this.length -= need;
    while (need > 0) {
      const head = this.chunks[0]!;
      if (head.length <= need) {
        out.push(head);
        this.chunks.shift();
        need -= head.length;
      } else {
        out.push(head.subarray(0, need));
        this.chunks[0] = head.subarray(need);
        need = 0;
      }
    }
    return out;
  }
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === 'string') return Buffer.from(chunk);
  throw new TypeError('blob bodies are streams of bytes');
}

/** Counts the plaintext bytes an encryption consumed. */
export interface ByteCounter {
  bytes: number;
}

/**
 * Encrypts a byte stream segment by segment (header first). When
 * `expectedLength` is given, a source of another length fails the upload.
 */
export async function* encryptSegments(
  source: AsyncIterable<unknown> | Iterable<unknown>,
  key: StagingKey,
  counter: ByteCounter,
  expectedLength?: number,
  exponent = DEFAULT_SEGMENT_EXPONENT,
): AsyncGenerator<Buffer> {
  const header = buildHeader(key.id, exponent);
  yield header.bytes;
  const queue = new ByteQueue();
  let index = 0;
  for await (const chunk of source) {
    const bytes = toBuffer(chunk);
    counter.bytes += bytes.length;
    queue.push(bytes);
    while (queue.length > header.segmentSize) {
      yield encryptSegment(key.key, header, index++, false, queue.take(header.segmentSize));
    }
  }
  if (expectedLength !== undefined && counter.bytes !== expectedLength) {
    throw new RangeError(`blob body has ${counter.bytes} bytes, ${expectedLength} announced`);
  }
  yield encryptSegment(key.key, header, index, true, queue.take(queue.length));
}

/** Parses the header at the start of `bytes`; undefined when more bytes are needed. */
function parseHeader(bytes: Buffer, keyring: StagingKeyring): { header: Header; key: Buffer } | undefined {
  if (bytes.length < FIXED_HEADER_BYTES) return undefined;
  if (!bytes.subarray(0, MAGIC.length).equals(MAGIC) || bytes[4] !== VERSION) {
    throw tampered('object is not an ehbox-bridge encrypted blob (bad magic or version)');
  }
  const exponent = bytes[5]!;
  const idLength = bytes[6]!;
  if (exponent < MIN_SEGMENT_EXPONENT || exponent > MAX_SEGMENT_EXPONENT || idLength === 0) {
    throw tampered('encrypted blob header is malformed');
  }
  const total = FIXED_HEADER_BYTES + idLength + IV_BYTES;
  if (bytes.length < total) return undefined;
  const keyId = bytes.subarray(FIXED_HEADER_BYTES, FIXED_HEADER_BYTES + idLength).toString('latin1');
  const found = keyring.find(keyId);
  if (!found) throw new StorageError('BLOB_KEY_UNKNOWN', `blob was encrypted with key id ${JSON.stringify(keyId)}, which is not configured`);
  const header: Header = {
    bytes: Buffer.from(bytes.subarray(0, total)),
    keyId,
    iv: Buffer.from(bytes.subarray(total - IV_BYTES, total)),
    segmentSize: 2 ** exponent,
  };
  return { header, key: found.key };
}

/** The plaintext of an opened blob, and the key id it was encrypted with. */
export interface OpenedBlob {
  keyId: string;
  plaintext: AsyncGenerator<Buffer>;
}

/**
 * Reads the header (so a foreign object or an unknown key id fails here,
 * before any byte is returned), then decrypts segment by segment. Plaintext is
 * released only after its segment authenticated; a truncated object fails at
 * its end, so a consumer must treat a stream error as "content incomplete".
 */
export async function openSegments(source: AsyncIterable<unknown>, keyring: StagingKeyring): Promise<OpenedBlob> {
  const iterator = source[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  let parsed: ReturnType<typeof parseHeader>;
  try {
    while (!(parsed = parseHeader(head, keyring))) {
      const next = await iterator.next();
      if (next.done) throw tampered('encrypted blob is truncated (incomplete header)');
      head = Buffer.concat([head, toBuffer(next.value)]);
    }
  } catch (err) {
    await iterator.return?.();
    throw err;
  }
  const { header, key } = parsed;
  const rest = head.subarray(header.bytes.length);
  return { keyId: header.keyId, plaintext: decryptRest(iterator, rest, header, key) };
}

async function* decryptRest(iterator: AsyncIterator<unknown>, rest: Buffer, header: Header, key: Buffer): AsyncGenerator<Buffer> {
  const stride = header.segmentSize + TAG_BYTES;
  const queue = new ByteQueue();
  queue.push(rest);
  let index = 0;
  let finished = false;
  try {
    for (;;) {
      while (queue.length > stride) {
        yield decryptSegment(key, header, index++, false, Buffer.concat(queue.take(stride)));
      }
      const next = await iterator.next();
      if (next.done) break;
      queue.push(toBuffer(next.value));
    }
    finished = true;
    if (queue.length < TAG_BYTES) throw tampered('encrypted blob is truncated (missing final segment)');
    yield decryptSegment(key, header, index, true, Buffer.concat(queue.take(queue.length)));
  } finally {
    if (!finished) await iterator.return?.();
  }
}
