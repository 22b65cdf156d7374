import { execFileSync, spawnSync } from 'node:child_process';
import { createPrivateKey, sign, verify, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CryptoError } from '../../src/crypto/errors.ts';
import {
  findDecryptionKey,
  findDecryptionKeyBySerialAlias,
  loadKeystore,
  writeKeystore,
  type KeystoreEntryInput,
} from '../../src/crypto/keystore.ts';
import type { Credential } from '../../src/crypto/types.ts';

const KIT = '/work/shared/vectors/etee-testkit';
const HOLDER_DN = '/C=BE/O=Federal Government/OU=SSIN=00000000097/OU=Test Person/OU=eHealth-platform Belgium/CN=SSIN=00000000097';
/** Serial of the encryption certificate, as eHealth uses it for the alias. */
const ENC_SERIAL = 123456789012345678901234567890123456n;
const ENC_ALIAS = ENC_SERIAL.toString(10);

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
  return verify('sha256', data, new X509Certificate(c.certificateDer).publicKey, sign('sha256', data, c.privateKey));
}

const issuerDer = (der: Uint8Array): Uint8Array => new Uint8Array(pkijs.Certificate.fromBER(der).issuer.valueBeforeDecode);
const subjectDer = (der: Uint8Array): Uint8Array => new Uint8Array(pkijs.Certificate.fromBER(der).subject.valueBeforeDecode);
const serialBytes = (n: bigint): Uint8Array => Buffer.from(n.toString(16).padStart(2 * Math.ceil(n.toString(16).length / 2), '0'), 'hex');

let dir: string;
const pki = {} as Record<'ca' | 'otherCa' | 'auth' | 'enc' | 'encOther', Uint8Array> & Record<'caKey' | 'authKey' | 'encKey', KeyObject>;
let entries: KeystoreEntryInput[];

function openssl(...args: string[]): string {
  return execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}
