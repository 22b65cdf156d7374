/**
 * Addressbook 1.1 request payloads, both directions: the client encodes them,
 * the sandbox decodes them. Every child is in the protocol namespace
 * (elementFormDefault="qualified"); order follows ehealth-addressbook-protocol-1_1.xsd.
 * Encoders return the payload element only (no envelope) and refuse values
 * the schema would refuse; decoders take the payload element.
 */
import type { Element } from '@xmldom/xmldom';
import { xmlElement, xmlText } from '../../soap/xml.ts';
import { encodePaginationAttrs, encodeRequestAttrs, decodePaginationAttrs, decodeRequestAttrs } from './header-codec.ts';
import { AB_NS, AB_PREFIX, ab } from './namespaces.ts';
import type {
  GetOrganizationContactInfoRequest,
  GetProfessionalContactInfoRequest,
  OrganizationKey,
  ProfessionalKey,
  SearchOrganizationsRequest,
  SearchProfessionalsRequest,
} from './types.ts';
import { wireInvalid } from './wire-error.ts';
import { WireReader, checkPattern, expectRoot } from './wire-xml.ts';

const P = AB_NS.protocol;
const XMLNS = { [`xmlns:${AB_PREFIX.protocol}`]: P };

/** Addressbook core simple types (ehealth-addressbook-core-1_1.xsd). */
const KEY_PATTERNS: Readonly<Record<OrganizationKey['type'] | ProfessionalKey['type'], RegExp>> = {
  NIHII: /^([0-9]{8}|[0-9]{11})$/,
  SSIN: /^[0-9]{11}$/,
  CBE: /^[0-9]{10}$/,
  EHP: /^[0-9]{10}$/,
};
const PROFESSIONAL_KEYS = ['NIHII', 'SSIN'] as const;
const ORGANIZATION_KEYS = ['NIHII', 'CBE', 'EHP'] as const;

function encodeKey(key: ProfessionalKey | OrganizationKey | undefined, allowed: readonly string[]): string {
  if (!key) return '';
  if (!allowed.includes(key.type)) throw wireInvalid(`Identifier type must be one of ${allowed.join(', ')}`);
  return xmlText(ab(key.type), checkPattern(key.value, KEY_PATTERNS[key.type], key.type));
}

function encodeLocation(q: { city?: string | undefined; zipCode?: string | undefined }): string {
  if (q.city !== undefined && q.zipCode !== undefined) throw wireInvalid('City and ZipCode exclude each other');
  return xmlText(ab('City'), q.city) + xmlText(ab('ZipCode'), q.zipCode);
}

/** Reads the optional identifier choice among `allowed`; two of them is an error. */
function decodeKey<T extends string>(r: WireReader, allowed: readonly T[]): { type: T; value: string } | undefined {
  let key: { type: T; value: string } | undefined;
  for (const type of allowed) {
    const raw = r.optText(P, type);
    if (raw === undefined) continue;
    if (key) throw wireInvalid(`${r.path} has both ${key.type} and ${type}`);
    key = { type, value: checkPattern(raw, KEY_PATTERNS[type as OrganizationKey['type']], `${r.path}/${type}`) };
  }
  return key;
}

function requireKey<T extends string>(r: WireReader, allowed: readonly T[]): { type: T; value: string } {
  const key = decodeKey(r, allowed);
  if (!key) throw wireInvalid(`${r.path} needs one of ${allowed.join(', ')}`);
  return key;
}

function decodeLocation(r: WireReader): { city?: string | undefined; zipCode?: string | undefined } {
  const city = r.optText(P, 'City');
  const zipCode = r.optText(P, 'ZipCode');
  if (city !== undefined && zipCode !== undefined) throw wireInvalid(`${r.path} has both City and ZipCode`);
  return { city, zipCode };
}

/** `SearchProfessionalsRequest` payload. */
export function encodeSearchProfessionalsRequest(q: SearchProfessionalsRequest): string {
  return xmlElement(
    ab('SearchProfessionalsRequest'),
    { ...XMLNS, ...encodeRequestAttrs(q), ...encodePaginationAttrs(q) },
    encodeKey(q.key, PROFESSIONAL_KEYS),
    xmlText(ab('FirstName'), q.firstName),
    xmlText(ab('LastName'), q.lastName),
    xmlText(ab('Profession'), q.profession),
    encodeLocation(q),
    xmlText(ab('EMail'), q.email),
  );
}

