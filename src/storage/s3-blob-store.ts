/**
 * BlobStore over any S3-compatible service (AWS, MinIO, the embedded s3rver)
 * with the AWS SDK v3: path-style addressing, keep-alive sockets, bounded
 * timeouts, and every failure mapped to a typed StorageError so the API can
 * answer 404 or 503 instead of crashing.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { PassThrough, type Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, DeleteObjectCommand,
  GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client, UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { assertValidBlobKey, assertValidMetadata, readAll, type BlobMeta, type BlobStore, type PutResult } from './blob-store.ts';
import { StorageError } from './storage-error.ts';

/** Sockets per S3 endpoint: enough for the workers' concurrent uploads without exhausting the server. */
const MAX_SOCKETS = 64;
/** SDK attempts per call (1 + retries): short, since BullMQ retries the job with backoff anyway. */
const DEFAULT_MAX_ATTEMPTS = 3;
/**
 * Part size of streamed uploads: S3's minimum, so a stream costs at most 5 MiB
 * of memory and a 10 MB document goes up in two parts.
 */
export const MULTIPART_PART_SIZE = 5 * 1024 * 1024;

/** How to reach an S3 service. */
export interface S3ConnectionOptions {
  /** http(s) URL; undefined = AWS's regional endpoint. */
  endpoint?: string | undefined;
  region: string;
  /** undefined = the AWS default credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string } | undefined;
  forcePathStyle: boolean;
  /** Connection and socket-idle timeout of every request. */
  timeoutMs: number;
  /** SDK attempts per call (default 3). */
  maxAttempts?: number | undefined;
}

/**
 * An S3 client tuned for the gateway. Checksums are only computed when an
 * operation requires them: the SDK's default CRC32 trailers use aws-chunked
 * uploads, which s3rver stores verbatim (the trailer becomes part of the object).
 */
export function createS3Client(options: S3ConnectionOptions): S3Client {
  const agentOptions = { keepAlive: true, maxSockets: MAX_SOCKETS };
  return new S3Client({
    endpoint: options.endpoint,
    region: options.region,
    credentials: options.credentials,
    forcePathStyle: options.forcePathStyle,
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: {
      connectionTimeout: options.timeoutMs,
      socketTimeout: options.timeoutMs,
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
    },
  });
}

interface SdkError {
  name?: string;
  $metadata?: { httpStatusCode?: number };
}

/** Maps an SDK failure: a missing object → BLOB_NOT_FOUND, anything else → STORE_UNAVAILABLE. */
export function mapS3Error(err: unknown, operation: string): StorageError {
  if (err instanceof StorageError) return err;
  const e = (err ?? {}) as SdkError;
  const name = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  if (name === 'NoSuchKey' || name === 'NotFound' || (status === 404 && name !== 'NoSuchBucket')) {
    return new StorageError('BLOB_NOT_FOUND', 'blob not found', { cause: err });
  }
  const code = (err as { code?: unknown } | undefined)?.code;
  const cause = typeof code === 'string' ? code : name;
  const detail = status === undefined ? cause : `${cause} (HTTP ${status})`;
  return new StorageError('STORE_UNAVAILABLE', `S3 ${operation} failed: ${detail}`, { cause: err });
}

/** BlobStore on one S3 bucket. */
export class S3BlobStore implements BlobStore {
  constructor(
    readonly client: S3Client,
    readonly bucket: string,
  ) {}

  /**
   * Buffers go up in one request. Streams are never piped straight into a
   * request, so a failing source cannot leave a partial object behind (s3rver
   * keeps truncated bodies): up to one part they are collected and sent as one
   * PutObject, longer ones go up as a multipart upload, aborted on failure.
   * `meta.contentLength`, when given, must match the stream's length.
   */
  async put(key: string, body: Buffer | Readable, meta: BlobMeta = {}): Promise<PutResult> {
    assertValidBlobKey(key);
    assertValidMetadata(meta.metadata);
    if (Buffer.isBuffer(body)) return this.putBuffer(key, body, meta);
    const iterator = body[Symbol.asyncIterator]() as AsyncIterator<unknown>;
    const first = await readPart(iterator);
    if (first.done) {
      checkLength(first.part.length, meta.contentLength);
      return this.putBuffer(key, first.part, meta);
    }
    return this.putMultipart(key, body, iterator, first.part, meta);
  }

  private async putBuffer(key: string, body: Buffer, meta: BlobMeta): Promise<PutResult> {
    try {
      await this.client.send(new PutObjectCommand({
        Bucket: this.bucket, Key: key, Body: body, ContentLength: body.length,
        ContentType: meta.contentType, Metadata: meta.metadata ? { ...meta.metadata } : undefined,
      }));
      return { size: body.length };
    } catch (err) {
      throw mapS3Error(err, 'put');
    }
  }

