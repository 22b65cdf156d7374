/**
 * How callers name a recipient: an explicit identifier (`{ type, id, quality }`
 * in ETK Depot spelling, check digits verified), Addressbook search criteria
 * (`{ search: {…} }`), or, in messages, a group (`{ group }`). One set of zod
 * schemas serves the API, the groups store and the CLI, so a bad INSS or NIHII
 * is refused the same way everywhere (422 with the field path).
 */
import { z } from 'zod';
import { findIdentifierType, identifierTypes, isValidIdentifier, isValidNihii, isValidSsin } from '../common/identifiers.ts';

/** Qualities of natural persons usable as eHealthBox destinations (PROTOCOL.md §3.3). */
export const PERSON_QUALITIES = [
  'DOCTOR', 'NURSE', 'DENTIST', 'PHARMACIST', 'MIDWIFE', 'PHYSIOTHERAPIST', 'PSYCHOLOGIST', 'LOGOPEDIST', 'DIETICIAN',
  'PODOLOGIST', 'AUDICIEN', 'AUDIOLOGIST', 'OPTICIEN', 'ORTHOPEDIST', 'ORTHOPTIST', 'OCCUPATIONAL_THERAPIST',
  'PRACTICALNURSE', 'PEDIATRIC_NURSE', 'PHARMACIST_ASSISTANT', 'LAB_TECHNOLOGIST', 'IMAGING_TECHNOLOGIST',
  'IMPLANTPROVIDER', 'TRUSS_MAKER', 'SOCIAL_WORKER', 'SPECIALIZED_EDUCATOR', 'AMBULANCE_RESCUER',
  'APPLIED_PSYCH_BACHELOR', 'FAMILY_SCIENCE_BACHELOR', 'GERONTOLOGY_MASTER', 'ORTHOPEDAGOGIST_MASTER',
  'PSYCHOMOTOR_THERAPY', 'READAPTATION_BACHELOR',
] as const;

/** Deprecated quality names and what they mean today (PROTOCOL.md §3.3). */
const QUALITY_ALIASES: Readonly<Record<string, string>> = { GENERAL_PRACTIONER: 'DOCTOR', GROUPOFNURSES: 'GROUP' };

/** Organisation qualities of the CBE and EHP types (NIHII organisations use their sub-type's name). */
const ORGANISATION_QUALITY: Readonly<Record<string, string>> = {
  CBE: 'INSTITUTION',
  'CBE-TREAT_CENTER': 'TREATMENT_CENTER',
  'CBE-CONSORTIUM': 'CONSORTIUM',
  EHP: 'INSTITUTION_EHP',
  'EHP-CTRL_ORGANISM': 'CTRL_ORGANISM',
};

/** Every recipient identifier type, in ETK Depot spelling. */
export const RECIPIENT_TYPES: readonly string[] = identifierTypes.map((t) => t.etkType);

/** The qualities a recipient of `etkType` can have (empty for unknown types). */
export function qualitiesFor(etkType: string): readonly string[] {
  const info = findIdentifierType(etkType);
  if (!info) return [];
  if (!info.organisation) return etkType === 'SSIN' ? [...PERSON_QUALITIES, 'CITIZEN'] : PERSON_QUALITIES;
  return [ORGANISATION_QUALITY[etkType] ?? info.ehbox.subType ?? etkType];
}

/** Upper-cased quality with deprecated names replaced. */
export function canonicalQuality(quality: string): string {
  const q = quality.trim().toUpperCase();
  return QUALITY_ALIASES[q] ?? q;
}

/** True when `id` is valid for `type`; a NIHII may also be given with its 3-digit qualification (11 digits). */
export function isValidRecipientId(type: string, id: string): boolean {
  if (!findIdentifierType(type)) return false;
  if (type === 'NIHII' && id.length === 11) return isValidIdentifier('NIHII11', id);
  return isValidIdentifier(type, id);
}

const MAX_TEXT = 200;
const text = () => z.string().trim().min(1).max(MAX_TEXT);

/** A recipient named by identifier (ETK Depot type, upper-case quality). */
export interface ExplicitRecipient {
  type: string;
  id: string;
  quality: string;
}

const explicitRecipientObject = z.strictObject({
  type: z.string().trim().toUpperCase().refine((t) => findIdentifierType(t) !== undefined, {
    message: `unknown identifier type (use ${RECIPIENT_TYPES.filter((t) => !t.startsWith('NIHII-')).join(', ')}, NIHII-<SUBTYPE>)`,
  }),
  id: z.string().trim().regex(/^\d+$/, 'digits only'),
  quality: z.string().trim().toUpperCase().min(1).max(64).optional(),
});

/**
 * An explicit recipient, normalised: upper-case type and quality, deprecated
 * qualities renamed, the quality defaulted for organisations. (Normalised with
 * `overwrite`, not `transform`, so that inside unions its field errors are
 * reported as such rather than as a bare "invalid union".)
 */
