/**
 * Shared pieces of the reliability tests: child `ehbox-bridge` processes
 * (so that a crash is a real SIGKILL), a tenant with a sandbox sender box,
 * bounded waits, and the exactly-once check against the sandbox's
 * publications (counted by PublicationId).
 */
import { senderBoxForParty } from '../../src/main/demo-tenant.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../src/config/config.ts';
import type { Sandbox } from '../../src/sandbox/sandbox.ts';
import type { TenancyStores } from '../../src/tenancy/tenancy.ts';
import type { MessageStore, RecipientRow } from '../../src/outbound/message-store.ts';
import { FINAL_STATES } from '../../src/outbound/message-input.ts';
import { partyWith } from '../helpers/sandbox.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Longest a child may take to print its banner (tsx compiles the sources on start). */
export const CHILD_START_TIMEOUT_MS = 30_000;
/** Poll step of every bounded wait. */
const POLL_MS = 10;

/** A running `ehbox-bridge` child with its captured output. */
export interface BridgeChild {
  proc: ChildProcess;
  /** stdout + stderr so far. */
  output(): string;
  /** Resolves when the output matches `re` (rejects after `timeoutMs` or when the child exits first). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code/signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** Spawns `node bin/ehbox-bridge <args>` with exactly `env` (plus PATH/HOME). */
export function spawnBridge(args: string[], env: Record<string, string>): BridgeChild {
  const proc = spawn(process.execPath, [path.join(ROOT, 'bin', 'ehbox-bridge'), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  let done = false;
  void exited.then(() => (done = true));
  return {
    proc,
    output: () => out,
    exited,
    async waitFor(re, timeoutMs = CHILD_START_TIMEOUT_MS) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const m = out.match(re);
        if (m) return m;
        if (done) throw new Error(`child exited before ${re}: ${out.slice(-2000)}`);
        if (Date.now() > end) throw new Error(`child did not print ${re} within ${timeoutMs} ms: ${out.slice(-2000)}`);
        await sleep(50);
      }
    },
    async kill(signal) {
      if (!done) proc.kill(signal);
      await Promise.race([exited, sleep(10_000)]);
    },
  };
}

/** The environment a child needs to share Redis, S3, staging keys and the sandbox with the test. */
export function childEnv(config: Config, sandbox: Sandbox | undefined, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    REDIS_URL: config.REDIS_URL,
    REDIS_PREFIX: config.REDIS_PREFIX,
    EHBOX_DATA_DIR: config.EHBOX_DATA_DIR,
    EHEALTH_TIMEOUT_MS: String(config.EHEALTH_TIMEOUT_MS),
    EHBOX_WORKER_LOCK_MS: '1500',
  };
  if (config.S3_ENDPOINT) {
    Object.assign(env, {
      S3_ENDPOINT: config.S3_ENDPOINT,
      S3_BUCKET: config.S3_BUCKET,
      S3_ACCESS_KEY_ID: config.S3_ACCESS_KEY_ID ?? '',
      S3_SECRET_ACCESS_KEY: config.S3_SECRET_ACCESS_KEY ?? '',
      S3_FORCE_PATH_STYLE: 'true',
    });
  }
  if (sandbox) Object.assign(env, { EHEALTH_ENV: 'sandbox', EHEALTH_SANDBOX_URL: sandbox.url, EHEALTH_TRUST_CHAIN: sandbox.material.chainPem });
  return { ...env, ...extra };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a value other than undefined; throws `what` after `timeoutMs`. */
export async function until<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined> | T | undefined, stepMs = POLL_MS): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(stepMs);
  }
}

/** Creates a tenant whose sender box is the sandbox's first hospital; returns its id. */
export async function createSandboxTenant(tenancy: TenancyStores, sandbox: Sandbox, name = 'Reliability test hospital'): Promise<string> {
  const hospital = partyWith(sandbox, 'HOSPITAL');
  const tenant = await tenancy.tenants.create({ name });
  await tenancy.boxes.create(tenant.id, senderBoxForParty(sandbox, hospital));
  return tenant.id;
}

/** Doctors of the sandbox that accept mail (valid ETK, present, room in their box). */
export function doctors(sandbox: Sandbox, n: number) {
  const found = sandbox.directory.parties.filter((p) => p.quality === 'DOCTOR' && p.kind === 'person' && p.etk === 'valid' && !p.outOfOffice && p.quotaBytes > 1_000_000 && p.nihii);
  if (found.length < n) throw new Error(`only ${found.length} doctors`);
  return found.slice(0, n);
}

/** Waits until every row of every message is final; returns the rows per message. */
export async function waitAllFinal(store: MessageStore, ids: readonly string[], timeoutMs: number): Promise<Map<string, RecipientRow[]>> {
  return until(`messages ${ids.join(',')} to be final`, timeoutMs, async () => {
    const out = new Map<string, RecipientRow[]>();
    for (const id of ids) {
      const m = await store.get(undefined, id);
      if (!m || !m.rows.every((r) => FINAL_STATES.has(r.state))) return undefined;
      out.set(id, m.rows);
    }
    return out;
  }, 100);
}

/** How many sandbox publications carry each PublicationId. */
export function publicationCounts(sandbox: Sandbox, publicationIds: readonly string[]): number[] {
  const all = [...sandbox.ehbox.store.messages.values()];
  return publicationIds.map((p) => all.filter((m) => m.publicationId === p).length);
}
