/**
 * The multipart form of `POST /v1/messages`, streamed: a `metadata` part
 * (the JSON form without contents) first, then the file parts `document` and
 * `annex` (in order) or `annex[N]`. Each file goes straight from the socket
 * through a SHA-256/size meter into staging (S3, encrypted at rest) — at most
 * one S3 part of it is ever in memory — while the request is checked as early
 * as possible: bad metadata, an unknown group or too many bytes stop the
 * upload before the rest is stored. On any refusal what was staged is removed.
 */
import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import busboy from 'busboy';
import type { Request } from 'express';
import { MAX_ANNEXES, type MessageInput } from '../outbound/message-input.ts';
import { OutboundError } from '../outbound/outbound-errors.ts';
import { EHBOX_MAX_MESSAGE_BYTES } from '../outbound/size-estimate.ts';
import { ApiError, validationError } from './api-error.ts';

/** Largest metadata part: 1,000 recipients, a 200-row table and 100 kB of free text fit comfortably. */
export const METADATA_MAX_BYTES = 4 * 1024 * 1024;
/** Part header pairs: a form part needs two or three. */
const MAX_HEADER_PAIRS = 20;

/** Where the upload goes and what checks its metadata. */
export interface UploadSink {
  /** Validates the metadata and runs every check that needs no file; throws to refuse. */
  metadata(raw: unknown): Promise<MessageInput>;
  /** Stages one file; resolves with its plaintext size once it is stored. */
  stage(part: 'document' | number, body: Readable): Promise<number>;
  /** Removes staged files (document and annexes 0..annexCount-1). */
  discard(annexCount: number): Promise<void>;
}

/** A fully received upload. */
export interface ReceivedUpload {
  input: MessageInput;
  documentSize: number;
  annexSizes: number[];
  /** SHA-256 of the document then of each annex. */
  hashes: string[];
}

/** Counts and hashes the bytes going by; fails once all files together exceed what ehBox can take. */
class PartMeter extends Transform {
  private readonly hash = createHash('sha256');
  constructor(private readonly total: { bytes: number }) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.total.bytes += chunk.length;
    if (this.total.bytes > EHBOX_MAX_MESSAGE_BYTES) {
      done(new OutboundError('ATTACHMENT_TOO_LARGE', `The files exceed ehBox's ${EHBOX_MAX_MESSAGE_BYTES} bytes`, { limit: EHBOX_MAX_MESSAGE_BYTES }));
      return;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }
  digest(): string {
    return this.hash.digest('hex');
  }
}

const malformed = (message: string) => new ApiError('MALFORMED_MULTIPART', message);

/** One upload in progress: busboy events are handled one after the other, in arrival order. */
class Receiver {
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown;
  private input: MessageInput | undefined;
  private readonly sizes = new Map<'document' | number, { size: number; hash: string }>();
  private readonly total = { bytes: 0 };
  private nextAnnex = 0;
  /** The stream being read, destroyed when the upload fails so that the task waiting on it settles. */
  private current: { destroy(err?: Error): unknown } | undefined;

  constructor(
    private readonly req: Request,
    private readonly bb: busboy.Busboy,
    private readonly sink: UploadSink,
    private readonly settle: { resolve(u: ReceivedUpload): void; reject(err: unknown): void },
  ) {}

  start(): void {
    const { bb, req } = this;
    bb.on('field', (name, value, info) => this.enqueue(() => this.onMetadata(name, value, info.valueTruncated)));
    bb.on('file', (name, stream) => {
      if (this.failure !== undefined) stream.resume();
      else this.enqueue(() => this.onFile(name, stream));
    });
    bb.on('filesLimit', () => this.fail(validationError([{ path: 'annexes', message: `at most ${MAX_ANNEXES} annexes` }])));
    bb.on('fieldsLimit', () => this.fail(malformed('only one non-file part (metadata) is allowed')));
    bb.on('partsLimit', () => this.fail(malformed('too many parts')));
    bb.on('error', (err: unknown) => this.fail(malformed(`malformed multipart body: ${err instanceof Error ? err.message : 'parse error'}`)));
    bb.on('close', () => this.enqueue(() => this.finish()));
    req.on('close', () => {
      if (!req.complete) this.fail(new ApiError('CLIENT_CLOSED', 'The client closed the request before its body was complete'));
    });
    req.pipe(bb);
  }

  private enqueue(task: () => Promise<void>): void {
    this.chain = this.chain
      .then(() => (this.failure === undefined ? task() : undefined))
      .catch((err: unknown) => this.fail(err));
  }

