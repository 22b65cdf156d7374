import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { main } from '../../src/cli/index.ts';
import { ETK_INVALID_EXIT_CODE, registerEtkCommands } from '../../src/cli/etk-commands.ts';
import { CliError } from '../../src/cli/cli-error.ts';
import { isValidIdentifier } from '../../src/common/identifiers.ts';
import { certificateToPem, readCertificates } from '../../src/crypto/certificates.ts';
import { parseEtk, validateEtk } from '../../src/crypto/etk.ts';

const NOT_BEFORE = '2025-06-01T00:00:00Z';
const INSIDE = new Date('2026-06-01T00:00:00Z');
const ATTIME = String(INSIDE.getTime() / 1000);
const root = mkdtempSync(path.join(tmpdir(), 'ehbox-pki-cli-'));
const dirA = path.join(root, 'a');
const dirB = path.join(root, 'b');
let output = '';

/** Runs the CLI in-process, capturing stdout/stderr. */
async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
  try {
    return { code: await main(args), out, err };
  } finally {
    vi.restoreAllMocks();
  }
}

const initArgs = (dir: string) => ['pki', 'init', '--dir', dir, '--seed', 'cli-seed', '--ca-key-bits', '2048', '--not-before', NOT_BEFORE];

beforeAll(async () => {
  const a = await run(initArgs(dirA));
  expect(a.code, a.err).toBe(0);
  output = a.out;
  expect((await run(initArgs(dirB))).code).toBe(0);
});

afterEach(() => vi.restoreAllMocks());

