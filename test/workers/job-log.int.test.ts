/**
 * Structured job logs: a delivered message leaves one line per job end on
 * its resolve and deliver queues, each carrying the queue, the jobId, the
 * messageId, the outcome and a duration — and nothing of its content (a
 * marker in the title and the document never reaches a line).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/main/gateway.ts';
import { createLogger, createMemoryDestination, type MemoryDestination } from '../../src/observability/logger.ts';
import { messageInputSchema } from '../../src/outbound/message-input.ts';
import type { Sandbox } from '../../src/sandbox/sandbox.ts';
import { createSandboxTenant, doctors, until, waitAllFinal } from '../reliability/harness.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';

const MARKER = 'JOBLOG-MARKER-7f3a9c';
let t: TestGateway;
let sandbox: Sandbox;
let gw: Gateway;
let dest: MemoryDestination;
let tenantId: string;

beforeAll(async () => {
  dest = createMemoryDestination();
  t = await startTestGateway('job-log', { logger: createLogger({ LOG_LEVEL: 'debug' }, dest) });
  ({ sandbox, gw } = t);
  tenantId = await createSandboxTenant(gw.tenancy, sandbox);
}, 60_000);

afterAll(async () => {
  await t?.close();
});

describe('job-end log lines', () => {
  it('carry the messageId and correlation fields of a delivered message, never its content', async () => {
    const tenant = await gw.tenancy.tenants.require(tenantId);
    const [doctor] = doctors(sandbox, 1);
    const input = messageInputSchema.parse({ title: `Letter ${MARKER}`, document: { filename: 'a.txt', mimeType: 'text/plain' }, recipients: [{ type: 'NIHII', id: doctor!.nihii, quality: 'DOCTOR' }] });
    const { id } = await gw.outbound.accept(tenant, input, { document: { body: Buffer.from(`body ${MARKER}`) }, annexes: [] });
    const rows = [...(await waitAllFinal(gw.deps.store, [id], 30_000)).values()].flat();
    expect(rows.map((r) => r.state)).toEqual(['published']);

    const ofMessage = () => dest.records().filter((r) => r.messageId === id && (r.msg === 'job completed' || String(r.msg).startsWith('job failed')));
    // the deliver job's 'completed' event may fire just after the row turned final
    const lines = await until('resolve and deliver job lines', 10_000, () => {
      const l = ofMessage();
      return ['resolve', 'deliver'].every((q) => l.some((r) => r.queue === q && r.outcome === 'completed')) ? l : undefined;
    });
    for (const line of lines) {
      expect(line).toMatchObject({ level: 'debug', service: 'ehbox-bridge', messageId: id, outcome: 'completed' });
      expect(['resolve', 'deliver']).toContain(line.queue);
      expect(typeof line.jobId).toBe('string');
      expect(String(line.jobId)).toContain(id);
      expect(typeof line.durationMs).toBe('number');
      expect(line.durationMs as number).toBeGreaterThanOrEqual(0);
      expect(line.attempt).toBe(1);
      expect(line).not.toHaveProperty('data');
    }
    expect(new Set(lines.map((l) => l.jobId)).size).toBe(lines.length);
    expect(dest.text()).not.toContain(MARKER);
    expect(dest.text()).not.toContain(Buffer.from(`body ${MARKER}`).toString('base64'));
  }, 45_000);
});
