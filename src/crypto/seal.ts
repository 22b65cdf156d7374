/**
 * ETEE sealing (SEALING.md §1): inner SignedData → EnvelopedData → outer
 * SignedData. A seal costs exactly two RSA signatures whatever the number of
 * recipients, and the inner signature is made once per content: `signInner`
 * once, then `sealInner` for each recipient set (or once for all of them).
 * Large payloads are never copied into intermediate buffers: every layer is a
 * list of DER chunks and only the final blob is assembled.
 */
import { constants, createCipheriv, createPublicKey, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import { CryptoError } from './errors.ts';
import type { Credential } from './types.ts';
import { assertSigningKey, buildSignedData, pssSha256Signer, type RawSigner } from './cms-signer.ts';
import {
  DER_NULL, OID, readCertificate, chunksLength, derAlgorithm, derOctetString, derOid, derSequence, derSetOf,
  derSmallInteger, tlv, wrapChunks,
} from './cms-util.ts';

/** AES-128 content-encryption key length (EncryptionPolicy KNOWN_RECIPIENT, §1.5). */
const CEK_LENGTH = 16;
/** AES block / CBC IV length. */
const IV_LENGTH = 16;
/** Smallest RSA recipient key of the KNOWN_RECIPIENT policy. */
const MIN_RECIPIENT_KEY_BITS = 2048;
/** The id-aes128-wrap default IV of RFC 3394 §2.2.3.1. */
const AES_WRAP_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');
/** Largest content we seal in memory; eHealthBox messages are far smaller. */
export const MAX_SEAL_CONTENT_BYTES = 512 * 1024 * 1024;

/** A KGSS symmetric key for the unaddressed variant (SEALING.md §1.4). */
export interface KekRecipient {
  /** The raw key identifier bytes (kekid.keyIdentifier). */
  id: Uint8Array;
  /** The AES-128 key-encryption key. */
  key: Uint8Array;
}

/**
 * The inner, author-signed layer of a sealed message, reusable for any number
 * of recipient sets. It references the content buffer given to `signInner`
 * (no copy): do not modify that buffer while the InnerSigned is in use.
 */
export interface InnerSigned {
  /** DER of ContentInfo{SignedData} as chunks (the content chunk is the caller's buffer, not a copy). */
  readonly chunks: readonly Uint8Array[];
  readonly byteLength: number;
}

/** Options shared by the sealing functions. */
export interface SealOptions {
  /** Signing time of the signed attributes; defaults to now. */
  signingTime?: Date;
  /** Signature producer (HSM, counting in tests); defaults to node:crypto RSASSA-PSS. */
  rawSigner?: RawSigner;
}

/** Who and for whom to seal. */
export interface SealParams extends SealOptions {
  sender: Credential;
  /** DER encryption certificates from the recipients' ETKs; one RecipientInfo each. */
  recipients: readonly Uint8Array[];
  /** KGSS keys for KEKRecipientInfos (may be mixed with certificate recipients). */
  kek?: readonly KekRecipient[];
}

/** Options of the inner signature. */
export interface InnerOptions extends SealOptions {
  /**
   * Embed the signer's certificate chain in the inner layer. Only for an author
   * key different from the outer (authentication) key, e.g. an eID signature key
   * (SEALING.md §1.3); eHealth keystores sign both layers with one key and embed nothing.
   */
  embedCertificates?: boolean;
}

/** Signs the clear content once (inner SignedData, by default without certificates). One RSA signature. */
export function signInner(content: Uint8Array, sender: Credential, options: InnerOptions = {}): InnerSigned {
  if (content.length > MAX_SEAL_CONTENT_BYTES) throw new CryptoError('INPUT_TOO_LARGE', 'content too large to seal');
  assertSigningKey(sender);
  const chunks = buildSignedData([content], {
    signer: sender,
    signingTime: options.signingTime ?? new Date(),
    certificates: options.embedCertificates ? [sender.certificateDer, ...sender.chainDer] : [],
    rawSigner: options.rawSigner ?? pssSha256Signer,
  });
  return Object.freeze({ chunks: Object.freeze(chunks), byteLength: chunksLength(chunks) });
}

/** The inner SignedData as one DER buffer (for inspection; sealing does not need it). */
export function innerSignedDer(inner: InnerSigned): Uint8Array {
  return Buffer.concat(inner.chunks as Uint8Array[]);
}

/**
 * Encrypts an InnerSigned for a recipient set and signs the envelope (outer
 * SignedData with the sender's certificate chain). One RSA signature, whatever
 * the number of recipients.
 */
export function sealInner(
  inner: InnerSigned,
  recipients: readonly Uint8Array[],
  sender: Credential,
  options: SealOptions & { kek?: readonly KekRecipient[] } = {},
): Uint8Array {
  const kek = options.kek ?? [];
  if (recipients.length === 0 && kek.length === 0) throw new CryptoError('INVALID_ARGUMENT', 'sealing needs at least one recipient');
  assertSigningKey(sender);
  const envelope = buildEnvelope(inner, recipients, kek);
  const outer = buildSignedData(envelope, {
    signer: sender,
    signingTime: options.signingTime ?? new Date(),
    certificates: [sender.certificateDer, ...sender.chainDer],
    rawSigner: options.rawSigner ?? pssSha256Signer,
  });
  return Buffer.concat(outer);
}

/** Convenience: signInner + sealInner for one content and one recipient set. */
export function seal(content: Uint8Array, params: SealParams): Uint8Array {
  const options: SealOptions = {};
  if (params.signingTime) options.signingTime = params.signingTime;
  if (params.rawSigner) options.rawSigner = params.rawSigner;
  const inner = signInner(content, params.sender, options);
  return sealInner(inner, params.recipients, params.sender, { ...options, ...(params.kek ? { kek: params.kek } : {}) });
}

// ------------------------------------------------------------------ EnvelopedData

interface PreparedRecipient {
  issuerAndSerial: Uint8Array;
  publicKey: KeyObject;
}

const preparedRecipients = new WeakMap<Uint8Array, PreparedRecipient>();

function prepareRecipient(certificateDer: Uint8Array): PreparedRecipient {
  const cached = preparedRecipients.get(certificateDer);
  if (cached) return cached;
  const fields = readCertificate(certificateDer);
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: Buffer.from(fields.spki), format: 'der', type: 'spki' });
  } catch (err) {
    throw new CryptoError('MALFORMED_CERTIFICATE', 'recipient certificate has an unreadable public key', { cause: err });
  }
  const bits = publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (publicKey.asymmetricKeyType !== 'rsa' || bits < MIN_RECIPIENT_KEY_BITS) {
    throw new CryptoError('UNSUPPORTED_ALGORITHM', `recipient key must be RSA ≥ ${MIN_RECIPIENT_KEY_BITS} bits`);
  }
  const prepared = { issuerAndSerial: fields.issuerAndSerial, publicKey };
  preparedRecipients.set(certificateDer, prepared);
  return prepared;
}

