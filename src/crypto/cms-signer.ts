/**
 * CMS SignedData for ETEE, both directions: building the attached,
 * RSASSA-PSS-signed SignedData of SEALING.md §1.1/§1.3 as DER chunks (large
 * content is never copied); parsing a received layer and checking its one
 * SignerInfo (algorithm policy §1.5, signed attributes, digest, signature
 * value); and the signer-certificate checks of §3.2 (identifier match, key
 * usage, validity, PKIX path to the configured trust anchors).
 */
import { X509Certificate, constants, createHash, sign, verify, type KeyObject } from 'node:crypto';
import { CryptoError } from './errors.ts';
import type { Credential } from './types.ts';
import {
  DER_NULL, OID, algorithmOf, bytesEqual, child, derAlgorithm, derOctetString, derOid, derSequence, derSetOf,
  derSmallInteger, derUtcTime, encodingOf, expectTag, malformed, nameToString, normalizedSerial, octetsOf, oidOf,
  nameAttributesOf, parseBer, readCertificate, reencode, smallIntegerOf, timeOf, tlv, valueOf, wrapChunks,
  type AlgorithmId, type Ber, type CertificateInfo,
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

/**
 * `pssSha256Signer` in libuv's thread pool: the calling thread goes on (other
 * key transports, other requests) while the RSA private operation runs.
 */
export function pssSha256SignAsync(toBeSigned: Uint8Array, credential: Credential): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    sign('sha256', toBeSigned, { key: credential.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: PSS_SALT_LENGTH }, (err, signature) => {
      if (err) reject(err);
      else resolve(signature);
    });
  });
}

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
  const layer = prepareSignedData(content, params);
  return layer.finish(params.rawSigner(layer.signedAttrs, params.signer));
}

/**
 * `buildSignedData` with the default signer run in the thread pool (an
 * injected RawSigner is called as it is).
 */
export async function buildSignedDataAsync(content: readonly Uint8Array[], params: SignedDataParams): Promise<Uint8Array[]> {
  const layer = prepareSignedData(content, params);
  const signature = params.rawSigner === pssSha256Signer
    ? await pssSha256SignAsync(layer.signedAttrs, params.signer)
    : params.rawSigner(layer.signedAttrs, params.signer);
  return layer.finish(signature);
}

/** A SignedData layer waiting for its signature over `signedAttrs`. */
interface PreparedSignedData {
  signedAttrs: Uint8Array;
  finish(signature: Uint8Array): Uint8Array[];
}

