import * as asn1js from 'asn1js';
import { execFileSync } from 'node:child_process';
import { createPublicKey, sign, verify, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CryptoError } from '../../src/crypto/errors.ts';
import { readPkcs12 } from '../../src/crypto/pkcs12.ts';
import type { Credential } from '../../src/crypto/types.ts';

const KIT = '/work/shared/vectors/etee-testkit';
const kit = (name: string): Uint8Array => readFileSync(join(KIT, `${name}.p12`));

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof CryptoError) return err.code;
    throw err;
  }
  return 'NO_ERROR';
}

function keyMatchesCertificate(c: Credential): boolean {
  const data = Buffer.from('fictitious payload');
  const signature = sign('sha256', data, c.privateKey);
  return verify('sha256', data, new X509Certificate(c.certificateDer).publicKey, signature);
}

const subjectCn = (der: Uint8Array): string => /CN=([^\n]*)/.exec(new X509Certificate(der).subject)?.[1] ?? '';

describe('readPkcs12 on the eHealth test kit keystores', () => {
  it.each([
    ['alice_alice_auth', 'Authentication', ['eH CA', 'eH Root CA']],
    ['bob_bob_auth', '{564D6B50-0D45-4575-9809-0305A46200DA}', ['eH CA', 'eH Root CA']],
  ])('%s holds the signing key with its chain', (file, alias, chain) => {
    const [entry, ...others] = readPkcs12(kit(file), 'test');
    expect(others).toHaveLength(0);
    expect(entry!.alias).toBe(alias);
    expect(keyMatchesCertificate(entry!)).toBe(true);
    expect(entry!.chainDer.map(subjectCn)).toEqual(chain);
  });

  it.each(['alice_alice_enc', 'bob_bob_enc'])('%s holds the encryption key aliased by its decimal serial', (file) => {
    const entries = readPkcs12(kit(file), 'test');
    expect(entries).toHaveLength(1);
    const entry = entries[0]!;
    expect(entry.alias).toBe(entry.certificate.serialNumber.toBigInt().toString(10));
    expect(entry.alias).toMatch(/^\d{30,}$/);
    expect(keyMatchesCertificate(entry)).toBe(true);
    expect(entry.privateKey.asymmetricKeyType).toBe('rsa');
  });

  it('rejects a wrong password with PKCS12_BAD_PASSWORD', () => {
    expect(codeOf(() => readPkcs12(kit('alice_alice_auth'), 'wrong'))).toBe('PKCS12_BAD_PASSWORD');
    expect(codeOf(() => readPkcs12(kit('bob_bob_enc'), ''))).toBe('PKCS12_BAD_PASSWORD');
  });

  it('rejects every truncation with MALFORMED_PKCS12', () => {
    const p12 = kit('alice_alice_auth');
    for (const cut of [0, 1, 2, 10, 100, p12.length >> 1, p12.length - 30, p12.length - 1]) {
      expect(codeOf(() => readPkcs12(p12.subarray(0, cut), 'test'))).toBe('MALFORMED_PKCS12');
    }
  });

  it('gives only typed errors for single-byte corruptions', () => {
    const p12 = kit('bob_bob_enc');
    const codes = new Set<string>();
    for (let i = 0; i < p12.length; i += 13) {
      const copy = Uint8Array.from(p12);
      copy[i] = copy[i]! ^ 0x41;
      codes.add(codeOf(() => readPkcs12(copy, 'test')));
    }
    expect([...codes].every((c) => ['MALFORMED_PKCS12', 'PKCS12_BAD_PASSWORD', 'PKCS12_UNSUPPORTED_ALGORITHM'].includes(c))).toBe(true);
    expect(codes.has('PKCS12_BAD_PASSWORD')).toBe(true); // the MAC catches corrupted content
  });

  it('rejects random bytes with MALFORMED_PKCS12', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => codeOf(() => readPkcs12(bytes, 'test')) === 'MALFORMED_PKCS12'),
      { numRuns: 300 },
    );
    const derLooking = Uint8Array.from([0x30, 0x82, 0x01, 0x00, 0x02, 0x01, 0x03, ...new Uint8Array(256).fill(0x30)]);
    expect(codeOf(() => readPkcs12(derLooking, 'test'))).toBe('MALFORMED_PKCS12');
  });

  it('rejects non-byte input and oversized input with typed errors', () => {
    expect(codeOf(() => readPkcs12('not bytes' as unknown as Uint8Array, 'test'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => readPkcs12(new Uint8Array(5 * 1024 * 1024), 'test'))).toBe('INPUT_TOO_LARGE');
  });
});