/** Decodes a `SearchProfessionalsRequest` element. */
export function decodeSearchProfessionalsRequest(el: Element): SearchProfessionalsRequest {
  const r = expectRoot(el, P, 'SearchProfessionalsRequest');
  const q: SearchProfessionalsRequest = {
    ...decodeRequestAttrs(r),
    ...decodePaginationAttrs(r),
    key: decodeKey(r, PROFESSIONAL_KEYS),
    firstName: r.optText(P, 'FirstName'),
    lastName: r.optText(P, 'LastName'),
    profession: r.optText(P, 'Profession'),
    ...decodeLocation(r),
    email: r.optText(P, 'EMail'),
  };
  r.done();
  return q;
}

/** `GetProfessionalContactInfoRequest` payload. */
export function encodeGetProfessionalContactInfoRequest(q: GetProfessionalContactInfoRequest): string {
  if (!q.key) throw wireInvalid('GetProfessionalContactInfoRequest needs a NIHII or SSIN');
  return xmlElement(ab('GetProfessionalContactInfoRequest'), { ...XMLNS, ...encodeRequestAttrs(q) }, encodeKey(q.key, PROFESSIONAL_KEYS));
}

/** Decodes a `GetProfessionalContactInfoRequest` element. */
export function decodeGetProfessionalContactInfoRequest(el: Element): GetProfessionalContactInfoRequest {
  const r = expectRoot(el, P, 'GetProfessionalContactInfoRequest');
  const q = { ...decodeRequestAttrs(r), key: requireKey(r, PROFESSIONAL_KEYS) };
  r.done();
  return q;
}

/** `SearchOrganizationsRequest` payload. */
export function encodeSearchOrganizationsRequest(q: SearchOrganizationsRequest): string {
  return xmlElement(
    ab('SearchOrganizationsRequest'),
    { ...XMLNS, ...encodeRequestAttrs(q), ...encodePaginationAttrs(q) },
    encodeKey(q.key, ORGANIZATION_KEYS),
    xmlText(ab('InstitutionName'), q.institutionName),
    xmlText(ab('InstitutionType'), q.institutionType),
    encodeLocation(q),
    xmlText(ab('EMail'), q.email),
  );
}

/** Decodes a `SearchOrganizationsRequest` element. */
export function decodeSearchOrganizationsRequest(el: Element): SearchOrganizationsRequest {
  const r = expectRoot(el, P, 'SearchOrganizationsRequest');
  const q: SearchOrganizationsRequest = {
    ...decodeRequestAttrs(r),
    ...decodePaginationAttrs(r),
    key: decodeKey(r, ORGANIZATION_KEYS),
    institutionName: r.optText(P, 'InstitutionName'),
    institutionType: r.optText(P, 'InstitutionType'),
    ...decodeLocation(r),
    email: r.optText(P, 'EMail'),
  };
  r.done();
  return q;
}

/** `GetOrganizationContactInfoRequest` payload. */
export function encodeGetOrganizationContactInfoRequest(q: GetOrganizationContactInfoRequest): string {
  if (!q.key) throw wireInvalid('GetOrganizationContactInfoRequest needs a NIHII, CBE or EHP');
  return xmlElement(
    ab('GetOrganizationContactInfoRequest'),
    { ...XMLNS, ...encodeRequestAttrs(q) },
    encodeKey(q.key, ORGANIZATION_KEYS),
    xmlText(ab('InstitutionType'), q.institutionType),
  );
}

/** Decodes a `GetOrganizationContactInfoRequest` element. */
export function decodeGetOrganizationContactInfoRequest(el: Element): GetOrganizationContactInfoRequest {
  const r = expectRoot(el, P, 'GetOrganizationContactInfoRequest');
  const q = { ...decodeRequestAttrs(r), key: requireKey(r, ORGANIZATION_KEYS), institutionType: r.optText(P, 'InstitutionType') };
  r.done();
  return q;
}
