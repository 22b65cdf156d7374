import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateCbe, generateEhp, generateIdentifier, generateNihii, generateSsin } from '../../src/common/identifiers.ts';
import { createDrbg } from '../../src/crypto/drbg.ts';
import { resolvePassword } from '../../src/tenancy/password-ref.ts';
import {
  explicitRecipientSchema, messageRecipientSchema, parseRecipientShorthand, qualitiesFor, recipientKey, recipientRefSchema,
} from '../../src/tenancy/recipient-ref.ts';
import { TenancyError } from '../../src/tenancy/tenancy-error.ts';

const rng = createDrbg('recipient-ref-tests');
const nihii = generateNihii(rng);
const nihii11 = generateNihii(rng, '003');
const ssin = generateSsin(rng);
const cbe = generateCbe(rng);
const ehp = generateEhp(rng);

/** Same length, different check digits (digits 7-8 of an 11-digit NIHII, the last two otherwise). */
function badCheck(value: string, checkEnd = value === nihii11 ? 8 : value.length): string {
  const check = Number(value.slice(checkEnd - 2, checkEnd));
  return value.slice(0, checkEnd - 2) + String((check + 1) % 100).padStart(2, '0') + value.slice(checkEnd);
}

function issuesOf(value: unknown): { path: (string | number)[]; message: string }[] {
  const r = messageRecipientSchema.safeParse(value);
  expect(r.success).toBe(false);
  return r.error!.issues.map((i) => ({ path: i.path as (string | number)[], message: i.message }));
}

describe('explicit recipients', () => {
  it('accepts every family with valid check digits and normalises case', () => {
    expect(explicitRecipientSchema.parse({ type: 'nihii', id: nihii, quality: 'doctor' })).toEqual({ type: 'NIHII', id: nihii, quality: 'DOCTOR' });
    expect(explicitRecipientSchema.parse({ type: 'NIHII', id: nihii11, quality: 'NURSE' }).id).toBe(nihii11);
    expect(explicitRecipientSchema.parse({ type: 'SSIN', id: ssin, quality: 'CITIZEN' }).quality).toBe('CITIZEN');
    expect(explicitRecipientSchema.parse({ type: 'CBE', id: cbe })).toEqual({ type: 'CBE', id: cbe, quality: 'INSTITUTION' });
    expect(explicitRecipientSchema.parse({ type: 'EHP', id: ehp }).quality).toBe('INSTITUTION_EHP');
    expect(explicitRecipientSchema.parse({ type: 'NIHII-HOSPITAL', id: nihii }).quality).toBe('HOSPITAL');
    expect(explicitRecipientSchema.parse({ type: 'CBE-TREAT_CENTER', id: cbe }).quality).toBe('TREATMENT_CENTER');
  });

  it('maps deprecated quality names', () => {
    expect(explicitRecipientSchema.parse({ type: 'NIHII', id: nihii, quality: 'GENERAL_PRACTIONER' }).quality).toBe('DOCTOR');
    expect(explicitRecipientSchema.parse({ type: 'NIHII-GROUP', id: nihii, quality: 'GROUPOFNURSES' }).quality).toBe('GROUP');
  });

  it.each([
    ['SSIN', ssin, 'DOCTOR'], ['NIHII', nihii, 'DOCTOR'], ['NIHII', nihii11, 'DOCTOR'], ['CBE', cbe, 'INSTITUTION'], ['EHP', ehp, 'INSTITUTION_EHP'],
    ['NIHII-HOSPITAL', nihii, 'HOSPITAL'],
  ])('refuses a %s with wrong check digits, at the id path', (type, id, quality) => {
    const issues = issuesOf({ type, id: badCheck(id), quality });
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toEqual(['id']);
    expect(issues[0]!.message).toContain(type);
  });

  it('refuses wrong lengths, unknown types, missing or unfitting qualities', () => {
    expect(issuesOf({ type: 'NIHII', id: nihii + '0', quality: 'DOCTOR' })[0]!.path).toEqual(['id']);
    expect(issuesOf({ type: 'NIHII-HOSPITAL', id: nihii11 })[0]!.path).toEqual(['id']);
    expect(issuesOf({ type: 'RIZIV', id: nihii, quality: 'DOCTOR' })[0]!.path).toEqual(['type']);
    expect(issuesOf({ type: 'NIHII', id: nihii })[0]).toMatchObject({ path: ['quality'], message: 'quality is required for NIHII' });
    expect(issuesOf({ type: 'NIHII', id: nihii, quality: 'HOSPITAL' })[0]!.path).toEqual(['quality']);
    expect(issuesOf({ type: 'NIHII-HOSPITAL', id: nihii, quality: 'DOCTOR' })[0]!.path).toEqual(['quality']);
    expect(issuesOf({ type: 'NIHII', id: nihii, quality: 'CITIZEN' })[0]!.path).toEqual(['quality']);
    expect(issuesOf({ type: 'NIHII', id: nihii, quality: 'DOCTOR', email: 'x@y.be' })[0]!.message).toMatch(/nrecognized/);
  });

  it('every known type accepts a generated identifier with its own quality', () => {
    for (const type of ['SSIN', 'NIHII', 'NIHII11', 'NIHII-PHARMACY', 'NIHII-LABO', 'CBE-CONSORTIUM', 'EHP-CTRL_ORGANISM']) {
      const id = generateIdentifier(type, rng);
      const quality = qualitiesFor(type)[0]!;
      expect(explicitRecipientSchema.safeParse({ type, id, quality }).success, type).toBe(true);
    }
  });

  it('property: any single-digit change of a valid CBE or EHP is refused', () => {
    fc.assert(fc.property(
      fc.constantFrom(...Array.from({ length: 20 }, (_, i) => [i % 2 === 0 ? 'CBE' : 'EHP', i % 2 === 0 ? generateCbe(rng) : generateEhp(rng)] as const)),
      fc.nat({ max: 9 }), fc.integer({ min: 1, max: 9 }),
      ([type, id], position, delta) => {
        const digit = (Number(id[position]) + delta) % 10;
        const mutated = id.slice(0, position) + String(digit) + id.slice(position + 1);
        return !explicitRecipientSchema.safeParse({ type, id: mutated }).success;
      },
    ), { numRuns: 300 });
  });
});

