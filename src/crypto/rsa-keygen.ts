/**
 * RSA key generation. Without a random source it uses Node's native
 * generator (fast, OS randomness). With one — typically the seeded DRBG of the
 * test PKI — it generates the key in JavaScript so that the same seed always
 * yields the same key: incremental small-prime sieve, then Miller–Rabin.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { RandomSource } from './drbg.ts';
import { CryptoError } from './errors.ts';

/** A private key and its public half. */
export interface RsaKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** The public exponent every eHealth key uses. */
const PUBLIC_EXPONENT = 65537n;
/** Smallest modulus we accept (eHealth requires 2048; 1024 only keeps tests of odd sizes possible). */
const MIN_MODULUS_BITS = 1024;
/** Largest modulus we accept: deterministic generation beyond 4096 bits would take minutes. */
const MAX_MODULUS_BITS = 8192;
/**
 * Trial-division bound. Sieving with primes below 2^16 discards ~90 % of odd
 * candidates for the cost of cheap Number arithmetic, so the expensive
 * Miller–Rabin runs only on ~1 candidate in 10.
 */
const SIEVE_LIMIT = 1 << 16;
/**
 * Miller–Rabin rounds on a sieved candidate. FIPS 186-5 (Table B.1) asks for
 * 4–5 rounds for random 1024–2048-bit candidates (error below 2^-100); 8 adds
 * margin at little cost since composites almost always fail the first round.
 */
const MILLER_RABIN_ROUNDS = 8;
/** FIPS 186: |p − q| must exceed 2^(nlen/2 − 100). */
const PRIME_DISTANCE_SLACK_BITS = 100;
/** Exponent window width for modPow: 2^5 precomputed powers, ~1 multiplication per 5 squarings. */
const WINDOW_BITS = 5;

const SMALL_PRIMES: number[] = (() => {
  const composite = new Uint8Array(SIEVE_LIMIT);
  const primes: number[] = [];
  for (let i = 3; i < SIEVE_LIMIT; i += 2) {
    if (composite[i]) continue;
    primes.push(i);
    for (let j = i * i; j < SIEVE_LIMIT; j += 2 * i) composite[j] = 1;
  }
  return primes;
})();

/**
 * Generates an RSA key pair of `bits` bits (e = 65537). With `rng` the result
 * is a pure function of the bytes drawn from it; without, Node's native
 * generator is used.
 */
export function generateRsaKeyPair(bits: number, rng?: RandomSource): RsaKeyPair {
  if (!Number.isInteger(bits) || bits < MIN_MODULUS_BITS || bits > MAX_MODULUS_BITS || bits % 16 !== 0) {
    throw new CryptoError('INVALID_ARGUMENT', `RSA modulus size must be a multiple of 16 in ${MIN_MODULUS_BITS}..${MAX_MODULUS_BITS}, got ${bits}`);
  }
  if (!rng) {
    return generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: Number(PUBLIC_EXPONENT) });
  }
  const half = bits / 2;
  const p = generatePrime(half, rng);
  let q = generatePrime(half, rng);
  const minDistance = 1n << BigInt(half - PRIME_DISTANCE_SLACK_BITS);
  while (absDiff(p, q) <= minDistance) q = generatePrime(half, rng);
  return keyPairFromPrimes(p > q ? p : q, p > q ? q : p);
}

