/**
 * Turns a recipient reference — an identifier `{ type, id, quality }` in ETK
 * Depot spelling, or Addressbook search criteria — into what sending needs:
 * the eHealthBox destination (Type/SubType from the Addressbook's EHealthBox,
 * or derived from the identifier type), the e-mail for update-info mails and
 * the language when the directory publishes them, and the validated ETK(s).
 * Ambiguous or empty searches, bad identifiers and missing/invalid ETKs are
 * typed errors with a `permanent` flag the workers act on.
 */
import { findIdentifierType, fromEhboxType, isValidIdentifier, toEhboxType } from '../common/identifiers.ts';
import { EtkLookupError, type EtkDepotClient, type ValidEtk } from '../etkdepot/etk-depot-client.ts';
import type { EtkIdentifier } from '../etkdepot/wire/types.ts';
import type { BoxAddress } from '../ehbox/wire/types.ts';
import { AddressbookError, type AddressbookClient } from './addressbook-client.ts';
import type { AdditionalInformation, HealthCareOrganization, HealthCareProfessional, OrganizationKey } from './wire/types.ts';

/** Stable codes of resolution failures. */
export type RecipientErrorCode = 'RECIPIENT_AMBIGUOUS' | 'RECIPIENT_NOT_FOUND' | 'RECIPIENT_INVALID' | 'ETK_NOT_FOUND' | 'ETK_INVALID' | 'ETK_DEPOT_ERROR';

/** A directory entry a search could mean. */
export interface RecipientCandidate {
  kind: 'professional' | 'organisation';
  name: string;
  type: string;
  id: string;
  quality: string;
}

