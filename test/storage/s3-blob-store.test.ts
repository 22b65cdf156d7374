import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAll } from '../../src/storage/blob-store.ts';
import { startEmbeddedS3 } from '../../src/storage/embedded-s3.ts';
import { createS3BlobStore, createS3Client, MULTIPART_PART_SIZE, S3BlobStore } from '../../src/storage/s3-blob-store.ts';
import { StorageError } from '../../src/storage/storage-error.ts';
import { testConfig } from '../helpers/config.ts';
import { startTestS3, type TestS3 } from '../helpers/s3.ts';

let s3: TestS3;
let store: S3BlobStore;

beforeAll(async () => {
  s3 = await startTestS3();
  store = s3.store();
});
afterAll(async () => { await s3.stop(); });

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(StorageError);
  return (err as StorageError).code;
}

/** `total` bytes in chunks of varying size, from a seeded generator. */
function chunkedStream(total: number, seed: number): Readable {
  let produced = 0;
  let n = seed;
  return new Readable({
    read() {
      if (produced >= total) return void this.push(null);
      n = (n * 1_103_515_245 + 12_345) >>> 0;
      const size = Math.min(total - produced, 1 + (n % 200_000));
      produced += size;
      this.push(Buffer.alloc(size, n & 0xff));
    },
  });
}

describe('S3BlobStore on the embedded server', () => {
  it('stores, reads, checks and deletes objects with metadata', async () => {
    const body = Buffer.from('plain object');
    expect(await store.put('msg/1/doc', body, { contentType: 'text/plain', metadata: { kind: 'doc' } })).toEqual({ size: body.length });
    expect(await store.exists('msg/1/doc')).toBe(true);
    expect((await store.getBuffer('msg/1/doc')).equals(body)).toBe(true);
    const head = await store.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: 'msg/1/doc' }));
    expect(head.Metadata).toEqual({ kind: 'doc' });
    expect(head.ContentLength).toBe(body.length);
    await store.delete('msg/1/doc');
    expect(await store.exists('msg/1/doc')).toBe(false);
    await store.delete('msg/1/doc');
  });

  it('answers BLOB_NOT_FOUND for a missing object before any byte', async () => {
    expect(await codeOf(store.get('nope/missing'))).toBe('BLOB_NOT_FOUND');
    expect(await codeOf(store.getBuffer('nope/missing'))).toBe('BLOB_NOT_FOUND');
  });

  it.each(['', '../escape', 'a//b', '/abs', 'a/./b', 'white space', 'x'.repeat(1025)])('refuses the key %j', async (key) => {
    expect(await codeOf(store.put(key, Buffer.from('x')))).toBe('INVALID_BLOB_KEY');
    expect(await codeOf(store.get(key))).toBe('INVALID_BLOB_KEY');
  });

  it('refuses metadata that cannot travel as headers', async () => {
    expect(await codeOf(store.put('k/meta', Buffer.from('x'), { metadata: { 'Bad Key': 'v' } }))).toBe('INVALID_BLOB_KEY');
    expect(await codeOf(store.put('k/meta', Buffer.from('x'), { metadata: { ok: 'caf\u00e9' } }))).toBe('INVALID_BLOB_KEY');
  });

  it('streams a body of known length, byte for byte', async () => {
    const total = 3 * 1024 * 1024 + 17;
    const expected = createHash('sha256');
    for await (const chunk of chunkedStream(total, 1)) expected.update(chunk as Buffer);
    expect(await store.put('stream/known', chunkedStream(total, 1), { contentLength: total })).toEqual({ size: total });
    const got = createHash('sha256');
    let length = 0;
    for await (const chunk of await store.get('stream/known')) { got.update(chunk as Buffer); length += (chunk as Buffer).length; }
    expect(length).toBe(total);
    expect(got.digest('hex')).toBe(expected.digest('hex'));
  });

  it('uploads a long body of unknown length as a multipart upload', async () => {
    const total = MULTIPART_PART_SIZE + 1_234_567;
    const source = await readAll(chunkedStream(total, 2));
    expect(await store.put('stream/unknown', chunkedStream(total, 2))).toEqual({ size: total });
    expect((await store.getBuffer('stream/unknown')).equals(source)).toBe(true);
    expect(await store.put('stream/small', Readable.from([Buffer.from('ab'), Buffer.from('cd')]))).toEqual({ size: 4 });
    expect((await store.getBuffer('stream/small')).toString()).toBe('abcd');
  });

  it('passes the caller\'s stream error through, and stores nothing', async () => {
    const failing = new Readable({ read() { this.destroy(new Error('source broke')); } });
    await expect(store.put('stream/failed', failing)).rejects.toThrow('source broke');
    const failingKnown = Readable.from((async function* () {
      yield randomBytes(1000);
      throw new Error('source broke later');
    })());
    await expect(store.put('stream/failed', failingKnown, { contentLength: 5000 })).rejects.toThrow('source broke later');
    expect(await store.exists('stream/failed')).toBe(false);
    const long = Readable.from((async function* () {
      for (let i = 0; i < 7; i++) yield Buffer.alloc(1024 * 1024, i);
      throw new Error('source broke after the first part');
    })());
    await expect(store.put('stream/failed', long)).rejects.toThrow('source broke after the first part');
    expect(await store.exists('stream/failed')).toBe(false);
  });

  it('refuses a stream whose length differs from the announced one', async () => {
    await expect(store.put('stream/short', Readable.from([Buffer.alloc(10)]), { contentLength: 11 })).rejects.toThrow(RangeError);
    const long = chunkedStream(MULTIPART_PART_SIZE + 10, 3);
    await expect(store.put('stream/long', long, { contentLength: MULTIPART_PART_SIZE + 9 })).rejects.toThrow(RangeError);
    expect(await store.exists('stream/short')).toBe(false);
    expect(await store.exists('stream/long')).toBe(false);
  });

  it('answers STORE_UNAVAILABLE for a missing bucket', async () => {
    const other = new S3BlobStore(store.client, 'no-such-bucket');
    expect(await codeOf(other.put('k', Buffer.from('x')))).toBe('STORE_UNAVAILABLE');
  });

  it('builds the store from the configuration', async () => {
    const fromConfig = createS3BlobStore(testConfig({ ...s3.settings }));
    try {
      await fromConfig.put('cfg/x', Buffer.from('from config'));
      expect((await store.getBuffer('cfg/x')).toString()).toBe('from config');
    } finally {
      fromConfig.close();
    }
  });
});

