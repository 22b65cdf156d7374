/**
 * ETEE unsealing (SEALING.md §3): verify the outer SignedData, decrypt the
 * EnvelopedData with one of our keys, verify the inner SignedData, and report
 * every finding with the eHealth codes in a Verdict. Garbage never throws: it
 * becomes a fatal in the verdict. Content is returned only without a fatal,
 * and then always together with the verdict (ok=false when an error was found).
 */
import { createDecipheriv, type KeyObject } from 'node:crypto';
import { CryptoError } from './errors.ts';
import type { Credential } from './types.ts';
import {
  OID, algorithmOf, child, expectTag, malformed, nameToString, octetsOf, oidOf, parseBer, serialToDecimal, smallIntegerOf,
  type AlgorithmId, type Ber,
} from './cms-util.ts';
import {
  KEY_USAGE, chainTrusted, checkSignerInfo, identifierOf, keyUsageAllows, matchesIdentifier, parseSignedData, signingTimeOf,
  validityAt, verifierCertificate, type SignaturePolicy, type SignerInfoCheck, type SignerInfoFields, type VerifierCertificate,
} from './cms-signer.ts';
import { recoverContentKey, type KekKey, type RecipientInfoFields } from './pkcs1-decrypt.ts';
import { VerdictBuilder, type EteeLayer, type SignerIdentity, type Verdict } from './verdict.ts';

/** Accepted signing-time lag: SIGNING_TIME_EXPIRATION (5 min) + CLOCK_SKEW (5 min), §3.3. */
const SIGNING_TIME_MAX_AGE_MS = 10 * 60_000;
/** Accepted signing time in the future: CLOCK_SKEW, §3.3. */
const SIGNING_TIME_MAX_AHEAD_MS = 5 * 60_000;
/** Default cap on a sealed blob; far above any eHealthBox message. */
export const MAX_UNSEAL_BYTES = 512 * 1024 * 1024;

/** KGSS keys for KEKRecipientInfos (defined with the key-recovery code). */
export type { KekKey };

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
  signerInfo: SignerInfoFields;
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

interface VerifyContext {
  anchors: readonly VerifierCertificate[];
  certTime: Date;
  requireNonRepudiation: boolean;
  vb: VerdictBuilder;
}

const PREFIX = { outer: 'OUTER', inner: 'INNER' } as const;

/** Unseals a sealed field. Throws only CryptoError for a bad call (oversized input, unreadable trust anchor). */
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
  let sd;
  try {
    sd = parseSignedData(bytes);
  } catch (err) {
    vb.fatal(`${P}_SIGNED_DATA_STRUCTURE_INCORRECT`, layer, `${layer} layer is not a CMS SignedData: ${describe(err)}`);
    return undefined;
  }
  const count = sd.signerInfos.length;
  if (count !== 1) {
    const code = count === 0 ? (`MESSAGE_${P}_SIGNED_PART_HAS_NO_SIGNER_INFORMATION` as const) : (`MESSAGE_${P}_SIGNED_PART_HAS_MORE_THAN_ONE_SIGNER_INFORMATION` as const);
    vb.fatal(code, layer, `${layer} SignedData has ${count} SignerInfos; exactly one is required`);
    return undefined;
  }
  if (!sd.eContent) {
    vb.fatal(`${P}_SIGNED_DATA_CONTENT_MISSING`, layer, `${layer} SignedData carries no content`);
    return undefined;
  }
  let certificates: VerifierCertificate[];
  try {
    certificates = sd.certificates.map((der) => verifierCertificate(der));
  } catch (err) {
    vb.fatal(`${P}_SIGNED_DATA_CONTAINS_INCORRECTLY_ENCODED_CERTIFICATES_SET`, layer, `${layer} certificates: ${describe(err)}`);
    return undefined;
  }
  return { layer, signerInfo: sd.signerInfos[0]!, eContentType: sd.eContentType, content: sd.eContent, certificates };
}