describe('search and group recipients', () => {
  it('accepts narrowed Addressbook searches', () => {
    expect(recipientRefSchema.safeParse({ search: { kind: 'professional', lastName: 'Peeters', zipCode: '1000' } }).success).toBe(true);
    expect(recipientRefSchema.safeParse({ search: { kind: 'professional', nihii } }).success).toBe(true);
    expect(recipientRefSchema.safeParse({ search: { kind: 'organization', institutionName: 'AZ Fictief', institutionType: 'HOSPITAL' } }).success).toBe(true);
    expect(recipientRefSchema.safeParse({ search: { kind: 'organization', key: { type: 'CBE', value: cbe } } }).success).toBe(true);
  });

  it('refuses searches that are too wide, contradictory or carry bad identifiers', () => {
    expect(issuesOf({ search: { kind: 'professional', firstName: 'An' } })[0]!.path).toEqual(['search', 'lastName']);
    expect(issuesOf({ search: { kind: 'professional', lastName: 'X', city: 'Gent', zipCode: '9000' } })[0]!.path).toEqual(['search', 'zipCode']);
    expect(issuesOf({ search: { kind: 'professional', ssin: badCheck(ssin) } })[0]!.path).toEqual(['search', 'ssin']);
    expect(issuesOf({ search: { kind: 'organization', key: { type: 'CBE', value: badCheck(cbe) } } })[0]!.path).toEqual(['search', 'key']);
    expect(issuesOf({ search: { kind: 'organization' } })[0]!.path).toEqual(['search', 'institutionName']);
  });

  it('accepts a group reference in messages only', () => {
    expect(messageRecipientSchema.parse({ group: 'grp_0123' })).toEqual({ group: 'grp_0123' });
    expect(recipientRefSchema.safeParse({ group: 'grp_0123' }).success).toBe(false);
    expect(issuesOf({ group: '../x' })[0]!.path).toEqual(['group']);
  });
});

describe('shorthand and keys', () => {
  it('parses TYPE:ID[:QUALITY] with the same checks', () => {
    const ok = parseRecipientShorthand(`NIHII:${nihii}:DOCTOR`);
    expect(ok.success && recipientKey(ok.data)).toBe(`NIHII:${nihii}:DOCTOR`);
    expect(parseRecipientShorthand(`NIHII-HOSPITAL:${nihii}`).data?.quality).toBe('HOSPITAL');
    expect(parseRecipientShorthand(`NIHII:${badCheck(nihii)}:DOCTOR`).success).toBe(false);
    expect(parseRecipientShorthand(`NIHII:${nihii}:DOCTOR:extra`).success).toBe(false);
  });
});

describe('resolvePassword', () => {
  it('reads environment variables and files, never echoing the value in errors', async () => {
    expect(await resolvePassword({ env: 'BOX_PW' }, { env: { BOX_PW: 'pw-from-env' } })).toBe('pw-from-env');
    const dir = await mkdtemp(path.join(tmpdir(), 'ehbox-pw-'));
    try {
      await writeFile(path.join(dir, 'password'), 'pw-from-file\n');
      expect(await resolvePassword({ file: 'password' }, { baseDir: dir })).toBe('pw-from-file');
      const missingEnv = await resolvePassword({ env: 'NOPE' }, { env: {} }).catch((e: unknown) => e);
      expect(missingEnv).toBeInstanceOf(TenancyError);
      expect((missingEnv as TenancyError).code).toBe('BOX_PASSWORD_UNAVAILABLE');
      const missingFile = await resolvePassword({ file: path.join(dir, 'none') }).catch((e: unknown) => e);
      expect((missingFile as TenancyError).code).toBe('BOX_PASSWORD_UNAVAILABLE');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
