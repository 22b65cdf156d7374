/**
 * ETEE unsealing (SEALING.md §3): verify the outer SignedData, decrypt the
 * EnvelopedData with one of our keys, verify the inner SignedData, and report
 * every finding with the eHealth codes in a Verdict. Garbage never throws: it
 * becomes a fatal in the verdict. Content is returned only without a fatal,
 * and then always together with the verdict (ok=false when an error was found).
 */
import { constants, createDecipheriv, privateDecrypt, randomBytes, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { CryptoError } from './errors.ts';
import { decryptPkcs1v15Key } from './pkcs1-decrypt.ts';
import type { Credential } from './types.ts';
import { OID, bytesEqual, dnSerialNumber, nameToString, octetStringContent, parseBer, serialToDecimal } from './cms-util.ts';
import {
  KEY_USAGE, chainTrusted, checkSignerInfo, keyUsageAllows, matchesIdentifier, validityAt, verifierCertificate,
  type SignaturePolicy, type SignerInfoCheck, type VerifierCertificate,
} from './cms-signer.ts';
import { VerdictBuilder, type EteeLayer, type SignerIdentity, type Verdict } from './verdict.ts';


/** Accepted signing-time lag: SIGNING_TIME_EXPIRATION (5 min) + CLOCK_SKEW (5 min), §3.3. */
const SIGNING_TIME_MAX_AGE_MS = 10 * 60_000;
/** Accepted signing time in the future: CLOCK_SKEW, §3.3. */
const SIGNING_TIME_MAX_AHEAD_MS = 5 * 60_000;
/** Default cap on a sealed blob; far above any eHealthBox message. */
export const MAX_UNSEAL_BYTES = 512 * 1024 * 1024;

/** A KGSS key the unsealer may use for a KEKRecipientInfo. */
export interface KekKey {
  /** The raw key identifier (kekid.keyIdentifier). */
  id: Uint8Array;
  /** The AES key-encryption key. */
  key: Uint8Array;
}

/** What the unsealer may use. */
export interface UnsealOptions {
  /** Our private keys with their certificates (keystore entries); matched by RecipientInfo issuer+serial. */
  credentials?: readonly Credential[];
  /** KGSS keys for KEKRecipientInfos. */
  kekKeys?: readonly KekKey[];
  /** DER CA certificates we trust (roots and/or issuing CAs); never taken from the message. */
  trustAnchors: readonly Uint8Array[];
  /** Verification time (signing-time window, and certificate time when no signing time); default now. */
  at?: Date;
  /** Inner signer must have nonRepudiation (eHealthBox's WITH_NON_REPUDIATION); default true. */
  requireNonRepudiation?: boolean;
  /** Largest blob accepted; default MAX_UNSEAL_BYTES. */
  maxBytes?: number;
}

/** The clear content (absent after a fatal) and the verification verdict. */
export interface UnsealResult {
  content?: Uint8Array;
  verdict: Verdict;
}

interface ParsedLayer {
  layer: 'outer' | 'inner';
  signerInfo: pkijs.SignerInfo;
  eContentType: string;
  content: Uint8Array;
  certificates: VerifierCertificate[];
}

interface LayerOutcome {
  certificate: VerifierCertificate | undefined;
  policy: SignaturePolicy | undefined;
}

/** What the inner layer needs from the verified outer layer. */
interface OuterContext {
  outer: ParsedLayer;
  result: LayerOutcome;
}

const PREFIX = { outer: 'OUTER', inner: 'INNER' } as const;

/** Unseals a sealed field. Throws only CryptoError for a bad call (oversized input, bad options). */
export function unseal(blob: Uint8Array, options: UnsealOptions): UnsealResult {
  if (blob.length > (options.maxBytes ?? MAX_UNSEAL_BYTES)) throw new CryptoError('INPUT_TOO_LARGE', 'sealed blob too large');
  const anchors = options.trustAnchors.map((der) => verifierCertificate(der));
  const at = options.at ?? new Date();
  const vb = new VerdictBuilder();
  const outer = parseSignedLayer(blob, 'outer', vb);
  if (!outer) return { verdict: vb.build() };
  const signingTime = checkSigningTime(outer.signerInfo, at, vb);
  const certTime = signingTime ?? at;
  const outerResult = verifyLayer(outer, undefined, { anchors, certTime, requireNonRepudiation: false, vb });
  const innerBytes = decryptEnvelope(outer.content, options, vb);
  if (!innerBytes) return { verdict: vb.build() };
  const inner = parseSignedLayer(innerBytes, 'inner', vb);
  if (!inner) return { verdict: vb.build() };
  const innerResult = verifyLayer(inner, { outer, result: outerResult }, {
    anchors, certTime, requireNonRepudiation: options.requireNonRepudiation ?? true, vb,
  });
  if (innerResult.policy && outerResult.policy && innerResult.policy !== outerResult.policy) {
    vb.error('MESSAGE_INTEGRITY_INVALID', 'inner', `inner signature policy ${innerResult.policy} differs from outer ${outerResult.policy}`);
  }
  return { content: inner.content, verdict: vb.build() };
}

function parseSignedLayer(bytes: Uint8Array, layer: 'outer' | 'inner', vb: VerdictBuilder): ParsedLayer | undefined {
  const P = PREFIX[layer];
  let signedData: pkijs.SignedData;
  try {
    const info = new pkijs.ContentInfo({ schema: parseBer(bytes) });
    if (info.contentType !== OID.signedData) throw new CryptoError('MALFORMED_CMS', `content type ${info.contentType} is not signedData`);
    signedData = new pkijs.SignedData({ schema: info.content });
  } catch (err) {
    vb.fatal(`${P}_SIGNED_DATA_STRUCTURE_INCORRECT`, layer, `${layer} layer is not a CMS SignedData: ${describe(err)}`);
    return undefined;
  }
  const count = signedData.signerInfos.length;
  if (count !== 1) {
    const code = count === 0 ? `MESSAGE_${P}_SIGNED_PART_HAS_NO_SIGNER_INFORMATION` as const : `MESSAGE_${P}_SIGNED_PART_HAS_MORE_THAN_ONE_SIGNER_INFORMATION` as const;
    vb.fatal(code, layer, `${layer} SignedData has ${count} SignerInfos; exactly one is required`);
    return undefined;
  }
  const eContent = signedData.encapContentInfo.eContent;
  if (!eContent) {
    vb.fatal(`${P}_SIGNED_DATA_CONTENT_MISSING`, layer, `${layer} SignedData carries no content`);
    return undefined;
  }
  let content: Uint8Array;
  let certificates: VerifierCertificate[];
  try {
    content = octetStringContent(eContent);
  } catch (err) {
    vb.fatal(`${P}_SIGNED_DATA_STRUCTURE_INCORRECT`, layer, `${layer} content is not an OCTET STRING: ${describe(err)}`);
    return undefined;
  }
  try {
    certificates = (signedData.certificates ?? [])
      .filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate)
      .map((c) => verifierCertificate(new Uint8Array(c.toSchema().toBER(false))));
  } catch (err) {
    vb.fatal(`${P}_SIGNED_DATA_CONTAINS_INCORRECTLY_ENCODED_CERTIFICATES_SET`, layer, `${layer} certificates: ${describe(err)}`);
    return undefined;
  }
  const signerInfo = signedData.signerInfos[0]!;
  return { layer, signerInfo, eContentType: signedData.encapContentInfo.eContentType, content, certificates };
}

