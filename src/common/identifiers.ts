/**
 * Belgian healthcare identifiers: format and check-digit validation,
 * generation of valid fictitious numbers for the test PKI and the sandbox,
 * and the mapping between the ETK Depot identifier types and the ehBox
 * Type/SubType pairs (PROTOCOL.md §3.1–3.2).
 */
import type { RandomSource } from '../crypto/drbg.ts';

/** Raised for identifier types or values we do not know how to handle. */
export class IdentifierError extends Error {
  override readonly name = 'IdentifierError';
  constructor(
    readonly code: 'UNKNOWN_IDENTIFIER_TYPE' | 'INVALID_IDENTIFIER',
    message: string,
  ) {
    super(message);
  }
}

/** Check digits are 97 − (base mod 97), written on two digits (01..97). */
const MOD97 = 97;
/** Some NIHII numbers use the older 89 − (base mod 89) variant. */
const MOD89 = 89;
/** SSINs of people born from 2000 on are checked with a `2` prefixed to the 9-digit base. */
const SSIN_2000_PREFIX = 2_000_000_000;

function twoDigits(n: number): string {
  return n.toString().padStart(2, '0');
}

function digitsOf(rng: RandomSource, count: number): string {
  let s = '';
  for (let i = 0; i < count; i++) s += rng.int(10).toString();
  return s;
}

// ---------------------------------------------------------------- SSIN

/** Options for SSIN validation: restrict to one birth century rule. */
export interface SsinValidationOptions {
  /** true: only the post-2000 rule; false: only the pre-2000 rule; absent: either. */
  bornFrom2000?: boolean;
}

/** Check digits of an SSIN from its first 9 digits. */
export function ssinCheckDigits(first9: string, bornFrom2000: boolean): string {
  const base = Number(first9) + (bornFrom2000 ? SSIN_2000_PREFIX : 0);
  return twoDigits(MOD97 - (base % MOD97));
}

/** True when `s` is 11 digits with valid SSIN (INSZ/NISS) check digits. */
export function isValidSsin(s: string, options: SsinValidationOptions = {}): boolean {
  if (!/^\d{11}$/.test(s)) return false;
  const first9 = s.slice(0, 9);
  const check = s.slice(9);
  const rules = options.bornFrom2000 === undefined ? [false, true] : [options.bornFrom2000];
  return rules.some((rule) => ssinCheckDigits(first9, rule) === check);
}

/** What a generated SSIN encodes. */
export interface SsinSpec {
  birthDate?: Date;
  sex?: 'M' | 'F';
}

/** Earliest and latest birth dates of generated people (adults and children alike). */
const SSIN_BIRTH_FROM = Date.UTC(1940, 0, 1);
const SSIN_BIRTH_TO = Date.UTC(2010, 11, 31);
const DAY_MS = 86_400_000;
/** The daily sequence number runs 001–997 (odd for men, even for women). */
const SSIN_MAX_SEQUENCE = 997;

/** A valid SSIN: YYMMDD + sequence (odd = M, even = F) + check digits. */
export function generateSsin(rng: RandomSource, spec: SsinSpec = {}): string {
  const birth = spec.birthDate ?? new Date(SSIN_BIRTH_FROM + rng.int((SSIN_BIRTH_TO - SSIN_BIRTH_FROM) / DAY_MS + 1) * DAY_MS);
  const sex = spec.sex ?? (rng.int(2) === 0 ? 'M' : 'F');
  const year = birth.getUTCFullYear();
  const date = twoDigits(year % 100) + twoDigits(birth.getUTCMonth() + 1) + twoDigits(birth.getUTCDate());
  // men: 1, 3, …, 997; women: 2, 4, …, 996
  const half = Math.floor((SSIN_MAX_SEQUENCE - 1) / 2);
  const sequence = sex === 'M' ? 2 * rng.int(half + 1) + 1 : 2 * rng.int(half) + 2;
  const first9 = date + sequence.toString().padStart(3, '0');
  return first9 + ssinCheckDigits(first9, year >= 2000);
}

// ---------------------------------------------------------------- NIHII