/** A recipient that could not be resolved; `permanent` says whether retrying can help. */
export class RecipientError extends Error {
  override readonly name = 'RecipientError';
  constructor(
    readonly code: RecipientErrorCode,
    message: string,
    readonly permanent: boolean,
    readonly candidates: RecipientCandidate[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A recipient named by identifier, e.g. `{ type: 'NIHII', id: '12345678', quality: 'DOCTOR' }`. */
export interface ExplicitRecipient {
  /** ETK Depot spelling: SSIN, NIHII, NIHII11, NIHII-HOSPITAL, CBE, EHP, … */
  type: string;
  id: string;
  quality: string;
  applicationId?: string | undefined;
}

/** Addressbook search criteria; `name` alone searches professionals and organisations. */
export interface SearchCriteria {
  name?: string | undefined;
  firstName?: string | undefined;
  lastName?: string | undefined;
  /** Profession code (PHYSICIAN) or quality (DOCTOR). */
  profession?: string | undefined;
  institutionName?: string | undefined;
  institutionType?: string | undefined;
  zip?: string | undefined;
  city?: string | undefined;
}

/** What a caller may name. */
export type RecipientRef = ExplicitRecipient | { search: SearchCriteria; quality?: string | undefined };

/** Everything needed to send to one recipient. */
export interface ResolvedRecipient {
  destination: BoxAddress;
  email?: string | undefined;
  language?: string | undefined;
  name?: string | undefined;
  etks: ValidEtk[];
  /** Whether the ehBox address came from the Addressbook or was derived from the identifier. */
  source: 'addressbook' | 'derived';
}

/** The Addressbook operations the resolver uses. */
export type ResolverAddressbook = Pick<AddressbookClient, 'getProfessionalContactInfo' | 'getOrganizationContactInfo' | 'searchProfessionals' | 'searchOrganizations'>;

/** Candidates listed in an ambiguity error at most (enough to choose, short enough for a log line). */
export const MAX_LISTED_CANDIDATES = 20;

/** Addressbook profession codes of the ehBox qualities that differ from their name. */
const PROFESSION_OF_QUALITY: Record<string, string> = { DOCTOR: 'PHYSICIAN' };
const QUALITY_OF_PROFESSION: Record<string, string> = { PHYSICIAN: 'DOCTOR' };

type Contact = { box?: BoxAddress | undefined; email?: string | undefined; language?: string | undefined; name?: string | undefined };

const mailOf = (infos: readonly AdditionalInformation[]) => infos.find((i) => i.type?.toLowerCase() === 'mail')?.value;

/** The ETK Depot identifier of an ehBox address (NIHII-11 ids go as 8-digit NIHII, as the connector does). */
export function etkIdentifierOfBox(box: BoxAddress, applicationId?: string): EtkIdentifier {
  const type = fromEhboxType(box.type, box.subType);
  const value = type === 'NIHII' && box.id.length === 11 ? box.id.slice(0, 8) : box.id;
  return { type, value, ...(applicationId ? { applicationId } : {}) };
}

/** Resolves recipient references through the Addressbook and the ETK Depot. */
export class RecipientResolver {
  constructor(
    private readonly addressbook: ResolverAddressbook | undefined,
    private readonly etkDepot: Pick<EtkDepotClient, 'getEtks'>,
  ) {}

  /** Resolves one reference (see the module comment for the errors). */
  async resolve(ref: RecipientRef): Promise<ResolvedRecipient> {
    if ('search' in ref) return this.resolveExplicit(await this.findOne(ref.search, ref.quality));
    return this.resolveExplicit(ref);
  }

  /** Resolves an identifier: Addressbook contact (when published), destination, ETKs. */
  async resolveExplicit(ref: ExplicitRecipient): Promise<ResolvedRecipient> {
    const { type, id } = normalise(ref);
    const quality = ref.quality.trim().toUpperCase();
    if (!quality) throw new RecipientError('RECIPIENT_INVALID', `No quality given for ${type} ${id}`, true);
    const contact = await this.contact(type, id, quality);
    const destination: BoxAddress = contact.box ?? { id, ...toEhboxType(type), quality };
    const etkId: EtkIdentifier = contact.box ? etkIdentifierOfBox(contact.box, ref.applicationId) : { type, value: id, ...(ref.applicationId ? { applicationId: ref.applicationId } : {}) };
    const etks = await this.etks(etkId);
    return { destination, email: contact.email, language: contact.language, name: contact.name, etks, source: contact.box ? 'addressbook' : 'derived' };
  }

  /** The ETKs of an ehBox address as it is (e.g. an Out-of-Office substitute). */
  async etksOfBox(box: BoxAddress): Promise<ValidEtk[]> {
    let id: EtkIdentifier;
    try {
      id = etkIdentifierOfBox(box);
    } catch (err) {
      throw new RecipientError('RECIPIENT_INVALID', err instanceof Error ? err.message : String(err), true, [], { cause: err });
    }
    return this.etks(id);
  }

  private async etks(id: EtkIdentifier): Promise<ValidEtk[]> {
    try {
      return await this.etkDepot.getEtks(id);
    } catch (err) {
      if (err instanceof EtkLookupError) throw new RecipientError(err.code, err.message, err.permanent, [], { cause: err });
      throw err;
    }
  }

  /** The single directory entry matching the criteria. */
  async findOne(criteria: SearchCriteria, quality?: string): Promise<ExplicitRecipient> {
    const candidates = await this.search(criteria, quality);
    if (candidates.length === 0) throw new RecipientError('RECIPIENT_NOT_FOUND', `No recipient matches ${describe(criteria)}`, true);
    if (candidates.length > 1) {
      const listed = candidates.slice(0, MAX_LISTED_CANDIDATES);
      const names = listed.map((c) => `${c.name} (${c.type} ${c.id}, ${c.quality})`).join('; ');
      const more = candidates.length > listed.length ? ` and ${candidates.length - listed.length} more` : '';
      throw new RecipientError('RECIPIENT_AMBIGUOUS', `${candidates.length} recipients match ${describe(criteria)}: ${names}${more}`, true, listed);
    }
    const c = candidates[0]!;
    return { type: c.type, id: c.id, quality: c.quality };
  }

  /** Every candidate of the first Addressbook page of each relevant search. */
  async search(criteria: SearchCriteria, quality?: string): Promise<RecipientCandidate[]> {
    if (!this.addressbook) throw new RecipientError('RECIPIENT_INVALID', 'Searching recipients needs the Addressbook', true);
    const place = criteria.zip ? { zipCode: criteria.zip } : criteria.city ? { city: criteria.city } : {};
    const wantOrgs = Boolean(criteria.institutionName || criteria.institutionType);
    const wantPeople = Boolean(criteria.firstName || criteria.lastName || criteria.profession);
    if (!wantOrgs && !wantPeople && !criteria.name) throw new RecipientError('RECIPIENT_INVALID', 'Search criteria need a name, a profession or an institution', true);
    const out: RecipientCandidate[] = [];
    if (wantPeople || (!wantOrgs && criteria.name)) {
      const profession = criteria.profession ? (PROFESSION_OF_QUALITY[criteria.profession.toUpperCase()] ?? criteria.profession.toUpperCase()) : undefined;
      const hits = await this.addressbook.searchProfessionals({ lastName: criteria.lastName ?? criteria.name, firstName: criteria.firstName, profession, ...place });
      out.push(...hits.flatMap((h) => professionalCandidate(h, quality)));
    }
    if (wantOrgs || (!wantPeople && criteria.name)) {
      const hits = await this.addressbook.searchOrganizations({ institutionName: criteria.institutionName ?? criteria.name, institutionType: criteria.institutionType, ...place });
      out.push(...hits.flatMap((h) => organisationCandidate(h, quality)));
    }
    const seen = new Set<string>();
    return out.filter((c) => !seen.has(`${c.type}:${c.id}`) && seen.add(`${c.type}:${c.id}`));
  }

  /** Contact data and the ehBox of the quality, when the Addressbook publishes them. */
  private async contact(type: string, id: string, quality: string): Promise<Contact> {
    if (!this.addressbook) return {};
    const info = findIdentifierType(type)!;
    try {
      if (!info.organisation) {
        const key = info.family === 'SSIN' ? { type: 'SSIN' as const, value: id } : { type: 'NIHII' as const, value: id };
        const ind = await this.addressbook.getProfessionalContactInfo(key);
        if (!ind) return {};
        const pi = ind.professionalInformation.find((p) => p.eHealthBox?.quality === quality);
        return {
          box: pi?.eHealthBox,
          email: (pi && mailOf(pi.additionalInformation)) ?? mailOf(ind.additionalInformation),
          language: ind.language?.toUpperCase(),
          name: [ind.firstName, ind.lastName].filter(Boolean).join(' '),
        };
      }
      const key: OrganizationKey = { type: info.family === 'NIHII' ? 'NIHII' : info.family === 'CBE' ? 'CBE' : 'EHP', value: id };
      const org = await this.addressbook.getOrganizationContactInfo(key);
      if (!org) return {};
      const wanted = toEhboxType(type);
      const boxes = org.eHealthBoxes.filter((b) => b.quality === quality);
      const box = boxes.find((b) => b.type === wanted.type && (b.subType ?? undefined) === wanted.subType && b.id === id) ?? boxes[0];
      return { box, email: mailOf(org.additionalInformation), name: org.names[0]?.value };
    } catch (err) {
      // a directory that says "no" (status error) leaves the derived address; transport failures propagate
      if (err instanceof AddressbookError) return {};
      throw err;
    }
  }
}

function normalise(ref: ExplicitRecipient): { type: string; id: string } {
  const id = ref.id.trim();
  let type = ref.type.trim().toUpperCase();
  if (type === 'NIHII' && /^\d{11}$/.test(id)) type = 'NIHII11';
  if (type === 'INSS') type = 'SSIN';
  if (!findIdentifierType(type)) throw new RecipientError('RECIPIENT_INVALID', `Unknown identifier type ${ref.type}`, true);
  if (!isValidIdentifier(type, id)) throw new RecipientError('RECIPIENT_INVALID', `${id} is not a valid ${type} (length or check digits)`, true);
  return { type, id };
}

function professionalCandidate(h: HealthCareProfessional, quality: string | undefined): RecipientCandidate[] {
  const name = [h.firstName, h.lastName].filter(Boolean).join(' ');
  const p = h.professions[0];
  const q = quality ?? (p?.codes[0] ? (QUALITY_OF_PROFESSION[p.codes[0].value] ?? p.codes[0].value) : undefined);
  if (!q) return [];
  if (h.ssin) return [{ kind: 'professional', name, type: 'SSIN', id: h.ssin, quality: q }];
  if (p?.nihii) return [{ kind: 'professional', name, type: 'NIHII', id: p.nihii.slice(0, 8), quality: q }];
  return [];
}

function organisationCandidate(h: HealthCareOrganization, quality: string | undefined): RecipientCandidate[] {
  const code = h.typeCodes[0]?.value;
  const name = h.names[0]?.value ?? h.id.value;
  const q = quality ?? code;
  if (!q) return [];
  const idType = h.id.type.toUpperCase();
  const type = idType === 'CBE' ? 'CBE' : idType === 'HCI' || idType === 'EHP' ? 'EHP' : code && findIdentifierType(`NIHII-${code}`) ? `NIHII-${code}` : undefined;
  return type ? [{ kind: 'organisation', name, type, id: h.id.value, quality: q }] : [];
}

function describe(c: SearchCriteria): string {
  return Object.entries(c)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(', ');
}
