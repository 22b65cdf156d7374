/**
 * `npm run demo` (scripts/demo.ts) as a user runs it, spawned against a
 * gateway started in-process with the API, all workers and the sandbox; then
 * `/metrics` shows the queues the demo went through.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUiHarness, type UiHarness } from './gateway-harness.ts';
// brings the script into the type-checked (and linted) program; erased at run time
import type * as _demo from '../../scripts/demo.ts';

const SCRIPT = fileURLToPath(new URL('../../scripts/demo.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let h: UiHarness;

beforeAll(async () => {
  h = await startUiHarness('ui-demo', { POLL_INTERVAL_SECONDS: 5 });
}, 120_000);
afterAll(async () => h?.close());

/** The value of one Prometheus sample `name{labels}` (labels in any order), or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const m = line.match(/^(\w+)(?:\{([^}]*)\})? (\S+)$/);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

function runDemo(): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, '--url', h.gw.apiUrl, '--api-key', h.gw.demo.apiKey, '--sandbox-url', h.sandbox.url], {
      cwd: ROOT, env: { ...process.env, EHBOX_DATA_DIR: h.config.EHBOX_DATA_DIR }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

describe('npm run demo', () => {
  it('sends the three scenarios and shows every recipient reach a final state', async () => {
    const r = await runDemo();
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('demo complete: every recipient was delivered');
    const ids = [...r.out.matchAll(/progress of the [a-z ]+ \((m[0-9a-z]{24})\)/g)].map((m) => m[1]!);
    expect(ids).toHaveLength(2);
    const [letter, mailing] = await Promise.all(ids.map((id) => h.gw.outbound.get(h.gw.demo.tenantId, id)));
    expect(letter!.meta.parts.annexes).toHaveLength(2);
    expect(letter!.rows.map((x) => x.state)).toEqual(['published']);
    expect(mailing!.rows.length).toBeGreaterThanOrEqual(2);
    expect(mailing!.rows.every((x) => x.state === 'published' && x.group)).toBe(true);
    // the GP's letter landed in the demo hospital's sandbox box
    const hospital = h.sandbox.directory.party(h.gw.demo.hospital)!;
    const { boxKey } = await import('../../src/sandbox/ehbox/model.ts');
    const key = boxKey(hospital.boxes[0]!);
    const received = [...h.sandbox.ehbox.store.list(key, 'INBOX'), ...h.sandbox.ehbox.store.list(key, 'BININBOX')];
    expect(received.length).toBeGreaterThanOrEqual(1);
    expect(r.out).toMatch(/inbox: received /);

    // after the demo, /metrics shows the queues it went through
    const res = await fetch(`${h.gw.apiUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(sample(text, 'ehbox_queue_metrics_up', {})).toBe(1);
    const recipients = letter!.rows.length + mailing!.rows.length;
    for (const queue of ['resolve', 'deliver']) {
      expect(sample(text, 'ehbox_queue_jobs', { queue, state: 'completed' }), queue).toBeGreaterThanOrEqual(queue === 'resolve' ? 2 : recipients);
      expect(sample(text, 'ehbox_queue_jobs', { queue, state: 'failed' }), queue).toBe(0);
      expect(sample(text, 'ehbox_job_duration_seconds_count', { queue, outcome: 'completed' }), queue).toBeGreaterThanOrEqual(queue === 'resolve' ? 2 : recipients);
    }
  }, 90_000);
});
