/**
 * Graceful shutdown of the real processes: `ehbox-bridge all` (API, workers,
 * in-process sandbox, embedded S3) and `ehbox-bridge worker` (against an
 * external sandbox) are spawned as a user would, and on SIGTERM each prints
 * its "shutting down" line and exits 0 within a bounded time.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.ts';
import { createTestRedis, type TestRedis } from '../helpers/redis.ts';
import { materialDir, startTestSandbox } from '../helpers/sandbox.ts';
import { CHILD_START_TIMEOUT_MS, spawnBridge, type BridgeChild } from '../reliability/harness.ts';

/** Longest a process may take from SIGTERM to exit (closing queues, servers and the sandbox journal). */
const SHUTDOWN_TIMEOUT_MS = 15_000;
/** The seed `ehbox-bridge all` gives its in-process sandbox (the sandbox's default). */
const ALL_SANDBOX_SEED = 'ehbox-bridge';
const READY = /ehbox-bridge is running/;
const SHUTTING_DOWN = /SIGTERM: shutting down/;

let redis: TestRedis;
let sandbox: Sandbox;
const tempDirs: string[] = [];
const children: BridgeChild[] = [];

/** A port nobody listens on right now: bind 0, read it, close. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function tempDir(label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ehbox-shutdown-${label}-`));
  tempDirs.push(dir);
  return dir;
}

/** Spawns, waits for the banner, sends SIGTERM; resolves with the exit and the output. */
async function startThenTerminate(args: string[], env: Record<string, string>) {
  const child = spawnBridge(args, env);
  children.push(child);
  await child.waitFor(READY, CHILD_START_TIMEOUT_MS * 2);
  const sentAt = Date.now();
  child.proc.kill('SIGTERM');
  const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), SHUTDOWN_TIMEOUT_MS).unref());
  const exit = await Promise.race([child.exited, timeout]);
  return { exit, tookMs: Date.now() - sentAt, output: child.output() };
}

beforeAll(async () => {
  redis = await createTestRedis('shutdown');
  sandbox = await startTestSandbox();
  // The keys of the `all` sandbox's parties, issued once per machine and reused (issuing takes ~20 s).
  const seeded = await startTestSandbox({ seed: ALL_SANDBOX_SEED });
  await seeded.close();
}, 120_000);

afterAll(async () => {
  for (const c of children) await c.kill('SIGKILL');
  await sandbox?.close();
  await redis?.cleanup();
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

function baseEnv(dataDir: string): Record<string, string> {
  return { HOST: '127.0.0.1', LOG_LEVEL: 'info', REDIS_URL: redis.settings.REDIS_URL, REDIS_PREFIX: redis.prefix, EHBOX_DATA_DIR: dataDir };
}

describe('graceful shutdown on SIGTERM', () => {
  it('`all` prints the shutting-down line and exits 0', async () => {
    const dataDir = tempDir('all');
    fs.cpSync(materialDir(ALL_SANDBOX_SEED), path.join(dataDir, 'sandbox'), { recursive: true, filter: (src) => !src.endsWith('.material.lock') });
    const [port, sandboxPort] = [await freePort(), await freePort()];
    const r = await startThenTerminate(['all', '--no-start-redis'], { ...baseEnv(dataDir), PORT: String(port), SANDBOX_PORT: String(sandboxPort) });
    expect(r.output).not.toContain('issuing keystores'); // the copied material was used
    expect(r.output).toContain(`http://127.0.0.1:${port}/v1`);
    expect(r.output).toContain(`http://127.0.0.1:${sandboxPort}`);
    expect(r.exit, r.output.slice(-2000)).toEqual({ code: 0, signal: null });
    expect(r.output).toMatch(SHUTTING_DOWN);
    expect(r.tookMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    // the API and the sandbox let go of their ports
    await expect(new Promise((resolve, reject) => net.connect(port, '127.0.0.1').once('connect', resolve).once('error', reject))).rejects.toThrow();
  }, 150_000);

  it('`worker` (external sandbox, shared Redis) prints the shutting-down line and exits 0', async () => {
    const dataDir = tempDir('worker');
    const env = { ...baseEnv(dataDir), PORT: '0', EHEALTH_ENV: 'sandbox', EHEALTH_SANDBOX_URL: sandbox.url, EHEALTH_TRUST_CHAIN: sandbox.material.chainPem };
    const r = await startThenTerminate(['worker'], env);
    expect(r.output).not.toContain('starting the in-process eHealth sandbox');
    expect(r.exit, r.output.slice(-2000)).toEqual({ code: 0, signal: null });
    expect(r.output).toMatch(SHUTTING_DOWN);
    expect(r.tookMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
  }, 90_000);
});