/** Reads the outer signing time and applies the §3.3 window; returns the time to check certificates at. */
function checkSigningTime(si: pkijs.SignerInfo, at: Date, vb: VerdictBuilder): Date | undefined {
  const attr = si.signedAttrs?.attributes.filter((a) => a.type === OID.signingTime) ?? [];
  if (attr.length === 0) {
    vb.warn('SIGNING_TIME_MISSING', 'outer', 'the outer signature has no signing time; certificates checked at the verification time');
    return undefined;
  }
  const value: unknown = attr.length === 1 && attr[0]!.values.length === 1 ? attr[0]!.values[0] : undefined;
  const date = value && typeof (value as { toDate?: unknown }).toDate === 'function' ? (value as { toDate(): Date }).toDate() : undefined;
  if (!date || Number.isNaN(date.getTime())) return undefined; // reported by the signature check
  vb.signingTime = date;
  const lag = at.getTime() - date.getTime();
  if (lag > SIGNING_TIME_MAX_AGE_MS || -lag > SIGNING_TIME_MAX_AHEAD_MS) {
    vb.warn('SIGNING_TIME_EXPIRED', 'outer', `signing time ${date.toISOString()} is outside [-10 min, +5 min] of ${at.toISOString()}`);
  }
  return date;
}

interface VerifyContext {
  anchors: readonly VerifierCertificate[];
  certTime: Date;
  requireNonRepudiation: boolean;
  vb: VerdictBuilder;
}