/** Options for NIHII validation. */
export interface NihiiValidationOptions {
  /** Accept the 89 − (base mod 89) variant as well (default true). */
  allowVariant89?: boolean;
}

/** True when `s` is an 8-digit NIHII, or 11 digits (8 + qualification), with valid check digits. */
export function isValidNihii(s: string, options: NihiiValidationOptions = {}): boolean {
  if (!/^\d{8}(\d{3})?$/.test(s)) return false;
  const base = Number(s.slice(0, 6));
  const check = s.slice(6, 8);
  if (twoDigits(MOD97 - (base % MOD97)) === check) return true;
  return (options.allowVariant89 ?? true) && twoDigits(MOD89 - (base % MOD89)) === check;
}

/** A valid NIHII: 6-digit base + 2 check digits, plus the 3-digit qualification when given. */
export function generateNihii(rng: RandomSource, qualificationCode?: string): string {
  if (qualificationCode !== undefined && !/^\d{3}$/.test(qualificationCode)) {
    throw new IdentifierError('INVALID_IDENTIFIER', 'NIHII qualification code must be 3 digits');
  }
  const base = (1 + rng.int(9)).toString() + digitsOf(rng, 5);
  return base + twoDigits(MOD97 - (Number(base) % MOD97)) + (qualificationCode ?? '');
}

// ---------------------------------------------------------------- CBE / EHP

function isValidMod97Ten(s: string): boolean {
  if (!/^\d{10}$/.test(s)) return false;
  return twoDigits(MOD97 - (Number(s.slice(0, 8)) % MOD97)) === s.slice(8);
}

function withMod97Check(base8: string): string {
  return base8 + twoDigits(MOD97 - (Number(base8) % MOD97));
}

/** True when `s` is a 10-digit enterprise number (KBO/BCE) with valid check digits. */
export function isValidCbe(s: string): boolean {
  return isValidMod97Ten(s);
}

/** A valid enterprise number in the classic `0[2-9]…` range. */
export function generateCbe(rng: RandomSource): string {
  return withMod97Check('0' + (2 + rng.int(8)).toString() + digitsOf(rng, 6));
}

/** True when `s` is a 10-digit eHealth partner (EHP) number with valid check digits. */
export function isValidEhp(s: string): boolean {
  return isValidMod97Ten(s);
}

/** A valid EHP number (10 digits, same check rule as CBE; generated with a leading `1`). */
export function generateEhp(rng: RandomSource): string {
  return withMod97Check('1' + digitsOf(rng, 7));
}

// ---------------------------------------------------------------- types

/** The identifier families, each with its own check-digit rule. */
export type IdentifierFamily = 'SSIN' | 'NIHII' | 'CBE' | 'EHP';

/** The ehBox `Type` / `SubType` pair of a destination or sender. */
export interface EhboxIdentifierType {
  type: 'INSS' | 'NIHII' | 'CBE' | 'EHP';
  subType?: string;
}

/** One ETK Depot identifier type with its length and ehBox equivalent. */
export interface IdentifierTypeInfo {
  /** Type as used by the ETK Depot and in certificate OUs (`SSIN`, `NIHII-HOSPITAL`, …). */
  etkType: string;
  /** Number of digits of the value. */
  length: number;
  family: IdentifierFamily;
  ehbox: EhboxIdentifierType;
  /** True for organisations, false for natural persons. */
  organisation: boolean;
}

/** NIHII organisation sub-types known to the connector (PROTOCOL.md §3.1). */
export const NIHII_SUBTYPES = [
  'HOSPITAL', 'PHARMACY', 'LABO', 'RETIREMENT', 'OTD_PHARMACY', 'GROUP', 'PALLIATIVE_CARE', 'OFFICE_DENTISTS',
  'MEDICAL_HOUSE', 'OFFICE_DOCTORS', 'GROUP_DOCTORS', 'OF_BAND', 'PSYCH_HOUSE', 'PROT_ACC', 'HOME_SERVICES',
  'OF_PHYSIOS', 'GUARD_POST', 'BELRAI', 'BELRAI_SCREEN', 'GROUP_MIDWIVES', 'AMBU_SERVICE', 'LEGAL_PSY',
  'REEDUCATION', 'SORTING_CENTER',
] as const;