const certDer = (name: string): Uint8Array => new Uint8Array(new X509Certificate(readFileSync(join(dir, name))).raw);
const keyOf = (name: string): KeyObject => createPrivateKey(readFileSync(join(dir, name)));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'keystore-test-'));
  writeFileSync(join(dir, 'leaf.ext'), 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation,keyEncipherment\n');
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/C=BE/O=Fictitious Test/CN=Test eHealth issuing CA', '-days', '30');
  openssl('req', '-x509', '-key', 'ca.key', '-out', 'other-ca.pem', '-subj', '/C=BE/O=Fictitious Test/CN=Another CA', '-days', '30');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'auth.key', '-out', 'auth.csr', '-subj', HOLDER_DN);
  openssl('x509', '-req', '-in', 'auth.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', '0x0a0b0c', '-extfile', 'leaf.ext', '-out', 'auth.pem', '-days', '30');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'enc.key', '-out', 'enc.csr', '-subj', HOLDER_DN);
  // The encryption certificate is issued by the holder's own authentication key (SEALING.md §5).
  openssl('x509', '-req', '-in', 'enc.csr', '-CA', 'auth.pem', '-CAkey', 'auth.key', '-set_serial', ENC_SERIAL.toString(), '-out', 'enc.pem', '-days', '30');
  // Same serial, another issuer: must never be confused with the real one.
  openssl('x509', '-req', '-in', 'enc.csr', '-CA', 'other-ca.pem', '-CAkey', 'ca.key', '-set_serial', ENC_SERIAL.toString(), '-out', 'enc-other.pem', '-days', '30');
  Object.assign(pki, {
    ca: certDer('ca.pem'),
    otherCa: certDer('other-ca.pem'),
    auth: certDer('auth.pem'),
    enc: certDer('enc.pem'),
    encOther: certDer('enc-other.pem'),
    caKey: keyOf('ca.key'),
    authKey: keyOf('auth.key'),
    encKey: keyOf('enc.key'),
  });
  entries = [
    { alias: 'authentication', privateKey: pki.authKey, chainDer: [pki.auth, pki.ca] },
    { alias: ENC_ALIAS, privateKey: pki.encKey, chainDer: [pki.enc, pki.auth, pki.ca] },
  ];
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writeKeystore → loadKeystore', () => {
  it('round-trips two entries with a shared chain', () => {
    const keystore = loadKeystore(writeKeystore(entries, 'secret'), 'secret');
    expect(keystore.entries.map((e) => e.alias)).toEqual(['authentication', ENC_ALIAS]);
    expect(keystore.authentication.alias).toBe('authentication');
    expect(Buffer.from(keystore.authentication.certificateDer).equals(pki.auth)).toBe(true);
    expect(keystore.authentication.chainDer.map((d) => Buffer.from(d).toString('hex'))).toEqual([Buffer.from(pki.ca).toString('hex')]);
    const enc = keystore.entries[1]!;
    expect(enc.chainDer.map((d) => Buffer.from(d).toString('hex'))).toEqual([pki.auth, pki.ca].map((d) => Buffer.from(d).toString('hex')));
    for (const entry of keystore.entries) expect(keyMatchesCertificate(entry)).toBe(true);
    expect(enc.privateKey.export({ type: 'pkcs8', format: 'der' }).equals(pki.encKey.export({ type: 'pkcs8', format: 'der' }))).toBe(true);
  });

  it('round-trips the empty password and a non-ASCII one', () => {
    for (const password of ['', 'mot-de-passe-été-ß']) {
      expect(loadKeystore(writeKeystore(entries.slice(0, 1), password), password).authentication.alias).toBe('authentication');
    }
  });

  it('rejects a wrong password with PKCS12_BAD_PASSWORD', () => {
    expect(codeOf(() => loadKeystore(writeKeystore(entries, 'secret'), 'Secret'))).toBe('PKCS12_BAD_PASSWORD');
  });

  it('salts every keystore afresh', () => {
    expect(Buffer.from(writeKeystore(entries, 'secret')).equals(writeKeystore(entries, 'secret'))).toBe(false);
  });

  it('refuses inconsistent entries with INVALID_ARGUMENT', () => {
    const [auth, enc] = entries as [KeystoreEntryInput, KeystoreEntryInput];
    expect(codeOf(() => writeKeystore([], 'pw'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => writeKeystore([{ ...auth, privateKey: pki.encKey }], 'pw'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => writeKeystore([auth, { ...enc, alias: 'Authentication' }], 'pw'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => writeKeystore([{ ...auth, chainDer: [] }], 'pw'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => writeKeystore([auth, { ...auth, alias: 'copy' }], 'pw'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => writeKeystore([{ ...auth, chainDer: [new Uint8Array([0x30, 0x00])] }], 'pw'))).toBe('MALFORMED_CERTIFICATE');
    expect(codeOf(() => writeKeystore([auth], 'pw', { macIterations: 0 }))).toBe('INVALID_ARGUMENT');
  });
});

describe('OpenSSL reads what writeKeystore writes', () => {
  function opensslInfo(p12: Uint8Array, password: string): string {
    writeFileSync(join(dir, 'ours.p12'), p12);
    const run = spawnSync('openssl', ['pkcs12', '-legacy', '-info', '-in', 'ours.p12', '-passin', `pass:${password}`, '-nodes'], { cwd: dir });
    expect(run.status, run.stderr.toString()).toBe(0);
    return `${run.stdout.toString()}${run.stderr.toString()}`;
  }

  it('lists both keys, all certificates once and the aliases, in the legacy shape', () => {
    const out = opensslInfo(writeKeystore(entries, 'secret'), 'secret');
    expect(out).toContain('friendlyName: authentication');
    expect(out).toContain(`friendlyName: ${ENC_ALIAS}`);
    expect(out).toContain('MAC: sha1, Iteration 2048');
    expect(out).toMatch(/PKCS7 Encrypted data: pbeWithSHA1And40BitRC2-CBC, Iteration 2048/);
    expect(out).toMatch(/Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048/);
    expect(out.match(/-----BEGIN CERTIFICATE-----/g)).toHaveLength(3);
    const keys = [...out.matchAll(/-----BEGIN PRIVATE KEY-----[\s\S]*?-----END PRIVATE KEY-----/g)].map((m) => createPrivateKey(m[0]));
    expect(keys).toHaveLength(2);
    const der = (k: KeyObject): string => k.export({ type: 'pkcs8', format: 'der' }).toString('hex');
    expect(keys.map(der).sort()).toEqual([der(pki.authKey), der(pki.encKey)].sort());
  });

  it('uses the iteration counts it is given (real eHealth counts)', () => {
    const p12 = writeKeystore(entries.slice(0, 1), 'secret', { keyIterations: 50_000, certIterations: 50_000, macIterations: 100_000 });
    const out = opensslInfo(p12, 'secret');
    expect(out).toContain('MAC: sha1, Iteration 100000');
    expect(out).toContain('Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 50000');
    expect(loadKeystore(p12, 'secret').entries).toHaveLength(1);
  });

  it('reads the empty password too', () => {
    expect(opensslInfo(writeKeystore(entries.slice(0, 1), ''), '')).toContain('friendlyName: authentication');
  });
});

describe('loadKeystore alias rules', () => {
  it('throws KEYSTORE_NO_AUTHENTICATION_ENTRY listing the aliases found', () => {
    const p12 = writeKeystore([{ alias: 'signing', privateKey: pki.authKey, chainDer: [pki.auth, pki.ca] }, entries[1]!], 'pw');
    let error: unknown;
    try {
      loadKeystore(p12, 'pw');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CryptoError);
    expect((error as CryptoError).code).toBe('KEYSTORE_NO_AUTHENTICATION_ENTRY');
    expect((error as CryptoError).message).toContain('"signing"');
    expect((error as CryptoError).message).toContain(`"${ENC_ALIAS}"`);
    expect(loadKeystore(p12, 'pw', { authenticationAlias: 'signing' }).authentication.alias).toBe('signing');
  });

  it('loads the test kit: Alice by her "Authentication" alias, Bob by an explicit alias', () => {
    const alice = loadKeystore(readFileSync(join(KIT, 'alice_alice_auth.p12')), 'test');
    expect(alice.authentication.alias).toBe('Authentication');
    expect(keyMatchesCertificate(alice.authentication)).toBe(true);
    const bobP12 = readFileSync(join(KIT, 'bob_bob_auth.p12'));
    expect(codeOf(() => loadKeystore(bobP12, 'test'))).toBe('KEYSTORE_NO_AUTHENTICATION_ENTRY');
    const bob = loadKeystore(bobP12, 'test', { authenticationAlias: '{564D6B50-0D45-4575-9809-0305A46200DA}' });
    expect(new X509Certificate(bob.authentication.certificateDer).subject).toContain('NIHII=00000000202');
    expect(codeOf(() => loadKeystore(readFileSync(join(KIT, 'alice_alice_enc.p12')), 'test'))).toBe('KEYSTORE_NO_AUTHENTICATION_ENTRY');
  });
});

describe('findDecryptionKey', () => {
  let keystore: Credential[];
  beforeAll(() => {
    // The aliases say nothing useful: lookup must go by the certificates.
    keystore = loadKeystore(
      writeKeystore(
        [
          { alias: 'authentication', privateKey: pki.authKey, chainDer: [pki.auth, pki.ca] },
          { alias: 'renewed-key', privateKey: pki.encKey, chainDer: [pki.enc, pki.auth, pki.ca] },
          { alias: 'look-alike', privateKey: pki.encKey, chainDer: [pki.encOther, pki.otherCa] },
        ],
        'pw',
      ),
      'pw',
    ).entries;
  });

  it('finds the entry by issuer and serial, whatever its alias', () => {
    expect(findDecryptionKey(keystore, issuerDer(pki.enc), serialBytes(ENC_SERIAL))?.alias).toBe('renewed-key');
    expect(findDecryptionKey(keystore, issuerDer(pki.encOther), serialBytes(ENC_SERIAL))?.alias).toBe('look-alike');
    expect(findDecryptionKey(keystore, subjectDer(pki.ca), Uint8Array.of(0x0a, 0x0b, 0x0c))?.alias).toBe('authentication');
  });

  it('ignores leading zero bytes of the serial', () => {
    const padded = Uint8Array.from([0, 0, ...serialBytes(ENC_SERIAL)]);
    expect(findDecryptionKey(keystore, issuerDer(pki.enc), padded)?.alias).toBe('renewed-key');
  });

  it('ignores a different issuer and an unknown serial', () => {
    expect(findDecryptionKey(keystore, subjectDer(pki.ca), serialBytes(ENC_SERIAL))).toBeUndefined();
    expect(findDecryptionKey(keystore, issuerDer(pki.enc), serialBytes(ENC_SERIAL + 1n))).toBeUndefined();
    expect(findDecryptionKey(keystore, Uint8Array.of(0x01, 0x02), serialBytes(ENC_SERIAL))).toBeUndefined();
  });

  it('finds the test-kit encryption key from its certificate', () => {
    const bob = loadKeystore(readFileSync(join(KIT, 'bob_bob_enc.p12')), 'test', { authenticationAlias: '232784750872845143225881750226911779648' });
    const cert = bob.entries[0]!.certificateDer;
    const serial = new Uint8Array(pkijs.Certificate.fromBER(cert).serialNumber.valueBlock.valueHexView);
    expect(findDecryptionKey(bob, issuerDer(cert), serial)).toBe(bob.entries[0]);
    expect(findDecryptionKeyBySerialAlias(bob, serial)).toBe(bob.entries[0]);
  });

  it('finds by decimal-serial alias the way the eHealth connector does', () => {
    const named = loadKeystore(writeKeystore(entries, 'pw'), 'pw');
    expect(findDecryptionKeyBySerialAlias(named, serialBytes(ENC_SERIAL))?.alias).toBe(ENC_ALIAS);
    expect(findDecryptionKeyBySerialAlias(named, Uint8Array.from([0, ...serialBytes(ENC_SERIAL)]))?.alias).toBe(ENC_ALIAS);
    expect(findDecryptionKeyBySerialAlias(named, Uint8Array.of(1))).toBeUndefined();
  });
});