  /** First failure wins: stop reading into busboy (the rest is drained so the client gets its answer), abort the file in flight, clean up once in-flight work settled. */
  private fail(err: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = err;
    this.req.unpipe(this.bb);
    this.req.resume();
    this.current?.destroy(err instanceof Error ? err : new Error('upload failed'));
    const annexCount = this.input?.annexes.length ?? 0;
    void this.chain
      .then(() => (this.input ? this.sink.discard(annexCount) : undefined))
      .catch(() => undefined)
      .then(() => this.settle.reject(err));
  }

  private async onMetadata(name: string, value: string, truncated: boolean): Promise<void> {
    if (name !== 'metadata') throw malformed('unexpected non-file part (only `metadata`, `document` and `annex` parts are read)');
    if (truncated) throw new ApiError('PAYLOAD_TOO_LARGE', `The metadata part exceeds ${METADATA_MAX_BYTES} bytes`);
    let raw: unknown;
    try {
      raw = JSON.parse(value);
    } catch {
      throw new ApiError('MALFORMED_JSON', 'The metadata part is not valid JSON');
    }
    this.input = await this.sink.metadata(raw);
  }

  /** Which staged part a file part is; refuses unknown names, duplicates and annexes the metadata does not list. */
  private partOf(name: string): 'document' | number {
    if (name === 'document') {
      if (this.sizes.has('document')) throw malformed('the document part appears twice');
      return 'document';
    }
    const indexed = /^annex\[(\d{1,3})\]$/.exec(name);
    if (name !== 'annex' && !indexed) throw malformed('unexpected file part (use `document`, `annex` or `annex[N]`)');
    const index = indexed ? Number(indexed[1]) : this.nextAnnex;
    this.nextAnnex = index + 1;
    const listed = this.input!.annexes.length;
    if (index >= listed) throw validationError([{ path: 'annexes', message: `annex part ${index} is not listed in the metadata (${listed} annexes)` }]);
    if (this.sizes.has(index)) throw malformed(`annex part ${index} appears twice`);
    return index;
  }

  private async onFile(name: string, stream: Readable): Promise<void> {
    if (!this.input && name === 'metadata') {
      this.current = stream;
      const chunks: Buffer[] = [];
      let length = 0;
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        length += chunk.length;
        if (length > METADATA_MAX_BYTES) throw new ApiError('PAYLOAD_TOO_LARGE', `The metadata part exceeds ${METADATA_MAX_BYTES} bytes`);
        chunks.push(chunk);
      }
      this.current = undefined;
      return this.onMetadata(name, Buffer.concat(chunks).toString('utf8'), false);
    }
    if (!this.input) {
      stream.resume();
      throw malformed('the metadata part must come before the file parts');
    }
    const part = this.partOf(name);
    const meter = new PartMeter(this.total);
    this.current = meter;
    stream.on('error', (err: Error) => meter.destroy(err));
    stream.pipe(meter);
    const size = await this.sink.stage(part, meter);
    this.current = undefined;
    this.sizes.set(part, { size, hash: meter.digest() });
  }

  private async finish(): Promise<void> {
    const input = this.input;
    if (!input) throw validationError([{ path: 'metadata', message: 'the multipart body has no metadata part' }]);
    const document = this.sizes.get('document');
    if (!document) throw validationError([{ path: 'document', message: 'the multipart body has no document part' }]);
    const annexes = input.annexes.map((_, i) => this.sizes.get(i));
    const missing = annexes.findIndex((a) => a === undefined);
    if (missing >= 0) throw validationError([{ path: `annexes.${missing}`, message: `annex part ${missing} is missing` }]);
    const present = annexes as { size: number; hash: string }[];
    this.settle.resolve({ input, documentSize: document.size, annexSizes: present.map((a) => a.size), hashes: [document.hash, ...present.map((a) => a.hash)] });
  }
}

/** Receives a multipart message into `sink`; rejects (after clean-up) with the refusal. */
export function receiveMultipart(req: Request, sink: UploadSink): Promise<ReceivedUpload> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({
        headers: req.headers,
        limits: { fields: 1, fieldSize: METADATA_MAX_BYTES, files: MAX_ANNEXES + 2, parts: MAX_ANNEXES + 3, headerPairs: MAX_HEADER_PAIRS },
      });
    } catch (err) {
      reject(malformed(err instanceof Error ? err.message : 'malformed multipart header'));
      return;
    }
    new Receiver(req, bb, sink, { resolve, reject }).start();
  });
}
