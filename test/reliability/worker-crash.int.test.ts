/**
 * A worker process SIGKILLed while sealing and while sending, then restarted:
 * BullMQ's stalled-job check hands the dead worker's jobs to the new one, and
 * every accepted message is published exactly once (PublicationId count in
 * the sandbox), every row final.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.ts';
import type { Gateway } from '../../src/main/gateway.ts';
import { messageInputSchema } from '../../src/outbound/message-input.ts';
import { childEnv, createSandboxTenant, doctors, publicationCounts, sleep, spawnBridge, until, waitAllFinal, type BridgeChild } from './harness.ts';
import { startTestGateway, type TestGateway, NO_WORKERS } from '../helpers/gateway.ts';

/** Messages per scenario: enough that several jobs are in flight when the worker dies. */
const MESSAGES = 4;
/** Added to every sendMessage so that the kill lands while calls are on the wire. */
const SEND_LATENCY_MS = 1500;

let t: TestGateway;
let sandbox: Sandbox;
let gw: Gateway;
let tenantId: string;
const children: BridgeChild[] = [];

beforeAll(async () => {
  t = await startTestGateway('worker-crash', { config: { EHEALTH_TIMEOUT_MS: 10_000 }, roles: NO_WORKERS });
  ({ sandbox, gw } = t);
  tenantId = await createSandboxTenant(gw.tenancy, sandbox);
}, 60_000);

afterAll(async () => {
  for (const c of children) await c.kill('SIGKILL');
  await t?.close();
});

function startWorker(): Promise<BridgeChild> {
  const child = spawnBridge(['worker', '--queues', 'resolve,deliver,cleanup'], childEnv(gw.config, sandbox));
  children.push(child);
  return child.waitFor(/ehbox-bridge is running/).then(() => child);
}

async function acceptMany(label: string, body: Buffer): Promise<string[]> {
  const tenant = await gw.tenancy.tenants.require(tenantId);
  const ids: string[] = [];
  for (const d of doctors(sandbox, MESSAGES)) {
    const input = messageInputSchema.parse({ title: `Crash test ${label}`, document: { filename: 'letter.txt', mimeType: 'text/plain' }, recipients: [{ type: 'NIHII', id: d.nihii, quality: 'DOCTOR' }] });
    ids.push((await gw.outbound.accept(tenant, input, { document: { body }, annexes: [] })).id);
  }
  return ids;
}

/** Row states of the messages, read straight from Redis. */
async function states(ids: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const id of ids) {
    const m = await gw.deps.store.get(undefined, id);
    out.push(...(m?.rows.map((r) => r.state) ?? ['missing']));
  }
  return out;
}

async function restartAndCheck(ids: string[]): Promise<void> {
  const started = Date.now();
  const second = await startWorker();
  const final = await waitAllFinal(gw.deps.store, ids, 40_000);
  const rows = [...final.values()].flat();
  expect(rows.map((r) => r.state)).toEqual(ids.map(() => 'published'));
  expect(publicationCounts(sandbox, rows.map((r) => r.publicationId))).toEqual(ids.map(() => 1));
  console.info(`[reliability] recovered ${ids.length} messages ${Date.now() - started} ms after the restart`);
  await second.kill('SIGTERM');
}

describe('worker SIGKILLed mid-flight', () => {
  it('during send: restarted worker picks up the stalled jobs, each message published exactly once', async () => {
    sandbox.faults.set('sendMessage', { latencyMs: SEND_LATENCY_MS });
    const first = await startWorker();
    const ids = await acceptMany('send', Buffer.from('crash during send'));
    await until('every row sending', 20_000, async () => ((await states(ids)).every((s) => s === 'sending') ? true : undefined));
    await first.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    expect(await states(ids)).toEqual(ids.map(() => 'sending'));
    // the calls already on the wire may still publish on the sandbox side: the retry must then see 820, not publish again
    await sleep(SEND_LATENCY_MS + 500);
    const pubIds = (await Promise.all(ids.map((id) => gw.deps.store.get(undefined, id)))).map((m) => m!.rows[0]!.publicationId);
    const beforeRestart = publicationCounts(sandbox, pubIds).reduce((a, b) => a + b, 0);
    console.info(`[reliability] ${beforeRestart}/${ids.length} publications made by calls of the killed worker`);
    await restartAndCheck(ids);
    sandbox.faults.clear('sendMessage');
  }, 60_000);

  it('during seal: killed as soon as a row reaches sealing, then recovered exactly once', async () => {
    const first = await startWorker();
    // a large document keeps the rows in `sealing` long enough to be seen by a 2 ms poll: the four
    // deliveries start together and seal 8 MB each (the inner signatures come from memory, not S3)
    const ids = await acceptMany('seal', Buffer.alloc(8 * 1024 * 1024, 'crash during seal '));
    let seen: string[] = [];
    await until('a row in sealing or sending', 30_000, async () => {
      seen = await states(ids);
      // sealing can be shorter than one poll step on a busy machine: the delivery is still mid-flight at `sending`
      if (!seen.includes('sealing') && !seen.includes('sending')) return undefined;
      first.proc.kill('SIGKILL');
      return true;
    }, 2);
    await first.exited;
    const after = await states(ids);
    expect(after.some((s) => s === 'sealing' || s === 'sending')).toBe(true);
    expect(after.some((s) => s !== 'published')).toBe(true);
    console.info(`[reliability] killed during seal with row states ${after.join(',')}`);
    await restartAndCheck(ids);
  }, 60_000);
});
