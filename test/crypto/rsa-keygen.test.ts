import { describe, expect, it } from 'vitest';
import { constants, privateDecrypt, publicEncrypt, sign, verify } from 'node:crypto';
import { createDrbg, systemRandom } from '../../src/crypto/drbg.ts';
import { generateRsaKeyPair, modPow } from '../../src/crypto/rsa-keygen.ts';
import { CryptoError } from '../../src/crypto/errors.ts';

const pkcs8 = (k: ReturnType<typeof generateRsaKeyPair>) => k.privateKey.export({ type: 'pkcs8', format: 'der' }).toString('hex');

describe('drbg', () => {
  it('is a pure function of the seed, independent of how bytes are requested', () => {
    const a = createDrbg('seed');
    const b = createDrbg('seed');
    const whole = a.bytes(100);
    const pieces = Buffer.concat([b.bytes(1), b.bytes(31), b.bytes(33), b.bytes(35)]);
    expect(Buffer.from(whole).equals(pieces)).toBe(true);
    expect(Buffer.from(createDrbg('other').bytes(32)).equals(Buffer.from(whole.subarray(0, 32)))).toBe(false);
  });

  it('draws integers in range, covering it', () => {
    for (const rng of [createDrbg('ints'), systemRandom()]) {
      const seen = new Set<number>();
      for (let i = 0; i < 500; i++) {
        const v = rng.int(7);
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThan(7);
        seen.add(v);
      }
      expect(seen.size).toBe(7);
    }
    expect(() => createDrbg('x').int(0)).toThrow(CryptoError);
  });
});

describe('RSA key generation', () => {
  it('modPow agrees with plain exponentiation', () => {
    expect(modPow(4n, 13n, 497n)).toBe(445n);
    expect(modPow(2n, 1000n, 1_000_003n)).toBe(2n ** 1000n % 1_000_003n);
    expect(modPow(5n, 0n, 7n)).toBe(1n);
  });

  it('derives the same 2048-bit key from the same seed, a different one otherwise', () => {
    const started = Date.now();
    const a = generateRsaKeyPair(2048, createDrbg('alice'));
    const b = generateRsaKeyPair(2048, createDrbg('alice'));
    const c = generateRsaKeyPair(2048, createDrbg('bob'));
    // three seeded 2048-bit keys; each takes well under a second on average
    expect(Date.now() - started).toBeLessThan(6000);
    expect(pkcs8(a)).toBe(pkcs8(b));
    expect(pkcs8(a)).not.toBe(pkcs8(c));
    expect(a.publicKey.asymmetricKeyDetails).toMatchObject({ modulusLength: 2048, publicExponent: 65537n });
  });

  it('produces keys that sign/verify and encrypt/decrypt with node:crypto', () => {
    for (const keys of [generateRsaKeyPair(2048, createDrbg('usable')), generateRsaKeyPair(2048)]) {
      const data = Buffer.from('fictitious test payload');
      const sig = sign('sha256', data, keys.privateKey);
      expect(verify('sha256', data, keys.publicKey, sig)).toBe(true);
      expect(verify('sha256', Buffer.from('other'), keys.publicKey, sig)).toBe(false);
      const ct = publicEncrypt({ key: keys.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING }, data);
      expect(privateDecrypt({ key: keys.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING }, ct).equals(data)).toBe(true);
    }
  });

  it('rejects unsupported sizes', () => {
    expect(() => generateRsaKeyPair(512, createDrbg('x'))).toThrow(CryptoError);
    expect(() => generateRsaKeyPair(2050)).toThrow(CryptoError);
  });
});
