import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import * as asn1js from 'asn1js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CryptoError } from '../../src/crypto/errors.ts';
import { seal } from '../../src/crypto/seal.ts';
import { unseal, type UnsealOptions, type UnsealResult } from '../../src/crypto/unseal.ts';
import { createTestPki, type TestHolder, type TestPki } from '../helpers/test-credentials.ts';

/** A single unseal of a few-KB blob must never take long, whatever the bytes. */
const MAX_UNSEAL_MS = 500;

let pki: TestPki;
let alice: TestHolder;
let bob: TestHolder;
let sealed: Uint8Array;
let options: UnsealOptions;
const text = Buffer.from('Contenu médical fictif pour le fuzzing.', 'utf8');

beforeAll(() => {
  pki = createTestPki();
  alice = pki.holder('Alice Fuzz');
  bob = pki.holder('Bob Fuzz');
  sealed = seal(text, { sender: alice.auth, recipients: [bob.encCertDer, alice.encCertDer] });
  options = { credentials: [bob.enc], trustAnchors: [pki.rootDer] };
});
afterAll(() => pki.remove());

/** Unseals and checks the result is a typed outcome, quickly; returns it (or undefined for a CryptoError). */
function typedUnseal(blob: Uint8Array, extra: Partial<UnsealOptions> = {}): UnsealResult | undefined {
  const started = performance.now();
  let result: UnsealResult | undefined;
  try {
    result = unseal(blob, { ...options, ...extra });
  } catch (err) {
    expect(err).toBeInstanceOf(CryptoError);
  }
  expect(performance.now() - started).toBeLessThan(MAX_UNSEAL_MS);
  if (result) {
    expect(typeof result.verdict.ok).toBe('boolean');
    if (result.verdict.fatal) expect(result.content).toBeUndefined();
    if (!result.verdict.ok) expect(result.verdict.reason).toEqual(expect.any(String));
    // tamper evidence: whatever was mutated, a clean verdict can only come with the original content
    if (result.verdict.ok) expect(Buffer.from(result.content!).equals(text)).toBe(true);
  }
  return result;
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(blob: Uint8Array, m: Mutation): Uint8Array {
  const out = Buffer.from(blob);
  const at = m.at % out.length;
  switch (m.kind) {
    case 'flip':
      out[at]! ^= 1 << m.bit;
      return out;
    case 'set':
      out[at] = m.value;
      return out;
    case 'truncate':
      return out.subarray(0, at);
    case 'insert':
      return Buffer.concat([out.subarray(0, at), m.bytes, out.subarray(at)]);
    case 'delete':
      return Buffer.concat([out.subarray(0, at), out.subarray(at + m.count)]);
  }
}

describe('unseal never throws or hangs on mutated sealed blobs', () => {
  it('random mutations give a verdict (or a CryptoError), quickly', () => {
    expect(typedUnseal(sealed)?.verdict.ok).toBe(true);
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (ms) => {
        const blob = ms.reduce(mutate, sealed);
        if (Buffer.from(blob).equals(Buffer.from(sealed))) return;
        typedUnseal(blob);
      }),
      { numRuns: 300 },
    );
  });

  it('every truncation is a typed fatal', () => {
    for (let len = 0; len < sealed.length; len += 37) {
      const r = typedUnseal(sealed.subarray(0, len));
      expect(r?.verdict.fatal?.code, `length ${len}`).toEqual(expect.stringMatching(/STRUCTURE_INCORRECT$/));
    }
  });
});

describe('garbage and hostile inputs', () => {
  const garbage: [string, () => Uint8Array][] = [
    ['empty', () => new Uint8Array(0)],
    ['one byte', () => Uint8Array.of(0x30)],
    ['random bytes', () => randomBytes(4096)],
    ['huge declared length', () => Uint8Array.of(0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x06, 0x09)],
    ['deep indefinite nesting', () => Buffer.alloc(20_000).fill(Buffer.from([0x30, 0x80]))],
    ['an X.509 certificate instead of CMS', () => alice.auth.certificateDer],
    ['plain text', () => Buffer.from('This is a clear message!')],
  ];

  it.each(garbage)('%s → OUTER_SIGNED_DATA_STRUCTURE_INCORRECT', (_name, blob) => {
    const r = typedUnseal(blob());
    expect(r?.verdict.fatal).toMatchObject({ code: 'OUTER_SIGNED_DATA_STRUCTURE_INCORRECT', layer: 'outer' });
    expect(r?.content).toBeUndefined();
  });

  it('a blob above the size limit is refused with INPUT_TOO_LARGE', () => {
    expect(() => unseal(sealed, { ...options, maxBytes: sealed.length - 1 })).toThrow(expect.objectContaining({ code: 'INPUT_TOO_LARGE' }));
    expect(unseal(sealed, { ...options, maxBytes: sealed.length }).verdict.ok).toBe(true);
  });

  it('a SignedData whose content is the EnvelopedData of another message still fails cleanly', () => {
    const other = seal(text, { sender: bob.auth, recipients: [alice.encCertDer] });
    const r = typedUnseal(other, { credentials: [bob.enc] });
    expect(r?.verdict.fatal?.code).toBe('DECRYPTION_PRIVATE_KEY_NOT_FOUND');
  });
});

describe('badly encoded certificates', () => {
  it('an unreadable certificate in the outer set is OUTER_SIGNED_DATA_CONTAINS_INCORRECTLY_ENCODED_CERTIFICATES_SET', () => {
    const blob = Buffer.from(sealed);
    const caAt = blob.indexOf(Buffer.from(pki.issuingCaDer));
    const timeAt = blob.indexOf(Buffer.from([0x17, 0x0d]), caAt); // the CA's notBefore UTCTime
    expect(caAt).toBeGreaterThan(0);
    blob[timeAt + 4] = 0x58; // 'X' instead of a digit
    const r = typedUnseal(blob);
    expect(r?.verdict.fatal).toMatchObject({ code: 'OUTER_SIGNED_DATA_CONTAINS_INCORRECTLY_ENCODED_CERTIFICATES_SET', layer: 'outer' });
  });
});

describe('tolerance of what the Java sealer emits', () => {
  it('accepts an empty [1] unsignedAttrs set on the outer SignerInfo', () => {
    // ContentInfo → [0] → SignedData → signerInfos SET → SignerInfo: append an empty [1] (tag A1, length 0)
    const root = asn1js.fromBER(Buffer.from(sealed)).result as asn1js.Sequence;
    const signedData = (root.valueBlock.value[1] as asn1js.Constructed).valueBlock.value[0] as asn1js.Sequence;
    const signerInfos = signedData.valueBlock.value.at(-1) as asn1js.Set;
    const signerInfo = signerInfos.valueBlock.value[0] as asn1js.Sequence;
    signerInfo.valueBlock.value.push(new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 1 }, value: [] }));
    const reencoded = new Uint8Array(root.toBER(false));
    expect(Buffer.from(reencoded).includes(Buffer.from([0xa1, 0x00]))).toBe(true);
    const r = typedUnseal(reencoded);
    expect(r?.verdict).toMatchObject({ ok: true, errors: [] });
  });
});
