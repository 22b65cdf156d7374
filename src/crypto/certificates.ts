/**
 * X.509 certificates of the test PKI, in the eHealth profile (SEALING.md §5):
 * root and issuing CA, holder authentication certificate, the self-issued
 * encryption certificate of an ETK, and the ETK-RA certificate. Signing is
 * sha256WithRSAEncryption (PKCS#1 v1.5, deterministic), so with a seeded
 * RandomSource and fixed dates the output is byte-for-byte reproducible.
 * Also reads back the extensions the ETK checks need.
 */
import { createHash, createPublicKey, sign, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { RandomSource } from './drbg.ts';
import { CryptoError } from './errors.ts';
import { encodeName, etkRaDn, type DistinguishedName } from './certificate-names.ts';

export * from './certificate-names.ts';

/** A certificate as DER plus its pkijs parse. */
export interface IssuedCertificate {
  der: Uint8Array;
  certificate: pkijs.Certificate;
}

/** A CA (or the holder's auth key for its encryption certificate) that can sign certificates. */
export interface CertificateIssuer {
  certificate: pkijs.Certificate;
  privateKey: KeyObject;
}

/** Validity window of a certificate. */
export interface Validity {
  notBefore: Date;
  notAfter: Date;
}

/** Where relying parties find revocation data; the test PKI points at the sandbox. */
export interface RevocationUrls {
  crl: string;
  ocsp: string;
}

/** Placeholder sandbox endpoints written into holder certificates (nothing answers there yet). */
export const DEFAULT_REVOCATION_URLS: RevocationUrls = Object.freeze({
  crl: 'http://pki.sandbox.ehbox-bridge.invalid/crl/issuing-ca.crl',
  ocsp: 'http://pki.sandbox.ehbox-bridge.invalid/ocsp',
});

/** Certificate policy of test holder certificates: an OID under the 2.999 example arc (ITU-T X.660). */
export const TEST_CERTIFICATE_POLICY_OID = '2.999.1.1';

/** Object identifiers used by the certificate profiles. */
export const OID = {
  sha256WithRsa: '1.2.840.113549.1.1.11',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectKeyId: '2.5.29.14',
  authorityKeyId: '2.5.29.35',
  certificatePolicies: '2.5.29.32',
  crlDistributionPoints: '2.5.29.31',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  ocsp: '1.3.6.1.5.5.7.48.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  emailProtection: '1.3.6.1.5.5.7.3.4',
} as const;

/** Key usage bits in RFC 5280 order. */
export const KEY_USAGE_BITS = [
  'digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment',
  'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly',
] as const;
/** One key usage. */
export type KeyUsage = (typeof KEY_USAGE_BITS)[number];

/** Serial numbers are 16 random bytes (128 bits, top bit clear so the INTEGER stays positive). */
const SERIAL_BYTES = 16;
/** RFC 5280: dates up to 2049 are UTCTime, later ones GeneralizedTime. */
const UTC_TIME_LAST_YEAR = 2049;

/** A fresh positive serial number from `rng` (minimal DER: second-highest bit set). */
export function randomSerial(rng: RandomSource): Uint8Array {
  const bytes = rng.bytes(SERIAL_BYTES);
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return bytes;
}

/** Parses DER into a pkijs Certificate, or throws MALFORMED_CERTIFICATE. */
export function parseCertificate(der: Uint8Array): pkijs.Certificate {
  try {
    return pkijs.Certificate.fromBER(der);
  } catch (err) {
    throw new CryptoError('MALFORMED_CERTIFICATE', `certificate does not parse: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** Parsed certificates kept by `sharedCertificate` (the CA, RA and STS certificates recur in every token). */
const MAX_SHARED_CERTIFICATES = 1024;
const sharedCertificates = new Map<string, pkijs.Certificate>();

/**
 * `parseCertificate` through a bounded process-wide memo keyed by the DER
 * bytes: for read-only callers (token and path checks), never mutate the
 * answer. pkijs parsing costs milliseconds a certificate, and every ETK
 * carries the same CA and RA certificates.
 */
export function sharedCertificate(der: Uint8Array): pkijs.Certificate {
  const key = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('latin1');
  const hit = sharedCertificates.get(key);
  if (hit) return hit;
  const cert = parseCertificate(der);
  if (sharedCertificates.size >= MAX_SHARED_CERTIFICATES) sharedCertificates.delete(sharedCertificates.keys().next().value!);
  sharedCertificates.set(key, cert);
  return cert;
}

/** DER of a pkijs Certificate. */
export function certificateDer(cert: pkijs.Certificate): Uint8Array {
  return new Uint8Array(cert.toSchema().toBER());
}

/** PEM text of one DER certificate. */
export function certificateToPem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

/** Every certificate of a PEM bundle, or the input itself when it is a single DER certificate. */
export function readCertificates(data: Uint8Array | string): Uint8Array[] {
  const text = typeof data === 'string' ? data : Buffer.from(data).toString('latin1');
  const blocks = [...text.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)];
  if (blocks.length > 0) return blocks.map((m) => new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')));
  if (typeof data !== 'string' && data.length > 0 && data[0] === 0x30) return [data];
  throw new CryptoError('MALFORMED_CERTIFICATE', 'no certificate found (expected PEM or DER)');
}

function extension(extnID: string, critical: boolean, value: asn1js.BaseBlock): pkijs.Extension {
  return new pkijs.Extension({ extnID, critical, extnValue: value.toBER(false) });
}

function keyUsageExtension(usages: KeyUsage[]): pkijs.Extension {
  let bits = 0;
  let highest = 0;
  for (const u of usages) {
    const i = KEY_USAGE_BITS.indexOf(u);
    bits |= 1 << (15 - i);
    highest = Math.max(highest, i);
  }
  const byteCount = highest >= 8 ? 2 : 1;
  const bytes = byteCount === 2 ? [bits >> 8, bits & 0xff] : [bits >> 8];
  const last = bytes[bytes.length - 1]!;
  let unusedBits = 0;
  while (unusedBits < 7 && ((last >> unusedBits) & 1) === 0) unusedBits++;
  return extension(OID.keyUsage, true, new asn1js.BitString({ valueHex: new Uint8Array(bytes), unusedBits }));
}

function spkiOf(publicKey: KeyObject): pkijs.PublicKeyInfo {
  const der = (publicKey.type === 'public' ? publicKey : createPublicKey(publicKey)).export({ type: 'spki', format: 'der' });
  return pkijs.PublicKeyInfo.fromBER(der);
}

/** RFC 5280 method 1 key identifier: SHA-1 of the subjectPublicKey bits. */
export function keyIdentifier(spki: pkijs.PublicKeyInfo): Uint8Array {
  return createHash('sha1').update(spki.subjectPublicKey.valueBlock.valueHexView).digest();
}

function toTime(date: Date): pkijs.Time {
  const value = new Date(Math.floor(date.getTime() / 1000) * 1000);
  return new pkijs.Time({ type: value.getUTCFullYear() <= UTC_TIME_LAST_YEAR ? 0 : 1, value });
}

interface CertificateTemplate {
  subject: DistinguishedName | pkijs.RelativeDistinguishedNames;
  publicKey: KeyObject;
  /** Issuer certificate; absent for self-signed (and then `issuerName` defaults to the subject). */
  issuer?: pkijs.Certificate;
  issuerName?: pkijs.RelativeDistinguishedNames;
  signingKey: KeyObject;
  validity: Validity;
  rng: RandomSource;
  extensions: pkijs.Extension[];
  /** Adds SKI (and AKI when there is an issuer certificate); default true. */
  keyIdentifiers?: boolean;
}

/** Builds and signs one certificate (v3, sha256WithRSAEncryption). */
function buildCertificate(t: CertificateTemplate): IssuedCertificate {
  const subject = t.subject instanceof pkijs.RelativeDistinguishedNames ? t.subject : encodeName(t.subject);
  const spki = spkiOf(t.publicKey);
  const extensions = [...t.extensions];
  if (t.keyIdentifiers ?? true) {
    extensions.push(extension(OID.subjectKeyId, false, new asn1js.OctetString({ valueHex: keyIdentifier(spki) })));
    if (t.issuer) {
      const aki = new pkijs.AuthorityKeyIdentifier({
        keyIdentifier: new asn1js.OctetString({ valueHex: keyIdentifier(t.issuer.subjectPublicKeyInfo) }),
      });
      extensions.push(extension(OID.authorityKeyId, false, aki.toSchema()));
    }
  }
  const algorithm = () => new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256WithRsa, algorithmParams: new asn1js.Null() });
  const cert = new pkijs.Certificate({
    version: 2,
    serialNumber: new asn1js.Integer({ valueHex: randomSerial(t.rng) }),
    signature: algorithm(),
    issuer: t.issuerName ?? t.issuer?.subject ?? subject,
    notBefore: toTime(t.validity.notBefore),
    notAfter: toTime(t.validity.notAfter),
    subject,
    subjectPublicKeyInfo: spki,
    extensions,
    signatureAlgorithm: algorithm(),
  });
  cert.tbsView = new Uint8Array(cert.encodeTBS().toBER());
  const signature = sign('sha256', cert.tbsView, t.signingKey);
  cert.signatureValue = new asn1js.BitString({ valueHex: signature });
  const der = certificateDer(cert);
  return { der, certificate: parseCertificate(der) };
}

/** Parameters common to every issuing function. */
export interface IssueParams {
  publicKey: KeyObject;
  validity: Validity;
  rng: RandomSource;
}

/** Self-signed root CA: CA:TRUE (critical), KU keyCertSign+cRLSign (critical), SKI. */
export function issueRootCa(p: IssueParams & { subject: DistinguishedName; privateKey: KeyObject }): IssuedCertificate {
  return buildCertificate({
    ...p,
    signingKey: p.privateKey,
    extensions: [
      extension(OID.basicConstraints, true, new pkijs.BasicConstraints({ cA: true }).toSchema()),
      keyUsageExtension(['keyCertSign', 'cRLSign']),
    ],
  });
}

/** Issuing CA under `issuer`: CA:TRUE pathlen 0 (critical), KU keyCertSign+cRLSign (critical), SKI, AKI. */
export function issueIssuingCa(p: IssueParams & { subject: DistinguishedName; issuer: CertificateIssuer }): IssuedCertificate {
  return buildCertificate({
    ...p,
    issuer: p.issuer.certificate,
    signingKey: p.issuer.privateKey,
    extensions: [
      extension(OID.basicConstraints, true, new pkijs.BasicConstraints({ cA: true, pathLenConstraint: 0 }).toSchema()),
      keyUsageExtension(['keyCertSign', 'cRLSign']),
    ],
  });
}

/**
 * Holder authentication certificate in the eHealth profile: KU (critical)
 * digitalSignature+nonRepudiation+keyEncipherment, EKU clientAuth+emailProtection,
 * CA:FALSE (critical), AKI, SKI, certificate policies, CRL DP and AIA OCSP.
 */
export function issueAuthCertificate(
  p: IssueParams & { subject: DistinguishedName; issuer: CertificateIssuer; urls?: RevocationUrls; policyOid?: string },
): IssuedCertificate {
  const urls = p.urls ?? DEFAULT_REVOCATION_URLS;
  const uri = (value: string) => new pkijs.GeneralName({ type: 6, value });
  return buildCertificate({
    ...p,
    issuer: p.issuer.certificate,
    signingKey: p.issuer.privateKey,
    extensions: [
      extension(OID.basicConstraints, true, new pkijs.BasicConstraints({ cA: false }).toSchema()),
      keyUsageExtension(['digitalSignature', 'nonRepudiation', 'keyEncipherment']),
      extension(OID.extKeyUsage, false, new pkijs.ExtKeyUsage({ keyPurposes: [OID.clientAuth, OID.emailProtection] }).toSchema()),
      extension(OID.certificatePolicies, false, new pkijs.CertificatePolicies({
        certificatePolicies: [new pkijs.PolicyInformation({ policyIdentifier: p.policyOid ?? TEST_CERTIFICATE_POLICY_OID })],
      }).toSchema()),
      extension(OID.crlDistributionPoints, false, new pkijs.CRLDistributionPoints({
        distributionPoints: [new pkijs.DistributionPoint({ distributionPoint: [uri(urls.crl)] })],
      }).toSchema()),
      extension(OID.authorityInfoAccess, false, new pkijs.InfoAccess({
        accessDescriptions: [new pkijs.AccessDescription({ accessMethod: OID.ocsp, accessLocation: uri(urls.ocsp) })],
      }).toSchema()),
    ],
  });
}

/**
 * The ETK encryption certificate: self-issued (issuer = subject = the holder's
 * auth DN), signed with the holder's authentication key, KU (critical)
 * keyEncipherment+dataEncipherment and nothing else (SEALING.md §2.2).
 */
export function issueEncryptionCertificate(p: IssueParams & { auth: CertificateIssuer }): IssuedCertificate {
  return buildCertificate({
    ...p,
    subject: p.auth.certificate.subject,
    issuerName: p.auth.certificate.subject,
    signingKey: p.auth.privateKey,
    keyIdentifiers: false,
    extensions: [keyUsageExtension(['keyEncipherment', 'dataEncipherment'])],
  });
}

/** The ETK-RA certificate that signs ETKs: `CN=ETK-RA, …`, KU digitalSignature (critical). */
export function issueEtkRaCertificate(p: IssueParams & { issuer: CertificateIssuer }): IssuedCertificate {
  return buildCertificate({
    ...p,
    subject: etkRaDn(),
    issuer: p.issuer.certificate,
    signingKey: p.issuer.privateKey,
    extensions: [keyUsageExtension(['digitalSignature'])],
  });
}

function findExtension(cert: pkijs.Certificate, oid: string): pkijs.Extension | undefined {
  return cert.extensions?.find((e) => e.extnID === oid);
}

/** The key usages of a certificate, or undefined when it has no KeyUsage extension. */
export function certificateKeyUsage(cert: pkijs.Certificate): Set<KeyUsage> | undefined {
  const ext = findExtension(cert, OID.keyUsage);
  if (!ext) return undefined;
  const parsed = asn1js.fromBER(ext.extnValue.valueBlock.valueHexView);
  if (parsed.offset === -1 || !(parsed.result instanceof asn1js.BitString)) {
    throw new CryptoError('MALFORMED_CERTIFICATE', 'KeyUsage extension does not parse');
  }
  const bytes = parsed.result.valueBlock.valueHexView;
  const set = new Set<KeyUsage>();
  KEY_USAGE_BITS.forEach((name, i) => {
    if (((bytes[i >> 3] ?? 0) >> (7 - (i & 7))) & 1) set.add(name);
  });
  return set;
}

/** BasicConstraints of a certificate (cA false when the extension is absent). */
export function certificateBasicConstraints(cert: pkijs.Certificate): { cA: boolean; pathLenConstraint?: number } {
  const ext = findExtension(cert, OID.basicConstraints);
  if (!ext) return { cA: false };
  const parsed = asn1js.fromBER(ext.extnValue.valueBlock.valueHexView);
  if (parsed.offset === -1) throw new CryptoError('MALFORMED_CERTIFICATE', 'BasicConstraints extension does not parse');
  const bc = new pkijs.BasicConstraints({ schema: parsed.result });
  const len = bc.pathLenConstraint;
  const pathLen = len === undefined ? undefined : typeof len === 'number' ? len : len.valueBlock.valueDec;
  return pathLen === undefined ? { cA: bc.cA } : { cA: bc.cA, pathLenConstraint: pathLen };
}

/** Decimal string of a certificate serial number (the keystore alias of an encryption key). */
export function serialDecimal(cert: pkijs.Certificate): string {
  const hex = Buffer.from(cert.serialNumber.valueBlock.valueHexView).toString('hex');
  return hex === '' ? '0' : BigInt('0x' + hex).toString(10);
}
