import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import {
  caDn,
  certificateBasicConstraints,
  certificateKeyUsage,
  certificateToPem,
  describeName,
  encodeName,
  holderDn,
  issueRootCa,
  namesEqual,
  parseCertificate,
  parseHolderIdentity,
  readCertificates,
  serialDecimal,
} from '../../src/crypto/certificates.ts';
import { createDrbg } from '../../src/crypto/drbg.ts';
import { generateRsaKeyPair } from '../../src/crypto/rsa-keygen.ts';
import { CryptoError } from '../../src/crypto/errors.ts';
import { createTestCa, issueHolder, type IssuedHolder, type TestCa } from '../../src/crypto/test-pki.ts';

const NOT_BEFORE = new Date('2025-03-01T00:00:00Z');
let ca: TestCa;
let nurse: IssuedHolder;
let work: string;

function openssl(args: string[], der?: Uint8Array): string {
  return execFileSync('openssl', args, { input: der, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}
const x509Text = (der: Uint8Array) => openssl(['x509', '-inform', 'DER', '-noout', '-text'], der);
const subjectLine = (der: Uint8Array) => openssl(['x509', '-inform', 'DER', '-noout', '-subject'], der).trim();
const issuerLine = (der: Uint8Array) => openssl(['x509', '-inform', 'DER', '-noout', '-issuer'], der).trim();
/** The lines following an extension header in `openssl x509 -text`. */
function extensionBlock(text: string, header: string): string {
  const m = new RegExp(`${header}:( critical)? *\\n((?:\\s{16,}.*\\n)+)`).exec(text);
  return m ? `${m[1] ? 'critical ' : ''}${m[2]!.trim().replace(/\s+/g, ' ')}` : '';
}

beforeAll(() => {
  ca = createTestCa({ seed: 'certificates-test', notBefore: NOT_BEFORE, keyBits: 2048 });
  nurse = issueHolder(ca, { name: 'nurse-1', type: 'SSIN', id: '85073003328', quality: 'NURSE', displayName: 'ANNA PEETERS' }, createDrbg('nurse'));
  work = mkdtempSync(path.join(tmpdir(), 'ehbox-certs-'));
});

describe('DN builders', () => {
  it('builds the person, organisation and application shapes of SEALING.md §5', () => {
    expect(describeName(holderDn({ type: 'SSIN', id: '85073003328', name: 'ANNA PEETERS' }))).toBe(
      'C=BE, O=Federal Government, OU=SSIN=85073003328, OU=ANNA PEETERS, OU=eHealth-platform Belgium, CN=SSIN=85073003328',
    );
    expect(describeName(holderDn({ type: 'NIHII', id: '71000436', name: 'LUC MAES' }))).toBe(
      'C=BE, O=Federal Government, OU=NIHII=71000436, OU=LUC MAES, OU=eHealth-platform Belgium, CN=NIHII=71000436',
    );
    expect(describeName(holderDn({ type: 'EHP', id: '1990000139', name: 'TEST PARTNER', application: 'GATEWAY' }))).toBe(
      'C=BE, O=Federal Government, OU=GATEWAY, OU=EHP=1990000139, OU=TEST PARTNER, OU=eHealth-platform Belgium, CN="EHP=1990000139, GATEWAY"',
    );
    expect(describeName(holderDn({ type: 'NIHII-HOSPITAL', id: '71000436', name: 'TEST HOSPITAL' }))).toBe(
      'C=BE, O=Federal Government, OU=NIHII-HOSPITAL=71000436, OU=TEST HOSPITAL, OU=eHealth-platform Belgium, CN=NIHII-HOSPITAL=71000436',
    );
    expect(() => holderDn({ type: 'ssin', id: '1', name: 'x' })).toThrow(CryptoError);
  });

  it('encodes one attribute per RDN in the given order, as openssl shows it', () => {
    expect(subjectLine(nurse.authentication.der)).toBe(
      'subject=C = BE, O = Federal Government, OU = SSIN=85073003328, OU = ANNA PEETERS, OU = eHealth-platform Belgium, CN = SSIN=85073003328',
    );
    expect(subjectLine(ca.etkRa.der)).toBe('subject=CN = ETK-RA, OU = eHealth-platform Belgium, O = Federal Government, C = BE');
  });

  it('compares names in order, ignoring case and spacing', () => {
    const a = encodeName([{ type: 'C', value: 'BE' }, { type: 'CN', value: 'Test  Name' }]);
    expect(namesEqual(a, encodeName([{ type: 'C', value: 'be' }, { type: 'CN', value: 'test name' }]))).toBe(true);
    expect(namesEqual(a, encodeName([{ type: 'CN', value: 'Test  Name' }, { type: 'C', value: 'BE' }]))).toBe(false);
  });

  it('reads the holder identity and application from the DN', () => {
    expect(parseHolderIdentity(nurse.authentication.certificate)).toEqual({ type: 'SSIN', id: '85073003328' });
    const app = issueRootCa({
      subject: holderDn({ type: 'CBE', id: '0809394427', name: 'TEST CARE', application: 'KGSS' }),
      ...generateRsaKeyPair(2048, createDrbg('app')),
      validity: { notBefore: NOT_BEFORE, notAfter: new Date('2026-01-01T00:00:00Z') },
      rng: createDrbg('app-serial'),
    });
    expect(parseHolderIdentity(app.certificate)).toEqual({ type: 'CBE', id: '0809394427', applicationId: 'KGSS' });
    expect(parseHolderIdentity(ca.root.certificate)).toBeUndefined();
  });
});

describe('certificate profiles', () => {
  it('root CA: self-signed, critical CA:TRUE and keyCertSign+cRLSign, SKI', () => {
    const text = x509Text(ca.root.der);
    expect(subjectLine(ca.root.der).replace('subject=', '')).toBe(issuerLine(ca.root.der).replace('issuer=', ''));
    expect(extensionBlock(text, 'X509v3 Basic Constraints')).toBe('critical CA:TRUE');
    expect(extensionBlock(text, 'X509v3 Key Usage')).toBe('critical Certificate Sign, CRL Sign');
    expect(text).toContain('X509v3 Subject Key Identifier');
    expect(text).toContain('Signature Algorithm: sha256WithRSAEncryption');
  });

  it('issuing CA: CA:TRUE pathlen 0 with AKI = root SKI', () => {
    const text = x509Text(ca.issuing.der);
    expect(extensionBlock(text, 'X509v3 Basic Constraints')).toBe('critical CA:TRUE, pathlen:0');
    expect(extensionBlock(text, 'X509v3 Authority Key Identifier')).toBe(extensionBlock(x509Text(ca.root.der), 'X509v3 Subject Key Identifier'));
    expect(certificateBasicConstraints(ca.issuing.certificate)).toEqual({ cA: true, pathLenConstraint: 0 });
  });

  it('authentication certificate: eHealth extensions, 3 years, RSA 2048, chains to the root', () => {
    const der = nurse.authentication.der;
    const text = x509Text(der);
    expect(extensionBlock(text, 'X509v3 Key Usage')).toBe('critical Digital Signature, Non Repudiation, Key Encipherment');
    expect(extensionBlock(text, 'X509v3 Extended Key Usage')).toBe('TLS Web Client Authentication, E-mail Protection');
    expect(extensionBlock(text, 'X509v3 Basic Constraints')).toBe('critical CA:FALSE');
    expect(extensionBlock(text, 'X509v3 Certificate Policies')).toMatch(/^Policy: 2\.999\./);
    expect(extensionBlock(text, 'X509v3 CRL Distribution Points')).toMatch(/URI:http:\/\/.*\.invalid\//);
    expect(extensionBlock(text, 'Authority Information Access')).toMatch(/^OCSP - URI:http:\/\/.*\.invalid\//);
    expect(text).toContain('X509v3 Authority Key Identifier');
    expect(text).toContain('Public-Key: (2048 bit)');
    expect(text).toContain('Not Before: Mar  1 00:00:00 2025 GMT');
    expect(text).toContain('Not After : Mar  1 00:00:00 2028 GMT');
    expect([...certificateKeyUsage(nurse.authentication.certificate)!]).toEqual(['digitalSignature', 'nonRepudiation', 'keyEncipherment']);
    const chain = path.join(work, 'chain.pem');
    const leaf = path.join(work, 'auth.pem');
    writeFileSync(chain, certificateToPem(ca.issuing.der) + certificateToPem(ca.root.der));
    writeFileSync(leaf, certificateToPem(der));
    expect(openssl(['verify', '-attime', String(Date.parse('2026-01-01') / 1000), '-CAfile', chain, leaf]).trim()).toBe(`${leaf}: OK`);
  });

  it('encryption certificate: self-issued, signed by the auth key, only KU keyEncipherment+dataEncipherment', () => {
    const der = nurse.encryption.der;
    const text = x509Text(der);
    expect(issuerLine(der).replace('issuer=', '')).toBe(subjectLine(nurse.authentication.der).replace('subject=', ''));
    expect(subjectLine(der)).toBe(subjectLine(nurse.authentication.der));
    expect(extensionBlock(text, 'X509v3 Key Usage')).toBe('critical Key Encipherment, Data Encipherment');
    expect(nurse.encryption.certificate.extensions).toHaveLength(1);
    const enc = new X509Certificate(der);
    expect(enc.verify(new X509Certificate(nurse.authentication.der).publicKey)).toBe(true);
    expect(enc.verify(enc.publicKey)).toBe(false);
    expect(enc.validFrom).toBe(new X509Certificate(nurse.authentication.der).validFrom);
    expect(enc.validTo).toBe(new X509Certificate(nurse.authentication.der).validTo);
    const serial = BigInt(serialDecimal(nurse.encryption.certificate));
    expect(serial > 0n && serial < 1n << 128n && serial >= 1n << 120n).toBe(true);
  });

  it('ETK-RA certificate: digitalSignature, issued by the issuing CA', () => {
    expect(extensionBlock(x509Text(ca.etkRa.der), 'X509v3 Key Usage')).toBe('critical Digital Signature');
    expect(new X509Certificate(ca.etkRa.der).verify(new X509Certificate(ca.issuing.der).publicKey)).toBe(true);
  });
});

describe('certificate input', () => {
  it('reads PEM bundles and DER, and rejects garbage with a typed error', () => {
    const pem = certificateToPem(ca.issuing.der) + certificateToPem(ca.root.der);
    const list = readCertificates(Buffer.from(pem));
    expect(list.map((d) => Buffer.from(d).toString('hex'))).toEqual([ca.issuing.der, ca.root.der].map((d) => Buffer.from(d).toString('hex')));
    expect(readCertificates(ca.root.der)).toHaveLength(1);
    expect(() => readCertificates(Buffer.from('hello'))).toThrow(CryptoError);
    expect(() => parseCertificate(new Uint8Array([0x30, 0x03, 0x02, 0x01]))).toThrow(expect.objectContaining({ code: 'MALFORMED_CERTIFICATE' }));
  });

  it('CA names follow the eHealth pattern', () => {
    expect(describeName(caDn('X'))).toBe('C=BE, O=Federal Government, OU=eHealth-platform Belgium, CN=X');
  });
});
