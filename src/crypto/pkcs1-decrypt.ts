/**
 * Recovery of the content-encryption key of an EnvelopedData (SEALING.md §3.4).
 * Its core is RSAES-PKCS1-v1_5 decryption with implicit rejection: Node 20
 * refuses `privateDecrypt` with RSA_PKCS1_PADDING (CVE-2023-46809), and eHealth
 * key transport is PKCS#1 v1.5 (§1.2, §6.3), so we do the raw RSA operation and
 * remove the padding ourselves without branching on the padded block. A
 * malformed block yields a deterministic pseudo-random key of the expected
 * length instead of an error, so the failure surfaces later as a
 * content-decryption failure, exactly as a wrong key would (no
 * Bleichenbacher/Marvin oracle). Around it: choosing our RecipientInfo, RSA-OAEP
 * (flagged), and AES key unwrap for KGSS KEK recipients.
 */
import { constants, createDecipheriv, createHash, createHmac, privateDecrypt, randomBytes, type KeyObject } from 'node:crypto';
import { CryptoError } from './errors.ts';
import type { Credential } from './types.ts';
import { OID, bytesEqual, oidOf as readOid, readCertificate, type AlgorithmId } from './cms-util.ts';
import { matchesIdentifier, type SignerIdentifier } from './cms-signer.ts';
import type { EteeErrorCode, EteeFatalCode } from './verdict.ts';

/** PKCS#1 v1.5 needs at least 8 non-zero padding octets (RFC 8017 §7.2.2). */
const MIN_PADDING_OCTETS = 8;
/** Domain-separation label for the implicit-rejection key derivation. */
const REJECTION_LABEL = Buffer.from('ehbox-bridge PKCS#1 v1.5 implicit rejection', 'utf8');
/** Largest symmetric key we unwrap (AES-256). */
const MAX_KEY_LENGTH = 64;

const rejectionSecrets = new WeakMap<KeyObject, Buffer>();

/** A secret derived from the private key alone, used to key the implicit-rejection PRF. */
function rejectionSecret(privateKey: KeyObject): Buffer {
  let secret = rejectionSecrets.get(privateKey);
  if (!secret) {
    const der = privateKey.export({ format: 'der', type: 'pkcs8' });
    secret = createHash('sha256').update(REJECTION_LABEL).update(der).digest();
    rejectionSecrets.set(privateKey, secret);
  }
  return secret;
}

/** Deterministic stand-in key: HMAC-SHA256(secret(privateKey), label || counter || ciphertext), expanded. */
function syntheticKey(privateKey: KeyObject, ciphertext: Uint8Array, length: number): Buffer {
  const secret = rejectionSecret(privateKey);
  const blocks: Buffer[] = [];
  for (let counter = 0; blocks.length * 32 < length; counter++) {
    blocks.push(createHmac('sha256', secret).update(Uint8Array.of(counter)).update(ciphertext).digest());
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/** 0xffffffff when a === b, else 0, without branching. */
function ctEqMask(a: number, b: number): number {
  const x = (a ^ b) >>> 0;
  // (x | -x) has its top bit set iff x !== 0
  return ~((x | -x) >> 31) >>> 0;
}

/** 0xffffffff when a >= b (both non-negative, < 2^31), else 0. */
function ctGeMask(a: number, b: number): number {
  return ~((a - b) >> 31) >>> 0;
}

/**
 * Decrypts a PKCS#1 v1.5-padded key of exactly `expectedLength` bytes. Never
 * throws for a bad ciphertext: any padding or length problem returns the
 * synthetic key instead (same length, same for the same ciphertext and key).
 * Throws CryptoError only for a bad call (not an RSA private key, silly length).
 */
export function decryptPkcs1v15Key(privateKey: KeyObject, ciphertext: Uint8Array, expectedLength: number): Uint8Array {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'rsa') {
    throw new CryptoError('INVALID_ARGUMENT', 'PKCS#1 v1.5 decryption needs an RSA private key');
  }
  if (!Number.isInteger(expectedLength) || expectedLength < 1 || expectedLength > MAX_KEY_LENGTH) {
    throw new CryptoError('INVALID_ARGUMENT', 'expected key length out of range');
  }
  const modulusBits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
  const k = Math.ceil(modulusBits / 8);
  const fallback = syntheticKey(privateKey, ciphertext, expectedLength);
  let em: Buffer;
  try {
    // Length and range of the ciphertext are public: rejecting them is no oracle.
    if (ciphertext.length !== k) return fallback;
    em = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, ciphertext);
  } catch {
    return fallback;
  }
  return unpadConstantTime(em, expectedLength, fallback);
}

