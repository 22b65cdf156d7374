import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as asn1js from 'asn1js';
import fc from 'fast-check';
import { certificateToPem, issueEncryptionCertificate, readCertificates } from '../../src/crypto/certificates.ts';
import { createDrbg } from '../../src/crypto/drbg.ts';
import { buildEtk, parseEtk, validateEtk, verifyEtkSignature, type BuildEtkInput } from '../../src/crypto/etk.ts';
import { generateRsaKeyPair } from '../../src/crypto/rsa-keygen.ts';
import { createTestCa, issueHolder, type IssuedHolder, type TestCa } from '../../src/crypto/test-pki.ts';

const KIT = '/work/shared/vectors/etee-testkit';
const NOT_BEFORE = new Date('2025-03-01T00:00:00Z');
const INSIDE = new Date('2026-06-01T00:00:00Z');
let ca: TestCa;
let doctor: IssuedHolder;
let hospital: IssuedHolder;
let anchors: Uint8Array[];
let work: string;

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const codes = (v: { reasons: { code: string }[] }) => v.reasons.map((r) => r.code);

function inputFor(h: IssuedHolder, override: Partial<BuildEtkInput> = {}): BuildEtkInput {
  return {
    encryptionCertDer: h.encryption.der,
    authCertDer: h.authentication.der,
    caChainDer: [ca.issuing.der, ca.root.der],
    ra: { certDer: ca.etkRa.der, privateKey: ca.etkRa.privateKey },
    ...override,
  };
}

beforeAll(() => {
  ca = createTestCa({ seed: 'etk-test', notBefore: NOT_BEFORE, keyBits: 2048 });
  doctor = issueHolder(ca, { name: 'doctor-1', type: 'NIHII', id: '71000436', quality: 'DOCTOR', displayName: 'LUC MAES' }, createDrbg('doctor'));
  hospital = issueHolder(
    ca,
    { name: 'hospital-1', type: 'NIHII-HOSPITAL', id: '71000436', quality: 'HOSPITAL', displayName: 'TEST HOSPITAL', application: 'HIS' },
    createDrbg('hospital'),
  );
  anchors = [ca.root.der];
  work = mkdtempSync(path.join(tmpdir(), 'ehbox-etk-'));
});

describe('ETK build and parse', () => {
  it('round-trips and splits the certificates like the Java library', () => {
    const etk = parseEtk(doctor.etk);
    expect(hex(etk.encryption.der)).toBe(hex(doctor.encryption.der));
    expect(hex(etk.authentication.der)).toBe(hex(doctor.authentication.der));
    expect(hex(etk.ra!.der)).toBe(hex(ca.etkRa.der));
    expect(etk.caChain.map((c) => hex(c.der))).toEqual([hex(ca.issuing.der), hex(ca.root.der)]);
    expect(verifyEtkSignature(etk)).toBe(true);
  });

  it('has the depot profile: SignedData v1, sha256, rsaEncryption, no signed attributes, DER', () => {
    const etk = parseEtk(doctor.etk);
    const si = etk.signerInfo!;
    expect(si.version).toBe(1);
    expect(si.signedAttrs).toBeUndefined();
    expect(si.unsignedAttrs).toBeUndefined();
    expect(si.digestAlgorithm.algorithmId).toBe('2.16.840.1.101.3.4.2.1');
    expect(si.signatureAlgorithm.algorithmId).toBe('1.2.840.113549.1.1.1');
    const top = asn1js.fromBER(doctor.etk).result as asn1js.Sequence;
    const signedData = (top.valueBlock.value[1] as asn1js.Constructed).valueBlock.value[0] as asn1js.Sequence;
    expect((signedData.valueBlock.value[0] as asn1js.Integer).valueBlock.valueDec).toBe(1);
    expect(top.lenBlock.isIndefiniteForm).toBe(false);
  });

  it('verifies with openssl cms, which extracts the encryption certificate', () => {
    const etkFile = path.join(work, 'doctor.etk');
    const chain = path.join(work, 'chain.pem');
    const out = path.join(work, 'enc.der');
    writeFileSync(etkFile, doctor.etk);
    writeFileSync(chain, certificateToPem(ca.issuing.der) + certificateToPem(ca.root.der));
    const attime = String(Math.floor(INSIDE.getTime() / 1000));
    execFileSync('openssl', ['cms', '-verify', '-inform', 'DER', '-in', etkFile, '-binary', '-CAfile', chain, '-purpose', 'any', '-attime', attime, '-out', out], { stdio: 'pipe' });
    expect(hex(readFileSync(out))).toBe(hex(doctor.encryption.der));
  });

  it('rejects malformed input with ETK_MALFORMED', () => {
    const noAuth = buildEtk(inputFor(doctor, { authCertDer: ca.issuing.der }));
    const dataContentInfo = new asn1js.Sequence({
      value: [new asn1js.ObjectIdentifier({ value: '1.2.840.113549.1.7.1' }), new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [new asn1js.OctetString()] })],
    }).toBER();
    const bad: [string, Uint8Array][] = [
      ['empty', new Uint8Array(0)],
      ['garbage', new Uint8Array(Buffer.from('not an etk at all'))],
      ['truncated', doctor.etk.subarray(0, doctor.etk.length - 10)],
      ['trailing bytes', Buffer.concat([doctor.etk, Buffer.from([0, 1, 2])])],
      ['id-data ContentInfo', new Uint8Array(dataContentInfo)],
      ['no authentication certificate', noAuth],
    ];
    for (const [what, der] of bad) {
      expect(() => parseEtk(der), what).toThrow(expect.objectContaining({ name: 'CryptoError', code: 'ETK_MALFORMED' }));
    }
  });
});