/** Every ETK Depot identifier type of PROTOCOL.md §3.1. */
export const identifierTypes: readonly IdentifierTypeInfo[] = Object.freeze([
  { etkType: 'SSIN', length: 11, family: 'SSIN', ehbox: { type: 'INSS' }, organisation: false },
  { etkType: 'NIHII', length: 8, family: 'NIHII', ehbox: { type: 'NIHII' }, organisation: false },
  { etkType: 'NIHII11', length: 11, family: 'NIHII', ehbox: { type: 'NIHII' }, organisation: false },
  ...NIHII_SUBTYPES.map((sub): IdentifierTypeInfo => ({
    etkType: `NIHII-${sub}`, length: 8, family: 'NIHII', ehbox: { type: 'NIHII', subType: sub }, organisation: true,
  })),
  { etkType: 'CBE', length: 10, family: 'CBE', ehbox: { type: 'CBE' }, organisation: true },
  { etkType: 'CBE-TREAT_CENTER', length: 10, family: 'CBE', ehbox: { type: 'CBE', subType: 'TREATMENT_CENTER' }, organisation: true },
  { etkType: 'CBE-CONSORTIUM', length: 10, family: 'CBE', ehbox: { type: 'CBE', subType: 'CONSORTIUM' }, organisation: true },
  { etkType: 'EHP', length: 10, family: 'EHP', ehbox: { type: 'EHP' }, organisation: true },
  { etkType: 'EHP-CTRL_ORGANISM', length: 10, family: 'EHP', ehbox: { type: 'EHP', subType: 'CTRL_ORGANISM' }, organisation: true },
]);

/** The description of an ETK Depot identifier type, or undefined when unknown. */
export function findIdentifierType(etkType: string): IdentifierTypeInfo | undefined {
  return identifierTypes.find((t) => t.etkType === etkType);
}

function requireType(etkType: string): IdentifierTypeInfo {
  const info = findIdentifierType(etkType);
  if (!info) throw new IdentifierError('UNKNOWN_IDENTIFIER_TYPE', `unknown identifier type ${JSON.stringify(etkType)}`);
  return info;
}

/** ETK Depot type → ehBox Type/SubType (`NIHII-HOSPITAL` → NIHII/HOSPITAL, `SSIN` → INSS). */
export function toEhboxType(etkType: string): EhboxIdentifierType {
  const { ehbox } = requireType(etkType);
  return ehbox.subType === undefined ? { type: ehbox.type } : { type: ehbox.type, subType: ehbox.subType };
}

/** ehBox Type/SubType → ETK Depot type (NIHII without sub-type maps to the 8-digit `NIHII`). */
export function fromEhboxType(type: string, subType?: string): string {
  const match = identifierTypes.find(
    (t) => t.ehbox.type === type && t.ehbox.subType === (subType || undefined) && t.etkType !== 'NIHII11',
  );
  if (!match) {
    throw new IdentifierError('UNKNOWN_IDENTIFIER_TYPE', `unknown ehBox identifier ${type}${subType ? '/' + subType : ''}`);
  }
  return match.etkType;
}

/** True when `value` has the length and check digits its ETK Depot type requires. */
export function isValidIdentifier(etkType: string, value: string): boolean {
  const info = requireType(etkType);
  if (value.length !== info.length) return false;
  switch (info.family) {
    case 'SSIN':
      return isValidSsin(value);
    case 'NIHII':
      return isValidNihii(value);
    case 'CBE':
      return isValidCbe(value);
    case 'EHP':
      return isValidEhp(value);
  }
}

/** A valid fictitious value for an ETK Depot identifier type. */
export function generateIdentifier(etkType: string, rng: RandomSource): string {
  const info = requireType(etkType);
  switch (info.family) {
    case 'SSIN':
      return generateSsin(rng);
    case 'NIHII':
      return info.length === 11 ? generateNihii(rng, digitsOf(rng, 3)) : generateNihii(rng);
    case 'CBE':
      return generateCbe(rng);
    case 'EHP':
      return generateEhp(rng);
  }
}