function prepareSignedData(content: readonly Uint8Array[], params: Omit<SignedDataParams, 'rawSigner'>): PreparedSignedData {
  const hash = createHash('sha256');
  for (const chunk of content) hash.update(chunk);
  const signedAttrs = derSetOf([
    attribute(OID.contentType, DATA_OID),
    attribute(OID.signingTime, derUtcTime(params.signingTime)),
    attribute(OID.messageDigest, derOctetString(hash.digest())),
  ]);
  const finish = (signature: Uint8Array): Uint8Array[] => {
    const implicitAttrs = Uint8Array.from(signedAttrs);
    implicitAttrs[0] = 0xa0; // [0] IMPLICIT SET OF Attribute
    const signerInfo = derSequence(
      VERSION_1,
      readCertificate(params.signer.certificateDer).issuerAndSerial,
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
  };
  return { signedAttrs, finish };
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

// ------------------------------------------------------------------ parsing a received layer

/** How a SignerInfo names its certificate. */
export type SignerIdentifier = { issuer: Uint8Array; serial: Uint8Array } | { ski: Uint8Array };

/** One signed or unsigned attribute. */
export interface CmsAttribute {
  type: string;
  values: readonly Ber[];
}

/** The fields of a SignerInfo (RFC 5652 §5.3). */
export interface SignerInfoFields {
  sid: SignerIdentifier;
  digestAlgorithm: AlgorithmId;
  /** The signed attributes and their DER as a SET (what the signature covers). */
  signedAttrs: { der: Uint8Array; attributes: CmsAttribute[] } | undefined;
  signatureAlgorithm: AlgorithmId;
  signature: Uint8Array;
}

/** The fields of a ContentInfo{SignedData} the unsealer uses. */
export interface SignedDataFields {
  eContentType: string;
  /** Reassembled eContent; undefined when detached. */
  eContent: Uint8Array | undefined;
  /** DER of each X.509 certificate in the certificates set (other choices are ignored). */
  certificates: Uint8Array[];
  signerInfos: SignerInfoFields[];
}

/** Reads a recipient/signer identifier: issuerAndSerialNumber or [0] subjectKeyIdentifier. */
export function identifierOf(node: Ber): SignerIdentifier {
  if (node.tag === 0x30) return { issuer: encodingOf(child(node, 0, 0x30)), serial: valueOf(child(node, 1, 0x02)) };
  if (node.tag === 0x80 || node.tag === 0xa0) return { ski: octetsOf(node) };
  throw malformed('unknown identifier choice');
}

function signerInfoOf(node: Ber): SignerInfoFields {
  const f = expectTag(node, 0x30, 'SignerInfo').children;
  smallIntegerOf(child(node, 0));
  const attrs = f[3]?.tag === 0xa0 ? f[3] : undefined;
  const rest = attrs ? 4 : 3;
  return {
    sid: identifierOf(child(node, 1)),
    digestAlgorithm: algorithmOf(child(node, 2)),
    signedAttrs: attrs && {
      der: reencode(attrs, 0x31),
      attributes: attrs.children.map((a) => ({ type: oidOf(child(a, 0)), values: child(a, 1, 0x31).children })),
    },
    signatureAlgorithm: algorithmOf(child(node, rest)),
    signature: octetsOf(expectTag(child(node, rest + 1), 0x04, 'signature')),
  };
}

/** Parses ContentInfo{SignedData}; throws CryptoError MALFORMED_CMS for any structural problem. */
export function parseSignedData(bytes: Uint8Array): SignedDataFields {
  const info = expectTag(parseBer(bytes), 0x30, 'ContentInfo');
  const type = oidOf(child(info, 0));
  if (type !== OID.signedData) throw malformed(`content type ${type} is not signedData`);
  const sd = child(child(info, 1, 0xa0), 0, 0x30);
  smallIntegerOf(child(sd, 0));
  expectTag(child(sd, 1), 0x31, 'digestAlgorithms');
  const encap = child(sd, 2, 0x30);
  let i = 3;
  const certificates = sd.children[i]?.tag === 0xa0 ? sd.children[i++]!.children.filter((c) => c.tag === 0x30).map((c) => reencode(c)) : [];
  if (sd.children[i]?.tag === 0xa1) i++; // crls
  const signerInfos = child(sd, i, 0x31);
  if (i !== sd.children.length - 1) throw malformed('unexpected elements after signerInfos');
  const eContentNode = encap.children[1] ? child(child(encap, 1, 0xa0), 0) : undefined;
  if (eContentNode && eContentNode.tag !== 0x04 && eContentNode.tag !== 0x24) throw malformed('eContent is not an OCTET STRING');
  const eContent = eContentNode ? octetsOf(eContentNode) : undefined;
  return { eContentType: oidOf(child(encap, 0)), eContent, certificates, signerInfos: signerInfos.children.map(signerInfoOf) };
}

// ------------------------------------------------------------------ checking one SignerInfo

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

type Verifier = (data: Uint8Array, key: KeyObject, signature: Uint8Array) => boolean;

interface SignatureScheme {
  policy: SignaturePolicy | undefined;
  verify: Verifier | undefined;
}

/** RSASSA-PSS parameters (RFC 4055 §3.1, with its defaults). */
function pssScheme(params: Ber | undefined): SignatureScheme {
  let hash = OID.sha1 as string;
  let mgf: AlgorithmId = { oid: OID.mgf1, params: undefined };
  let mgfHash = OID.sha1 as string;
  let salt = 20;
  for (const p of params?.tag === 0x30 ? params.children : []) {
    if (p.tag === 0xa0) hash = algorithmOf(child(p, 0)).oid;
    else if (p.tag === 0xa1) {
      mgf = algorithmOf(child(p, 0));
      mgfHash = mgf.params ? algorithmOf(mgf.params).oid : OID.sha1;
    } else if (p.tag === 0xa2) salt = smallIntegerOf(child(p, 0));
    else if (p.tag === 0xa3 && smallIntegerOf(child(p, 0)) !== 1) return { policy: undefined, verify: undefined };
  }
  const name = HASH_NAMES[hash];
  if (!name || mgf.oid !== OID.mgf1 || mgfHash !== hash) return { policy: undefined, verify: undefined };
  return {
    policy: hash === OID.sha256 ? 'EHEALTH_CERT' : undefined,
    verify: (data, key, signature) => verify(name, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: salt }, signature),
  };
}

function signatureScheme(si: SignerInfoFields, digestHash: string | undefined): SignatureScheme {
  const algorithm = si.signatureAlgorithm.oid;
  if (algorithm === OID.rsaPss) return pssScheme(si.signatureAlgorithm.params);
  const pkcs1Hash = algorithm === OID.rsaEncryption ? digestHash : PKCS1_HASH[algorithm];
  const eid = algorithm === OID.rsaEncryption || algorithm === OID.sha256WithRsa;
  if (pkcs1Hash) {
    return {
      policy: eid ? 'EID' : undefined,
      verify: (data, key, signature) => verify(pkcs1Hash, data, { key, padding: constants.RSA_PKCS1_PADDING }, signature),
    };
  }
  if (algorithm === OID.dsaWithSha1) return { policy: undefined, verify: (data, key, signature) => verify('sha1', data, key, signature) };
  return { policy: undefined, verify: undefined };
}

function singleAttribute(si: SignerInfoFields, type: string): Ber | 'absent' | 'invalid' {
  const found = (si.signedAttrs?.attributes ?? []).filter((a) => a.type === type);
  if (found.length === 0) return 'absent';
  if (found.length > 1 || found[0]!.values.length !== 1) return 'invalid';
  return found[0]!.values[0]!;
}

/** The signing-time attribute: its value when present exactly once and well formed. */
export function signingTimeOf(si: SignerInfoFields): Pick<SignerInfoCheck, 'signingTime' | 'signingTimeState'> {
  const value = singleAttribute(si, OID.signingTime);
  if (value === 'absent') return { signingTime: undefined, signingTimeState: 'absent' };
  try {
    if (value !== 'invalid') return { signingTime: timeOf(value), signingTimeState: 'present' };
  } catch {
    // malformed time: invalid
  }
  return { signingTime: undefined, signingTimeState: 'invalid' };
}

/** The bytes the signature covers, or why they cannot be trusted (RFC 5652 §5.4). */
function signedBytes(si: SignerInfoFields, eContentType: string, content: Uint8Array, hash: string): Uint8Array | string {
  if (!si.signedAttrs) return content;
  const contentType = singleAttribute(si, OID.contentType);
  if (typeof contentType === 'string' || contentType.tag !== 0x06 || oidOf(contentType) !== eContentType) {
    return 'content-type attribute missing, repeated or not matching the content';
  }
  const digest = singleAttribute(si, OID.messageDigest);
  if (typeof digest === 'string' || digest.tag !== 0x04) return 'message-digest attribute missing or repeated';
  if (signingTimeOf(si).signingTimeState === 'invalid') return 'signing-time attribute repeated or malformed';
  const actual = createHash(hash).update(content).digest();
  if (!bytesEqual(actual, octetsOf(digest))) return 'message digest does not match the content';
  return si.signedAttrs.der;
}

/** Checks one SignerInfo against the layer content with the signer's public key, if usable (never throws). */
export function checkSignerInfo(si: SignerInfoFields, eContentType: string, content: Uint8Array, key: KeyObject | undefined): SignerInfoCheck {
  const digestHash = HASH_NAMES[si.digestAlgorithm.oid];
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
    digestAuthorized: si.digestAlgorithm.oid === OID.sha256,
    keyLengthAuthorized: key?.asymmetricKeyType === 'rsa' && bits >= minBits,
    outcome: 'unverifiable',
    detail: '',
    ...signingTimeOf(si),
  };
  if (!key) return { ...result, detail: 'the signer public key is not usable' };
  if (!digestHash || !scheme.verify) return { ...result, detail: 'unsupported digest or signature algorithm' };
  if (bits > MAX_VERIFY_KEY_BITS) return { ...result, detail: 'signer key too large to verify' };
  try {
    const data = signedBytes(si, eContentType, content, digestHash);
    if (typeof data === 'string') return { ...result, detail: data };
    const ok = scheme.verify(data, key, si.signature);
    return { ...result, outcome: ok ? 'valid' : 'mismatch', detail: ok ? 'signature valid' : 'signature value does not verify with the signer certificate' };
  } catch (err) {
    return { ...result, detail: `signature could not be checked: ${err instanceof Error ? err.message : String(err)}` };
  }
}

