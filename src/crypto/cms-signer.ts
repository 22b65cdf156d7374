/**
 * CMS SignedData for ETEE, both directions: building the attached,
 * RSASSA-PSS-signed SignedData of SEALING.md §1.1/§1.3 as DER chunks (large
 * content is never copied), and checking one SignerInfo of a received layer
 * (algorithm policy §1.5, signed attributes, digest, signature value).
 */
import { X509Certificate, constants, createHash, sign, verify, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { CryptoError } from './errors.ts';
import type { Credential } from './types.ts';
import {
  DER_NULL, OID, bytesEqual, certificateFields, derAlgorithm, derOctetString, derOid, derSequence, derSetOf,
  derSmallInteger, derUtcTime, normalizedSerial, parseBer, tlv, wrapChunks,
} from './cms-util.ts';

/** RSASSA-PSS salt length of the EHEALTH_CERT policy (= SHA-256 output length). */
export const PSS_SALT_LENGTH = 32;
/** Smallest RSA signing key of the EHEALTH_CERT policy (SEALING.md §1.5). */
export const MIN_EHEALTH_SIGNING_KEY_BITS = 2048;
/** Smallest RSA signing key of the EID policy. */
const MIN_EID_SIGNING_KEY_BITS = 1024;
/** Refuse to verify with absurdly large keys (a cheap denial-of-service guard). */
const MAX_VERIFY_KEY_BITS = 16384;

/**
 * Produces an RSASSA-PSS (SHA-256, MGF1-SHA-256, salt 32) signature over the
 * DER signed attributes. Injectable so an HSM can sign and tests can count signatures.
 */
export type RawSigner = (toBeSigned: Uint8Array, credential: Credential) => Uint8Array;

/** The default RawSigner: node:crypto RSASSA-PSS with the EHEALTH_CERT parameters. */
export const pssSha256Signer: RawSigner = (toBeSigned, credential) =>
  sign('sha256', toBeSigned, {
    key: credential.privateKey,
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength: PSS_SALT_LENGTH,
  });

const SHA256_ALGORITHM = derAlgorithm(OID.sha256, DER_NULL);
const PSS_ALGORITHM = derAlgorithm(
  OID.rsaPss,
  derSequence(
    tlv(0xa0, SHA256_ALGORITHM),
    tlv(0xa1, derAlgorithm(OID.mgf1, SHA256_ALGORITHM)),
    tlv(0xa2, derSmallInteger(PSS_SALT_LENGTH)),
  ),
);
const DATA_OID = derOid(OID.data);
const SIGNED_DATA_OID = derOid(OID.signedData);
const VERSION_1 = derSmallInteger(1);

/** How to build one SignedData layer. */
export interface SignedDataParams {
  signer: Credential;
  signingTime: Date;
  /** DER certificates to embed (outer layer: signer + chain); empty for the inner layer. */
  certificates: readonly Uint8Array[];
  rawSigner: RawSigner;
}

function attribute(type: string, value: Uint8Array): Uint8Array {
  return derSequence(derOid(type), tlv(0x31, value));
}

/**
 * Builds ContentInfo{SignedData} over `content` (id-data, attached) and returns
 * it as DER chunks; the content chunks are referenced, not copied. One RawSigner call.
 */
export function buildSignedData(content: readonly Uint8Array[], params: SignedDataParams): Uint8Array[] {
  const hash = createHash('sha256');
  for (const chunk of content) hash.update(chunk);
  const signedAttrs = derSetOf([
    attribute(OID.contentType, DATA_OID),
    attribute(OID.signingTime, derUtcTime(params.signingTime)),
    attribute(OID.messageDigest, derOctetString(hash.digest())),
  ]);
  const signature = params.rawSigner(signedAttrs, params.signer);
  const implicitAttrs = Uint8Array.from(signedAttrs);
  implicitAttrs[0] = 0xa0; // [0] IMPLICIT SET OF Attribute
  const signerInfo = derSequence(
    VERSION_1,
    certificateFields(params.signer.certificateDer).issuerAndSerial,
    SHA256_ALGORITHM,
    implicitAttrs,
    PSS_ALGORITHM,
    derOctetString(signature),
  );
  const eContent = wrapChunks(0xa0, wrapChunks(0x04, content));
  const encapContentInfo = wrapChunks(0x30, [DATA_OID, ...eContent]);
  const certificates = params.certificates.length > 0 ? [tlv(0xa0, ...params.certificates)] : [];
  const signedData = wrapChunks(0x30, [
    VERSION_1,
    tlv(0x31, SHA256_ALGORITHM),
    ...encapContentInfo,
    ...certificates,
    tlv(0x31, signerInfo),
  ]);
  return wrapChunks(0x30, [SIGNED_DATA_OID, ...wrapChunks(0xa0, signedData)]);
}

/** Refuses signing keys outside the EHEALTH_CERT policy before any work is done. */
export function assertSigningKey(credential: Credential): void {
  const key = credential.privateKey;
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (key.type !== 'private' || key.asymmetricKeyType !== 'rsa') {
    throw new CryptoError('UNSUPPORTED_ALGORITHM', 'the sealing key must be an RSA private key');
  }
  if (bits < MIN_EHEALTH_SIGNING_KEY_BITS) {
    throw new CryptoError('UNSUPPORTED_ALGORITHM', `the sealing key has ${bits} bits; the policy needs ${MIN_EHEALTH_SIGNING_KEY_BITS}`);
  }
}

// ------------------------------------------------------------------ verification

/** Signature policies of SEALING.md §1.5 that the unsealer accepts. */
export type SignaturePolicy = 'EHEALTH_CERT' | 'EID';

/** What checking one SignerInfo found; the caller maps it to layer-specific codes. */
export interface SignerInfoCheck {
  /** undefined: the signature algorithm belongs to no accepted policy. */
  policy: SignaturePolicy | undefined;
  digestAuthorized: boolean;
  keyLengthAuthorized: boolean;
  /** valid; mismatch = the value does not verify with the key; unverifiable = could not be checked. */
  outcome: 'valid' | 'mismatch' | 'unverifiable';
  detail: string;
  signingTime: Date | undefined;
  /** invalid: present but not one well-formed value. */
  signingTimeState: 'absent' | 'present' | 'invalid';
}

const HASH_NAMES: Record<string, string> = {
  [OID.sha1]: 'sha1', [OID.sha224]: 'sha224', [OID.sha256]: 'sha256', [OID.sha384]: 'sha384', [OID.sha512]: 'sha512',
};

const PKCS1_HASH: Record<string, string> = {
  [OID.sha1WithRsa]: 'sha1', [OID.sha256WithRsa]: 'sha256', [OID.sha384WithRsa]: 'sha384', [OID.sha512WithRsa]: 'sha512',
};

interface SignatureScheme {
  policy: SignaturePolicy | undefined;
  verify: ((data: Uint8Array, key: KeyObject, signature: Uint8Array) => boolean) | undefined;
}

function pssScheme(params: unknown): SignatureScheme {
  if (!(params instanceof asn1js.Sequence)) return { policy: undefined, verify: undefined };
  const pss = new pkijs.RSASSAPSSParams({ schema: params });
  const hash = HASH_NAMES[pss.hashAlgorithm.algorithmId];
  const mgfHashParams = pss.maskGenAlgorithm.algorithmParams;
  const mgfHash = mgfHashParams instanceof asn1js.Sequence ? new pkijs.AlgorithmIdentifier({ schema: mgfHashParams }).algorithmId : OID.sha1;
  if (!hash || pss.maskGenAlgorithm.algorithmId !== OID.mgf1 || mgfHash !== pss.hashAlgorithm.algorithmId) {
    return { policy: undefined, verify: undefined };
  }
  const policy = hash === 'sha256' ? 'EHEALTH_CERT' : undefined;
  return {
    policy,
    verify: (data, key, signature) =>
      verify(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: pss.saltLength }, signature),
  };
}