/** Reads the outer signing time and applies the §3.3 window; returns the time to check certificates at. */
function checkSigningTime(si: SignerInfoFields, at: Date, vb: VerdictBuilder): Date | undefined {
  const { signingTime, signingTimeState } = signingTimeOf(si);
  if (signingTimeState === 'absent') {
    vb.warn('SIGNING_TIME_MISSING', 'outer', 'the outer signature has no signing time; certificates checked at the verification time');
  }
  if (!signingTime) return undefined; // an invalid one is reported by the signature check
  vb.signingTime = signingTime;
  const lag = at.getTime() - signingTime.getTime();
  if (lag > SIGNING_TIME_MAX_AGE_MS || -lag > SIGNING_TIME_MAX_AHEAD_MS) {
    vb.warn('SIGNING_TIME_EXPIRED', 'outer', `signing time ${signingTime.toISOString()} is outside [-10 min, +5 min] of ${at.toISOString()}`);
  }
  return signingTime;
}

function identity(c: VerifierCertificate): SignerIdentity {
  return { subject: nameToString(c.info.subjectName), issuer: nameToString(c.info.issuerName), serial: serialToDecimal(c.info.serial) };
}

/** Picks the certificate that verifies a layer (§3.2): outer from the message, inner own or the outer one. */
function signerCertificate(layer: ParsedLayer, outer: OuterContext | undefined, vb: VerdictBuilder): VerifierCertificate | undefined {
  const sid = layer.signerInfo.sid;
  const outerCert = outer?.result.certificate;
  const own = layer.certificates.find((c) => matchesIdentifier(sid, c.info));
  if (own) {
    if (outerCert && !sameHolder(own, outerCert)) {
      vb.error('MESSAGE_INTEGRITY_INVALID', 'inner', 'the inner signer is not the same person as the outer signer');
    }
    return own;
  }
  if (outerCert && matchesIdentifier(sid, outerCert.info)) return outerCert;
  vb.error(`${PREFIX[layer.layer]}_CERTIFICATE_EXPECTED_BUT_NOT_PRESENT`, layer.layer, `the ${layer.layer} signer certificate is not available`);
  return undefined;
}