describe('S3 unreachable', () => {
  const downStore = (port: number) => new S3BlobStore(createS3Client({
    endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    forcePathStyle: true, timeoutMs: 300, maxAttempts: 2,
  }), 'b');

  it('answers STORE_UNAVAILABLE quickly when nothing listens', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const down = downStore(port);
    const started = Date.now();
    expect(await codeOf(down.put('k', Buffer.from('x')))).toBe('STORE_UNAVAILABLE');
    expect(await codeOf(down.get('k'))).toBe('STORE_UNAVAILABLE');
    expect(await codeOf(down.exists('k'))).toBe('STORE_UNAVAILABLE');
    expect(await codeOf(down.delete('k'))).toBe('STORE_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(5000);
    down.close();
  });

  it('answers STORE_UNAVAILABLE when the server accepts but never answers', async () => {
    const sockets = new Set<net.Socket>();
    const hang = net.createServer((socket) => { sockets.add(socket); });
    await new Promise<void>((resolve) => hang.listen(0, '127.0.0.1', resolve));
    const down = downStore((hang.address() as net.AddressInfo).port);
    try {
      const started = Date.now();
      expect(await codeOf(down.get('k'))).toBe('STORE_UNAVAILABLE');
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      down.close();
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => hang.close(resolve));
    }
  });
});

describe('embedded S3', () => {
  it('keeps objects across a restart on the same directory', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ehbox-s3-restart-'));
    try {
      const first = await startEmbeddedS3({ directory: dir, buckets: ['persist'] });
      const client = (endpoint: string) => new S3BlobStore(createS3Client({
        endpoint, region: 'us-east-1', credentials: { accessKeyId: first.accessKeyId, secretAccessKey: first.secretAccessKey },
        forcePathStyle: true, timeoutMs: 2000,
      }), 'persist');
      const a = client(first.endpoint);
      await a.put('kept/object', Buffer.from('survives'));
      a.close();
      await first.stop();
      const second = await startEmbeddedS3({ directory: dir, buckets: ['persist'] });
      const b = client(second.endpoint);
      expect((await b.getBuffer('kept/object')).toString()).toBe('survives');
      b.close();
      await second.stop();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
