/**
 * Backing stores down: the API answers 503 STORE_UNAVAILABLE — never 202 —
 * and leaves nothing half-created (no record, no job, no staged object, no
 * idempotency claim).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EncryptedBlobStore } from '../../src/storage/encrypted-blob-store.ts';
import { createRedis } from '../../src/storage/redis.ts';
import { createS3Client, S3BlobStore } from '../../src/storage/s3-blob-store.ts';
import { createTenancyStores } from '../../src/tenancy/tenancy.ts';
import { QueueRegistry } from '../../src/workers/queues.ts';
import { call, closedPort, errorOf, jsonMessage, startApiHarness, type ApiHarness } from './api-harness.ts';

/** Fail fast: a dead store must not make a request wait for long. */
const DEAD_TIMEOUT_MS = 300;

let h: ApiHarness;
let deadPort: number;

beforeAll(async () => {
  h = await startApiHarness('outages');
  deadPort = await closedPort();
});
afterAll(async () => {
  await h.close();
});

function deadRedis() {
  const redis = createRedis({ REDIS_URL: `redis://127.0.0.1:${deadPort}`, REDIS_PREFIX: h.redis.prefix, REDIS_COMMAND_TIMEOUT_MS: DEAD_TIMEOUT_MS });
  return redis;
}

function form(): FormData {
  const f = new FormData();
  f.append('metadata', JSON.stringify({ title: 'x', document: { filename: 'x.pdf', mimeType: 'application/pdf' }, recipients: [{ type: 'NIHII', id: h.doctorNihii, quality: 'DOCTOR' }] }));
  f.append('document', new Blob(['content']), 'x.pdf');
  return f;
}

async function expectUnavailable(res: Response): Promise<void> {
  const text = await res.text();
  expect(res.status).toBe(503);
  expect((JSON.parse(text) as { code: string }).code).toBe('STORE_UNAVAILABLE');
  expect(res.headers.get('retry-after')).toBe('5');
  expect(text).not.toContain(String(deadPort));
}

async function expectNothingCreated(): Promise<void> {
  expect((await h.redis.keys()).filter((k) => k.includes(':msg:') || k.includes(':idem:'))).toEqual([]);
  expect(await h.queues.queue('resolve').count()).toBe(0);
  expect(await h.stagedKeys()).toEqual([]);
}

describe('Redis down', () => {
  it('everything on a dead Redis: 503 on every authenticated route and /readyz', async () => {
    const redis = deadRedis();
    const tenancy = createTenancyStores(redis, h.redis.prefix);
    const queues = new QueueRegistry(redis, `${h.redis.prefix}bull`);
    try {
      const outbound = h.outboundWith({ redis, queues });
      const app = await h.startApp({ outbound, tenancy, redis, redisPrefix: h.redis.prefix });
      await expectUnavailable(await call(app, 'POST', '/v1/messages', { key: h.a.apiKey, json: jsonMessage(h.doctorNihii, Buffer.from('x')) }));
      await expectUnavailable(await call(app, 'GET', '/v1/messages', { key: h.a.apiKey }));
      await expectUnavailable(await call(app, 'GET', '/v1/groups', { key: 'ehb_wrong' }));
      const ready = await call(app, 'GET', '/readyz');
      expect(ready.status).toBe(503);
      const body = await errorOf(ready);
      expect(body.code).toBe('NOT_READY');
      expect(Object.keys((body.details as { checks: Record<string, string> }).checks)).toEqual(['redis']);
      expect((await call(app, 'GET', '/healthz')).status).toBe(200);
      await expectNothingCreated();
    } finally {
      redis.disconnect();
    }
  });

  it('message store down after authentication: 503 and the staged files are removed again', async () => {
    const redis = deadRedis();
    try {
      const outbound = h.outboundWith({ redis });
      const app = await h.startApp({ outbound, tenancy: h.tenancy, redis: h.redis.redis, redisPrefix: h.redis.prefix });
      await expectUnavailable(await call(app, 'POST', '/v1/messages', { key: h.a.apiKey, json: jsonMessage(h.doctorNihii, Buffer.from('x')) }));
      await expectUnavailable(await fetch(`${app.url}/v1/messages`, { method: 'POST', headers: { authorization: `Bearer ${h.a.apiKey}` }, body: form() }));
      await expectUnavailable(await call(app, 'POST', '/v1/messages', { key: h.a.apiKey, json: jsonMessage(h.doctorNihii, Buffer.from('x')), headers: { 'idempotency-key': 'k1' } }));
      await expectNothingCreated();
    } finally {
      redis.disconnect();
    }
  });
});

describe('S3 down', () => {
  it('503 at accept, nothing half-created, and the Idempotency-Key stays usable', async () => {
    const client = createS3Client({
      endpoint: `http://127.0.0.1:${deadPort}`,
      region: 'us-east-1',
      credentials: { accessKeyId: h.s3.server.accessKeyId, secretAccessKey: h.s3.server.secretAccessKey },
      forcePathStyle: true,
      timeoutMs: DEAD_TIMEOUT_MS,
      maxAttempts: 1,
    });
    const deadS3 = new S3BlobStore(client, h.s3.bucket);
    try {
      const outbound = h.outboundWith({ blobs: new EncryptedBlobStore(deadS3, h.blobs.keyring) });
      const app = await h.startApp({ outbound, tenancy: h.tenancy, redis: h.redis.redis, redisPrefix: h.redis.prefix });
      const body = jsonMessage(h.doctorNihii, Buffer.from('x'));
      await expectUnavailable(await call(app, 'POST', '/v1/messages', { key: h.a.apiKey, json: body, headers: { 'idempotency-key': 'after-outage' } }));
      await expectUnavailable(await fetch(`${app.url}/v1/messages`, { method: 'POST', headers: { authorization: `Bearer ${h.a.apiKey}` }, body: form() }));
      await expectNothingCreated();

      // S3 is back (the harness's app): the same key now gets its message.
      const ok = await call(h.app, 'POST', '/v1/messages', { key: h.a.apiKey, json: body, headers: { 'idempotency-key': 'after-outage' } });
      expect(ok.status).toBe(202);
    } finally {
      deadS3.close();
    }
  });
});
