/**
 * Password-based encryption used inside PKCS#12 files: the RFC 7292
 * appendix B key derivation (for the legacy pbeWithSHAAnd… schemes and for
 * the HMAC integrity key), the legacy ciphers eHealth keystores use
 * (3DES and RC2-40, plus their siblings) and PBES2 (PBKDF2 + AES/3DES) that
 * modern OpenSSL writes. Node 20's default provider has no RC2, so RC2 comes
 * from node-forge; everything else is node:crypto.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import forge from 'node-forge';
import { CryptoError } from './errors.ts';

/**
 * Highest iteration count accepted for one derivation. Real eHealth keystores
 * use 50 000 (keys) and 100 000 (MAC); ten times that still derives in about
 * a second, while a hostile count (2^31) would spin for hours.
 */
export const MAX_PBE_ITERATIONS = 1_000_000;

/** OIDs of the legacy PKCS#12 PBE schemes (RFC 7292 appendix C). */
export const PBE_OID = {
  sha1Rc4_128: '1.2.840.113549.1.12.1.1',
  sha1Rc4_40: '1.2.840.113549.1.12.1.2',
  sha1TripleDes3Key: '1.2.840.113549.1.12.1.3',
  sha1TripleDes2Key: '1.2.840.113549.1.12.1.4',
  sha1Rc2_128: '1.2.840.113549.1.12.1.5',
  sha1Rc2_40: '1.2.840.113549.1.12.1.6',
} as const;

/** Digest OIDs usable for the PKCS#12 MAC, with their node name and KDF block size. */
const DIGESTS: Record<string, { name: string; blockSize: number }> = {
  '1.3.14.3.2.26': { name: 'sha1', blockSize: 64 },
  '2.16.840.1.101.3.4.2.4': { name: 'sha224', blockSize: 64 },
  '2.16.840.1.101.3.4.2.1': { name: 'sha256', blockSize: 64 },
  '2.16.840.1.101.3.4.2.2': { name: 'sha384', blockSize: 128 },
  '2.16.840.1.101.3.4.2.3': { name: 'sha512', blockSize: 128 },
};

/** OID of SHA-1, the MAC digest real eHealth keystores use. */
export const SHA1_OID = '1.3.14.3.2.26';

type LegacyCipher = { kind: 'des'; node: string; keyLength: number } | { kind: 'rc2'; keyLength: number; effectiveBits: number };

const LEGACY_CIPHERS: Record<string, LegacyCipher> = {
  [PBE_OID.sha1TripleDes3Key]: { kind: 'des', node: 'des-ede3-cbc', keyLength: 24 },
  [PBE_OID.sha1TripleDes2Key]: { kind: 'des', node: 'des-ede-cbc', keyLength: 16 },
  [PBE_OID.sha1Rc2_128]: { kind: 'rc2', keyLength: 16, effectiveBits: 128 },
  [PBE_OID.sha1Rc2_40]: { kind: 'rc2', keyLength: 5, effectiveBits: 40 },
};

/** The PBKDF2 PRFs and PBES2 ciphers we accept (RFC 8018). */
const PBKDF2_PRFS: Record<string, string> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.8': 'sha224',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};
const PBES2_CIPHERS: Record<string, { node: string; keyLength: number; ivLength: number }> = {
  '2.16.840.1.101.3.4.1.2': { node: 'aes-128-cbc', keyLength: 16, ivLength: 16 },
  '2.16.840.1.101.3.4.1.22': { node: 'aes-192-cbc', keyLength: 24, ivLength: 16 },
  '2.16.840.1.101.3.4.1.42': { node: 'aes-256-cbc', keyLength: 32, ivLength: 16 },
  '1.2.840.113549.3.7': { node: 'des-ede3-cbc', keyLength: 24, ivLength: 8 },
};

/** Parsed PBE parameters of one encrypted blob: the legacy PKCS#12 kind or PBES2. */
export type PbeParams =
  | { scheme: 'pkcs12'; oid: string; salt: Uint8Array; iterations: number }
  | {
      scheme: 'pbes2';
      salt: Uint8Array;
      iterations: number;
      keyLength: number | undefined;
      prfOid: string;
      cipherOid: string;
      iv: Uint8Array;
    };

/** Purpose bytes of the RFC 7292 KDF (appendix B.3). */
const KDF_ID = { key: 1, iv: 2, mac: 3 } as const;