const RSA_ENCRYPTION = derAlgorithm(OID.rsaEncryption, DER_NULL);
const AES128_WRAP = derAlgorithm(OID.aes128Wrap);

/** KeyTransRecipientInfo v0, RSAES-PKCS1-v1_5 (what the eHealth unsealer requires, §1.2). */
function keyTransRecipient(certificateDer: Uint8Array, cek: Uint8Array): Uint8Array {
  const r = prepareRecipient(certificateDer);
  const encryptedKey = publicEncrypt({ key: r.publicKey, padding: constants.RSA_PKCS1_PADDING }, cek);
  return derSequence(derSmallInteger(0), r.issuerAndSerial, RSA_ENCRYPTION, derOctetString(encryptedKey));
}

/** KEKRecipientInfo v4 ([2] IMPLICIT), id-aes128-wrap (§1.4). */
function kekRecipient(kek: KekRecipient, cek: Uint8Array): Uint8Array {
  if (kek.key.length !== CEK_LENGTH) throw new CryptoError('INVALID_ARGUMENT', 'a KGSS key must be 16 bytes (AES-128)');
  if (kek.id.length === 0) throw new CryptoError('INVALID_ARGUMENT', 'a KGSS key needs a key identifier');
  const wrap = createCipheriv('id-aes128-wrap', kek.key, AES_WRAP_IV);
  const wrapped = Buffer.concat([wrap.update(cek), wrap.final()]);
  return tlv(0xa2, derSmallInteger(4), derSequence(derOctetString(kek.id)), AES128_WRAP, derOctetString(wrapped));
}

function buildEnvelope(inner: InnerSigned, recipients: readonly Uint8Array[], kek: readonly KekRecipient[]): Uint8Array[] {
  const cek = randomBytes(CEK_LENGTH);
  const iv = randomBytes(IV_LENGTH);
  try {
    const infos = [...recipients.map((r) => keyTransRecipient(r, cek)), ...kek.map((k) => kekRecipient(k, cek))];
    const cipher = createCipheriv('aes-128-cbc', cek, iv);
    const ciphertext: Uint8Array[] = [];
    for (const chunk of inner.chunks) {
      const out = cipher.update(chunk);
      if (out.length > 0) ciphertext.push(out);
    }
    ciphertext.push(cipher.final());
    const encryptedContentInfo = wrapChunks(0x30, [
      derOid(OID.data),
      derAlgorithm(OID.aes128Cbc, derOctetString(iv)),
      ...wrapChunks(0x80, ciphertext), // [0] IMPLICIT OCTET STRING, primitive
    ]);
    const envelopedData = wrapChunks(0x30, [
      derSmallInteger(kek.length > 0 ? 2 : 0),
      derSetOf(infos),
      ...encryptedContentInfo,
    ]);
    return wrapChunks(0x30, [derOid(OID.envelopedData), ...wrapChunks(0xa0, envelopedData)]);
  } finally {
    cek.fill(0);
  }
}