// ------------------------------------------------------------------ signer certificates

/** A certificate as the verifier uses it: its fields and a node X509Certificate for the crypto. */
export interface VerifierCertificate {
  info: CertificateInfo;
  x509: X509Certificate;
}

/** Longest certification path we try to build (leaf excluded); real eHealth paths have 1–2 CAs. */
const MAX_PATH_CAS = 6;
/** Parsed certificates kept across unseals (senders and CAs repeat; parsing costs ~0.1 ms). */
const CERTIFICATE_CACHE_SIZE = 512;
const certificateCache = new Map<string, VerifierCertificate>();

/** Parses a DER certificate for verification (cached by content); throws CryptoError MALFORMED_CERTIFICATE. */
export function verifierCertificate(der: Uint8Array): VerifierCertificate {
  const key = createHash('sha256').update(der).digest('base64');
  const cached = certificateCache.get(key);
  if (cached) return cached;
  let parsed: VerifierCertificate;
  try {
    const own = Uint8Array.from(der); // do not keep a whole message alive through a view
    parsed = { info: readCertificate(own), x509: new X509Certificate(own) };
  } catch (err) {
    throw err instanceof CryptoError ? err : new CryptoError('MALFORMED_CERTIFICATE', 'certificate could not be parsed', { cause: err });
  }
  if (certificateCache.size >= CERTIFICATE_CACHE_SIZE) certificateCache.delete(certificateCache.keys().next().value!);
  certificateCache.set(key, parsed);
  return parsed;
}