/** Selects the message or the fallback in constant time over the whole block. */
function unpadConstantTime(em: Uint8Array, expectedLength: number, fallback: Uint8Array): Uint8Array {
  const k = em.length;
  let good = ctEqMask(em[0] ?? 1, 0) & ctEqMask(em[1] ?? 0, 2);
  let found = 0;
  let separator = 0;
  for (let i = 2; i < k; i++) {
    const isZero = ctEqMask(em[i]!, 0);
    const firstZero = isZero & ~found;
    separator = (separator & ~firstZero) | (i & firstZero);
    found |= isZero;
  }
  good &= found;
  good &= ctGeMask(separator, 2 + MIN_PADDING_OCTETS);
  good &= ctEqMask(k - separator - 1, expectedLength);
  const out = new Uint8Array(expectedLength);
  const offset = k - expectedLength;
  const byteMask = good & 0xff;
  for (let j = 0; j < expectedLength; j++) {
    out[j] = (em[offset + j]! & byteMask) | (fallback[j]! & ~byteMask & 0xff);
  }
  em.fill(0);
  return out;
}

// ------------------------------------------------------------------ choosing and opening our RecipientInfo

/** A RecipientInfo as the unsealer sees it. */
export type RecipientInfoFields =
  | { kind: 'ktri'; rid: SignerIdentifier; keyEncryptionAlgorithm: AlgorithmId; encryptedKey: Uint8Array }
  | { kind: 'kekri'; keyId: Uint8Array; keyEncryptionAlgorithm: AlgorithmId; encryptedKey: Uint8Array }
  | { kind: 'other' };

/** A KGSS key for KEKRecipientInfos. */
export interface KekKey {
  /** The raw key identifier (kekid.keyIdentifier). */
  id: Uint8Array;
  /** The AES key-encryption key. */
  key: Uint8Array;
}

/** Outcome of key recovery: the key (or a fatal), plus policy errors found on the way. */
export interface ContentKeyResult {
  key?: Uint8Array;
  fatal?: { code: EteeFatalCode; message: string };
  errors: { code: EteeErrorCode; message: string }[];
}

/** Smallest RSA decryption key of the KNOWN_RECIPIENT policy (§1.5). */
const MIN_DECRYPTION_KEY_BITS = 2048;
/** Smallest KEK of the UNKNOWN_RECIPIENT policy (AES-128). */
const MIN_KEK_BYTES = 16;
const AES_WRAP_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');
const KEY_WRAP: Record<string, { name: string; keyLength: number }> = {
  [OID.aes128Wrap]: { name: 'id-aes128-wrap', keyLength: 16 },
  [OID.aes192Wrap]: { name: 'id-aes192-wrap', keyLength: 24 },
  [OID.aes256Wrap]: { name: 'id-aes256-wrap', keyLength: 32 },
};
const OAEP_HASH: Record<string, string> = { [OID.sha1]: 'sha1', [OID.sha256]: 'sha256', [OID.sha384]: 'sha384', [OID.sha512]: 'sha512' };

/**
 * Finds the RecipientInfo addressed to one of our credentials (issuer+serial or
 * SKI of its certificate) or KGSS keys, and recovers a key of `keyLength` bytes.
 */
export function recoverContentKey(
  recipients: readonly RecipientInfoFields[],
  keyLength: number,
  credentials: readonly Credential[],
  kekKeys: readonly KekKey[],
): ContentKeyResult {
  const errors: ContentKeyResult['errors'] = [];
  const ktris = recipients.filter((r) => r.kind === 'ktri');
  const kekris = recipients.filter((r) => r.kind === 'kekri');
  for (const ktri of ktris) {
    const credential = credentials.find((c) => matchesIdentifier(ktri.rid, readCertificate(c.certificateDer)));
    if (credential) return transportedKey(ktri, credential.privateKey, keyLength, errors);
  }
  for (const kekri of kekris) {
    const kek = kekKeys.find((k) => bytesEqual(k.id, kekri.keyId));
    if (kek) return unwrappedKey(kekri, kek.key, keyLength, errors);
  }
  const fatal = (code: EteeFatalCode, message: string): ContentKeyResult => ({ fatal: { code, message }, errors });
  if (ktris.length > 0 && credentials.length > 0) return fatal('DECRYPTION_PRIVATE_KEY_NOT_FOUND', 'none of our keys matches a recipient of this message');
  if (kekKeys.length > 0) {
    return kekris.length === 0
      ? fatal('ENVELOPED_DATA_CONTAINS_NO_KEKRECIPIENTINFOS', 'the message has no KEK recipient')
      : fatal('SECRET_KEY_CAN_NOT_DECRYPT_KEKRECIPIENTINFOS', 'none of our KGSS keys matches a KEK recipient');
  }
  if (ktris.length === 0) return fatal('ENVELOPED_DATA_CONTAINS_NO_KEYTRANSRECIPIENTINFOS', 'the message has no key-transport recipient');
  return fatal('DECRYPTION_PRIVATE_KEY_NOT_FOUND', 'no decryption key was supplied');
}

