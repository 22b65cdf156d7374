/**
 * Addressbook 1.1 response payloads, both directions: the sandbox encodes
 * them, the client decodes them. Namespaces are mixed (PROTOCOL.md §1.4):
 * the root and its direct children in the protocol namespace, `Status` in
 * commons v2 core, persons/professions/addresses in `aa:`, and
 * ProfessionalInformation/EHealthBox (with Id/Type/SubType/Quality) in the
 * addressbook core namespace.
 */
import type { Element } from '@xmldom/xmldom';
import { xmlElement, xmlText } from '../../soap/xml.ts';
import { decodePaginationAttrs, decodeResponseHeader, encodePaginationAttrs, encodeResponseAttrs, encodeStatus } from './header-codec.ts';
import {
  decodeContactTail,
  decodeIndividualFields,
  decodeOrganizationFields,
  decodeProfession,
  encodeContactTail,
  encodeIndividualFields,
  encodeOrganizationFields,
  encodeProfession,
} from './iam-codec.ts';
import { AB_NS, AB_XMLNS, aa, ab, abc } from './namespaces.ts';
import type {
  EHealthBox,
  GetOrganizationContactInfoResponse,
  GetProfessionalContactInfoResponse,
  HealthCareOrganization,
  HealthCareProfessional,
  IndividualContactInformation,
  OrganizationContactInformation,
  ProfessionalInformation,
  SearchOrganizationsResponse,
  SearchProfessionalsResponse,
} from './types.ts';
import { WireReader, checkNonEmpty, expectRoot } from './wire-xml.ts';

const P = AB_NS.protocol;
const CORE = AB_NS.core;
const A = AB_NS.aa;

// ---- addressbook core types -------------------------------------------------

function encodeEHealthBox(b: EHealthBox): string {
  return xmlElement(
    abc('EHealthBox'),
    undefined,
    xmlText(abc('Id'), b.id),
    xmlText(abc('Type'), b.type),
    xmlText(abc('SubType'), b.subType),
    xmlText(abc('Quality'), b.quality),
  );
}

function decodeEHealthBox(r: WireReader): EHealthBox {
  const b: EHealthBox = { id: r.text(CORE, 'Id'), type: r.text(CORE, 'Type'), subType: r.optText(CORE, 'SubType'), quality: r.text(CORE, 'Quality') };
  r.done();
  return b;
}

function encodeProfessionalInformation(pi: ProfessionalInformation): string {
  return xmlElement(
    abc('ProfessionalInformation'),
    undefined,
    encodeProfession(pi.profession),
    encodeContactTail(pi.addresses, pi.additionalInformation),
    pi.eHealthBox && encodeEHealthBox(pi.eHealthBox),
  );
}

function decodeProfessionalInformation(r: WireReader): ProfessionalInformation {
  const profession = decodeProfession(r.sub(r.one(A, 'Profession')));
  const tail = decodeContactTail(r);
  const box = r.opt(CORE, 'EHealthBox');
  r.done();
  return { profession, ...tail, eHealthBox: box ? decodeEHealthBox(r.sub(box)) : undefined };
}

// ---- searchProfessionals ------------------------------------------------------

function encodeProfessional(p: HealthCareProfessional): string {
  checkNonEmpty(p.professions, 'HealthCareProfessional/Profession');
  return xmlElement(aa('HealthCareProfessional'), undefined, encodeIndividualFields(p), p.professions.map((x) => encodeProfession(x)).join(''));
}

function decodeProfessional(r: WireReader): HealthCareProfessional {
  const p = { ...decodeIndividualFields(r), professions: r.many(A, 'Profession', 1).map((e) => decodeProfession(r.sub(e))) };
  r.done();
  return p;
}

/** `SearchProfessionalsResponse` payload. */
export function encodeSearchProfessionalsResponse(m: SearchProfessionalsResponse): string {
  return xmlElement(
    ab('SearchProfessionalsResponse'),
    { ...AB_XMLNS, ...encodeResponseAttrs(m), ...encodePaginationAttrs(m) },
    encodeStatus(m.status),
    m.professionals.map(encodeProfessional).join(''),
  );
}

/** Decodes a `SearchProfessionalsResponse` element. */
export function decodeSearchProfessionalsResponse(el: Element): SearchProfessionalsResponse {
  const r = expectRoot(el, P, 'SearchProfessionalsResponse');
  const m = {
    ...decodeResponseHeader(r),
    ...decodePaginationAttrs(r),
    professionals: r.many(A, 'HealthCareProfessional').map((e) => decodeProfessional(r.sub(e))),
  };
  r.done();
  return m;
}