describe('readPkcs12 on keystores made by OpenSSL', () => {
  let dir: string;
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const file = (name: string): Uint8Array => readFileSync(join(dir, name));
  const exportP12 = (out: string, password: string, ...extra: string[]): Uint8Array => {
    openssl('pkcs12', '-export', '-inkey', 'leaf.key', '-in', 'leaf.pem', '-certfile', 'ca.pem', '-name', 'authentication', '-passout', `pass:${password}`, '-out', out, ...extra);
    return file(out);
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pkcs12-test-'));
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/C=BE/O=Fictitious Test/CN=Test Issuing CA', '-days', '30');
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/C=BE/O=Federal Government/CN=SSIN=00000000097');
    openssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', '4242', '-out', 'leaf.pem', '-days', '30');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function expectLeafEntry(entries: Credential[], alias = 'authentication'): void {
    expect(entries).toHaveLength(1);
    expect(entries[0]!.alias).toBe(alias);
    expect(entries[0]!.certificate.serialNumber.toBigInt()).toBe(4242n);
    expect(entries[0]!.chainDer.map(subjectCn)).toEqual(['Test Issuing CA']);
    expect(keyMatchesCertificate(entries[0]!)).toBe(true);
  }

  it('reads a legacy one (3DES keys, RC2-40 certificates, HMAC-SHA1)', () => {
    expectLeafEntry(readPkcs12(exportP12('legacy.p12', 'pw', '-legacy'), 'pw'));
  });

  it('reads a modern one (PBES2 PBKDF2-SHA256 AES-256, HMAC-SHA256 MAC)', () => {
    const p12 = exportP12('modern.p12', 'pw');
    expectLeafEntry(readPkcs12(p12, 'pw'));
    expect(codeOf(() => readPkcs12(p12, 'pw2'))).toBe('PKCS12_BAD_PASSWORD');
  });

  it('reads plain (unshrouded) key bags and unencrypted certificates', () => {
    expectLeafEntry(readPkcs12(exportP12('plain.p12', 'pw', '-keypbe', 'NONE', '-certpbe', 'NONE'), 'pw'));
  });

  it('reads an empty password and non-ASCII passwords', () => {
    expectLeafEntry(readPkcs12(exportP12('empty.p12', '', '-legacy'), ''));
    expectLeafEntry(readPkcs12(exportP12('utf8.p12', 'Ünïcødé-pässwörd', '-legacy'), 'Ünïcødé-pässwörd'));
  });

  it('detects a wrong password without a MAC through the decryption', () => {
    const p12 = exportP12('nomac.p12', 'pw', '-legacy', '-nomac');
    expectLeafEntry(readPkcs12(p12, 'pw'));
    expect(codeOf(() => readPkcs12(p12, 'not-the-password'))).toBe('PKCS12_BAD_PASSWORD');
  });

  it('pairs key and certificate by public key when localKeyId is missing', () => {
    const p12 = Buffer.from(exportP12('no-id.p12', 'pw', '-keypbe', 'NONE', '-certpbe', 'NONE', '-nomac'));
    // Turn every localKeyId attribute (1.2.840.113549.1.9.21) into an unknown one (…9.99).
    const localKeyIdOid = Buffer.from('06092a864886f70d010915', 'hex');
    let patched = 0;
    for (let at = p12.indexOf(localKeyIdOid); at >= 0; at = p12.indexOf(localKeyIdOid, at + 1)) {
      p12[at + localKeyIdOid.length - 1] = 99;
      patched++;
    }
    expect(patched).toBe(2);
    expectLeafEntry(readPkcs12(p12, 'pw'));
  });

  it('rejects an unknown PBE algorithm with PKCS12_UNSUPPORTED_ALGORITHM', () => {
    const p12 = Buffer.from(exportP12('patched.p12', 'pw', '-legacy', '-nomac'));
    const tripleDes = Buffer.from('060a2a864886f70d010c0103', 'hex');
    const at = p12.indexOf(tripleDes);
    expect(at).toBeGreaterThan(0);
    for (const last of [0x01, 0x09]) {
      // 1.2.840.113549.1.12.1.1 is RC4 (known but not supported), .9 does not exist.
      const copy = Buffer.from(p12);
      copy[at + tripleDes.length - 1] = last;
      expect(codeOf(() => readPkcs12(copy, 'pw'))).toBe('PKCS12_UNSUPPORTED_ALGORITHM');
    }
  });

  it('rejects an unknown MAC digest and an absurd iteration count quickly', () => {
    const p12 = exportP12('macs.p12', 'pw', '-legacy');
    const pfx = asn1js.fromBER(p12).result as asn1js.Sequence;
    const [version, authSafe, macData] = pfx.valueBlock.value as asn1js.Sequence[];
    const [digestInfo, salt] = macData!.valueBlock.value;
    const withMac = (mac: asn1js.Sequence): Uint8Array => new Uint8Array(new asn1js.Sequence({ value: [version!, authSafe!, mac] }).toBER());

    const md5 = new asn1js.Sequence({
      value: [new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: '1.2.840.113549.2.5' }), new asn1js.Null()] }), new asn1js.OctetString({ valueHex: new Uint8Array(16) })],
    });
    expect(codeOf(() => readPkcs12(withMac(new asn1js.Sequence({ value: [md5, salt!, new asn1js.Integer({ value: 2048 })] })), 'pw'))).toBe(
      'PKCS12_UNSUPPORTED_ALGORITHM',
    );
    const started = Date.now();
    const bomb = withMac(new asn1js.Sequence({ value: [digestInfo!, salt!, new asn1js.Integer({ value: 2 ** 31 - 1 })] }));
    expect(codeOf(() => readPkcs12(bomb, 'pw'))).toBe('PKCS12_UNSUPPORTED_ALGORITHM');
    expect(Date.now() - started).toBeLessThan(2000);
    // The re-encoding itself is faithful: the untouched MacData still verifies.
    expectLeafEntry(readPkcs12(withMac(macData!), 'pw'));
  });

  it('returns the public key of the certificate that matches the private key', () => {
    const [entry] = readPkcs12(exportP12('legacy2.p12', 'pw', '-legacy'), 'pw');
    const fromCert = new X509Certificate(entry!.certificateDer).publicKey.export({ type: 'spki', format: 'der' });
    expect(createPublicKey(entry!.privateKey).export({ type: 'spki', format: 'der' }).equals(fromCert)).toBe(true);
  });
});