describe('pki init', () => {
  it('writes the CA, the ETK-RA and four holders, and prints a summary', () => {
    for (const f of ['ca/root.pem', 'ca/issuing.pem', 'ca/chain.pem', 'etk-ra.pem', 'etk-ra.key']) expect(existsSync(path.join(dirA, f)), f).toBe(true);
    expect(readCertificates(readFileSync(path.join(dirA, 'ca/chain.pem')))).toHaveLength(2);
    expect(readFileSync(path.join(dirA, 'etk-ra.key'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const holders = readdirSync(path.join(dirA, 'holders')).sort();
    expect(holders).toEqual(['doctor-1', 'hospital-1', 'institution-1', 'nurse-1']);
    for (const h of holders) {
      for (const f of ['keystore.p12', 'password', 'etk.der', 'identity.json']) expect(existsSync(path.join(dirA, 'holders', h, f)), `${h}/${f}`).toBe(true);
    }
    expect(output).toContain('doctor-1');
    expect(output).toMatch(/NIHII-HOSPITAL=\d{8} HOSPITAL/);
  });

  it('writes identity.json with the ETK Depot type and a valid identifier', () => {
    const types = new Map<string, string>();
    for (const h of readdirSync(path.join(dirA, 'holders'))) {
      const identity = JSON.parse(readFileSync(path.join(dirA, 'holders', h, 'identity.json'), 'utf8')) as Record<string, string>;
      expect(Object.keys(identity).sort()).toEqual(['id', 'name', 'quality', 'type']);
      expect(isValidIdentifier(identity.type!, identity.id!)).toBe(true);
      types.set(h, `${identity.type}/${identity.quality}`);
    }
    expect(Object.fromEntries(types)).toEqual({
      'doctor-1': 'NIHII/DOCTOR',
      'nurse-1': 'SSIN/NURSE',
      'hospital-1': 'NIHII-HOSPITAL/HOSPITAL',
      'institution-1': 'CBE/INSTITUTION',
    });
  });

  it('issues auth certificates that openssl verifies against ca/chain.pem, ETKs that validate, keystores that open', () => {
    const chain = path.join(dirA, 'ca/chain.pem');
    const anchors = readCertificates(readFileSync(chain));
    for (const h of readdirSync(path.join(dirA, 'holders'))) {
      const dir = path.join(dirA, 'holders', h);
      const etk = parseEtk(readFileSync(path.join(dir, 'etk.der')));
      const authPem = path.join(root, `${h}-auth.pem`);
      writeFileSync(authPem, certificateToPem(etk.authentication.der));
      expect(execFileSync('openssl', ['verify', '-attime', ATTIME, '-CAfile', chain, authPem], { encoding: 'utf8' }).trim()).toBe(`${authPem}: OK`);
      const verdict = validateEtk(etk, { trustAnchorsDer: anchors, at: INSIDE });
      expect(verdict.reasons).toEqual([]);
      const identity = JSON.parse(readFileSync(path.join(dir, 'identity.json'), 'utf8')) as { type: string; id: string };
      expect(verdict.holder).toMatchObject({ type: identity.type, id: identity.id });
      const info = execFileSync('openssl', ['pkcs12', '-legacy', '-in', path.join(dir, 'keystore.p12'), '-passin', `file:${path.join(dir, 'password')}`, '-info', '-nokeys'], {
        encoding: 'utf8',
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      expect(info).toContain('friendlyName: authentication');
    }
  });

  it('is deterministic: the same seed gives identical certificates, keys, ETKs, passwords and keystores', () => {
    const files = ['ca/root.pem', 'ca/issuing.pem', 'ca/chain.pem', 'ca/root.key', 'ca/issuing.key', 'etk-ra.pem', 'etk-ra.key'];
    for (const h of readdirSync(path.join(dirA, 'holders'))) files.push(...['etk.der', 'identity.json', 'password', 'keystore.p12'].map((f) => `holders/${h}/${f}`));
    for (const f of files) expect(readFileSync(path.join(dirB, f)).equals(readFileSync(path.join(dirA, f))), f).toBe(true);
  });

  it('refuses to overwrite an existing PKI and rejects bad options', async () => {
    const again = await run(initArgs(dirA));
    expect(again.code).not.toBe(0);
    expect(again.err).toMatch(/already holds a test PKI/);
    expect((await run(['pki', 'init', '--dir', path.join(root, 'c'), '--holders', 'many'])).code).not.toBe(0);
    expect((await run(['pki', 'init', '--dir', path.join(root, 'c'), '--not-before', 'yesterday'])).code).not.toBe(0);
  });
});

describe('etk verify', () => {
  async function verifyCli(args: string[]): Promise<{ out: string; error: unknown }> {
    const program = new Command('ehbox-bridge').exitOverride();
    registerEtkCommands(program);
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
    try {
      await program.parseAsync(['etk', 'verify', ...args], { from: 'user' });
      return { out, error: undefined };
    } catch (error) {
      return { out, error };
    } finally {
      vi.restoreAllMocks();
    }
  }

  it('prints a valid verdict (text and JSON)', async () => {
    const etk = path.join(dirA, 'holders/nurse-1/etk.der');
    const text = await verifyCli([etk, '--trust', path.join(dirA, 'ca/chain.pem'), '--at', INSIDE.toISOString()]);
    expect(text.error).toBeUndefined();
    expect(text.out).toMatch(/VALID\n\s+holder\s+SSIN=\d{11}/);
    const json = await verifyCli([etk, '--trust', path.join(dirA, 'ca/root.pem'), '--at', INSIDE.toISOString(), '--json']);
    expect(JSON.parse(json.out)).toMatchObject({ ok: true, reasons: [], holder: { type: 'SSIN' }, revocation: 'NOT_CHECKED' });
  });

  it('fails with the first ETK_* code and a non-zero exit code', async () => {
    const etk = path.join(dirA, 'holders/nurse-1/etk.der');
    const expired = await verifyCli([etk, '--trust', path.join(dirA, 'ca/chain.pem'), '--at', '2030-01-01T00:00:00Z']);
    expect(expired.error).toBeInstanceOf(CliError);
    expect((expired.error as CliError).exitCode).toBe(ETK_INVALID_EXIT_CODE);
    expect((expired.error as CliError).message).toMatch(/^ETK_ENCRYPTION_CERT_EXPIRED: /);
    const kit = await verifyCli(['/work/shared/vectors/etee-testkit/etk_invalid_cert_chain.etk', '--trust', '/work/shared/vectors/etee-testkit/imports_CA.cer', '--at', '2015-01-01']);
    expect((kit.error as CliError).message).toMatch(/^ETK_CERTIFICATE_CHAIN_NOT_TRUSTED: /);
    const malformed = await verifyCli(['/work/shared/vectors/etee-testkit/etk_incorrectly_encoded.etk', '--trust', path.join(dirA, 'ca/chain.pem')]);
    expect(malformed.error).toMatchObject({ code: 'ETK_MALFORMED' });
    const missing = await verifyCli([path.join(root, 'nope.etk'), '--trust', path.join(dirA, 'ca/chain.pem')]);
    expect((missing.error as CliError).message).toMatch(/cannot read ETK/);
  });
});