function identity(c: VerifierCertificate): SignerIdentity {
  return {
    subject: nameToString(c.cert.subject),
    issuer: nameToString(c.cert.issuer),
    serial: serialToDecimal(c.cert.serialNumber.valueBlock.valueHexView),
  };
}

/** Picks the certificate that verifies a layer (§3.2): outer from the message, inner own or the outer one. */
function signerCertificate(layer: ParsedLayer, outer: OuterContext | undefined, vb: VerdictBuilder): VerifierCertificate | undefined {
  const sid = layer.signerInfo.sid;
  const own = layer.certificates.find((c) => matchesIdentifier(sid, c.cert));
  if (own) {
    const outerCert = outer?.result.certificate;
    if (outerCert && !sameHolder(own, outerCert)) {
      vb.error('MESSAGE_INTEGRITY_INVALID', 'inner', 'the inner signer is not the same person as the outer signer');
    }
    return own;
  }
  const outerCert = outer?.result.certificate;
  if (outerCert && matchesIdentifier(sid, outerCert.cert)) return outerCert;
  vb.error(`${PREFIX[layer.layer]}_CERTIFICATE_EXPECTED_BUT_NOT_PRESENT`, layer.layer, `the ${layer.layer} signer certificate is not available`);
  return undefined;
}

/** Same person: equal DN SERIALNUMBER when present (eID), otherwise an identical subject DN. */
function sameHolder(a: VerifierCertificate, b: VerifierCertificate): boolean {
  const sa = dnSerialNumber(a.cert.subject);
  const sb = dnSerialNumber(b.cert.subject);
  if (sa !== undefined || sb !== undefined) return sa === sb;
  return a.cert.subject.isEqual(b.cert.subject);
}

function publicKeyOf(certificate: VerifierCertificate): KeyObject | undefined {
  try {
    return certificate.x509.publicKey;
  } catch {
    return undefined;
  }
}

function reportSignature(layer: ParsedLayer, check: SignerInfoCheck, vb: VerdictBuilder): void {
  const L = layer.layer;
  const P = PREFIX[L];
  const si = layer.signerInfo;
  if (!check.policy) vb.error(`${P}_SIGNATURE_ALGORITHM_UNAUTHORIZED`, L, `${L} signature algorithm ${si.signatureAlgorithm.algorithmId} is not authorized`);
  if (!check.digestAuthorized) vb.error(`${P}_SIGNATURE_DIGEST_ALGORITHM_UNAUTHORIZED`, L, `${L} digest algorithm ${si.digestAlgorithm.algorithmId} is not authorized`);
  if (!check.keyLengthAuthorized) vb.error(`${P}_SIGNATURE_KEY_LENGTH_UNAUTHORIZED`, L, `${L} signer key is not an RSA key of the policy's minimum size`);
  if (check.outcome === 'mismatch') {
    vb.error(L === 'outer' ? 'OUTER_SIGNATURE_DOES_NOT_MATCH_AUTHENTICATION_CERTIFICATE' : 'INNER_SIGNATURE_DOES_NOT_MATCH_SIGNATURE_CERTIFICATE', L, check.detail);
  } else if (check.outcome === 'unverifiable') {
    vb.error(`${P}_SIGNATURE_COULD_NOT_BE_VERIFIED`, L, check.detail);
  }
}

