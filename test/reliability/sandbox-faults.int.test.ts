/**
 * eHealth misbehaving: a period of hanging calls and 503s on sendMessage,
 * then recovery → every message published exactly once, with retries that
 * are visible on the jobs (attemptsMade) and bounded (by the client timeout
 * per call and the attempts policy overall). A permanent business error
 * fails the row with its code after exactly one attempt.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.ts';
import type { Gateway } from '../../src/main/gateway.ts';
import { messageInputSchema } from '../../src/outbound/message-input.ts';
import { DEFAULT_JOB_OPTIONS } from '../../src/workers/queues.ts';
import { createSandboxTenant, doctors, publicationCounts, sleep, waitAllFinal } from './harness.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';

const MESSAGES = 4;
/** The client gives up on a hanging call after this long (EHEALTH_TIMEOUT_MS). */
const CLIENT_TIMEOUT_MS = 800;
/** How long eHealth misbehaves. */
const FAULT_PERIOD_MS = 5000;

let t: TestGateway;
let sandbox: Sandbox;
let gw: Gateway;
let tenantId: string;

beforeAll(async () => {
  t = await startTestGateway('sandbox-faults', { config: { EHEALTH_TIMEOUT_MS: CLIENT_TIMEOUT_MS } });
  ({ sandbox, gw } = t);
  tenantId = await createSandboxTenant(gw.tenancy, sandbox);
}, 60_000);

afterAll(async () => {
  await t?.close();
});

async function send(nihiis: string[]): Promise<string[]> {
  const tenant = await gw.tenancy.tenants.require(tenantId);
  const ids: string[] = [];
  for (const nihii of nihiis) {
    const input = messageInputSchema.parse({ title: 'Faults', document: { filename: 'a.txt', mimeType: 'text/plain' }, recipients: [{ type: 'NIHII', id: nihii, quality: 'DOCTOR' }] });
    ids.push((await gw.outbound.accept(tenant, input, { document: { body: Buffer.from('faults body') }, annexes: [] })).id);
  }
  return ids;
}

const count = (key: string) => sandbox.faults.counts.get(key) ?? 0;

describe('eHealth faults', () => {
  it('hangs and 503s for a period, then recovery: all delivered once, retries visible and bounded', async () => {
    sandbox.faults.set('sendMessage', { hangRate: 0.5, http503Rate: 0.5 });
    const started = Date.now();
    const ids = await send(doctors(sandbox, MESSAGES).map((d) => d.nihii!));
    await sleep(FAULT_PERIOD_MS);
    const hangs = count('sendMessage:hang');
    const unavailable = count('sendMessage:http-503');
    expect(hangs).toBeGreaterThan(0);
    sandbox.faults.clear('sendMessage');
    const final = await waitAllFinal(gw.deps.store, ids, 45_000);
    const rows = [...final.values()].flat();
    expect(rows.map((r) => r.state)).toEqual(ids.map(() => 'published'));
    expect(publicationCounts(sandbox, rows.map((r) => r.publicationId))).toEqual(ids.map(() => 1));
    const attempts = await Promise.all(ids.map(async (id) => (await gw.deps.queues.queue('deliver').getJob(`${id}.0.deliver.0`))?.attemptsMade ?? -1));
    // every job needed more than one attempt (the first call met a fault), none ran away
    expect(attempts.every((a) => a > 1 && a <= DEFAULT_JOB_OPTIONS.attempts!)).toBe(true);
    // calls during the fault period are bounded by the backoff: no more than attempts × messages
    expect(hangs + unavailable).toBeLessThanOrEqual(MESSAGES * DEFAULT_JOB_OPTIONS.attempts!);
    console.info(`[reliability] ${FAULT_PERIOD_MS} ms of faults: ${hangs} hangs, ${unavailable} 503s; attemptsMade ${attempts.join(',')}; all published ${Date.now() - started} ms after accept`);
  }, 60_000);

  it('a permanent business error fails the row with its code after exactly one attempt', async () => {
    sandbox.faults.set('sendMessage', { businessCode: '802' });
    const before = count('sendMessage:business');
    const [id] = await send([doctors(sandbox, 1)[0]!.nihii!]);
    const final = await waitAllFinal(gw.deps.store, [id!], 20_000);
    const row = final.get(id!)![0]!;
    expect([row.state, row.code]).toEqual(['failed', 'EHBOX_802']);
    await sleep(1500); // a retry storm would show up here
    sandbox.faults.clear('sendMessage');
    expect(count('sendMessage:business') - before).toBe(1);
    const job = await gw.deps.queues.queue('deliver').getJob(`${id!}.0.deliver.0`);
    expect(job?.attemptsMade).toBe(1);
    expect(await job?.getState()).not.toBe('delayed');
  }, 30_000);
});
