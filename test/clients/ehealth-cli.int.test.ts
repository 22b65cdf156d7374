/**
 * The `ehealth …` and `ehbox …` commands, run in-process through `main`
 * against the sandbox with seeded parties' keystores: help everywhere, JSON
 * output, sandbox defaults (password, quality and trust found next to the
 * keystore), sealing on send and a verdict on get.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram, main } from '../../src/cli/index.ts';
import type { Sandbox } from '../../src/sandbox/sandbox.ts';
import type { Party } from '../../src/sandbox/directory/party.ts';
import { startTestSandbox } from '../helpers/sandbox.ts';

let sandbox: Sandbox;
let dir: string;
let stdout = '';
let stderr = '';

async function run(...args: string[]): Promise<number> {
  stdout = '';
  stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    return await main([...args, '--sandbox-url', sandbox.url]);
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}
const json = <T>() => JSON.parse(stdout) as T;

const party = (pred: (p: Party) => boolean): Party => sandbox.directory.parties.find(pred)!;
const keystore = (p: Party) => path.join(sandbox.material.parties.get(p.name)!.dir, 'keystore.p12');
const hospital = () => party((p) => p.quality === 'HOSPITAL' && p.etk === 'valid');
const doctor = () => party((p) => p.quality === 'DOCTOR' && p.etk === 'valid' && !p.outOfOffice);

beforeAll(async () => {
  sandbox = await startTestSandbox();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ehealth-cli-'));
  fs.writeFileSync(path.join(dir, 'letter.txt'), 'Fictitious discharge letter');
  fs.writeFileSync(path.join(dir, 'lab.txt'), 'fictitious lab values');
});
afterAll(async () => {
  fs.rmSync(dir, { recursive: true, force: true });
  await sandbox?.close();
});

describe('help', () => {
  it('prints help for every ehealth and ehbox command', async () => {
    const leaves: string[][] = [];
    const walk = (cmd: Command, trail: string[]) => {
      leaves.push(trail);
      for (const sub of cmd.commands) walk(sub, [...trail, sub.name()]);
    };
    for (const top of buildProgram().commands.filter((c) => ['ehealth', 'ehbox'].includes(c.name()))) walk(top, [top.name()]);
    expect(leaves.length).toBeGreaterThanOrEqual(14);
    for (const trail of leaves) {
      expect(await run(...trail, '--help'), trail.join(' ')).toBe(0);
      expect(stdout, trail.join(' ')).toMatch(/Usage:/);
    }
  });
});

describe('ehealth', () => {
  it('etk: prints the verdict of a valid token (text and JSON)', async () => {
    expect(await run('ehealth', 'etk', '--type', 'NIHII', '--id', doctor().nihii!)).toBe(0);
    expect(stdout).toContain(`VALID ETK of SSIN=${doctor().ssin}`);
    expect(await run('ehealth', 'etk', '--type', 'NIHII-HOSPITAL', '--id', hospital().identity.id, '--json')).toBe(0);
    expect(json<{ verdict: { ok: boolean } }[]>()[0]!.verdict.ok).toBe(true);
  });

  it('etk: exits 3 with the reasons for an expired token, 4 when there is none', async () => {
    expect(await run('ehealth', 'etk', '--type', 'SSIN', '--id', party((p) => p.etk === 'expired').ssin!)).toBe(3);
    expect(stdout).toContain('ETK_ENCRYPTION_CERT_EXPIRED');
    expect(await run('ehealth', 'etk', '--type', 'SSIN', '--id', party((p) => p.etk === 'none').ssin!)).toBe(4);
    expect(stderr).toContain('ETK_NOT_FOUND');
  });

  it('etk: other environments need explicit trust anchors', async () => {
    expect(await run('ehealth', 'etk', '--type', 'SSIN', '--id', doctor().ssin!, '--env', 'acceptance')).toBe(2);
    expect(stderr).toContain('--trust');
  });

  it('addressbook search and get', async () => {
    expect(await run('ehealth', 'addressbook', 'search', '--keystore', keystore(hospital()), '--name', 'Claes', '--json')).toBe(0);
    expect(json<unknown[]>().length).toBeGreaterThan(1);
    const d = doctor();
    expect(await run('ehealth', 'addressbook', 'get', '--keystore', keystore(hospital()), '--type', 'NIHII', '--id', d.nihii!)).toBe(0);
    expect(stdout).toContain(d.email!);
    expect(stdout).toContain(`ehBox INSS ${d.ssin} DOCTOR`);
  });
});

describe('ehbox', () => {
  let messageId = '';

  it('send: seals and publishes to a TYPE:ID:QUALITY recipient', async () => {
    const pwFile = path.join(dir, 'pw');
    fs.writeFileSync(pwFile, sandbox.material.parties.get(hospital().name)!.password);
    const code = await run('ehbox', 'send', '--keystore', keystore(hospital()), '--password-file', pwFile, '--quality', 'hospital',
      '--to', `NIHII:${doctor().nihii}:DOCTOR`, '--title', 'CLI letter', '--file', path.join(dir, 'letter.txt'), '--annex', path.join(dir, 'lab.txt'),
      '--text', 'see annex', '--patient', '00000000097', '--receipts', '--json');
    expect(code, stderr).toBe(0);
    const rows = json<{ status: string; code: string }[]>();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.status).toBe('published');
    messageId = rows[0]!.code;
  });

  it('list and get: the recipient reads the decrypted document with a clean verdict', async () => {
    expect(await run('ehbox', 'list', '--keystore', keystore(doctor()), '--json')).toBe(0);
    expect(json<{ messageId: string }[]>().some((m) => m.messageId === messageId)).toBe(true);
    const out = path.join(dir, 'out.txt');
    const annexDir = fs.mkdtempSync(path.join(dir, 'annexes-'));
    expect(await run('ehbox', 'get', messageId, '--keystore', keystore(doctor()), '--out', out, '--annex-dir', annexDir, '--show-text'), stderr).toBe(0);
    expect(stdout).toContain('verdict: OK');
    expect(stdout).toContain('free text: see annex');
    expect(fs.readFileSync(out, 'utf8')).toBe('Fictitious discharge letter');
    expect(fs.readFileSync(path.join(annexDir, '1-lab.txt'), 'utf8')).toBe('fictitious lab values');
  });

  it('get: someone else’s keystore cannot read it (exit 3, nothing written)', async () => {
    const out = path.join(dir, 'nope.txt');
    const other = party((p) => p.quality === 'DOCTOR' && p.etk === 'valid' && p.name !== doctor().name);
    expect(await run('ehbox', 'get', messageId, '--keystore', keystore(other), '--out', out)).not.toBe(0);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('receipts, move, delete and info', async () => {
    expect(await run('ehbox', 'receipts', messageId, '--keystore', keystore(hospital()), '--json')).toBe(0);
    expect(json<{ read?: string }[]>()[0]!.read).toBeDefined();
    expect(await run('ehbox', 'move', messageId, '--to', 'BININBOX', '--keystore', keystore(doctor()))).toBe(0);
    expect(await run('ehbox', 'list', '--source', 'BININBOX', '--keystore', keystore(doctor()), '--json')).toBe(0);
    expect(json<{ messageId: string }[]>().some((m) => m.messageId === messageId)).toBe(true);
    expect(await run('ehbox', 'delete', messageId, '--source', 'BININBOX', '--keystore', keystore(doctor()))).toBe(0);
    expect(await run('ehbox', 'list', '--source', 'BININBOX', '--keystore', keystore(doctor()), '--json')).toBe(0);
    expect(json<{ messageId: string }[]>().some((m) => m.messageId === messageId)).toBe(false);
    expect(await run('ehbox', 'info', '--keystore', keystore(doctor()), '--json')).toBe(0);
    expect(json<{ boxId: { id: string } }>().boxId.id).toBe(doctor().ssin);
  });

  it('ooo add, list and delete', async () => {
    const ks = keystore(doctor());
    const sub = party((p) => p.quality === 'NURSE' && p.etk === 'valid');
    expect(await run('ehbox', 'ooo', 'add', '--from', '2099-01-01', '--to', '2099-01-10', '--substitute', `SSIN:${sub.ssin}:NURSE`, '--keystore', ks)).not.toBe(0); // beyond one year ahead
    const day = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
    expect(await run('ehbox', 'ooo', 'add', '--from', day(100), '--to', day(110), '--substitute', `SSIN:${sub.ssin}:NURSE`, '--keystore', ks), stderr).toBe(0);
    expect(await run('ehbox', 'ooo', 'list', '--keystore', ks, '--json')).toBe(0);
    const periods = json<{ oooId: string; startDate: string; substitutes: { id: string }[] }[]>();
    const mine = periods.find((p) => p.startDate === day(100))!;
    expect(mine.substitutes[0]!.id).toBe(sub.ssin);
    expect(await run('ehbox', 'ooo', 'delete', mine.oooId, '--keystore', ks)).toBe(0);
    expect(await run('ehbox', 'ooo', 'delete', mine.oooId, '--keystore', ks)).toBe(4);
  });

  it('send: Out-of-Office by policy, unknown recipients reported per destination', async () => {
    const absent = party((p) => p.outOfOffice !== undefined && p.etk === 'valid');
    const base = ['ehbox', 'send', '--keystore', keystore(hospital()), '--title', 'OoO', '--file', path.join(dir, 'letter.txt'), '--json'];
    expect(await run(...base, '--to', `NIHII:${absent.nihii}:DOCTOR`)).toBe(4);
    expect(json<{ status: string }[]>()[0]!.status).toBe('out-of-office');
    expect(await run(...base, '--to', `NIHII:${absent.nihii}:DOCTOR`, '--ooo', 'forward')).toBe(0);
    expect(json<{ status: string; substituteFor?: string }[]>().map((r) => r.status)).toEqual(['published', 'published']);
    expect(await run(...base, '--to', `NIHII:${doctor().nihii}:DOCTOR`, '--to', 'SSIN:12345678901:DOCTOR')).toBe(4);
    expect(json<{ status: string; code: string }[]>().map((r) => [r.status, r.code])).toContainEqual(['failed', 'RECIPIENT_INVALID']);
    expect(await run(...base, '--to', 'NIHII-12345678')).toBe(2);
  });
});