function verifyLayer(layer: ParsedLayer, outer: OuterContext | undefined, ctx: VerifyContext): LayerOutcome {
  const { vb } = ctx;
  const L: EteeLayer = layer.layer;
  const P = PREFIX[layer.layer];
  const certificate = signerCertificate(layer, outer, vb);
  if (!certificate) return { certificate, policy: undefined };
  if (L === 'outer') vb.signer = identity(certificate);
  else vb.innerSigner = identity(certificate);
  const check = checkSignerInfo(layer.signerInfo, layer.eContentType, layer.content, publicKeyOf(certificate));
  reportSignature(layer, check, vb);
  const usage = L === 'inner' && ctx.requireNonRepudiation ? KEY_USAGE.nonRepudiation : KEY_USAGE.digitalSignature | KEY_USAGE.nonRepudiation;
  if (!keyUsageAllows(certificate.cert, usage)) vb.error(`${P}_CERTIFICATE_HAS_INVALID_KEYUSAGE`, L, `${L} signer certificate key usage does not allow this signature`);
  const validity = validityAt(certificate.cert, ctx.certTime);
  if (validity === 'expired') vb.error(`${P}_CERTIFICATE_EXPIRED`, L, `${L} signer certificate expired before ${ctx.certTime.toISOString()}`);
  if (validity === 'notYetValid') vb.error(`${P}_CERTIFICATE_NOT_YET_VALID`, L, `${L} signer certificate not yet valid at ${ctx.certTime.toISOString()}`);
  const pool = outer ? [...layer.certificates, ...outer.outer.certificates] : layer.certificates;
  if (!chainTrusted(certificate, pool, ctx.anchors, ctx.certTime)) {
    vb.error(`${P}_CERTIFICATE_CHAIN_NOT_TRUSTED`, L, `no trusted path from the ${L} signer certificate to a trust anchor at ${ctx.certTime.toISOString()}`);
  }
  return { certificate, policy: check.policy };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// ------------------------------------------------------------------ EnvelopedData (§3.4)

interface ContentCipher {
  name: string;
  keyLength: number;
  ivLength: number;
}

/** Content ciphers we can decrypt; only AES-128-CBC is authorized (§1.5), the others give an error. */
const CONTENT_CIPHERS: Record<string, ContentCipher> = {
  [OID.aes128Cbc]: { name: 'aes-128-cbc', keyLength: 16, ivLength: 16 },
  [OID.aes192Cbc]: { name: 'aes-192-cbc', keyLength: 24, ivLength: 16 },
  [OID.aes256Cbc]: { name: 'aes-256-cbc', keyLength: 32, ivLength: 16 },
  [OID.desEde3Cbc]: { name: 'des-ede3-cbc', keyLength: 24, ivLength: 8 },
  [OID.camellia128Cbc]: { name: 'camellia-128-cbc', keyLength: 16, ivLength: 16 },
};
const KEY_WRAP: Record<string, { name: string; keyLength: number }> = {
  [OID.aes128Wrap]: { name: 'id-aes128-wrap', keyLength: 16 },
  [OID.aes192Wrap]: { name: 'id-aes192-wrap', keyLength: 24 },
  [OID.aes256Wrap]: { name: 'id-aes256-wrap', keyLength: 32 },
};
const AES_WRAP_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');
/** Smallest RSA decryption key of the KNOWN_RECIPIENT policy. */
const MIN_DECRYPTION_KEY_BITS = 2048;
/** Smallest KEK of the UNKNOWN_RECIPIENT policy (AES-128). */
const MIN_KEK_BYTES = 16;

type Recipients = { ktri: pkijs.KeyTransRecipientInfo[]; kekri: pkijs.KEKRecipientInfo[] };

function parseEnvelope(bytes: Uint8Array): pkijs.EnvelopedData {
  const info = new pkijs.ContentInfo({ schema: parseBer(bytes) });
  if (info.contentType !== OID.envelopedData) throw new CryptoError('MALFORMED_CMS', `content type ${info.contentType} is not envelopedData`);
  return new pkijs.EnvelopedData({ schema: info.content });
}

/** Decrypts the EnvelopedData (the outer content) to the inner layer bytes, or records a fatal. */
function decryptEnvelope(bytes: Uint8Array, options: UnsealOptions, vb: VerdictBuilder): Uint8Array | undefined {
  let env: pkijs.EnvelopedData;
  let encrypted: Uint8Array;
  try {
    env = parseEnvelope(bytes);
    const ec = env.encryptedContentInfo.encryptedContent;
    if (!ec) throw new CryptoError('MALFORMED_CMS', 'no encrypted content');
    encrypted = octetStringContent(ec);
  } catch (err) {
    vb.fatal('ENVELOPED_DATA_STRUCTURE_INCORRECT', 'envelope', `the outer content is not a CMS EnvelopedData: ${describe(err)}`);
    return undefined;
  }
  const algorithm = env.encryptedContentInfo.contentEncryptionAlgorithm;
  const cipher = CONTENT_CIPHERS[algorithm.algorithmId];
  if (!cipher) {
    vb.fatal('DECRYPTION_SYMMETRIC_KEY_ALGORITHM_UNAUTHORIZED', 'envelope', `content encryption ${algorithm.algorithmId} is not supported`);
    return undefined;
  }
  if (algorithm.algorithmId !== OID.aes128Cbc) {
    vb.error('DECRYPTION_SYMMETRIC_KEY_ALGORITHM_UNAUTHORIZED', 'envelope', `content encryption ${cipher.name} is not AES-128-CBC`);
  }
  const iv = algorithm.algorithmParams instanceof asn1js.OctetString ? algorithm.algorithmParams.valueBlock.valueHexView : undefined;
  if (!iv || iv.length !== cipher.ivLength) {
    vb.fatal('ENVELOPED_DATA_STRUCTURE_INCORRECT', 'envelope', 'content encryption parameters are not a valid IV');
    return undefined;
  }
  const recipients: Recipients = { ktri: [], kekri: [] };
  for (const ri of env.recipientInfos) {
    if (ri.value instanceof pkijs.KeyTransRecipientInfo) recipients.ktri.push(ri.value);
    if (ri.value instanceof pkijs.KEKRecipientInfo) recipients.kekri.push(ri.value);
  }
  const cek = contentKey(recipients, cipher.keyLength, options, vb);
  if (!cek) return undefined;
  try {
    const decipher = createDecipheriv(cipher.name, cek, iv);
    return Buffer.concat([decipher.update(encrypted), decipher.final()]);
  } catch {
    vb.fatal('DECRYPTION_SYMMETRIC_KEY_ALGORITHM_PADDING_UNAUTHORIZED', 'envelope', 'content decryption failed (bad padding: wrong or corrupted key or content)');
    return undefined;
  } finally {
    cek.fill(0);
  }
}

/** Finds our RecipientInfo and recovers the content-encryption key (§3.4), or records a fatal. */
function contentKey(recipients: Recipients, keyLength: number, options: UnsealOptions, vb: VerdictBuilder): Uint8Array | undefined {
  const credentials = options.credentials ?? [];
  for (const ktri of recipients.ktri) {
    const credential = credentials.find((c) => matchesIdentifier(ktri.rid, c.certificate));
    if (credential) return transportedKey(ktri, credential.privateKey, keyLength, vb);
  }
  const kekKeys = options.kekKeys ?? [];
  for (const kekri of recipients.kekri) {
    const id = kekri.kekid.keyIdentifier.valueBlock.valueHexView;
    const kek = kekKeys.find((k) => bytesEqual(k.id, id));
    if (kek) return unwrappedKey(kekri, kek, keyLength, vb);
  }
  if (recipients.ktri.length > 0 && credentials.length > 0) {
    vb.fatal('DECRYPTION_PRIVATE_KEY_NOT_FOUND', 'envelope', 'none of our keys matches a recipient of this message');
  } else if (kekKeys.length > 0) {
    if (recipients.kekri.length === 0) vb.fatal('ENVELOPED_DATA_CONTAINS_NO_KEKRECIPIENTINFOS', 'envelope', 'the message has no KEK recipient');
    else vb.fatal('SECRET_KEY_CAN_NOT_DECRYPT_KEKRECIPIENTINFOS', 'envelope', 'none of our KGSS keys matches a KEK recipient');
  } else if (recipients.ktri.length === 0) {
    vb.fatal('ENVELOPED_DATA_CONTAINS_NO_KEYTRANSRECIPIENTINFOS', 'envelope', 'the message has no key-transport recipient');
  } else {
    vb.fatal('DECRYPTION_PRIVATE_KEY_NOT_FOUND', 'envelope', 'no decryption key was supplied');
  }
  return undefined;
}

function transportedKey(ktri: pkijs.KeyTransRecipientInfo, key: KeyObject, keyLength: number, vb: VerdictBuilder): Uint8Array | undefined {
  if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_DECRYPTION_KEY_BITS) {
    vb.error('DECRYPTION_ASYMMETRIC_KEY_LENGTH_UNAUTHORIZED', 'envelope', `our decryption key is below ${MIN_DECRYPTION_KEY_BITS} bits`);
  }
  const encryptedKey = ktri.encryptedKey.valueBlock.valueHexView;
  const algorithm = ktri.keyEncryptionAlgorithm.algorithmId;
  try {
    if (algorithm === OID.rsaEncryption) return decryptPkcs1v15Key(key, encryptedKey, keyLength);
    if (algorithm === OID.rsaOaep) {
      vb.error('DECRYPTION_ASYMMETRIC_KEY_ALGORITHM_UNAUTHORIZED', 'envelope', 'key transport is RSA-OAEP, not rsaEncryption');
      return oaepKey(ktri, key, keyLength);
    }
  } catch {
    // our key is not an RSA key: we cannot process this key transport
  }
  vb.fatal('DECRYPTION_ASYMMETRIC_KEY_ALGORITHM_UNAUTHORIZED', 'envelope', `key transport ${algorithm} is not supported`);
  return undefined;
}