// ---- getProfessionalContactInfo -----------------------------------------------

function encodeIndividual(i: IndividualContactInformation): string {
  checkNonEmpty(i.professionalInformation, 'IndividualContactInformation/ProfessionalInformation');
  return xmlElement(
    ab('IndividualContactInformation'),
    undefined,
    encodeIndividualFields(i),
    encodeContactTail(i.addresses, i.additionalInformation),
    i.professionalInformation.map(encodeProfessionalInformation).join(''),
  );
}

function decodeIndividual(r: WireReader): IndividualContactInformation {
  const i = {
    ...decodeIndividualFields(r),
    ...decodeContactTail(r),
    professionalInformation: r.many(CORE, 'ProfessionalInformation', 1).map((e) => decodeProfessionalInformation(r.sub(e))),
  };
  r.done();
  return i;
}

/** `GetProfessionalContactInfoResponse` payload. */
export function encodeGetProfessionalContactInfoResponse(m: GetProfessionalContactInfoResponse): string {
  return xmlElement(
    ab('GetProfessionalContactInfoResponse'),
    { ...AB_XMLNS, ...encodeResponseAttrs(m) },
    encodeStatus(m.status),
    m.individual && encodeIndividual(m.individual),
  );
}

/** Decodes a `GetProfessionalContactInfoResponse` element. */
export function decodeGetProfessionalContactInfoResponse(el: Element): GetProfessionalContactInfoResponse {
  const r = expectRoot(el, P, 'GetProfessionalContactInfoResponse');
  const header = decodeResponseHeader(r);
  const found = r.opt(P, 'IndividualContactInformation');
  r.done();
  return { ...header, individual: found ? decodeIndividual(r.sub(found)) : undefined };
}

// ---- searchOrganizations ------------------------------------------------------

function decodeOrganization(r: WireReader): HealthCareOrganization {
  const o = decodeOrganizationFields(r);
  r.done();
  return o;
}

/** `SearchOrganizationsResponse` payload. */
export function encodeSearchOrganizationsResponse(m: SearchOrganizationsResponse): string {
  return xmlElement(
    ab('SearchOrganizationsResponse'),
    { ...AB_XMLNS, ...encodeResponseAttrs(m), ...encodePaginationAttrs(m) },
    encodeStatus(m.status),
    m.organizations.map((o) => xmlElement(ab('HealthCareOrganization'), undefined, encodeOrganizationFields(o))).join(''),
  );
}

/** Decodes a `SearchOrganizationsResponse` element. */
export function decodeSearchOrganizationsResponse(el: Element): SearchOrganizationsResponse {
  const r = expectRoot(el, P, 'SearchOrganizationsResponse');
  const m = {
    ...decodeResponseHeader(r),
    ...decodePaginationAttrs(r),
    organizations: r.many(P, 'HealthCareOrganization').map((e) => decodeOrganization(r.sub(e))),
  };
  r.done();
  return m;
}

// ---- getOrganizationContactInfo -----------------------------------------------

function encodeOrganizationContact(o: OrganizationContactInformation): string {
  return xmlElement(
    ab('OrganizationContactInformation'),
    undefined,
    encodeOrganizationFields(o),
    encodeContactTail(o.addresses, o.additionalInformation),
    o.eHealthBoxes.map(encodeEHealthBox).join(''),
  );
}

function decodeOrganizationContact(r: WireReader): OrganizationContactInformation {
  const o = { ...decodeOrganizationFields(r), ...decodeContactTail(r), eHealthBoxes: r.many(CORE, 'EHealthBox').map((e) => decodeEHealthBox(r.sub(e))) };
  r.done();
  return o;
}

/** `GetOrganizationContactInfoResponse` payload. */
export function encodeGetOrganizationContactInfoResponse(m: GetOrganizationContactInfoResponse): string {
  return xmlElement(
    ab('GetOrganizationContactInfoResponse'),
    { ...AB_XMLNS, ...encodeResponseAttrs(m) },
    encodeStatus(m.status),
    m.organization && encodeOrganizationContact(m.organization),
  );
}

/** Decodes a `GetOrganizationContactInfoResponse` element. */
export function decodeGetOrganizationContactInfoResponse(el: Element): GetOrganizationContactInfoResponse {
  const r = expectRoot(el, P, 'GetOrganizationContactInfoResponse');
  const header = decodeResponseHeader(r);
  const found = r.opt(P, 'OrganizationContactInformation');
  r.done();
  return { ...header, organization: found ? decodeOrganizationContact(r.sub(found)) : undefined };
}