/** Builds the Node key objects (via JWK) from two primes, with the CRT parameters. */
function keyPairFromPrimes(p: bigint, q: bigint): RsaKeyPair {
  const n = p * q;
  const lambda = lcm(p - 1n, q - 1n);
  const d = modInverse(PUBLIC_EXPONENT, lambda);
  const jwk = {
    kty: 'RSA',
    n: toB64u(n),
    e: toB64u(PUBLIC_EXPONENT),
    d: toB64u(d),
    p: toB64u(p),
    q: toB64u(q),
    dp: toB64u(d % (p - 1n)),
    dq: toB64u(d % (q - 1n)),
    qi: toB64u(modInverse(q, p)),
  };
  const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

/** A random prime of exactly `bits` bits with its two top bits set and p ≢ 1 (mod e). */
function generatePrime(bits: number, rng: RandomSource): bigint {
  const byteLength = Math.ceil(bits / 8);
  const extraBits = byteLength * 8 - bits;
  const upper = 1n << BigInt(bits);
  for (;;) {
    const raw = rng.bytes(byteLength);
    raw[0] = raw[0]! & (0xff >> extraBits);
    let start = bytesToBigInt(raw) | (3n << BigInt(bits - 2)) | 1n;
    if (start >= upper) start -= 2n;
    const residues = SMALL_PRIMES.map((sp) => Number(start % BigInt(sp)));
    const residueE = Number(start % PUBLIC_EXPONENT);
    const e = Number(PUBLIC_EXPONENT);
    // walk odd numbers upward from `start` until one survives the sieve and Miller–Rabin
    for (let delta = 0; start + BigInt(delta) < upper; delta += 2) {
      if ((residueE + delta) % e === 1) continue;
      if (!survivesSieve(residues, delta)) continue;
      const candidate = start + BigInt(delta);
      if (isProbablePrime(candidate, rng)) return candidate;
    }
  }
}

function survivesSieve(residues: number[], delta: number): boolean {
  for (let i = 0; i < residues.length; i++) {
    const sp = SMALL_PRIMES[i]!;
    if ((residues[i]! + delta) % sp === 0) return false;
  }
  return true;
}

/** Miller–Rabin with bases drawn from `rng`. */
function isProbablePrime(n: bigint, rng: RandomSource): boolean {
  const nMinus1 = n - 1n;
  let d = nMinus1;
  let s = 0;
  while ((d & 1n) === 0n) {
    d >>= 1n;
    s++;
  }
  const byteLength = Math.ceil(n.toString(16).length / 2);
  for (let round = 0; round < MILLER_RABIN_ROUNDS; round++) {
    const a = 2n + (bytesToBigInt(rng.bytes(byteLength)) % (n - 3n));
    let x = modPow(a, d, n);
    if (x === 1n || x === nMinus1) continue;
    let witness = true;
    for (let i = 1; i < s; i++) {
      x = (x * x) % n;
      if (x === nMinus1) {
        witness = false;
        break;
      }
    }
    if (witness) return false;
  }
  return true;
}

/** base^exp mod m with a fixed exponent window. */
export function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  if (m === 1n) return 0n;
  const b = ((base % m) + m) % m;
  const table: bigint[] = [1n, b];
  for (let i = 2; i < 1 << WINDOW_BITS; i++) table.push((table[i - 1]! * b) % m);
  const hex = exp.toString(2);
  const pad = (WINDOW_BITS - (hex.length % WINDOW_BITS)) % WINDOW_BITS;
  const bitsStr = '0'.repeat(pad) + hex;
  let result = 1n;
  for (let i = 0; i < bitsStr.length; i += WINDOW_BITS) {
    for (let k = 0; k < WINDOW_BITS; k++) result = (result * result) % m;
    const w = parseInt(bitsStr.slice(i, i + WINDOW_BITS), 2);
    if (w !== 0) result = (result * table[w]!) % m;
  }
  return result;
}

function modInverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [((a % m) + m) % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const quotient = oldR / r;
    [oldR, r] = [r, oldR - quotient * r];
    [oldS, s] = [s, oldS - quotient * s];
  }
  if (oldR !== 1n) throw new CryptoError('INVALID_ARGUMENT', 'value is not invertible');
  return ((oldS % m) + m) % m;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function lcm(a: bigint, b: bigint): bigint {
  return (a / gcd(a, b)) * b;
}

function absDiff(a: bigint, b: bigint): bigint {
  return a > b ? a - b : b - a;
}

function bytesToBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt('0x' + Buffer.from(bytes).toString('hex'));
}

function toB64u(v: bigint): string {
  let hex = v.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  return Buffer.from(hex, 'hex').toString('base64url');
}