/** Same person: equal DN SERIALNUMBER when present (eID), otherwise an identical subject DN. */
function sameHolder(a: VerifierCertificate, b: VerifierCertificate): boolean {
  const serialOf = (c: VerifierCertificate): string | undefined => c.info.subjectName.find((n) => n.type === OID.dnSerialNumber)?.value;
  const sa = serialOf(a);
  const sb = serialOf(b);
  if (sa !== undefined || sb !== undefined) return sa === sb;
  return nameToString(a.info.subjectName) === nameToString(b.info.subjectName);
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
  if (!check.policy) vb.error(`${P}_SIGNATURE_ALGORITHM_UNAUTHORIZED`, L, `${L} signature algorithm ${si.signatureAlgorithm.oid} is not authorized`);
  if (!check.digestAuthorized) vb.error(`${P}_SIGNATURE_DIGEST_ALGORITHM_UNAUTHORIZED`, L, `${L} digest algorithm ${si.digestAlgorithm.oid} is not authorized`);
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
  if (!keyUsageAllows(certificate.info, usage)) vb.error(`${P}_CERTIFICATE_HAS_INVALID_KEYUSAGE`, L, `${L} signer certificate key usage does not allow this signature`);
  const validity = validityAt(certificate.info, ctx.certTime);
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

function recipientOf(node: Ber): RecipientInfoFields {
  if (node.tag === 0x30) {
    smallIntegerOf(child(node, 0));
    return { kind: 'ktri', rid: identifierOf(child(node, 1)), keyEncryptionAlgorithm: algorithmOf(child(node, 2)), encryptedKey: octetsOf(child(node, 3, 0x04)) };
  }
  if (node.tag === 0xa2) {
    smallIntegerOf(child(node, 0));
    const keyId = octetsOf(child(child(node, 1, 0x30), 0, 0x04));
    return { kind: 'kekri', keyId, keyEncryptionAlgorithm: algorithmOf(child(node, 2)), encryptedKey: octetsOf(child(node, 3, 0x04)) };
  }
  return { kind: 'other' };
}

interface EnvelopeFields {
  recipients: RecipientInfoFields[];
  algorithm: AlgorithmId;
  encrypted: Uint8Array;
}

function parseEnvelope(bytes: Uint8Array): EnvelopeFields {
  const info = expectTag(parseBer(bytes), 0x30, 'ContentInfo');
  const type = oidOf(child(info, 0));
  if (type !== OID.envelopedData) throw malformed(`content type ${type} is not envelopedData`);
  const ed = child(child(info, 1, 0xa0), 0, 0x30);
  smallIntegerOf(child(ed, 0));
  const at = ed.children[1]?.tag === 0xa0 ? 2 : 1; // originatorInfo
  const recipients = child(ed, at, 0x31).children.map(recipientOf);
  if (recipients.length === 0) throw malformed('no RecipientInfo');
  const eci = child(ed, at + 1, 0x30);
  const encrypted = eci.children[2];
  if (!encrypted || (encrypted.tag !== 0x80 && encrypted.tag !== 0xa0)) throw malformed('no encrypted content');
  oidOf(child(eci, 0));
  return { recipients, algorithm: algorithmOf(child(eci, 1)), encrypted: octetsOf(encrypted) };
}

/** Decrypts the EnvelopedData (the outer content) to the inner layer bytes, or records a fatal. */
function decryptEnvelope(bytes: Uint8Array, options: UnsealOptions, vb: VerdictBuilder): Uint8Array | undefined {
  let env: EnvelopeFields;
  try {
    env = parseEnvelope(bytes);
  } catch (err) {
    vb.fatal('ENVELOPED_DATA_STRUCTURE_INCORRECT', 'envelope', `the outer content is not a CMS EnvelopedData: ${describe(err)}`);
    return undefined;
  }
  const cipher = CONTENT_CIPHERS[env.algorithm.oid];
  if (!cipher) {
    vb.fatal('DECRYPTION_SYMMETRIC_KEY_ALGORITHM_UNAUTHORIZED', 'envelope', `content encryption ${env.algorithm.oid} is not supported`);
    return undefined;
  }
  if (env.algorithm.oid !== OID.aes128Cbc) {
    vb.error('DECRYPTION_SYMMETRIC_KEY_ALGORITHM_UNAUTHORIZED', 'envelope', `content encryption ${cipher.name} is not AES-128-CBC`);
  }
  const params = env.algorithm.params;
  const iv = params?.tag === 0x04 ? octetsOf(params) : undefined;
  if (!iv || iv.length !== cipher.ivLength) {
    vb.fatal('ENVELOPED_DATA_STRUCTURE_INCORRECT', 'envelope', 'content encryption parameters are not a valid IV');
    return undefined;
  }
  const recovered = recoverContentKey(env.recipients, cipher.keyLength, options.credentials ?? [], options.kekKeys ?? []);
  for (const e of recovered.errors) vb.error(e.code, 'envelope', e.message);
  if (!recovered.key) {
    const f = recovered.fatal ?? { code: 'DECRYPTION_PRIVATE_KEY_NOT_FOUND' as const, message: 'no content key' };
    vb.fatal(f.code, 'envelope', f.message);
    return undefined;
  }
  const cek = recovered.key;
  try {
    const decipher = createDecipheriv(cipher.name, cek, iv);
    return Buffer.concat([decipher.update(env.encrypted), decipher.final()]);
  } catch {
    vb.fatal('DECRYPTION_SYMMETRIC_KEY_ALGORITHM_PADDING_UNAUTHORIZED', 'envelope', 'content decryption failed (bad padding: wrong or corrupted key or content)');
    return undefined;
  } finally {
    cek.fill(0);
  }
}
