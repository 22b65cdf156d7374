/**
 * Random byte sources. The test PKI must be reproducible from a seed string
 * (same seed → byte-identical keys, certificates and ETKs), so everything that
 * needs randomness takes a RandomSource: either the deterministic generator
 * below or the operating system's CSPRNG.
 */
import { createHash, createHmac, randomBytes, randomInt } from 'node:crypto';
import { CryptoError } from './errors.ts';

/** What key generation, serial numbers and test data draw their randomness from. */
export interface RandomSource {
  /** `n` random bytes. */
  bytes(n: number): Uint8Array;
  /** A uniformly distributed integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
}

/** `int` draws 48-bit values: exact in a double and plenty for indexes and dates. */
const INT_BITS = 48;
const INT_RANGE = 2 ** INT_BITS;

/** Uniform integer from a byte source by rejection sampling (no modulo bias). */
function uniformInt(bytes: (n: number) => Uint8Array, maxExclusive: number): number {
  if (!Number.isSafeInteger(maxExclusive) || maxExclusive <= 0 || maxExclusive > INT_RANGE) {
    throw new CryptoError('INVALID_ARGUMENT', `random int bound must be an integer in 1..2^${INT_BITS}`);
  }
  const limit = INT_RANGE - (INT_RANGE % maxExclusive);
  for (;;) {
    const b = bytes(INT_BITS / 8);
    let v = 0;
    for (const byte of b) v = v * 256 + byte;
    if (v < limit) return v % maxExclusive;
  }
}

/**
 * Deterministic random generator: HMAC-SHA256 in counter mode keyed by
 * SHA-256(seed). Not a certified DRBG; it exists so that test fixtures are
 * reproducible. Use a distinct seed string per purpose (e.g. `${seed}/root`)
 * to get independent streams.
 */
export function createDrbg(seed: string): RandomSource {
  const key = createHash('sha256').update('ehbox-bridge drbg v1\0').update(seed, 'utf8').digest();
  let counter = 0n;
  let pool: Uint8Array = new Uint8Array(0);
  const nextBlock = (): Uint8Array => {
    const c = Buffer.alloc(8);
    c.writeBigUInt64BE(counter++);
    return createHmac('sha256', key).update(c).digest();
  };
  const bytes = (n: number): Uint8Array => {
    if (!Number.isSafeInteger(n) || n < 0) throw new CryptoError('INVALID_ARGUMENT', 'byte count must be a non-negative integer');
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      if (pool.length === 0) pool = nextBlock();
      const take = Math.min(pool.length, n - filled);
      out.set(pool.subarray(0, take), filled);
      pool = pool.subarray(take);
      filled += take;
    }
    return out;
  };
  return { bytes, int: (max) => uniformInt(bytes, max) };
}

/** The operating system's CSPRNG behind the RandomSource interface. */
export function systemRandom(): RandomSource {
  return {
    bytes: (n) => new Uint8Array(randomBytes(n)),
    int: (max) => (max <= 2 ** 48 - 1 && Number.isSafeInteger(max) && max > 0 ? randomInt(max) : uniformInt((n) => randomBytes(n), max)),
  };
}
