/**
 * `ehbox-bridge sandbox` as a user runs it: the real command on port 0,
 * endpoints and identities read from what it prints, a real STS + ehBox call
 * with the printed keystore, CLI fault rules, SANDBOX_RECORD_DIR, and a
 * clean stop on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKeystore } from '../../src/crypto/keystore.ts';
import { StsClient } from '../../src/sts/sts-client.ts';
import { EhealthSession, endpointsAt } from '../../src/ehealth/session.ts';
import { EhboxClient } from '../../src/ehbox/ehbox-client.ts';
import { materialDir, startTestSandbox, TEST_SEED } from '../helpers/sandbox.ts';
import { main } from '../../src/cli/index.ts';

const BIN = fileURLToPath(new URL('../../bin/ehbox-bridge', import.meta.url));
/** Long enough for tsx to load the CLI on a slow machine. */
const READY_TIMEOUT_MS = 20_000;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ehbox-sandbox-cli-'));
const children: ChildProcess[] = [];

beforeAll(async () => {
  // reuse the suite's key material (same seed and size) so that the first start is quick
  await (await startTestSandbox()).close();
  fs.cpSync(materialDir(), path.join(tmp, 'data'), { recursive: true });
});
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
});

function run(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [BIN, 'sandbox', ...args], { cwd: tmp, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready: ${out}\n${err}`)), READY_TIMEOUT_MS);
    child.stdout.on('data', () => {
      if (out.includes('Press Ctrl+C')) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}: ${err}`));
    });
  });
  return { child, ready, exited, stderr: () => err };
}

describe('ehbox-bridge sandbox', () => {
  it('prints its endpoints and identities, serves real calls, applies --fault, records, and stops on SIGTERM', async () => {
    const recordDir = path.join(tmp, 'recorded');
    const p = run(['--port', '0', '--seed', TEST_SEED, '--data-dir', 'data', '--fault', 'searchOrganizations={"businessCode":"AB_DOWN"}'], { SANDBOX_RECORD_DIR: recordDir });
    const out = await p.ready;
    const url = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(out);
    expect(url).not.toBeNull();
    expect(Number(url![2])).toBeGreaterThan(0);
    const base = url![1]!;
    expect(out).toContain(`ehboxPublication   ${base}/ehBoxPublication/v3`);
    expect(out).toContain(`sts                ${base}/IAM/Saml11TokenService/Legacy/v1`);
    expect(out).toContain(`CA chain: ${path.join(tmp, 'data', 'ca', 'chain.pem')}`);
    expect(out).toContain(`Recording traffic to: ${recordDir}`);

    const hospital = /hospital\s+(\S+)\s+\(NIHII-HOSPITAL (\d+), HOSPITAL\)\n\s+keystore (\S+)\s+password file (\S+)/.exec(out);
    expect(hospital).not.toBeNull();
    const ks = loadKeystore(fs.readFileSync(hospital![3]!), fs.readFileSync(hospital![4]!, 'utf8'));
    const sts = new StsClient({ url: endpointsAt(base).sts, timeoutMs: 10_000 });
    const ehbox = new EhboxClient(new EhealthSession(ks, 'hospital', sts, 10_000), endpointsAt(base));
    const info = await ehbox.getBoxInfo();
    expect(info.boxInfo!.boxId.id).toBe(hospital![2]);

    const faults = (await (await fetch(`${base}/_sandbox/faults`)).json()) as { rules: Record<string, { businessCode?: string }> };
    expect(faults.rules.searchOrganizations?.businessCode).toBe('AB_DOWN');
    expect(fs.readdirSync(recordDir).some((f) => f.endsWith('-getBoxInfo-response.xml'))).toBe(true);

    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(p.stderr()).toContain('SIGTERM received, stopping');
    await expect(fetch(`${base}/_sandbox/`)).rejects.toThrow();
  }, 40_000);

  it('refuses bad arguments with exit code 2 before starting anything', async () => {
    const write = process.stderr.write;
    let err = '';
    process.stderr.write = ((chunk: string) => {
      err += chunk;
      return true;
    }) as typeof process.stderr.write;
    try {
      for (const args of [['--fault', 'getBoxInfo'], ['--fault', 'getBoxInfo={"http503Rate":3}'], ['--fault', 'getBoxInfo={oops'], ['--size', 'huge'], ['--port', '70000']]) {
        err = '';
        expect(await main(['sandbox', '--data-dir', path.join(tmp, 'never-created'), ...args])).toBe(2);
        expect(err).toMatch(/ehbox-bridge: --(fault|size|port)/);
      }
    } finally {
      process.stderr.write = write;
    }
    expect(fs.existsSync(path.join(tmp, 'never-created'))).toBe(false);
  });
});
