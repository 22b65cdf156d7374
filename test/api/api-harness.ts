/**
 * One API under test per file: the real app on port 0 over real Redis (own
 * prefix) and the in-process S3 behind an EncryptedBlobStore, with two
 * tenants (A and B), each with a sender box and an API key, plus helpers to
 * call it with fetch and to inspect what it stored.
 */
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { createApp, type ApiDeps } from '../../src/api/app.ts';
import { generateNihii } from '../../src/common/identifiers.ts';
import { StagingKeyring } from '../../src/config/staging-keys.ts';
import { createDrbg } from '../../src/crypto/drbg.ts';
import { MessageStore } from '../../src/outbound/message-store.ts';
import { OutboundService } from '../../src/outbound/outbound-service.ts';
import { Staging } from '../../src/outbound/staging.ts';
import type { BlobStore } from '../../src/storage/blob-store.ts';
import { EncryptedBlobStore } from '../../src/storage/encrypted-blob-store.ts';
import type { S3BlobStore } from '../../src/storage/s3-blob-store.ts';
import { createTenancyStores, type TenancyStores } from '../../src/tenancy/tenancy.ts';
import type { Tenant } from '../../src/tenancy/tenant-store.ts';
import { QueueRegistry } from '../../src/workers/queues.ts';
import { createTestRedis, type TestRedis } from '../helpers/redis.ts';
import { startTestS3, type TestS3 } from '../helpers/s3.ts';

/** A tenant of the harness with its box and key. */
export interface TestTenant {
  tenant: Tenant;
  boxId: string;
  apiKey: string;
}

/** A running app. */
export interface RunningApp {
  url: string;
  close(): Promise<void>;
}

/** Everything a test file needs. */
export interface ApiHarness {
  redis: TestRedis;
  s3: TestS3;
  /** The plain S3 store (raw, encrypted bytes). */
  plain: S3BlobStore;
  /** The encrypted store the gateway stages through. */
  blobs: EncryptedBlobStore;
  tenancy: TenancyStores;
  store: MessageStore;
  queues: QueueRegistry;
  outbound: OutboundService;
  app: RunningApp;
  a: TestTenant;
  b: TestTenant;
  /** A valid doctor NIHII (fictitious). */
  doctorNihii: string;
  /** Starts another app (other dependencies), closed by close(). */
  startApp(deps: ApiDeps): Promise<RunningApp>;
  /** An OutboundService over other Redis/blob stores (defaults: the harness's). */
  outboundWith(parts: { redis?: Redis; blobs?: BlobStore; queues?: QueueRegistry }): OutboundService;
  /** Staged object keys present in S3 (from the server's folder). */
  stagedKeys(): Promise<string[]>;
  close(): Promise<void>;
}

/** Starts an express app on loopback port 0. */
export async function listen(deps: ApiDeps): Promise<RunningApp> {
  const server: Server = await new Promise((resolve) => {
    const s = createApp(deps).listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** A TCP port nothing listens on (bound then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** s3rver keeps an object's bytes in `<key>._S3rver_object` (beside its metadata and md5 files). */
const S3RVER_OBJECT_SUFFIX = '._S3rver_object';

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

/** Builds the harness; `label` names the Redis prefix. */
export async function startApiHarness(label: string): Promise<ApiHarness> {
  const rng = createDrbg(`api-${label}`);
  const redis = await createTestRedis(`api-${label}`);
  const s3 = await startTestS3();
  const plain = s3.store();
  const blobs = new EncryptedBlobStore(plain, new StagingKeyring([{ id: 'api-test', key: randomBytes(32) }]));
  const tenancy = createTenancyStores(redis.redis, redis.prefix);
  const store = new MessageStore(redis.redis, redis.prefix);
  const queues = new QueueRegistry(redis.connection(), `${redis.prefix}bull`);
  const outboundWith: ApiHarness['outboundWith'] = (parts) => {
    const r = parts.redis ?? redis.redis;
    const messageStore = parts.redis ? new MessageStore(r, redis.prefix) : store;
    return new OutboundService({ redis: r, prefix: redis.prefix, store: messageStore, staging: new Staging(parts.blobs ?? blobs), tenancy, queues: parts.queues ?? queues });
  };
  const outbound = outboundWith({});
  const apps: RunningApp[] = [];
  const startApp = async (deps: ApiDeps) => {
    const running = await listen(deps);
    apps.push(running);
    return running;
  };
  const app = await startApp({ outbound, tenancy, redis: redis.redis, redisPrefix: redis.prefix, queues });

  const makeTenant = async (name: string): Promise<TestTenant> => {
    const tenant = await tenancy.tenants.create({ name });
    const nihii = generateNihii(rng);
    const box = await tenancy.boxes.create(tenant.id, {
      label: `${name} main box`,
      keystorePath: '/secrets/fictitious.p12',
      passwordRef: { env: 'FICTITIOUS_KEYSTORE_PASSWORD' },
      box: { id: nihii, type: 'NIHII', subType: 'HOSPITAL', quality: 'HOSPITAL' },
      quality: 'hospital',
      identityType: 'NIHII-HOSPITAL',
      identityId: nihii,
    });
    const { apiKey } = await tenancy.apiKeys.create(tenant.id, { label: 'tests' });
    return { tenant, boxId: box.id, apiKey };
  };
  const a = await makeTenant('Hospital A (fictitious)');
  const b = await makeTenant('Hospital B (fictitious)');
  const bucketDir = path.join(s3.dir, s3.bucket);

  return {
    redis, s3, plain, blobs, tenancy, store, queues, outbound, app, a, b,
    doctorNihii: generateNihii(rng),
    startApp,
    outboundWith,
    async stagedKeys() {
      const files = await filesUnder(path.join(bucketDir, 'staging'));
      return files.filter((f) => f.endsWith(S3RVER_OBJECT_SUFFIX)).map((f) => path.relative(bucketDir, f).slice(0, -S3RVER_OBJECT_SUFFIX.length)).sort();
    },
    async close() {
      for (const x of apps) await x.close();
      await queues.close();
      await redis.cleanup();
      await s3.stop();
    },
  };
}

/** A minimal valid JSON message (the shape the outside world relies on). */
export function jsonMessage(doctorNihii: string, content: Buffer, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    title: 'Discharge letter',
    document: { filename: 'letter.pdf', mimeType: 'application/pdf', content: content.toString('base64') },
    recipients: [{ type: 'NIHII', id: doctorNihii, quality: 'DOCTOR' }],
    ...extra,
  };
}

/** fetch with the API key and a JSON body. */
export function call(app: RunningApp, method: string, route: string, options: { key?: string | undefined; json?: unknown; body?: RequestInit['body']; headers?: Record<string, string> } = {}): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
  let body = options.body;
  if (options.json !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(options.json);
  }
  return fetch(app.url + route, { method, headers, body });
}

/** The JSON error body of a response. */
export async function errorOf(res: Response): Promise<{ requestId: string; code: string; message: string; details?: { issues?: { path: string; message: string }[] } & Record<string, unknown> }> {
  return (await res.json()) as never;
}