export const explicitRecipientSchema = explicitRecipientObject.check((ctx) => {
  const { type, id } = ctx.value;
  const quality = ctx.value.quality === undefined ? undefined : canonicalQuality(ctx.value.quality);
  const info = findIdentifierType(type);
  if (!info) return;
  if (!isValidRecipientId(type, id)) {
    const length = type === 'NIHII' ? '8 or 11' : String(info.length);
    ctx.issues.push({ code: 'custom', continue: true, path: ['id'], input: id, message: `not a valid ${type} (${length} digits with valid check digits)` });
  }
  const allowed = qualitiesFor(type);
  if (quality === undefined && allowed.length !== 1) {
    ctx.issues.push({ code: 'custom', continue: true, path: ['quality'], input: quality, message: `quality is required for ${type}` });
  } else if (quality !== undefined && !allowed.includes(quality)) {
    const hint = allowed.length <= 3 ? allowed.join(', ') : 'a care-provider quality such as DOCTOR or NURSE';
    ctx.issues.push({ code: 'custom', continue: true, path: ['quality'], input: quality, message: `quality ${quality} does not fit ${type} (use ${hint})` });
  }
}).overwrite(({ type, id, quality }) => ({
  type, id, quality: quality === undefined ? qualitiesFor(type)[0]! : canonicalQuality(quality),
})) as unknown as z.ZodType<ExplicitRecipient, z.input<typeof explicitRecipientObject>>;

const ssin = () => z.string().trim().refine((v) => isValidSsin(v), 'not a valid SSIN (11 digits with valid check digits)');
const nihii = () => z.string().trim().refine((v) => isValidNihii(v), 'not a valid NIHII (8 or 11 digits with valid check digits)');
const zipCode = () => z.string().trim().regex(/^\d{4}$/, 'a Belgian postal code has 4 digits');

const professionalSearchSchema = z.strictObject({
  kind: z.literal('professional'),
  ssin: ssin().optional(),
  nihii: nihii().optional(),
  firstName: text().optional(),
  lastName: text().optional(),
  /** Addressbook profession code, e.g. PHYSICIAN. */
  profession: text().optional(),
  city: text().optional(),
  zipCode: zipCode().optional(),
  email: z.email().optional(),
  /** ehBox quality of the box to use; by default the resolver derives it from the profession. */
  quality: z.string().trim().min(1).max(64).transform(canonicalQuality).optional(),
});

const organizationSearchSchema = z.strictObject({
  kind: z.literal('organization'),
  key: z.strictObject({ type: z.enum(['NIHII', 'CBE', 'EHP']), value: z.string().trim() }).optional(),
  institutionName: text().optional(),
  /** Institution type / quality, e.g. HOSPITAL. */
  institutionType: text().optional(),
  city: text().optional(),
  zipCode: zipCode().optional(),
  email: z.email().optional(),
});

type SearchCriteria = z.output<typeof professionalSearchSchema> | z.output<typeof organizationSearchSchema>;

function checkSearch(criteria: SearchCriteria, issues: z.core.$ZodRawIssue[]): void {
  const issue = (path: string, message: string) => issues.push({ code: 'custom', continue: true, path: ['search', path], input: criteria, message });
  if (criteria.city !== undefined && criteria.zipCode !== undefined) issue('zipCode', 'give city or zipCode, not both');
  if (criteria.kind === 'professional') {
    if (!criteria.ssin && !criteria.nihii && !criteria.lastName && !criteria.email) {
      issue('lastName', 'a professional search needs ssin, nihii, lastName or email');
    }
    return;
  }
  if (criteria.key) {
    const ok = criteria.key.type === 'NIHII' ? isValidNihii(criteria.key.value) : isValidIdentifier(criteria.key.type, criteria.key.value);
    if (!ok) issue('key', `not a valid ${criteria.key.type}`);
  } else if (!criteria.institutionName && !criteria.email) {
    issue('institutionName', 'an organisation search needs key, institutionName or email');
  }
}

/** A recipient found through the Addressbook at send time (must match exactly one entry). */
export const searchRecipientSchema = z.strictObject({
  search: z.discriminatedUnion('kind', [professionalSearchSchema, organizationSearchSchema]),
}).check((ctx) => checkSearch(ctx.value.search, ctx.issues));

/** A recipient named by Addressbook criteria. */
export type SearchRecipient = z.output<typeof searchRecipientSchema>;

/** A group member or message recipient: explicit or by search. */
export const recipientRefSchema = z.union([explicitRecipientSchema, searchRecipientSchema]);
/** A recipient reference. */
export type RecipientRef = z.output<typeof recipientRefSchema>;

/** Ids of tenants, boxes, groups and keys: URL- and Redis-key-safe. */
export const entityIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'ids are 1-64 characters of A-Z a-z 0-9 _ - (not starting with _ or -)');

/** A whole group as a message recipient, expanded at send time. */
export const groupRecipientSchema = z.strictObject({ group: entityIdSchema });

/** What `POST /v1/messages` accepts per recipient. */
export const messageRecipientSchema = z.union([explicitRecipientSchema, searchRecipientSchema, groupRecipientSchema]);
/** A message recipient. */
export type MessageRecipient = z.output<typeof messageRecipientSchema>;

/** True for explicit recipients. */
export function isExplicitRecipient(ref: MessageRecipient): ref is ExplicitRecipient {
  return 'type' in ref;
}

/** `TYPE:ID:QUALITY`, the stable key of an explicit recipient (deterministic job ids, dedupe). */
export function recipientKey(ref: ExplicitRecipient): string {
  return `${ref.type}:${ref.id}:${ref.quality}`;
}

/** Parses the CLI form `TYPE:ID[:QUALITY]` (e.g. `NIHII:12345678:DOCTOR`) with the same checks as the API. */
export function parseRecipientShorthand(text: string): ReturnType<typeof explicitRecipientSchema.safeParse> {
  const [type = '', id = '', quality, ...extra] = text.split(':');
  if (extra.length > 0) return explicitRecipientSchema.safeParse({ type, id, quality, extra: extra.join(':') });
  return explicitRecipientSchema.safeParse(quality === undefined || quality === '' ? { type, id } : { type, id, quality });
}
