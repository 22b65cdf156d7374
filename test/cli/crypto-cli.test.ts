import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.ts';
import { readPkcs12 } from '../../src/crypto/pkcs12.ts';
import { certificateToPem, readCertificates } from '../../src/crypto/certificates.ts';

const KIT = path.resolve(import.meta.dirname, '../../../shared/vectors/etee-testkit');
let dir: string;
let stderr = '';
const origWrite = process.stderr.write.bind(process.stderr);

async function run(args: string[]): Promise<number> {
  stderr = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    return await main(args);
  } finally {
    process.stderr.write = origWrite;
  }
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crypto-cli-'));
  const origOut = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    expect(await run(['pki', 'init', '--dir', dir, '--holders', '2', '--seed', 'cli-test', '--ca-key-bits', '2048', '--password', 'secret'])).toBe(0);
  } finally {
    process.stdout.write = origOut;
  }
}, 120_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('seal / unseal commands', () => {
  it('seals for a holder that unseals it, and refuses anyone else with the eHealth code', async () => {
    const [a, b] = fs.readdirSync(path.join(dir, 'holders')).sort().map((h) => path.join(dir, 'holders', h));
    fs.writeFileSync(path.join(dir, 'clear.txt'), 'discharge letter, fictitious patient');
    const sealed = path.join(dir, 'sealed.der');
    expect(await run(['seal', '--keystore', `${a}/keystore.p12`, '--password', 'secret', '--etk', `${b}/etk.der`, '--in', path.join(dir, 'clear.txt'), '--out', sealed])).toBe(0);
    expect(fs.readFileSync(sealed).includes('fictitious')).toBe(false);
    const out = path.join(dir, 'out.txt');
    const verdict = path.join(dir, 'verdict.json');
    expect(await run(['unseal', '--keystore', `${b}/keystore.p12`, '--password', 'secret', '--trust', path.join(dir, 'ca/chain.pem'), '--in', sealed, '--out', out, '--verdict', verdict])).toBe(0);
    expect(fs.readFileSync(out, 'utf8')).toBe('discharge letter, fictitious patient');
    expect(JSON.parse(fs.readFileSync(verdict, 'utf8')).ok).toBe(true);
    expect(await run(['unseal', '--keystore', `${a}/keystore.p12`, '--password', 'secret', '--trust', path.join(dir, 'ca/chain.pem'), '--in', sealed, '--out', out])).toBe(3);
    expect(stderr).toMatch(/DECRYPTION_PRIVATE_KEY_NOT_FOUND/);
    expect(await run(['unseal', '--keystore', `${b}/keystore.p12`, '--password', 'wrong', '--trust', path.join(dir, 'ca/chain.pem'), '--in', sealed, '--out', out])).not.toBe(0);
    expect(stderr).toMatch(/PKCS12_BAD_PASSWORD/);
  });

  it('unseals the eHealth test-kit message with Bob’s keystore at a time inside its validity', async () => {
    const chain = readPkcs12(fs.readFileSync(path.join(KIT, 'alice_alice_auth.p12')), 'test')[0]!.chainDer;
    const trust = path.join(dir, 'kit-trust.pem');
    fs.writeFileSync(trust, [...readCertificates(fs.readFileSync(path.join(KIT, 'imports_CA.cer'))), ...chain].map((d) => certificateToPem(d)).join(''));
    const out = path.join(dir, 'kit.txt');
    const args = ['unseal', '--keystore', path.join(KIT, 'bob_bob_enc.p12'), '--password', 'test', '--trust', trust, '--at', '2015-01-01T00:00:00Z', '--no-non-repudiation', '--out', out, '--in'];
    expect(await run([...args, path.join(KIT, 'msg_triple_wrapped_correct.msg')])).toBe(0);
    expect(fs.readFileSync(out, 'utf8')).toBe('this is a test message for a correctly triple wrapped message');
    expect(await run([...args, path.join(KIT, 'msg_triple_wrapped_invalid_signature.msg')])).toBe(3);
    expect(stderr).toMatch(/OUTER_SIGNATURE_DOES_NOT_MATCH_AUTHENTICATION_CERTIFICATE|OUTER_SIGNATURE_COULD_NOT_BE_VERIFIED/);
  });
});
