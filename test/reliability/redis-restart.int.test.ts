/**
 * Redis restarted under a running gateway (API + workers): a redis-server of
 * the test's own, with an append-only file, is stopped while messages are in
 * flight. Meanwhile the API answers 503 STORE_UNAVAILABLE and never 202; once
 * Redis is back on the same port and directory, the accepted messages
 * survive and are published exactly once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.ts';
import { startGateway, type Gateway } from '../../src/main/gateway.ts';
import { startTestSandbox } from '../helpers/sandbox.ts';
import { startTestS3, type TestS3 } from '../helpers/s3.ts';
import { testConfig } from '../helpers/config.ts';
import { createSandboxTenant, doctors, publicationCounts, sleep, until, waitAllFinal } from './harness.ts';

/** Short lock/stall times so that the jobs interrupted by the outage are picked up again quickly. */
process.env.EHBOX_WORKER_LOCK_MS = '1500';

const MESSAGES = 3;
/** Keeps the first deliveries on the wire while Redis goes down. */
const SEND_LATENCY_MS = 2000;
/** How long Redis stays down, and how many requests the API gets meanwhile. */
const OUTAGE_MS = 3000;
const REQUEST_TIMEOUT_MS = 15_000;

let sandbox: Sandbox;
let s3: TestS3;
let gw: Gateway;
let redisDir: string;
let redisPort: number;
let redisProc: ChildProcess | undefined;
let apiKey: string;

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

async function startRedis(): Promise<void> {
  redisProc = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--dir', redisDir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''], { stdio: 'ignore' });
  await until('redis-server to listen', 10_000, () => new Promise<true | undefined>((resolve) => {
    const s = net.connect(redisPort, '127.0.0.1', () => { s.end(); resolve(true); });
    s.on('error', () => resolve(undefined));
  }), 50);
}

async function stopRedis(): Promise<void> {
  const p = redisProc;
  if (!p || p.exitCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await Promise.race([exited, sleep(10_000)]);
}

beforeAll(async () => {
  redisDir = await mkdtemp(path.join(tmpdir(), 'ehbox-redis-'));
  redisPort = await freePort();
  await startRedis();
  sandbox = await startTestSandbox();
  s3 = await startTestS3();
  const config = testConfig({ ...s3.settings, REDIS_URL: `redis://127.0.0.1:${redisPort}`, REDIS_PREFIX: 'ehbox-rel:', EHEALTH_TIMEOUT_MS: 10_000, REDIS_COMMAND_TIMEOUT_MS: 1000 });
  gw = await startGateway(config, { api: true, workers: ['resolve', 'deliver', 'cleanup'], sandbox: false }, () => {}, { sandbox });
  const tenantId = await createSandboxTenant(gw.tenancy, sandbox);
  apiKey = (await gw.tenancy.apiKeys.create(tenantId, { label: 'reliability' })).apiKey;
}, 60_000);

afterAll(async () => {
  await gw?.close();
  await stopRedis();
  await sandbox?.close();
  await s3?.stop();
  if (redisDir) await rm(redisDir, { recursive: true, force: true });
});

async function post(nihii: string): Promise<{ status: number; body: { id?: string; code?: string } }> {
  const res = await fetch(`${gw.apiUrl}/v1/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'Redis outage', document: { filename: 'a.txt', mimeType: 'text/plain', content: Buffer.from('redis outage').toString('base64') }, recipients: [{ type: 'NIHII', id: nihii, quality: 'DOCTOR' }] }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  return { status: res.status, body: (await res.json()) as { id?: string; code?: string } };
}

describe('Redis restarted under load', () => {
  it('answers 503 STORE_UNAVAILABLE while down, then completes every accepted message exactly once', async () => {
    sandbox.faults.set('sendMessage', { latencyMs: SEND_LATENCY_MS });
    const ds = doctors(sandbox, MESSAGES);
    const ids: string[] = [];
    for (const d of ds) {
      const r = await post(d.nihii!);
      expect(r.status).toBe(202);
      ids.push(r.body.id!);
    }
    await until('a delivery on the wire', 20_000, async () => ((await gw.deps.store.get(undefined, ids[0]!))?.rows[0]?.state === 'sending' ? true : undefined), 20);
    await stopRedis();
    const downSince = Date.now();
    const during: { status: number; code?: string | undefined }[] = [];
    while (Date.now() - downSince < OUTAGE_MS) {
      const r = await post(ds[0]!.nihii!);
      during.push({ status: r.status, code: r.body.code });
    }
    expect(during.length).toBeGreaterThan(0);
    expect(during.filter((r) => r.status === 202)).toEqual([]);
    expect(during.every((r) => r.status === 503 && r.code === 'STORE_UNAVAILABLE')).toBe(true);
    sandbox.faults.clear('sendMessage');
    await startRedis();
    const back = Date.now();
    const final = await waitAllFinal(gw.deps.store, ids, 40_000);
    const rows = [...final.values()].flat();
    expect(rows.map((r) => r.state)).toEqual(ids.map(() => 'published'));
    expect(publicationCounts(sandbox, rows.map((r) => r.publicationId))).toEqual(ids.map(() => 1));
    console.info(`[reliability] Redis down ${OUTAGE_MS} ms: ${during.length} requests, all 503; ${ids.length} messages done ${Date.now() - back} ms after restart`);
    // and the API accepts again
    expect((await post(ds[0]!.nihii!)).status).toBe(202);
  }, 90_000);
});
