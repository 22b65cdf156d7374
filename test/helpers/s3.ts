/**
 * A real S3 server for integration tests: the embedded s3rver on port 0 with
 * a temporary directory, removed on stop.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbeddedS3, type EmbeddedS3 } from '../../src/storage/embedded-s3.ts';
import { createS3Client, S3BlobStore } from '../../src/storage/s3-blob-store.ts';

// The SDK warns once per process that its 2027 releases will need Node 22; the notice is for operators, not test logs.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** A running test S3. */
export interface TestS3 {
  server: EmbeddedS3;
  bucket: string;
  /** The temporary directory holding the objects. */
  dir: string;
  /** Configuration values pointing at this server (spread into testConfig overrides). */
  settings: {
    S3_ENDPOINT: string;
    S3_BUCKET: string;
    S3_ACCESS_KEY_ID: string;
    S3_SECRET_ACCESS_KEY: string;
    S3_FORCE_PATH_STYLE: true;
  };
  /** A plain (unencrypted) store on the bucket, closed by stop(). */
  store(options?: { timeoutMs?: number }): S3BlobStore;
  /** Stops the server, closes the stores, deletes the directory. */
  stop(): Promise<void>;
}

/** Starts s3rver on a free port with one bucket. */
export async function startTestS3(bucket = 'ehbox-test'): Promise<TestS3> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ehbox-s3-'));
  const server = await startEmbeddedS3({ directory: dir, buckets: [bucket] });
  const stores: S3BlobStore[] = [];
  return {
    server,
    bucket,
    dir,
    settings: {
      S3_ENDPOINT: server.endpoint,
      S3_BUCKET: bucket,
      S3_ACCESS_KEY_ID: server.accessKeyId,
      S3_SECRET_ACCESS_KEY: server.secretAccessKey,
      S3_FORCE_PATH_STYLE: true,
    },
    store(options = {}) {
      const client = createS3Client({
        endpoint: server.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
        forcePathStyle: true,
        timeoutMs: options.timeoutMs ?? 5000,
      });
      const store = new S3BlobStore(client, bucket);
      stores.push(store);
      return store;
    },
    async stop() {
      for (const s of stores) s.close();
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
