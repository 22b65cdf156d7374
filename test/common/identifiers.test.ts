import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  findIdentifierType,
  fromEhboxType,
  generateCbe,
  generateEhp,
  generateIdentifier,
  generateNihii,
  generateSsin,
  identifierTypes,
  IdentifierError,
  isValidCbe,
  isValidEhp,
  isValidIdentifier,
  isValidNihii,
  isValidSsin,
  toEhboxType,
} from '../../src/common/identifiers.ts';
import { createDrbg } from '../../src/crypto/drbg.ts';

/** Every string that differs from `s` in exactly one of the first `upTo` digits. */
function singleDigitMutations(s: string, upTo = s.length): string[] {
  const out: string[] = [];
  for (let i = 0; i < upTo; i++) {
    for (let d = 0; d <= 9; d++) {
      if (String(d) !== s[i]) out.push(s.slice(0, i) + d + s.slice(i + 1));
    }
  }
  return out;
}

const seeds = fc.string({ minLength: 1, maxLength: 24 });

describe('SSIN', () => {
  it('accepts known-good numbers of both centuries and rejects bad check digits', () => {
    // 850730 033 → 97 − (850730033 mod 97) = 28; born 2000+: 97 − (2850730033 mod 97)
    expect(isValidSsin('85073003328')).toBe(true);
    expect(isValidSsin('85073003329')).toBe(false);
    const first9 = '050101123';
    const check2000 = String(97 - (2_050_101_123 % 97)).padStart(2, '0');
    expect(isValidSsin(first9 + check2000)).toBe(true);
    expect(isValidSsin(first9 + check2000, { bornFrom2000: false })).toBe(false);
    expect(isValidSsin('8507300332')).toBe(false);
    expect(isValidSsin('8507300332a')).toBe(false);
  });

  it('generates valid SSINs encoding birth date and sex', () => {
    fc.assert(
      fc.property(seeds, fc.date({ min: new Date('1920-01-01'), max: new Date('2024-12-31'), noInvalidDate: true }), fc.constantFrom<'M' | 'F'>('M', 'F'), (seed, birthDate, sex) => {
        const ssin = generateSsin(createDrbg(seed), { birthDate, sex });
        const from2000 = birthDate.getUTCFullYear() >= 2000;
        expect(isValidSsin(ssin, { bornFrom2000: from2000 })).toBe(true);
        expect(ssin.slice(0, 2)).toBe(String(birthDate.getUTCFullYear() % 100).padStart(2, '0'));
        expect(Number(ssin.slice(6, 9)) % 2).toBe(sex === 'M' ? 1 : 0);
      }),
    );
  });

  it('any single-digit change breaks validation under the same century rule', () => {
    fc.assert(
      fc.property(seeds, (seed) => {
        const ssin = generateSsin(createDrbg(seed));
        const from2000 = isValidSsin(ssin, { bornFrom2000: true }) && !isValidSsin(ssin, { bornFrom2000: false });
        for (const m of singleDigitMutations(ssin)) expect(isValidSsin(m, { bornFrom2000: from2000 })).toBe(false);
      }),
      { numRuns: 50 },
    );
  });
});

describe('NIHII', () => {
  it('accepts 8 and 11 digits (check on the first 8) and the 89 variant', () => {
    expect(isValidNihii('71000436')).toBe(true); // 97 − (710004 mod 97) = 36
    expect(isValidNihii('71000436123')).toBe(true);
    expect(isValidNihii('71000437')).toBe(false);
    const base = 123456;
    const v89 = `${base}${String(89 - (base % 89)).padStart(2, '0')}`;
    expect(isValidNihii(v89)).toBe(true);
    expect(isValidNihii(v89, { allowVariant89: false })).toBe(false);
    expect(isValidNihii('7100043')).toBe(false);
    expect(isValidNihii('710004361')).toBe(false);
  });

  it('generated numbers validate; one changed digit among the first 8 breaks them', () => {
    fc.assert(
      fc.property(seeds, fc.option(fc.stringMatching(/^\d{3}$/), { nil: undefined }), (seed, qualification) => {
        const nihii = generateNihii(createDrbg(seed), qualification);
        expect(nihii).toHaveLength(qualification ? 11 : 8);
        expect(isValidNihii(nihii)).toBe(true);
        for (const m of singleDigitMutations(nihii, 8)) expect(isValidNihii(m, { allowVariant89: false })).toBe(false);
      }),
      { numRuns: 50 },
    );
  });

  it('rejects a malformed qualification code', () => {
    expect(() => generateNihii(createDrbg('x'), '12')).toThrow(IdentifierError);
  });
});

describe('CBE and EHP', () => {
  it('checks the mod-97 rule on known numbers', () => {
    expect(isValidCbe('0809394427')).toBe(true); // the KGSS enterprise number of the test kit
    expect(isValidCbe('0809394428')).toBe(false);
    expect(isValidEhp('0809394427')).toBe(true);
    expect(isValidCbe('809394427')).toBe(false);
  });

  it('generated numbers validate and a single-digit change breaks them', () => {
    fc.assert(
      fc.property(seeds, (seed) => {
        for (const [gen, valid] of [[generateCbe, isValidCbe], [generateEhp, isValidEhp]] as const) {
          const n = gen(createDrbg(seed));
          expect(n).toMatch(/^\d{10}$/);
          expect(valid(n)).toBe(true);
          for (const m of singleDigitMutations(n)) expect(valid(m)).toBe(false);
        }
      }),
      { numRuns: 50 },
    );
  });
});

describe('identifier types', () => {
  it('maps ETK Depot types to ehBox Type/SubType and back', () => {
    expect(toEhboxType('NIHII-HOSPITAL')).toEqual({ type: 'NIHII', subType: 'HOSPITAL' });
    expect(toEhboxType('SSIN')).toEqual({ type: 'INSS' });
    expect(toEhboxType('CBE-TREAT_CENTER')).toEqual({ type: 'CBE', subType: 'TREATMENT_CENTER' });
    expect(toEhboxType('EHP-CTRL_ORGANISM')).toEqual({ type: 'EHP', subType: 'CTRL_ORGANISM' });
    expect(fromEhboxType('INSS')).toBe('SSIN');
    expect(fromEhboxType('NIHII')).toBe('NIHII');
    expect(fromEhboxType('NIHII', 'PHARMACY')).toBe('NIHII-PHARMACY');
    expect(fromEhboxType('CBE', 'TREATMENT_CENTER')).toBe('CBE-TREAT_CENTER');
    expect(() => toEhboxType('PASSPORT')).toThrow(IdentifierError);
    expect(() => fromEhboxType('NIHII', 'SPACESHIP')).toThrow(IdentifierError);
  });

  it('round-trips every type except NIHII11, which shares NIHII on ehBox', () => {
    for (const t of identifierTypes) {
      const { type, subType } = toEhboxType(t.etkType);
      expect(fromEhboxType(type, subType)).toBe(t.etkType === 'NIHII11' ? 'NIHII' : t.etkType);
    }
    expect(findIdentifierType('NIHII11')?.length).toBe(11);
    expect(findIdentifierType('EHP')?.length).toBe(10);
  });

  it('generates a valid value of the right length for every type', () => {
    const rng = createDrbg('all-types');
    for (const t of identifierTypes) {
      const value = generateIdentifier(t.etkType, rng);
      expect(value).toHaveLength(t.length);
      expect(isValidIdentifier(t.etkType, value)).toBe(true);
    }
    expect(isValidIdentifier('NIHII', '71000436123')).toBe(false); // 11 digits is NIHII11
  });
});