function transportedKey(ktri: Extract<RecipientInfoFields, { kind: 'ktri' }>, key: KeyObject, keyLength: number, errors: ContentKeyResult['errors']): ContentKeyResult {
  if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_DECRYPTION_KEY_BITS) {
    errors.push({ code: 'DECRYPTION_ASYMMETRIC_KEY_LENGTH_UNAUTHORIZED', message: `our decryption key is below ${MIN_DECRYPTION_KEY_BITS} bits` });
  }
  const algorithm = ktri.keyEncryptionAlgorithm.oid;
  try {
    if (algorithm === OID.rsaEncryption) return { key: decryptPkcs1v15Key(key, ktri.encryptedKey, keyLength), errors };
    if (algorithm === OID.rsaOaep) {
      errors.push({ code: 'DECRYPTION_ASYMMETRIC_KEY_ALGORITHM_UNAUTHORIZED', message: 'key transport is RSA-OAEP, not rsaEncryption' });
      return { key: oaepKey(ktri, key, keyLength), errors };
    }
  } catch {
    // our key is not an RSA key: we cannot process this key transport
  }
  return { fatal: { code: 'DECRYPTION_ASYMMETRIC_KEY_ALGORITHM_UNAUTHORIZED', message: `key transport ${algorithm} is not supported` }, errors };
}

/** RSA-OAEP unwrap; any failure gives a random key so it looks like any wrong key later. */
function oaepKey(ktri: Extract<RecipientInfoFields, { kind: 'ktri' }>, key: KeyObject, keyLength: number): Uint8Array {
  const params = ktri.keyEncryptionAlgorithm.params;
  const hashParam = params?.tag === 0x30 ? params.children.find((c) => c.tag === 0xa0)?.children[0] : undefined;
  const hashOid = hashParam?.children[0];
  let hash = 'sha1';
  try {
    if (hashOid) hash = OAEP_HASH[readOid(hashOid)] ?? hash;
    const out = privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, ktri.encryptedKey);
    if (out.length === keyLength) return out;
  } catch {
    // fall through
  }
  return randomBytes(keyLength);
}

function unwrappedKey(kekri: Extract<RecipientInfoFields, { kind: 'kekri' }>, kek: Uint8Array, keyLength: number, errors: ContentKeyResult['errors']): ContentKeyResult {
  const wrap = KEY_WRAP[kekri.keyEncryptionAlgorithm.oid];
  if (kek.length < MIN_KEK_BYTES) errors.push({ code: 'DECRYPTION_SYMMETRIC_KEY_LENGTH_UNAUTHORIZED', message: 'the KGSS key is shorter than 128 bits' });
  const fatal: ContentKeyResult = { fatal: { code: 'SECRET_KEY_CAN_NOT_DECRYPT_KEKRECIPIENTINFOS', message: 'the KGSS key does not unwrap the content key' }, errors };
  if (!wrap || wrap.keyLength !== kek.length) return fatal;
  if (wrap.keyLength !== MIN_KEK_BYTES) errors.push({ code: 'DECRYPTION_SYMMETRIC_KEY_ALGORITHM_UNAUTHORIZED', message: `KEK algorithm ${wrap.name} is not id-aes128-wrap` });
  try {
    const decipher = createDecipheriv(wrap.name, kek, AES_WRAP_IV);
    const cek = Buffer.concat([decipher.update(kekri.encryptedKey), decipher.final()]);
    if (cek.length === keyLength) return { key: cek, errors };
  } catch {
    // the RFC 3394 integrity check failed: wrong KEK or tampered key
  }
  return fatal;
}