function oaepKey(ktri: pkijs.KeyTransRecipientInfo, key: KeyObject, keyLength: number): Uint8Array {
  const params = ktri.keyEncryptionAlgorithm.algorithmParams;
  const oaep = params instanceof asn1js.Sequence ? new pkijs.RSAESOAEPParams({ schema: params }) : new pkijs.RSAESOAEPParams();
  const hash = { [OID.sha1]: 'sha1', [OID.sha256]: 'sha256', [OID.sha384]: 'sha384', [OID.sha512]: 'sha512' }[oaep.hashAlgorithm.algorithmId];
  try {
    const out = privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash ?? 'sha1' }, ktri.encryptedKey.valueBlock.valueHexView);
    if (out.length === keyLength) return out;
  } catch {
    // fall through: a random key makes the failure look like any wrong key
  }
  return randomBytes(keyLength);
}

function unwrappedKey(kekri: pkijs.KEKRecipientInfo, kek: KekKey, keyLength: number, vb: VerdictBuilder): Uint8Array | undefined {
  const wrap = KEY_WRAP[kekri.keyEncryptionAlgorithm.algorithmId];
  if (kek.key.length < MIN_KEK_BYTES) vb.error('DECRYPTION_SYMMETRIC_KEY_LENGTH_UNAUTHORIZED', 'envelope', 'the KGSS key is shorter than 128 bits');
  if (!wrap || wrap.keyLength !== kek.key.length) {
    vb.fatal('SECRET_KEY_CAN_NOT_DECRYPT_KEKRECIPIENTINFOS', 'envelope', 'KEK algorithm unsupported or not matching the key length');
    return undefined;
  }
  if (wrap.keyLength !== MIN_KEK_BYTES) vb.error('DECRYPTION_SYMMETRIC_KEY_ALGORITHM_UNAUTHORIZED', 'envelope', `KEK algorithm ${wrap.name} is not id-aes128-wrap`);
  try {
    const decipher = createDecipheriv(wrap.name, kek.key, AES_WRAP_IV);
    const cek = Buffer.concat([decipher.update(kekri.encryptedKey.valueBlock.valueHexView), decipher.final()]);
    if (cek.length === keyLength) return cek;
  } catch {
    // integrity check of the key wrap failed
  }
  vb.fatal('SECRET_KEY_CAN_NOT_DECRYPT_KEKRECIPIENTINFOS', 'envelope', 'the KGSS key does not unwrap the content key');
  return undefined;
}
