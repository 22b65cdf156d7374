/**
 * The deterministic seed directory: the same seed and sizes always give the
 * same parties (names, identifiers with valid check digits, addresses,
 * e-mails, boxes), so demos and tests can name parties in advance.
 */
import { createDrbg, type RandomSource } from '../../crypto/drbg.ts';
import { generateCbe, generateEhp, generateNihii, generateSsin } from '../../common/identifiers.ts';
import { FIRST_NAMES, HOSPITAL_NAMES, INSTITUTION_NAMES, LAST_NAMES, MEDICAL_HOUSE_NAMES, MUNICIPALITIES, PHARMACY_NAMES, STREETS, WARDS, type Language } from './names.ts';
import type { Party, PostalAddress } from './party.ts';

/** How many parties of each kind the directory holds. */
export interface DirectorySize {
  doctors: number;
  nurses: number;
  pharmacists: number;
  hospitals: number;
  /** Nurses working in each ward of the first hospital (group mailings). */
  wardNurses: number;
}

/** Small enough to generate keys for in seconds, large enough for every scenario. */
export const DEFAULT_SIZE: DirectorySize = { doctors: 8, nurses: 4, pharmacists: 2, hospitals: 2, wardNurses: 6 };

/**
 * Named sizes for `--size`: small starts fastest (few keys to generate on the
 * first start), large gives paging and search something to chew on.
 */
export const DIRECTORY_SIZES = {
  small: { doctors: 3, nurses: 2, pharmacists: 1, hospitals: 1, wardNurses: 1 },
  default: DEFAULT_SIZE,
  large: { doctors: 40, nurses: 20, pharmacists: 8, hospitals: 6, wardNurses: 8 },
} as const satisfies Record<string, DirectorySize>;
export type DirectorySizeName = keyof typeof DIRECTORY_SIZES;

/** Default box quota (bytes); one party is seeded with a tiny quota to show stand-by. */
export const DEFAULT_QUOTA_BYTES = 200 * 1024 * 1024;
const TINY_QUOTA_BYTES = 64 * 1024;

const PROFESSIONS = {
  DOCTOR: { code: 'PHYSICIAN', qualification: '004' },
  NURSE: { code: 'NURSE', qualification: '404' },
  PHARMACIST: { code: 'PHARMACIST', qualification: '504' },
} as const;

const pick = <T>(rng: RandomSource, xs: readonly T[]): T => xs[rng.int(xs.length)]!;

