/**
 * `send`, `status` and `inbox` against a real gateway (API + workers +
 * sandbox): progress lines per recipient, exit codes for delivered and
 * failed recipients, the status view, and usage errors.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partyWith } from '../helpers/sandbox.ts';
import { runCli, startUiHarness, unknownNihii, type UiHarness } from '../ui/gateway-harness.ts';

let h: UiHarness;
let api: string[];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ehbox-send-cli-'));
const letter = path.join(tmp, 'letter.txt');
const annex = path.join(tmp, 'lab-results.pdf');

beforeAll(async () => {
  h = await startUiHarness('send-cli', {}, ['resolve', 'deliver', 'cleanup']);
  api = ['--url', h.gw.apiUrl, '--api-key', h.gw.demo.apiKey];
  fs.writeFileSync(letter, 'Fictitious discharge letter');
  fs.writeFileSync(annex, '%PDF-1.4 fictitious annex');
}, 120_000);

afterAll(async () => {
  await h?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('send --wait', () => {
  it('prints progress per recipient and exits 0 once every recipient is published', async () => {
    const doctor = partyWith(h.sandbox, 'DOCTOR');
    const nurse = partyWith(h.sandbox, 'NURSE');
    const r = await runCli(['send', ...api, '--to', `NIHII:${doctor.nihii}:DOCTOR`, '--to', `SSIN:${nurse.ssin}:NURSE`, '--title', 'Discharge letter', '--file', letter, '--annex', annex, '--text', 'follow-up in a week', '--wait']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const id = /^accepted (m[0-9a-z]{24})$/m.exec(r.out)?.[1];
    expect(id).toBeDefined();
    expect(r.out).toMatch(new RegExp(`NIHII:${doctor.nihii}:DOCTOR\\s+published`));
    expect(r.out).toMatch(new RegExp(`SSIN:${nurse.ssin}:NURSE\\s+published`));
    expect(r.out).toContain(`${id} delivered`);
    // one line per state change: no state is printed twice in a row for a recipient
    const doctorLines = r.out.split('\n').filter((l) => l.includes(`NIHII:${doctor.nihii}`));
    expect(new Set(doctorLines).size).toBe(doctorLines.length);
    const stored = await h.gw.outbound.get(h.gw.demo.tenantId, id!);
    expect(stored.meta.parts.annexes.map((a) => a.filename)).toEqual(['lab-results.pdf']);
    expect(stored.meta.parts.freeText).toBe(true);

    const s = await runCli(['status', ...api, id!]);
    expect(s.code).toBe(0);
    expect(s.out).toContain(`${id} delivered`);
    const j = await runCli(['status', ...api, '--json', id!]);
    expect(JSON.parse(j.out)).toMatchObject({ id, state: 'delivered', recipients: [{ state: 'published' }, { state: 'published' }] });
  }, 60_000);

  it('exits 4 when a recipient fails, showing its code', async () => {
    const doctor = partyWith(h.sandbox, 'DOCTOR');
    const ghost = unknownNihii(h.sandbox);
    const r = await runCli(['send', ...api, '--json', '--to', `NIHII:${doctor.nihii}:DOCTOR`, '--to', `NIHII:${ghost}:DOCTOR`, '--title', 'Letter', '--file', letter, '--wait']);
    expect(r.code).toBe(4);
    const lines = r.out.trim().split('\n');
    const view = JSON.parse(lines[lines.length - 1]!) as { state: string; recipients: { id: string; state: string; code?: string }[] };
    expect(view.state).toBe('partially-failed');
    expect(view.recipients.find((x) => x.id === ghost)).toMatchObject({ state: 'failed', code: expect.any(String) });
    expect(r.err).toContain('not every recipient was delivered');
  }, 60_000);
});

describe('usage and API errors', () => {
  it('refuses a malformed --to with exit 2 before any request', async () => {
    const r = await runCli(['send', ...api, '--to', 'NIHII-12345678', '--title', 't', '--file', letter]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('TYPE:ID:QUALITY');
  });

  it('reports the API error code of an invalid recipient and of an unknown message', async () => {
    const bad = await runCli(['send', ...api, '--to', 'NIHII:12345678:DOCTOR', '--title', 't', '--file', letter]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/422/);
    const unknown = await runCli(['status', ...api, 'm000000000000000000000000']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('MESSAGE_NOT_FOUND');
  });

  it('refuses a wrong API key and an unreachable gateway', async () => {
    const r = await runCli(['status', '--url', h.gw.apiUrl, '--api-key', 'ehb_' + 'x'.repeat(43), 'm000000000000000000000000']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('401');
    const down = await runCli(['status', '--url', 'http://127.0.0.1:9', '--api-key', h.gw.demo.apiKey, 'm000000000000000000000000']);
    expect(down.code).toBe(1);
    expect(down.err).toContain('is the gateway running');
  });

  it('reads a missing file as a usage error', async () => {
    const r = await runCli(['send', ...api, '--to', 'NIHII:12345678:DOCTOR', '--title', 't', '--file', path.join(tmp, 'nope.pdf')]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('cannot read document');
  });
});
