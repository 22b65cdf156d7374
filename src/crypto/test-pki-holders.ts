/**
 * The cast of the test PKI: which holders `pki init` creates (a doctor by
 * NIHII, a nurse by SSIN, a hospital, a CBE organisation, an EHP partner, a
 * pharmacy, …), with fictitious names and identifiers that have valid check
 * digits. Deterministic for a given RandomSource.
 */
import { generateCbe, generateEhp, generateNihii, generateSsin } from '../common/identifiers.ts';
import type { RandomSource } from './drbg.ts';

/** One holder to issue: identity, ehBox quality and display name. */
export interface HolderSpec {
  /** Directory name under `holders/` (kebab-case, unique). */
  name: string;
  /** ETK Depot identifier type (`SSIN`, `NIHII`, `NIHII-HOSPITAL`, `CBE`, `EHP`, …). */
  type: string;
  id: string;
  /** ehBox quality (`DOCTOR`, `NURSE`, `HOSPITAL`, `INSTITUTION`, …). */
  quality: string;
  /** Person `FIRST LAST` or organisation name, as written in the DN. */
  displayName: string;
  /** Application id for organisation/application certificates. */
  application?: string;
}

const FIRST_NAMES = ['ANNA', 'LUC', 'SOFIE', 'PIETER', 'MARIE', 'JAN', 'ELISE', 'TOM', 'NORA', 'BRAM'];
const LAST_NAMES = ['PEETERS', 'JANSSENS', 'MAES', 'JACOBS', 'MERTENS', 'WILLEMS', 'CLAES', 'GOOSSENS', 'WOUTERS', 'DE SMET'];
/** Adults only: born 1950–1999 (UTC days since the epoch). */
const ADULT_BIRTH_FROM = Date.UTC(1950, 0, 1);
const ADULT_BIRTH_DAYS = 50 * 365;
const DAY_MS = 86_400_000;

interface Role {
  role: string;
  type: string;
  quality: string;
  id: (rng: RandomSource) => string;
  name: (rng: RandomSource) => string;
  application?: string;
}

const pick = <T>(rng: RandomSource, list: readonly T[]): T => list[rng.int(list.length)]!;
const person = (rng: RandomSource) => `${pick(rng, FIRST_NAMES)} ${pick(rng, LAST_NAMES)}`;
const organisation = (kind: string) => (rng: RandomSource) => `TEST ${kind} ${pick(rng, LAST_NAMES)}`;
const adultSsin = (rng: RandomSource) => generateSsin(rng, { birthDate: new Date(ADULT_BIRTH_FROM + rng.int(ADULT_BIRTH_DAYS) * DAY_MS) });

/** The order in which `pki init` adds holders; it cycles when more are asked. */
const ROLES: Role[] = [
  { role: 'doctor', type: 'NIHII', quality: 'DOCTOR', id: (rng) => generateNihii(rng), name: person },
  { role: 'nurse', type: 'SSIN', quality: 'NURSE', id: adultSsin, name: person },
  { role: 'hospital', type: 'NIHII-HOSPITAL', quality: 'HOSPITAL', id: (rng) => generateNihii(rng), name: organisation('HOSPITAL') },
  { role: 'institution', type: 'CBE', quality: 'INSTITUTION', id: generateCbe, name: organisation('CARE GROUP') },
  { role: 'partner', type: 'EHP', quality: 'INSTITUTION_EHP', id: generateEhp, name: organisation('HEALTH PARTNER'), application: 'EHBOX-BRIDGE' },
  { role: 'pharmacy', type: 'NIHII-PHARMACY', quality: 'PHARMACY', id: (rng) => generateNihii(rng), name: organisation('PHARMACY') },
];

/** `count` holder specs: doctor-1, nurse-1, hospital-1, institution-1, partner-1, pharmacy-1, doctor-2, … */
export function defaultHolderSpecs(count: number, rng: RandomSource): HolderSpec[] {
  const specs: HolderSpec[] = [];
  const usedIds = new Set<string>();
  for (let i = 0; i < count; i++) {
    const role = ROLES[i % ROLES.length]!;
    let id = role.id(rng);
    while (usedIds.has(`${role.type}:${id}`)) id = role.id(rng);
    usedIds.add(`${role.type}:${id}`);
    const spec: HolderSpec = {
      name: `${role.role}-${Math.floor(i / ROLES.length) + 1}`,
      type: role.type,
      id,
      quality: role.quality,
      displayName: role.name(rng),
    };
    if (role.application) spec.application = role.application;
    specs.push(spec);
  }
  return specs;
}
