/**
 * S3 down while the workers need the staged message (resolve/seal): the jobs
 * fail transiently and are retried with backoff; once S3 is back on the same
 * port and directory every message is published exactly once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.ts';
import { startGateway, type Gateway } from '../../src/main/gateway.ts';
import { messageInputSchema } from '../../src/outbound/message-input.ts';
import { startEmbeddedS3, EMBEDDED_S3_CREDENTIALS, type EmbeddedS3 } from '../../src/storage/embedded-s3.ts';
import { startTestSandbox } from '../helpers/sandbox.ts';
import { createTestRedis, type TestRedis } from '../helpers/redis.ts';
import { testConfig } from '../helpers/config.ts';
import { createSandboxTenant, doctors, publicationCounts, sleep, waitAllFinal } from './harness.ts';

const MESSAGES = 3;
/** How long S3 stays down: several backoff steps (500 ms, 1 s, 2 s…) of the jobs. */
const OUTAGE_MS = 4000;
const BUCKET = 'ehbox-reliability';

let sandbox: Sandbox;
let redis: TestRedis;
let s3: EmbeddedS3 | undefined;
let s3Dir: string;
let gw: Gateway;
let tenantId: string;

beforeAll(async () => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  sandbox = await startTestSandbox();
  redis = await createTestRedis('s3-outage');
  s3Dir = await mkdtemp(path.join(tmpdir(), 'ehbox-s3-outage-'));
  s3 = await startEmbeddedS3({ directory: s3Dir, buckets: [BUCKET] });
  const config = testConfig({
    S3_ENDPOINT: s3.endpoint, S3_BUCKET: BUCKET, S3_ACCESS_KEY_ID: EMBEDDED_S3_CREDENTIALS.accessKeyId, S3_SECRET_ACCESS_KEY: EMBEDDED_S3_CREDENTIALS.secretAccessKey,
    S3_FORCE_PATH_STYLE: true, S3_TIMEOUT_MS: 1000, REDIS_PREFIX: redis.prefix,
  });
  gw = await startGateway(config, { api: false, workers: ['resolve', 'deliver', 'cleanup'], sandbox: false }, () => {}, { sandbox });
  tenantId = await createSandboxTenant(gw.tenancy, sandbox);
}, 60_000);

afterAll(async () => {
  await gw?.close();
  await s3?.stop();
  await sandbox?.close();
  await redis?.cleanup();
  if (s3Dir) await rm(s3Dir, { recursive: true, force: true });
});

describe('S3 down during sealing', () => {
  it('retries with backoff, then publishes every message exactly once', async () => {
    const tenant = await gw.tenancy.tenants.require(tenantId);
    const ids: string[] = [];
    for (const d of doctors(sandbox, MESSAGES)) {
      const input = messageInputSchema.parse({ title: 'S3 outage', document: { filename: 'a.txt', mimeType: 'text/plain' }, recipients: [{ type: 'NIHII', id: d.nihii, quality: 'DOCTOR' }] });
      ids.push((await gw.outbound.accept(tenant, input, { document: { body: Buffer.from('s3 outage body') }, annexes: [] })).id);
    }
    const port = s3!.port;
    await s3!.stop();
    s3 = undefined;
    await sleep(OUTAGE_MS);
    // a message whose resolution finished before the outage may publish from the in-process
    // inner-signature cache without S3; the others must be waiting for S3
    const midway = await Promise.all(ids.map((id) => gw.deps.store.get(undefined, id)));
    expect(midway.flatMap((m) => m!.rows.map((r) => r.state)).filter((s) => s !== 'published').length).toBeGreaterThan(0);
    s3 = await startEmbeddedS3({ directory: s3Dir, buckets: [BUCKET], port });
    const back = Date.now();
    const final = await waitAllFinal(gw.deps.store, ids, 80_000);
    const rows = [...final.values()].flat();
    expect(rows.map((r) => r.state)).toEqual(ids.map(() => 'published'));
    expect(publicationCounts(sandbox, rows.map((r) => r.publicationId))).toEqual(ids.map(() => 1));
    // the retries are visible on the jobs, and bounded by the policy
    const attempts: number[] = [];
    for (const id of ids) {
      for (const jid of [`${id}.resolve`, `${id}.0.deliver.0`]) {
        const q = gw.deps.queues.queue(jid.endsWith('resolve') ? 'resolve' : 'deliver');
        attempts.push((await q.getJob(jid))?.attemptsMade ?? -1);
      }
    }
    expect(attempts.every((a) => a >= 0)).toBe(true);
    // attemptsMade counts the successful attempt too: > 1 means failed attempts were retried
    expect(Math.max(...attempts)).toBeGreaterThan(1);
    expect(Math.max(...attempts)).toBeLessThanOrEqual(12);
    console.info(`[reliability] S3 down ${OUTAGE_MS} ms; done ${Date.now() - back} ms after restart; attemptsMade (resolve,deliver per message) ${attempts.join(',')}`);
  }, 120_000);
});