function signatureScheme(si: pkijs.SignerInfo, digestHash: string | undefined): SignatureScheme {
  const algorithm = si.signatureAlgorithm.algorithmId;
  if (algorithm === OID.rsaPss) return pssScheme(si.signatureAlgorithm.algorithmParams);
  const pkcs1Hash = algorithm === OID.rsaEncryption ? digestHash : PKCS1_HASH[algorithm];
  const eid = algorithm === OID.rsaEncryption || algorithm === OID.sha256WithRsa;
  const verifyWith = (hash: string) => (data: Uint8Array, key: KeyObject, signature: Uint8Array) =>
    verify(hash, data, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
  if (pkcs1Hash) return { policy: eid ? 'EID' : undefined, verify: verifyWith(pkcs1Hash) };
  if (algorithm === OID.dsaWithSha1) return { policy: undefined, verify: (d, k, s) => verify('sha1', d, k, s) };
  return { policy: undefined, verify: undefined };
}

function singleAttribute(si: pkijs.SignerInfo, type: string): asn1js.AsnType | 'absent' | 'invalid' {
  const found = (si.signedAttrs?.attributes ?? []).filter((a) => a.type === type);
  if (found.length === 0) return 'absent';
  if (found.length > 1 || found[0]!.values.length !== 1) return 'invalid';
  return found[0]!.values[0] as asn1js.AsnType;
}

function readSigningTime(si: pkijs.SignerInfo): Pick<SignerInfoCheck, 'signingTime' | 'signingTimeState'> {
  const value = singleAttribute(si, OID.signingTime);
  if (value === 'absent') return { signingTime: undefined, signingTimeState: 'absent' };
  if (value instanceof asn1js.UTCTime || value instanceof asn1js.GeneralizedTime) {
    const date = value.toDate();
    if (!Number.isNaN(date.getTime())) return { signingTime: date, signingTimeState: 'present' };
  }
  return { signingTime: undefined, signingTimeState: 'invalid' };
}

/** The bytes the signature covers, or why they cannot be trusted (RFC 5652 §5.4). */
function signedBytes(si: pkijs.SignerInfo, eContentType: string, content: Uint8Array, hash: string): Uint8Array | string {
  if (!si.signedAttrs) return content;
  const contentType = singleAttribute(si, OID.contentType);
  if (!(contentType instanceof asn1js.ObjectIdentifier) || contentType.valueBlock.toString() !== eContentType) {
    return 'content-type attribute missing, repeated or not matching the content';
  }
  const digest = singleAttribute(si, OID.messageDigest);
  if (!(digest instanceof asn1js.OctetString)) return 'message-digest attribute missing or repeated';
  if (readSigningTime(si).signingTimeState === 'invalid') return 'signing-time attribute repeated or malformed';
  const actual = createHash(hash).update(content).digest();
  if (!bytesEqual(actual, digest.valueBlock.valueHexView)) return 'message digest does not match the content';
  return new Uint8Array(si.signedAttrs.encodedValue);
}

/** Checks one SignerInfo against the layer content with the signer's public key, if usable (never throws). */
export function checkSignerInfo(si: pkijs.SignerInfo, eContentType: string, content: Uint8Array, key: KeyObject | undefined): SignerInfoCheck {
  const digestHash = HASH_NAMES[si.digestAlgorithm.algorithmId];
  let scheme: SignatureScheme = { policy: undefined, verify: undefined };
  try {
    scheme = signatureScheme(si, digestHash);
  } catch {
    // malformed PSS parameters: unauthorized and unverifiable
  }
  const bits = key?.asymmetricKeyDetails?.modulusLength ?? 0;
  const minBits = scheme.policy === 'EID' ? MIN_EID_SIGNING_KEY_BITS : MIN_EHEALTH_SIGNING_KEY_BITS;
  const result: SignerInfoCheck = {
    policy: scheme.policy,
    digestAuthorized: si.digestAlgorithm.algorithmId === OID.sha256,
    keyLengthAuthorized: key?.asymmetricKeyType === 'rsa' && bits >= minBits,
    outcome: 'unverifiable',
    detail: '',
    ...readSigningTime(si),
  };
  if (!key) return { ...result, detail: 'the signer public key is not usable' };
  if (!digestHash || !scheme.verify) return { ...result, detail: 'unsupported digest or signature algorithm' };
  if (bits > MAX_VERIFY_KEY_BITS) return { ...result, detail: 'signer key too large to verify' };
  const data = signedBytes(si, eContentType, content, digestHash);
  if (typeof data === 'string') return { ...result, detail: data };
  try {
    const ok = scheme.verify(data, key, si.signature.valueBlock.valueHexView);
    return { ...result, outcome: ok ? 'valid' : 'mismatch', detail: ok ? 'signature valid' : 'signature value does not verify with the signer certificate' };
  } catch (err) {
    return { ...result, detail: `signature could not be checked: ${err instanceof Error ? err.message : String(err)}` };
  }
}

// ------------------------------------------------------------------ signer certificates

/** A certificate as the verifier uses it: DER, pkijs fields and a node X509Certificate. */
export interface VerifierCertificate {
  der: Uint8Array;
  cert: pkijs.Certificate;
  x509: X509Certificate;
}

/** Longest certification path we try to build (leaf excluded); real eHealth paths have 1–2 CAs. */
const MAX_PATH_CAS = 6;

const parsedAnchors = new WeakMap<Uint8Array, VerifierCertificate>();

/** Parses a DER certificate for verification; throws CryptoError MALFORMED_CERTIFICATE. */
export function verifierCertificate(der: Uint8Array): VerifierCertificate {
  const cached = parsedAnchors.get(der);
  if (cached) return cached;
  try {
    const parsed = { der, cert: pkijs.Certificate.fromBER(der), x509: new X509Certificate(der) };
    parsedAnchors.set(der, parsed);
    return parsed;
  } catch (err) {
    throw new CryptoError('MALFORMED_CERTIFICATE', 'certificate could not be parsed', { cause: err });
  }
}

/** Whether `candidate` is the certificate a SignerInfo/RecipientInfo identifier designates. */
export function matchesIdentifier(id: unknown, candidate: pkijs.Certificate): boolean {
  if (id instanceof pkijs.IssuerAndSerialNumber) {
    const serialA = normalizedSerial(id.serialNumber.valueBlock.valueHexView);
    const serialB = normalizedSerial(candidate.serialNumber.valueBlock.valueHexView);
    if (!bytesEqual(serialA, serialB)) return false;
    const a = new Uint8Array(id.issuer.valueBeforeDecode);
    const b = new Uint8Array(candidate.issuer.valueBeforeDecode);
    return (a.length > 0 && bytesEqual(a, b)) || id.issuer.isEqual(candidate.issuer);
  }
  const ski = identifierSki(id);
  const own = candidate.extensions?.find((e) => e.extnID === OID.subjectKeyIdentifier);
  if (!ski || !own) return false;
  const ownValue = parseBer(own.extnValue.valueBlock.valueHexView);
  return ownValue instanceof asn1js.OctetString && bytesEqual(ownValue.valueBlock.valueHexView, ski);
}

function identifierSki(id: unknown): Uint8Array | undefined {
  if (id instanceof asn1js.OctetString) return id.valueBlock.valueHexView;
  if (id instanceof asn1js.Constructed && id.valueBlock.value[0] instanceof asn1js.OctetString) {
    return id.valueBlock.value[0].valueBlock.valueHexView;
  }
  if (id instanceof asn1js.Primitive) return id.valueBlock.valueHexView;
  return undefined;
}

/** Key-usage bits we check (RFC 5280 §4.2.1.3, bit 0 = most significant bit of the first octet). */
export const KEY_USAGE = { digitalSignature: 0x80, nonRepudiation: 0x40, keyCertSign: 0x04 } as const;

/** First octet of the key-usage bit string, or undefined when the extension is absent (= any usage). */
function keyUsageBits(cert: pkijs.Certificate): number | undefined {
  const ext = cert.extensions?.find((e) => e.extnID === OID.keyUsage);
  if (!ext) return undefined;
  const value = ext.parsedValue instanceof asn1js.BitString ? ext.parsedValue : parseBer(ext.extnValue.valueBlock.valueHexView);
  return value instanceof asn1js.BitString ? (value.valueBlock.valueHexView[0] ?? 0) : 0;
}

/** True when the certificate's key usage allows at least one of `mask`'s bits (or has no key usage). */
export function keyUsageAllows(cert: pkijs.Certificate, mask: number): boolean {
  const bits = keyUsageBits(cert);
  return bits === undefined || (bits & mask) !== 0;
}

/** Validity of a certificate at a time. */
export function validityAt(cert: pkijs.Certificate, at: Date): 'valid' | 'expired' | 'notYetValid' {
  if (at.getTime() < cert.notBefore.value.getTime()) return 'notYetValid';
  if (at.getTime() > cert.notAfter.value.getTime()) return 'expired';
  return 'valid';
}

function issuedBy(child: VerifierCertificate, issuer: VerifierCertificate): boolean {
  try {
    return child.x509.checkIssued(issuer.x509) && child.x509.verify(issuer.x509.publicKey);
  } catch {
    return false;
  }
}

function canIssue(ca: VerifierCertificate, at: Date, isAnchor: boolean): boolean {
  if (!ca.x509.ca || !keyUsageAllows(ca.cert, KEY_USAGE.keyCertSign)) return false;
  // RFC 5280 §6: a trust anchor's own validity is not part of path validation
  return isAnchor || validityAt(ca.cert, at) === 'valid';
}

/**
 * PKIX-style path check at `at`: from the leaf through CA certificates taken from
 * `pool` (message certificates) up to one of `anchors` (the configured trust store,
 * never the message). The leaf's own validity is checked separately by the caller.
 */
export function chainTrusted(leaf: VerifierCertificate, pool: readonly VerifierCertificate[], anchors: readonly VerifierCertificate[], at: Date): boolean {
  const isAnchor = (c: VerifierCertificate): boolean => anchors.some((a) => bytesEqual(a.der, c.der));
  const walk = (cert: VerifierCertificate, path: VerifierCertificate[]): boolean => {
    if (isAnchor(cert)) return true;
    if (path.length > MAX_PATH_CAS) return false;
    for (const candidate of [...anchors, ...pool]) {
      if (path.includes(candidate) || !issuedBy(cert, candidate)) continue;
      const anchor = isAnchor(candidate);
      if (!canIssue(candidate, at, anchor)) continue;
      if (anchor || walk(candidate, [...path, candidate])) return true;
    }
    return false;
  };
  return walk(leaf, [leaf]);
}