  private async putMultipart(key: string, body: Readable, iterator: AsyncIterator<unknown>, firstPart: Buffer, meta: BlobMeta): Promise<PutResult> {
    const create = await this.client.send(new CreateMultipartUploadCommand({
      Bucket: this.bucket, Key: key, ContentType: meta.contentType, Metadata: meta.metadata ? { ...meta.metadata } : undefined,
    })).catch((err: unknown) => { throw mapS3Error(err, 'put'); });
    const uploadId = create.UploadId!;
    const parts: CompletedPart[] = [];
    let size = 0;
    try {
      let next = { part: firstPart, done: false };
      while (next.part.length > 0) {
        const PartNumber = parts.length + 1;
        const res = await this.client.send(new UploadPartCommand({
          Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber, Body: next.part, ContentLength: next.part.length,
        })).catch((err: unknown) => { throw mapS3Error(err, 'put'); });
        parts.push({ PartNumber, ETag: res.ETag });
        size += next.part.length;
        if (next.done) break;
        next = await readPart(iterator);
      }
      checkLength(size, meta.contentLength);
      await this.client.send(new CompleteMultipartUploadCommand({
        Bucket: this.bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts },
      })).catch((err: unknown) => { throw mapS3Error(err, 'put'); });
      return { size };
    } catch (err) {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }))
        .catch(() => undefined);
      body.destroy();
      throw err;
    }
  }

  async get(key: string): Promise<Readable> {
    assertValidBlobKey(key);
    let res;
    try {
      res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (err) {
      throw mapS3Error(err, 'get');
    }
    const source = res.Body as Readable;
    // Network failures in the middle of the body surface as typed errors too.
    const out = new PassThrough();
    source.on('error', (err) => out.destroy(mapS3Error(err, 'get')));
    out.on('close', () => { if (!source.readableEnded) source.destroy(); });
    return source.pipe(out);
  }

  async getBuffer(key: string): Promise<Buffer> {
    return readAll(await this.get(key));
  }

  async delete(key: string): Promise<void> {
    assertValidBlobKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (err) {
      const mapped = mapS3Error(err, 'delete');
      if (mapped.code !== 'BLOB_NOT_FOUND') throw mapped;
    }
  }

  async exists(key: string): Promise<boolean> {
    assertValidBlobKey(key);
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (err) {
      const mapped = mapS3Error(err, 'head');
      if (mapped.code === 'BLOB_NOT_FOUND') return false;
      throw mapped;
    }
  }

  /** Closes the client's sockets. */
  close(): void {
    this.client.destroy();
  }
}

function checkLength(actual: number, announced: number | undefined): void {
  if (announced !== undefined && actual !== announced) {
    throw new RangeError(`blob body has ${actual} bytes, ${announced} announced`);
  }
}

/** Collects up to one part; `done` when the stream ended (the part may then be shorter, or empty). */
async function readPart(iterator: AsyncIterator<unknown>): Promise<{ part: Buffer; done: boolean }> {
  const chunks: Buffer[] = [];
  let length = 0;
  while (length < MULTIPART_PART_SIZE) {
    const { value, done } = await iterator.next();
    if (done) return { part: Buffer.concat(chunks, length), done: true };
    const chunk = Buffer.isBuffer(value) ? value : Buffer.from(value as Uint8Array);
    chunks.push(chunk);
    length += chunk.length;
  }
  return { part: Buffer.concat(chunks, length), done: false };
}

/** The S3 part of the configuration. */
export interface S3Settings {
  readonly S3_ENDPOINT?: string | undefined;
  readonly S3_BUCKET: string;
  readonly S3_REGION: string;
  readonly S3_ACCESS_KEY_ID?: string | undefined;
  readonly S3_SECRET_ACCESS_KEY?: string | undefined;
  readonly S3_FORCE_PATH_STYLE: boolean;
  readonly S3_TIMEOUT_MS: number;
}

/**
 * The S3 blob store of the configuration. `embedded` (the embedded server's
 * endpoint and credentials) is used when S3_ENDPOINT is unset.
 */
export function createS3BlobStore(
  config: S3Settings,
  embedded?: { endpoint: string; accessKeyId: string; secretAccessKey: string },
): S3BlobStore {
  const useEmbedded = config.S3_ENDPOINT === undefined && embedded !== undefined;
  const credentials = useEmbedded
    ? { accessKeyId: embedded.accessKeyId, secretAccessKey: embedded.secretAccessKey }
    : config.S3_ACCESS_KEY_ID !== undefined && config.S3_SECRET_ACCESS_KEY !== undefined
      ? { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY }
      : undefined;
  const client = createS3Client({
    endpoint: useEmbedded ? embedded.endpoint : config.S3_ENDPOINT,
    region: config.S3_REGION,
    credentials,
    forcePathStyle: useEmbedded || config.S3_FORCE_PATH_STYLE,
    timeoutMs: config.S3_TIMEOUT_MS,
  });
  return new S3BlobStore(client, config.S3_BUCKET);
}
