/**
 * An S3-compatible server inside the process (s3rver on a local folder), so
 * `npm start` needs no MinIO: used by the all-in-one process when S3_ENDPOINT
 * is unset, and by the integration tests. It listens on loopback only.
 */
import { mkdir } from 'node:fs/promises';
import S3rver from 's3rver';

/** s3rver's built-in account: it verifies request signatures against these. */
export const EMBEDDED_S3_CREDENTIALS = Object.freeze({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });

/** Options of the embedded server. */
export interface EmbeddedS3Options {
  /** Folder holding the buckets and objects (created if missing). */
  directory: string;
  /** Buckets to create when missing. */
  buckets: readonly string[];
  /** TCP port; 0 (default) = any free port. */
  port?: number | undefined;
  /** Listen address (default 127.0.0.1: the store must not be reachable from the network). */
  host?: string | undefined;
}

/** A running embedded S3 server. */
export interface EmbeddedS3 {
  /** Base URL for path-style requests, e.g. `http://127.0.0.1:40123`. */
  endpoint: string;
  port: number;
  accessKeyId: string;
  secretAccessKey: string;
  /** Stops listening and drops open connections. */
  stop(): Promise<void>;
}

/** Starts s3rver on `directory` and creates the buckets. */
export async function startEmbeddedS3(options: EmbeddedS3Options): Promise<EmbeddedS3> {
  await mkdir(options.directory, { recursive: true, mode: 0o700 });
  const host = options.host ?? '127.0.0.1';
  const server = new S3rver({
    address: host,
    port: options.port ?? 0,
    directory: options.directory,
    silent: true,
    resetOnClose: false,
    vhostBuckets: false,
    configureBuckets: options.buckets.map((name) => ({ name })),
  });
  const address = await server.run();
  const hostPart = host.includes(':') ? `[${host}]` : host;
  let stopped = false;
  return {
    endpoint: `http://${hostPart}:${address.port}`,
    port: address.port,
    ...EMBEDDED_S3_CREDENTIALS,
    async stop() {
      if (stopped) return;
      stopped = true;
      const closing = server.close();
      server.httpServer?.closeAllConnections();
      await closing;
    },
  };
}