/** Encodes a password the way PKCS#12 wants it: BMPString (UTF-16BE) with a two-byte zero terminator. */
export function bmpPassword(password: string): Uint8Array {
  const out = new Uint8Array(password.length * 2 + 2);
  for (let i = 0; i < password.length; i++) {
    const unit = password.charCodeAt(i);
    out[i * 2] = unit >> 8;
    out[i * 2 + 1] = unit & 0xff;
  }
  return out;
}

function checkIterations(iterations: number): void {
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_PBE_ITERATIONS) {
    throw new CryptoError('PKCS12_UNSUPPORTED_ALGORITHM', `PBE iteration count ${iterations} is outside 1..${MAX_PBE_ITERATIONS}`);
  }
}

function repeatToBlocks(data: Uint8Array, v: number): Uint8Array {
  if (data.length === 0) return new Uint8Array(0);
  const out = new Uint8Array(v * Math.ceil(data.length / v));
  for (let i = 0; i < out.length; i++) out[i] = data[i % data.length]!;
  return out;
}

/**
 * The PKCS#12 key derivation of RFC 7292 appendix B.2. `password` is already
 * BMP-encoded; `id` says what is derived (1 key, 2 IV, 3 MAC key).
 */
export function pkcs12Kdf(
  hash: string,
  blockSize: number,
  password: Uint8Array,
  salt: Uint8Array,
  id: number,
  iterations: number,
  size: number,
): Uint8Array {
  checkIterations(iterations);
  const v = blockSize;
  const diversifier = new Uint8Array(v).fill(id);
  const input = new Uint8Array([...repeatToBlocks(salt, v), ...repeatToBlocks(password, v)]);
  const out = new Uint8Array(size);
  for (let done = 0; done < size; ) {
    let a: Uint8Array = createHash(hash).update(diversifier).update(input).digest();
    for (let r = 1; r < iterations; r++) a = createHash(hash).update(a).digest();
    out.set(a.subarray(0, Math.min(a.length, size - done)), done);
    done += a.length;
    if (done >= size) break;
    const b = repeatToBlocks(a, v).subarray(0, v);
    for (let j = 0; j < input.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = input[j + k]! + b[k]! + carry;
        input[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return out;
}

/** Computes the PKCS#12 MAC (HMAC with a KDF-derived key) over `data`. */
export function computeMac(digestOid: string, password: Uint8Array, salt: Uint8Array, iterations: number, data: Uint8Array): Uint8Array {
  const digest = DIGESTS[digestOid];
  if (!digest) throw new CryptoError('PKCS12_UNSUPPORTED_ALGORITHM', `unsupported PKCS#12 MAC digest ${digestOid}`);
  const size = createHash(digest.name).digest().length;
  const key = pkcs12Kdf(digest.name, digest.blockSize, password, salt, KDF_ID.mac, iterations, size);
  return createHmac(digest.name, key).update(data).digest();
}

/** Constant-time comparison of a stored MAC with a computed one. */
export function macMatches(expected: Uint8Array, actual: Uint8Array): boolean {
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function pkcs7Pad(data: Uint8Array, blockSize: number): Uint8Array {
  const pad = blockSize - (data.length % blockSize);
  const out = new Uint8Array(data.length + pad);
  out.set(data);
  out.fill(pad, data.length);
  return out;
}

/** Strict PKCS#7 unpadding; undefined when the padding is wrong (usually a wrong password). */
function pkcs7Unpad(data: Uint8Array, blockSize: number): Uint8Array | undefined {
  if (data.length === 0 || data.length % blockSize !== 0) return undefined;
  const pad = data[data.length - 1]!;
  if (pad < 1 || pad > blockSize) return undefined;
  for (let i = data.length - pad; i < data.length; i++) if (data[i] !== pad) return undefined;
  return data.subarray(0, data.length - pad);
}

function rc2Cbc(encrypt: boolean, key: Uint8Array, effectiveBits: number, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const binary = (b: Uint8Array): string => Buffer.from(b).toString('binary');
  const keyBuf = forge.util.createBuffer(binary(key));
  const cipher = encrypt ? forge.rc2.createEncryptionCipher(keyBuf, effectiveBits) : forge.rc2.createDecryptionCipher(keyBuf, effectiveBits);
  cipher.start(forge.util.createBuffer(binary(iv)));
  cipher.update(forge.util.createBuffer(binary(data)));
  // Padding is done by the caller (strictly); tell forge to leave it alone.
  if (!cipher.finish(() => true)) throw new CryptoError('MALFORMED_PKCS12', 'RC2 input is not a whole number of blocks');
  return Buffer.from(cipher.output.getBytes(), 'binary');
}

function nodeCbc(encrypt: boolean, name: string, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const cipher = encrypt ? createCipheriv(name, key, iv) : createDecipheriv(name, key, iv);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

function legacyCipher(oid: string): LegacyCipher {
  const cipher = LEGACY_CIPHERS[oid];
  if (!cipher) throw new CryptoError('PKCS12_UNSUPPORTED_ALGORITHM', `unsupported PKCS#12 PBE algorithm ${oid}`);
  return cipher;
}

function legacyCrypt(encrypt: boolean, oid: string, password: Uint8Array, salt: Uint8Array, iterations: number, data: Uint8Array): Uint8Array {
  const cipher = legacyCipher(oid);
  const key = pkcs12Kdf('sha1', 64, password, salt, KDF_ID.key, iterations, cipher.keyLength);
  const iv = pkcs12Kdf('sha1', 64, password, salt, KDF_ID.iv, iterations, 8);
  return cipher.kind === 'rc2' ? rc2Cbc(encrypt, key, cipher.effectiveBits, iv, data) : nodeCbc(encrypt, cipher.node, key, iv, data);
}

/**
 * Encrypts with a legacy PKCS#12 PBE scheme (what eHealth keystores use:
 * 3DES for keys, RC2-40 for certificates). Returns the ciphertext, PKCS#7 padded.
 */
export function legacyPbeEncrypt(oid: string, password: string, salt: Uint8Array, iterations: number, plain: Uint8Array): Uint8Array {
  return legacyCrypt(true, oid, bmpPassword(password), salt, iterations, pkcs7Pad(plain, 8));
}

function pbes2Decrypt(params: Extract<PbeParams, { scheme: 'pbes2' }>, password: string, data: Uint8Array): Uint8Array {
  const prf = PBKDF2_PRFS[params.prfOid];
  const cipher = PBES2_CIPHERS[params.cipherOid];
  if (!prf) throw new CryptoError('PKCS12_UNSUPPORTED_ALGORITHM', `unsupported PBKDF2 PRF ${params.prfOid}`);
  if (!cipher) throw new CryptoError('PKCS12_UNSUPPORTED_ALGORITHM', `unsupported PBES2 cipher ${params.cipherOid}`);
  if (params.keyLength !== undefined && params.keyLength !== cipher.keyLength) {
    throw new CryptoError('MALFORMED_PKCS12', `PBES2 key length ${params.keyLength} does not fit ${cipher.node}`);
  }
  if (params.iv.length !== cipher.ivLength) throw new CryptoError('MALFORMED_PKCS12', `PBES2 IV has ${params.iv.length} bytes`);
  checkIterations(params.iterations);
  // OpenSSL and Java feed PBKDF2 the UTF-8 bytes of the password (not BMP).
  const key = pbkdf2Sync(Buffer.from(password, 'utf8'), params.salt, params.iterations, cipher.keyLength, prf);
  return nodeCbc(false, cipher.node, key, params.iv, data);
}

/**
 * Decrypts one PBE-protected blob (shrouded key bag or EncryptedData).
 * `bmp` is the BMP-encoded password that verified the MAC (it can differ from
 * bmpPassword(password) for the empty password). Returns undefined when the
 * padding is wrong, which with an unverified MAC means a wrong password.
 */
export function pbeDecrypt(params: PbeParams, password: string, bmp: Uint8Array, data: Uint8Array): Uint8Array | undefined {
  if (params.scheme === 'pkcs12') {
    if (data.length % 8 !== 0) return undefined;
    const raw = legacyCrypt(false, params.oid, bmp, params.salt, params.iterations, data);
    return pkcs7Unpad(raw, 8);
  }
  const blockSize = PBES2_CIPHERS[params.cipherOid]?.ivLength ?? 16;
  if (data.length % blockSize !== 0) return undefined;
  return pkcs7Unpad(pbes2Decrypt(params, password, data), blockSize);
}

/** True when the OID names a legacy PKCS#12 PBE scheme we can decrypt (RC4 ones are not). */
export function isLegacyPbeSupported(oid: string): boolean {
  return oid in LEGACY_CIPHERS;
}

