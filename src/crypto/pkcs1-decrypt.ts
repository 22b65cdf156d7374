/**
 * RSAES-PKCS1-v1_5 decryption of a content-encryption key, with implicit
 * rejection. Node 20 refuses `privateDecrypt` with RSA_PKCS1_PADDING
 * (CVE-2023-46809), and eHealth key transport is PKCS#1 v1.5 (SEALING.md §1.2,
 * §6.3), so we do the raw RSA operation and remove the padding ourselves
 * without branching on the padded block. A malformed block yields a
 * deterministic pseudo-random key of the expected length instead of an error,
 * so the failure surfaces later as a content-decryption failure, exactly as a
 * wrong key would (no Bleichenbacher/Marvin oracle).
 */
import { constants, createHash, createHmac, privateDecrypt, type KeyObject } from 'node:crypto';
import { CryptoError } from './errors.ts';

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