describe('ETK robustness', () => {
  it('corrupted ETKs either parse and validate or fail with ETK_MALFORMED, never anything else', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.option(fc.nat(), { nil: undefined }),
        (flips, cut) => {
          const bytes = Buffer.from(doctor.etk);
          for (const [pos, mask] of flips) bytes[pos % bytes.length]! ^= mask;
          const input = cut === undefined ? bytes : bytes.subarray(0, cut % bytes.length);
          let etk;
          try {
            etk = parseEtk(input);
          } catch (err) {
            expect(err).toMatchObject({ name: 'CryptoError', code: 'ETK_MALFORMED' });
            return;
          }
          expect(typeof validateEtk(etk, { trustAnchorsDer: anchors, at: INSIDE }).ok).toBe('boolean');
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('ETK validation', () => {
  it('accepts every ETK of the test PKI and reports the holder', () => {
    for (const h of [doctor, hospital]) {
      const v = validateEtk(parseEtk(h.etk), { trustAnchorsDer: anchors, at: INSIDE });
      expect(v.reasons).toEqual([]);
      expect(v.ok).toBe(true);
      expect(v.revocation).toBe('NOT_CHECKED');
      expect(v.validity).toEqual({ notBefore: NOT_BEFORE, notAfter: new Date('2028-03-01T00:00:00Z') });
    }
    expect(validateEtk(parseEtk(hospital.etk), { trustAnchorsDer: anchors, at: INSIDE }).holder).toMatchObject({
      type: 'NIHII-HOSPITAL',
      id: '71000436',
      applicationId: 'HIS',
    });
    // an issuing CA is an acceptable trust anchor as well
    expect(validateEtk(parseEtk(doctor.etk), { trustAnchorsDer: [ca.issuing.der], at: INSIDE }).ok).toBe(true);
  });

  it('reports certificates outside their validity', () => {
    const etk = parseEtk(doctor.etk);
    const later = issueHolder(ca, { ...doctor.spec, name: 'later' }, createDrbg('later'), {
      notBefore: new Date('2026-01-01T00:00:00Z'),
      deterministicKeys: false,
    });
    expect(codes(validateEtk(parseEtk(later.etk), { trustAnchorsDer: anchors, at: new Date('2025-06-01T00:00:00Z') }))).toEqual([
      'ETK_ENCRYPTION_CERT_NOT_YET_VALID',
      'ETK_AUTHENTICATION_CERT_NOT_YET_VALID',
    ]);
    // before the CAs themselves exist, the chain fails too
    expect(codes(validateEtk(etk, { trustAnchorsDer: anchors, at: new Date('2025-01-01T00:00:00Z') }))).toContain('ETK_CERTIFICATE_CHAIN_NOT_TRUSTED');
    expect(codes(validateEtk(etk, { trustAnchorsDer: anchors, at: new Date('2028-03-02T00:00:00Z') }))).toEqual([
      'ETK_ENCRYPTION_CERT_EXPIRED',
      'ETK_AUTHENTICATION_CERT_EXPIRED',
    ]);
  });

  it('reports an untrusted chain', () => {
    const other = createTestCa({ notBefore: NOT_BEFORE, keyBits: 2048 });
    const etk = parseEtk(doctor.etk);
    expect(codes(validateEtk(etk, { trustAnchorsDer: [other.root.der], at: INSIDE }))).toEqual(['ETK_CERTIFICATE_CHAIN_NOT_TRUSTED']);
    expect(codes(validateEtk(etk, { trustAnchorsDer: [], at: INSIDE }))).toEqual(['ETK_CERTIFICATE_CHAIN_NOT_TRUSTED']);
  });

  it('reports an encryption certificate not signed by the auth key, or of another holder', () => {
    const stranger = generateRsaKeyPair(2048);
    const forged = issueEncryptionCertificate({
      publicKey: stranger.publicKey,
      auth: { certificate: doctor.authentication.certificate, privateKey: stranger.privateKey },
      validity: { notBefore: NOT_BEFORE, notAfter: new Date('2028-03-01T00:00:00Z') },
      rng: createDrbg('forged'),
    });
    const forgedEtk = parseEtk(buildEtk(inputFor(doctor, { encryptionCertDer: forged.der })));
    expect(codes(validateEtk(forgedEtk, { trustAnchorsDer: anchors, at: INSIDE }))).toEqual(['ETK_ENCRYPTION_CERT_SIGNATURE_NOT_VALID']);
    const mixed = parseEtk(buildEtk(inputFor(doctor, { encryptionCertDer: hospital.encryption.der })));
    expect(codes(validateEtk(mixed, { trustAnchorsDer: anchors, at: INSIDE }))).toEqual([
      'ETK_ENCRYPTION_CERT_SIGNATURE_NOT_VALID',
      'ETK_CERTS_DO_NOT_MATCH',
    ]);
  });

  it('reports wrong key usages and a weak encryption key', () => {
    const swapped = parseEtk(buildEtk(inputFor(doctor, { encryptionCertDer: doctor.authentication.der, authCertDer: doctor.encryption.der })));
    const v = codes(validateEtk(swapped, { trustAnchorsDer: anchors, at: INSIDE }));
    expect(v).toContain('ETK_ENCRYPTION_CERT_HAS_INVALID_KEYUSAGE');
    expect(v).toContain('ETK_AUTHENTICATION_CERT_HAS_INVALID_KEYUSAGE');
    const weak = generateRsaKeyPair(1024);
    const weakEnc = issueEncryptionCertificate({
      publicKey: weak.publicKey,
      auth: { certificate: doctor.authentication.certificate, privateKey: doctor.authentication.privateKey },
      validity: { notBefore: NOT_BEFORE, notAfter: new Date('2028-03-01T00:00:00Z') },
      rng: createDrbg('weak'),
    });
    const weakEtk = parseEtk(buildEtk(inputFor(doctor, { encryptionCertDer: weakEnc.der })));
    expect(codes(validateEtk(weakEtk, { trustAnchorsDer: anchors, at: INSIDE }))).toEqual(['ETK_ENCRYPTION_CERT_HAS_INVALID_KEY']);
  });

  it('detects a tampered RA signature (not part of validateEtk, as in the Java library)', () => {
    const tampered = Buffer.from(doctor.etk);
    tampered[tampered.length - 5]! ^= 0x01;
    const etk = parseEtk(tampered);
    expect(verifyEtkSignature(etk)).toBe(false);
    expect(validateEtk(etk, { trustAnchorsDer: anchors, at: INSIDE }).ok).toBe(true);
  });
});

describe('eHealth test-kit ETKs', () => {
  const AT = new Date('2015-01-01T00:00:00Z');
  const kitAnchors = () => readCertificates(readFileSync(path.join(KIT, 'imports_CA.cer')));
  const cases: [file: string, firstReason: string][] = [
    ['etk_expired_auth.etk', 'ETK_AUTHENTICATION_CERT_EXPIRED'],
    ['etk_expired_encr.etk', 'ETK_ENCRYPTION_CERT_EXPIRED'],
    ['etk_not_yet_auth.etk', 'ETK_AUTHENTICATION_CERT_NOT_YET_VALID'],
    ['etk_auth_and_encr_not_same_DN.etk', 'ETK_CERTS_DO_NOT_MATCH'],
    ['etk_valid_but_scrambledDN.etk', 'ETK_CERTS_DO_NOT_MATCH'],
    ['etk_invalid_cert_chain.etk', 'ETK_CERTIFICATE_CHAIN_NOT_TRUSTED'],
  ];

  it.each(cases)('%s fails with %s (verified at 2015-01-01 against imports_CA.cer)', (file, reason) => {
    const etk = parseEtk(readFileSync(path.join(KIT, file)));
    expect(verifyEtkSignature(etk)).toBe(true);
    const v = validateEtk(etk, { trustAnchorsDer: kitAnchors(), at: AT });
    expect(v.ok).toBe(false);
    expect(v.reasons[0]?.code).toBe(reason);
    expect(v.reasons[0]?.message).toMatch(/\S/);
  });

  it('the invalid-chain ETK fails only on its chain; the DN ETKs only on the DN', () => {
    for (const [file, reason] of cases.filter(([f]) => /chain|DN/.test(f))) {
      expect(codes(validateEtk(parseEtk(readFileSync(path.join(KIT, file))), { trustAnchorsDer: kitAnchors(), at: AT }))).toEqual([reason]);
    }
  });

  it('etk_incorrectly_encoded.etk is malformed', () => {
    expect(() => parseEtk(readFileSync(path.join(KIT, 'etk_incorrectly_encoded.etk')))).toThrow(
      expect.objectContaining({ code: 'ETK_MALFORMED' }),
    );
  });

  it('etk_kgss.etk (BER, indefinite lengths, chunked eContent) parses like openssl splits it', () => {
    const file = path.join(KIT, 'etk_kgss.etk');
    const etk = parseEtk(readFileSync(file));
    const out = path.join(work, 'kgss-enc.der');
    execFileSync('openssl', ['cms', '-verify', '-inform', 'DER', '-in', file, '-binary', '-noverify', '-out', out], { stdio: 'pipe' });
    expect(hex(etk.encryption.der)).toBe(hex(readFileSync(out)));
    expect(etk.caChain).toHaveLength(2);
    expect(etk.ra).toBeDefined();
    const v = validateEtk(etk, { trustAnchorsDer: kitAnchors(), at: AT });
    expect(v.holder).toMatchObject({ type: 'CBE', id: '0809394427', applicationId: 'KGSS' });
  });
});