/** Whether `cert` is the certificate an issuerAndSerialNumber / subjectKeyIdentifier designates. */
export function matchesIdentifier(id: SignerIdentifier, cert: CertificateInfo): boolean {
  if ('ski' in id) return cert.subjectKeyIdentifier !== undefined && bytesEqual(cert.subjectKeyIdentifier, id.ski);
  if (!bytesEqual(normalizedSerial(id.serial), normalizedSerial(cert.serial))) return false;
  if (bytesEqual(id.issuer, cert.issuer)) return true;
  try {
    return nameToString(nameAttributesOfEncoding(id.issuer)) === nameToString(cert.issuerName);
  } catch {
    return false;
  }
}

function nameAttributesOfEncoding(name: Uint8Array): CertificateInfo['issuerName'] {
  return nameAttributesOf(parseBer(name));
}

/** Key-usage bits we check (RFC 5280 §4.2.1.3, bit 0 = most significant bit of the first octet). */
export const KEY_USAGE = { digitalSignature: 0x80, nonRepudiation: 0x40, keyCertSign: 0x04 } as const;

/** True when the key usage allows at least one of `mask`'s bits (or the certificate has no key usage). */
export function keyUsageAllows(cert: CertificateInfo, mask: number): boolean {
  return cert.keyUsage === undefined || (cert.keyUsage & mask) !== 0;
}

/** Validity of a certificate at a time. */
export function validityAt(cert: CertificateInfo, at: Date): 'valid' | 'expired' | 'notYetValid' {
  if (at.getTime() < cert.notBefore.getTime()) return 'notYetValid';
  if (at.getTime() > cert.notAfter.getTime()) return 'expired';
  return 'valid';
}

function issuedBy(child_: VerifierCertificate, issuer: VerifierCertificate): boolean {
  try {
    return child_.x509.checkIssued(issuer.x509) && child_.x509.verify(issuer.x509.publicKey);
  } catch {
    return false;
  }
}

function canIssue(ca: VerifierCertificate, at: Date, isAnchor: boolean): boolean {
  if (!ca.x509.ca || !keyUsageAllows(ca.info, KEY_USAGE.keyCertSign)) return false;
  // RFC 5280 §6: a trust anchor's own validity is not part of path validation
  return isAnchor || validityAt(ca.info, at) === 'valid';
}

/**
 * PKIX-style path check at `at`: from the leaf through CA certificates taken from
 * `pool` (message certificates) up to one of `anchors` (the configured trust store,
 * never the message). The leaf's own validity is checked separately by the caller.
 */
export function chainTrusted(leaf: VerifierCertificate, pool: readonly VerifierCertificate[], anchors: readonly VerifierCertificate[], at: Date): boolean {
  const isAnchor = (c: VerifierCertificate): boolean => anchors.some((a) => bytesEqual(a.info.der, c.info.der));
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
