/**
 * The directory of parties as the sandbox's services query it: boxes by any
 * of their aliases, parties by identifier, and the ehBox validation of
 * destinations (unknown type 804, subtype 805, quality 803, identifier 802).
 */
import { NIHII_SUBTYPES } from '../../common/identifiers.ts';
import { boxKey, type BoxAddress, type SenderInfo } from '../ehbox/model.ts';
import { Codes, type BoxDirectory, type ResolvedBox } from '../ehbox/context.ts';
import type { Party } from './party.ts';

/** Qualities usable for eHealthBox destinations (PROTOCOL.md §3.3). */
export const EHBOX_QUALITIES = new Set([
  'DOCTOR', 'NURSE', 'DENTIST', 'PHARMACIST', 'MIDWIFE', 'PHYSIOTHERAPIST', 'PSYCHOLOGIST', 'LOGOPEDIST', 'DIETICIAN',
  'PODOLOGIST', 'AUDICIEN', 'AUDIOLOGIST', 'OPTICIEN', 'ORTHOPEDIST', 'ORTHOPTIST', 'OCCUPATIONAL_THERAPIST',
  'PRACTICALNURSE', 'PEDIATRIC_NURSE', 'PHARMACIST_ASSISTANT', 'LAB_TECHNOLOGIST', 'IMAGING_TECHNOLOGIST',
  'IMPLANTPROVIDER', 'TRUSS_MAKER', 'SOCIAL_WORKER', 'SPECIALIZED_EDUCATOR', 'AMBULANCE_RESCUER',
  'APPLIED_PSYCH_BACHELOR', 'FAMILY_SCIENCE_BACHELOR', 'GERONTOLOGY_MASTER', 'ORTHOPEDAGOGIST_MASTER',
  'PSYCHOMOTOR_THERAPY', 'READAPTATION_BACHELOR', 'CITIZEN', 'HOSPITAL', 'PHARMACY', 'LABO', 'RETIREMENT',
  'OTD_PHARMACY', 'GROUP', 'GROUP_DOCTORS', 'GUARD_POST', 'HOME_SERVICES', 'MEDICAL_HOUSE', 'OFFICE_DENTISTS',
  'OFFICE_DOCTORS', 'OF_BAND', 'OF_PHYSIOS', 'PALLIATIVE_CARE', 'PROT_ACC', 'PSYCH_HOUSE', 'INSTITUTION',
  'INSTITUTION_EHP', 'TREATMENT_CENTER', 'CONSORTIUM', 'CTRL_ORGANISM',
]);

const SUBTYPES: Record<string, Set<string>> = {
  INSS: new Set(),
  NIHII: new Set<string>(NIHII_SUBTYPES),
  CBE: new Set(['TREATMENT_CENTER', 'CONSORTIUM']),
  EHP: new Set(['CTRL_ORGANISM']),
};
const ID_PATTERN: Record<string, RegExp> = { INSS: /^\d{11}$/, NIHII: /^(\d{8}|\d{11})$/, CBE: /^\d{10}$/, EHP: /^\d{10}$/ };

/** Parties indexed for every service of the sandbox. */
export class PartyDirectory implements BoxDirectory {
  private readonly byBox = new Map<string, Party>();
  private readonly byName = new Map<string, Party>();

  constructor(readonly parties: readonly Party[]) {
    for (const p of parties) {
      this.byName.set(p.name, p);
      for (const b of p.boxes) this.byBox.set(boxKey(b), p);
    }
  }

  party(name: string): Party | undefined {
    return this.byName.get(name);
  }

  /** The party whose box matches an address, if any. */
  partyOfBox(a: BoxAddress): Party | undefined {
    return this.byBox.get(boxKey(a));
  }

  /** Parties identified by an ETK Depot identifier (type + value). */
  partiesByIdentifier(type: string, value: string): Party[] {
    return this.parties.filter((p) => {
      if (type === 'SSIN') return p.ssin === value;
      if (type === 'NIHII') return p.kind === 'person' && (p.nihii === value || p.nihii11 === value);
      if (type === 'NIHII11') return p.nihii11 === value;
      if (type === 'CBE') return p.cbe === value;
      if (type === 'EHP') return p.ehp === value;
      return p.certIdentity.type === type && p.certIdentity.id === value;
    });
  }

  resolve(a: BoxAddress): ResolvedBox {
    const subTypes = SUBTYPES[a.type];
    if (!subTypes) return { ok: false, code: Codes.INVALID_TYPE, message: `Unknown identifier type ${a.type}` };
    if (a.subType && !subTypes.has(a.subType)) return { ok: false, code: Codes.INVALID_SUBTYPE, message: `Unknown subtype ${a.subType} for ${a.type}` };
    if (!EHBOX_QUALITIES.has(a.quality)) return { ok: false, code: Codes.INVALID_QUALITY, message: `Unknown quality ${a.quality}` };
    if (!ID_PATTERN[a.type]!.test(a.id)) return { ok: false, code: Codes.INVALID_DESTINATION, message: `Invalid ${a.type} identifier` };
    const p = this.byBox.get(boxKey(a));
    if (!p) return { ok: false, code: Codes.INVALID_DESTINATION, message: `No eHealthBox for ${a.type} ${a.id} with quality ${a.quality}` };
    const canonical = p.boxes[0]!;
    return { ok: true, address: canonical, key: boxKey(canonical), person: p.kind === 'person' };
  }

  boxesWithQuality(a: BoxAddress): BoxAddress[] {
    return this.parties.filter((p) => p.quality === a.quality).map((p) => p.boxes[0]!);
  }

  maxSize(key: string): number {
    return this.byBox.get(key)?.quotaBytes ?? 0;
  }

  senderInfo(a: BoxAddress): SenderInfo {
    const p = this.byBox.get(boxKey(a));
    if (!p) return { ...a, name: a.id };
    if (p.kind === 'person') return { ...a, name: p.lastName ?? p.displayName, firstName: p.firstName };
    return { ...a, name: p.displayName };
  }
}
