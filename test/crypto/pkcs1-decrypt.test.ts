import { constants, generateKeyPairSync, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { CryptoError } from '../../src/crypto/errors.ts';
import { decryptPkcs1v15Key } from '../../src/crypto/pkcs1-decrypt.ts';

let privateKey: KeyObject;
let publicKey: KeyObject;
let otherPrivateKey: KeyObject;
const K = 256; // RSA-2048 modulus bytes

beforeAll(() => {
  ({ privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 }));
  ({ privateKey: otherPrivateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 }));
});

/** Raw RSA encryption of a hand-made encoded block (so we can build bad paddings). */
function rawEncrypt(block: Uint8Array): Buffer {
  expect(block.length).toBe(K);
  return publicEncrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, block);
}

/** A PKCS#1 v1.5 type-2 block, with knobs to break it. */
function block(message: Uint8Array, o: { first?: number; type?: number; psLength?: number; noSeparator?: boolean } = {}): Uint8Array {
  const em = new Uint8Array(K);
  em[0] = o.first ?? 0;
  em[1] = o.type ?? 2;
  const psLength = o.psLength ?? K - 3 - message.length;
  for (let i = 2; i < 2 + psLength; i++) em[i] = 1 + (i % 254);
  if (o.noSeparator) {
    for (let i = 2; i < K; i++) em[i] = 0x5a;
    return em;
  }
  em[2 + psLength] = 0;
  em.set(message, 3 + psLength);
  return em;
}

describe('PKCS#1 v1.5 key decryption with implicit rejection', () => {
  it('returns the key for a well-padded block (real publicEncrypt output)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (key) => {
        const ct = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, key);
        expect(Buffer.from(decryptPkcs1v15Key(privateKey, ct, 16))).toEqual(Buffer.from(key));
      }),
      { numRuns: 25 },
    );
    const key32 = randomBytes(32);
    expect(Buffer.from(decryptPkcs1v15Key(privateKey, rawEncrypt(block(key32)), 32))).toEqual(key32);
  });

  const message = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
  const bad: [string, Uint8Array][] = [
    ['block type 1', block(message, { type: 1 })],
    ['block type 0', block(message, { type: 0 })],
    ['no zero separator', block(message, { noSeparator: true })],
    ['zero octet after only 7 padding octets', block(Buffer.concat([Buffer.alloc(K - 3 - 7 - 16, 0x42), message]), { psLength: 7 })],
    ['message of the wrong length (24 instead of 16)', block(Buffer.concat([Buffer.alloc(8, 0x42), message]))],
    ['message of the wrong length (8 instead of 16)', block(message.subarray(0, 8))],
  ];

  it.each(bad)('bad padding (%s) gives a deterministic stand-in key of the right length', (_name, em) => {
    const ct = rawEncrypt(em);
    const a = decryptPkcs1v15Key(privateKey, ct, 16);
    const b = decryptPkcs1v15Key(privateKey, ct, 16);
    expect(a).toHaveLength(16);
    expect(Buffer.from(a)).toEqual(Buffer.from(b));
    expect(Buffer.from(a).equals(message)).toBe(false);
    expect(Buffer.from(a).equals(message.subarray(0, 8))).toBe(false);
  });

  it('stand-in keys differ per ciphertext and per private key', () => {
    const outs = bad.map(([, em]) => Buffer.from(decryptPkcs1v15Key(privateKey, rawEncrypt(em), 16)).toString('hex'));
    expect(new Set(outs).size).toBe(outs.length);
    const ct = rawEncrypt(bad[0]![1]);
    expect(Buffer.from(decryptPkcs1v15Key(otherPrivateKey, ct, 16))).not.toEqual(Buffer.from(decryptPkcs1v15Key(privateKey, ct, 16)));
  });

  it('a valid ciphertext for another key also yields a stand-in, not an error', () => {
    const ct = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, message);
    const out = decryptPkcs1v15Key(otherPrivateKey, ct, 16);
    expect(out).toHaveLength(16);
    expect(Buffer.from(out).equals(message)).toBe(false);
  });

  it('wrong-size and out-of-range ciphertexts yield stand-ins too', () => {
    for (const ct of [new Uint8Array(0), randomBytes(255), randomBytes(257), Buffer.alloc(K, 0xff)]) {
      const out = decryptPkcs1v15Key(privateKey, ct, 16);
      expect(out).toHaveLength(16);
      expect(Buffer.from(decryptPkcs1v15Key(privateKey, ct, 16))).toEqual(Buffer.from(out));
    }
  });

  it('the stand-in length follows the expected key length', () => {
    const ct = rawEncrypt(bad[0]![1]);
    for (const n of [16, 24, 32, 48]) expect(decryptPkcs1v15Key(privateKey, ct, n)).toHaveLength(n);
  });

  it('rejects a bad call with a CryptoError', () => {
    const ct = rawEncrypt(block(message));
    expect(() => decryptPkcs1v15Key(publicKey, ct, 16)).toThrow(CryptoError);
    expect(() => decryptPkcs1v15Key(privateKey, ct, 0)).toThrow(CryptoError);
    expect(() => decryptPkcs1v15Key(privateKey, ct, 1000)).toThrow(CryptoError);
  });
});