function slug(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

function address(rng: RandomSource, language?: Language): PostalAddress {
  const candidates = language ? MUNICIPALITIES.filter((m) => m.language === language) : MUNICIPALITIES;
  const m = pick(rng, candidates);
  return { street: pick(rng, STREETS[m.language]), houseNumber: String(1 + rng.int(180)), zip: m.zip, city: m.name };
}

function language(rng: RandomSource): Language {
  const r = rng.int(20);
  return r < 11 ? 'NL' : r < 19 ? 'FR' : 'DE';
}

class Builder {
  readonly parties: Party[] = [];
  private readonly names = new Set<string>();

  constructor(readonly rng: RandomSource) {}

  uniqueName(base: string): string {
    let name = slug(base);
    for (let i = 2; this.names.has(name); i++) name = `${slug(base)}-${i}`;
    this.names.add(name);
    return name;
  }

  person(quality: keyof typeof PROFESSIONS, extra: Partial<Party> = {}): Party {
    const rng = this.rng;
    const lang = language(rng);
    const gender = rng.int(2) === 0 ? 'M' : 'F';
    const firstName = pick(rng, FIRST_NAMES[lang][gender]);
    const lastName = pick(rng, LAST_NAMES[lang]);
    const ssin = generateSsin(rng, { sex: gender });
    const prof = PROFESSIONS[quality];
    const nihii11 = generateNihii(rng, prof.qualification);
    const nihii = nihii11.slice(0, 8);
    const name = this.uniqueName(`${quality.toLowerCase()}-${firstName}-${lastName}`);
    const displayName = `${firstName} ${lastName}`;
    const party: Party = {
      name,
      kind: 'person',
      displayName,
      firstName,
      lastName,
      gender,
      language: lang,
      ssin,
      nihii,
      nihii11,
      quality,
      professionCode: prof.code,
      address: address(rng, lang),
      email: `${slug(firstName)}.${slug(lastName)}.${nihii.slice(0, 4)}@mail.sandbox.test`,
      certIdentity: { type: 'SSIN', id: ssin },
      identity: { type: 'NIHII', id: nihii, quality, name: displayName },
      etk: 'valid',
      quotaBytes: DEFAULT_QUOTA_BYTES,
      boxes: [
        { id: ssin, type: 'INSS', quality },
        { id: nihii, type: 'NIHII', quality },
        { id: nihii11, type: 'NIHII', quality },
      ],
      ...extra,
    };
    this.parties.push(party);
    return party;
  }

  organisation(kind: 'HOSPITAL' | 'PHARMACY' | 'MEDICAL_HOUSE' | 'INSTITUTION' | 'INSTITUTION_EHP', orgName: string, extra: Partial<Party> = {}): Party {
    const rng = this.rng;
    const lang = language(rng);
    const nihiiOrg = kind === 'HOSPITAL' || kind === 'PHARMACY' || kind === 'MEDICAL_HOUSE';
    const id = nihiiOrg ? generateNihii(rng) : kind === 'INSTITUTION' ? generateCbe(rng) : generateEhp(rng);
    const etkType = nihiiOrg ? `NIHII-${kind}` : kind === 'INSTITUTION' ? 'CBE' : 'EHP';
    const boxType = nihiiOrg ? 'NIHII' : kind === 'INSTITUTION' ? 'CBE' : 'EHP';
    const party: Party = {
      name: this.uniqueName(orgName),
      kind: 'organisation',
      displayName: orgName,
      language: lang,
      nihii: nihiiOrg ? id : undefined,
      cbe: kind === 'INSTITUTION' ? id : undefined,
      ehp: kind === 'INSTITUTION_EHP' ? id : undefined,
      quality: kind,
      professionCode: kind,
      address: address(rng, lang),
      email: `contact.${id}@mail.sandbox.test`,
      certIdentity: { type: etkType, id },
      identity: { type: etkType, id, quality: kind, name: orgName },
      etk: 'valid',
      quotaBytes: DEFAULT_QUOTA_BYTES,
      boxes: [{ id, type: boxType, subType: nihiiOrg ? kind : undefined, quality: kind }],
      ...extra,
    };
    this.parties.push(party);
    return party;
  }
}

/**
 * Builds the directory for a seed. Some parties are seeded for special paths
 * (listed by `specialParties`): no ETK (second-to-last doctor), an expired
 * ETK and no e-mail (last free nurse), an active Out-of-Office (last doctor,
 * substituted by the first doctor) and a tiny quota (last pharmacist).
 */
export function seedDirectory(seed: string, size: DirectorySize = DEFAULT_SIZE): Party[] {
  const b = new Builder(createDrbg(`${seed}/directory`));
  const hospitals = HOSPITAL_NAMES.slice(0, Math.max(1, size.hospitals)).map((n, i) =>
    b.organisation('HOSPITAL', n, { wards: WARDS.slice(i % 3, (i % 3) + 4) }),
  );
  b.organisation('PHARMACY', PHARMACY_NAMES[0]!);
  b.organisation('MEDICAL_HOUSE', MEDICAL_HOUSE_NAMES[0]!);
  b.organisation('INSTITUTION', INSTITUTION_NAMES[0]!);
  b.organisation('INSTITUTION_EHP', INSTITUTION_NAMES[1]!);
  const doctors = Array.from({ length: Math.max(3, size.doctors) }, () => b.person('DOCTOR'));
  const nurses = Array.from({ length: Math.max(1, size.nurses) }, () => b.person('NURSE'));
  const h = hospitals[0]!;
  for (const ward of h.wards ?? []) {
    for (let i = 0; i < size.wardNurses; i++) b.person('NURSE', { workplace: { hospital: h.name, ward } });
  }
  const pharmacists = Array.from({ length: Math.max(1, size.pharmacists) }, () => b.person('PHARMACIST'));
  doctors[doctors.length - 2]!.etk = 'none';
  doctors[doctors.length - 1]!.outOfOffice = { substitute: doctors[0]!.name };
  nurses[nurses.length - 1]!.etk = 'expired';
  nurses[nurses.length - 1]!.email = undefined;
  pharmacists[pharmacists.length - 1]!.quotaBytes = TINY_QUOTA_BYTES;
  return b.parties;
}

/** The parties seeded for special paths, by role. */
export function specialParties(parties: Party[]) {
  const doctors = parties.filter((p) => p.quality === 'DOCTOR');
  return {
    noEtk: parties.find((p) => p.etk === 'none'),
    expiredEtk: parties.find((p) => p.etk === 'expired'),
    outOfOffice: parties.find((p) => p.outOfOffice),
    tinyQuota: parties.find((p) => p.quotaBytes === TINY_QUOTA_BYTES),
    firstDoctor: doctors[0],
    hospital: parties.find((p) => p.quality === 'HOSPITAL'),
  };
}
