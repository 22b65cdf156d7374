/**
 * Encoders and decoders of the I.AM attribute types (`aa:`) that the
 * Addressbook answers are made of: persons, professions, addresses,
 * additional information and organisations. Element order and cardinality
 * follow ehealth-iam-attributes-1_5.xsd; the caller owns the wrapping element.
 */
import type { Element } from '@xmldom/xmldom';
import { NS } from '../../soap/namespaces.ts';
import { xmlElement, xmlText } from '../../soap/xml.ts';
import { AB_NS, aa } from './namespaces.ts';
import type {
  AdditionalInformation,
  Address,
  HealthCareOrganization,
  Individual,
  LocalizedText,
  Profession,
  SourcedCode,
  Speciality,
} from './types.ts';
import { wireInvalid } from './wire-error.ts';
import { WireReader, checkNonEmpty, checkPattern, collapse, simpleText } from './wire-xml.ts';

const A = AB_NS.aa;
/** Lexical space of xs:integer (Municipality/ZipCode). */
const XS_INTEGER = /^[+-]?\d+$/;
/** xml:lang = xs:language or the empty string (xml.xsd). */
const XML_LANG = /^([a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*)?$/;

// ---- encoding -------------------------------------------------------------

/** `<name xml:lang=..>value</name>` for each item. */
export function encodeLocalized(name: string, items: readonly LocalizedText[]): string {
  return items
    .map((t) => {
      if (t.lang !== undefined) checkPattern(t.lang, XML_LANG, `${name}@xml:lang`);
      return xmlText(name, t.value, { 'xml:lang': t.lang });
    })
    .join('');
}

/** `<name authenticSource type>value</name>` (both attributes required by the schema). */
export function encodeSourcedCode(name: string, c: SourcedCode): string {
  return xmlText(name, c.value, { authenticSource: c.authenticSource, type: c.type });
}

/** The IndividualType children, in order, inside an element the caller writes. */
export function encodeIndividualFields(p: Individual): string {
  return [
    xmlText(aa('SSIN'), p.ssin),
    xmlText(aa('LastName'), p.lastName),
    xmlText(aa('FirstName'), p.firstName),
    xmlText(aa('MiddleNames'), p.middleNames),
    xmlText(aa('Language'), p.language),
    xmlText(aa('Gender'), p.gender),
    xmlText(aa('BirthDate'), p.birthDate),
    xmlText(aa('DeathDate'), p.deathDate),
  ].join('');
}

function encodeSpeciality(s: Speciality): string {
  checkNonEmpty(s.friendlyNames, 'Speciality/SpecialityFriendlyName');
  return xmlElement(aa('Speciality'), undefined, xmlText(aa('SpecialityCode'), s.code), encodeLocalized(aa('SpecialityFriendlyName'), s.friendlyNames));
}

/** A ProfessionTypeV3 element named `name` (always `aa:Profession` in the Addressbook). */
export function encodeProfession(p: Profession, name = aa('Profession')): string {
  checkNonEmpty(p.codes, 'Profession/ProfessionCode');
  checkNonEmpty(p.friendlyNames, 'Profession/ProfessionFriendlyName');
  return xmlElement(
    name,
    undefined,
    p.codes.map((c) => encodeSourcedCode(aa('ProfessionCode'), c)).join(''),
    encodeLocalized(aa('ProfessionFriendlyName'), p.friendlyNames),
    xmlText(aa('NIHII'), p.nihii),
    p.specialities.map(encodeSpeciality).join(''),
  );
}

/** One `aa:Address`. */
export function encodeAddress(a: Address): string {
  checkNonEmpty(a.street.descriptions, 'Address/Street/Description');
  checkNonEmpty(a.municipality.descriptions, 'Address/Municipality/Description');
  const zip = a.municipality.zipCode;
  if (zip !== undefined && !XS_INTEGER.test(collapse(zip))) throw wireInvalid('Address/Municipality/ZipCode must be an integer');
  const country = a.country;
  return xmlElement(
    aa('Address'),
    { Type: a.type },
    xmlText(aa('BSTCode'), a.bstCode),
    xmlElement(aa('Street'), undefined, xmlText(aa('NSICode'), a.street.nsiCode), encodeLocalized(aa('Description'), a.street.descriptions)),
    xmlText(aa('HouseNumber'), a.houseNumber),
    xmlText(aa('PostBox'), a.postBox),
    xmlElement(
      aa('Municipality'),
      undefined,
      xmlText(aa('ZipCode'), zip),
      xmlText(aa('NSICode'), a.municipality.nsiCode),
      encodeLocalized(aa('Description'), a.municipality.descriptions),
    ),
    country &&
      xmlElement(aa('Country'), undefined, xmlText(aa('ISOCode'), country.isoCode), xmlText(aa('NSICode'), country.nsiCode), encodeLocalized(aa('Description'), country.descriptions)),
  );
}

/** `aa:Address*` then `aa:HealthCareAdditionalInformation*`, the tail several types share. */
export function encodeContactTail(addresses: readonly Address[], info: readonly AdditionalInformation[]): string {
  return addresses.map(encodeAddress).join('') + info.map((i) => xmlText(aa('HealthCareAdditionalInformation'), i.value, { Type: i.type })).join('');
}

/** The HealthCareOrganizationTypeV2 children, in order, inside an element the caller writes. */
export function encodeOrganizationFields(o: HealthCareOrganization): string {
  checkNonEmpty(o.typeCodes, 'OrganizationTypeCode');
  checkNonEmpty(o.typeFriendlyNames, 'OrganizationTypeFriendlyName');
  return [
    encodeSourcedCode(aa('Id'), o.id),
    o.typeCodes.map((c) => encodeSourcedCode(aa('OrganizationTypeCode'), c)).join(''),
    encodeLocalized(aa('OrganizationTypeFriendlyName'), o.typeFriendlyNames),
    encodeLocalized(aa('Name'), o.names),
  ].join('');
}

// ---- decoding -------------------------------------------------------------

function localized(r: WireReader, els: Element[]): LocalizedText[] {
  return els.map((e) => {
    const sub = r.sub(e);
    return { value: simpleText(e, sub.path), lang: sub.optAttr('lang', NS.xml) };
  });
}

/** All `{aa}local` children of `r` as localized strings, at least `min`. */
export function decodeLocalized(r: WireReader, local: string, min = 0): LocalizedText[] {
  return localized(r, r.many(A, local, min));
}

/** A SourcedCode from an element with simple content and both attributes. */
export function decodeSourcedCode(r: WireReader, el: Element): SourcedCode {
  const sub = r.sub(el);
  return { value: simpleText(el, sub.path), authenticSource: sub.attr('authenticSource'), type: sub.attr('type') };
}

/** Reads the IndividualType children from `r` (the caller calls `done()`). */
export function decodeIndividualFields(r: WireReader): Individual {
  return {
    ssin: r.optText(A, 'SSIN'),
    lastName: r.text(A, 'LastName'),
    firstName: r.optText(A, 'FirstName'),
    middleNames: r.optText(A, 'MiddleNames'),
    language: r.optText(A, 'Language'),
    gender: r.optText(A, 'Gender'),
    birthDate: r.optText(A, 'BirthDate'),
    deathDate: r.optText(A, 'DeathDate'),
  };
}

function decodeSpeciality(r: WireReader): Speciality {
  const s = { code: r.text(A, 'SpecialityCode'), friendlyNames: decodeLocalized(r, 'SpecialityFriendlyName', 1) };
  r.done();
  return s;
}

/** Decodes a ProfessionTypeV3 element. */
export function decodeProfession(r: WireReader): Profession {
  const p: Profession = {
    codes: r.many(A, 'ProfessionCode', 1).map((e) => decodeSourcedCode(r, e)),
    friendlyNames: decodeLocalized(r, 'ProfessionFriendlyName', 1),
    nihii: r.optText(A, 'NIHII'),
    specialities: r.many(A, 'Speciality').map((e) => decodeSpeciality(r.sub(e))),
  };
  r.done();
  return p;
}

function decodeAddress(r: WireReader): Address {
  const street = r.sub(r.one(A, 'Street'));
  const muni = r.sub(r.one(A, 'Municipality'));
  const countryEl = r.opt(A, 'Country');
  const zip = muni.optText(A, 'ZipCode');
  if (zip !== undefined && !XS_INTEGER.test(collapse(zip))) throw wireInvalid(`${muni.path}/ZipCode is not an integer`);
  const address: Address = {
    type: r.optAttr('Type'),
    bstCode: r.optText(A, 'BSTCode'),
    street: { nsiCode: street.optText(A, 'NSICode'), descriptions: decodeLocalized(street, 'Description', 1) },
    houseNumber: r.optText(A, 'HouseNumber'),
    postBox: r.optText(A, 'PostBox'),
    municipality: { zipCode: zip, nsiCode: muni.optText(A, 'NSICode'), descriptions: decodeLocalized(muni, 'Description', 1) },
  };
  if (countryEl) {
    const c = r.sub(countryEl);
    address.country = { isoCode: c.optText(A, 'ISOCode'), nsiCode: c.optText(A, 'NSICode'), descriptions: decodeLocalized(c, 'Description') };
    c.done();
  }
  street.done();
  muni.done();
  r.done();
  return address;
}

/** Reads `aa:Address*` and `aa:HealthCareAdditionalInformation*` from `r`. */
export function decodeContactTail(r: WireReader): { addresses: Address[]; additionalInformation: AdditionalInformation[] } {
  return {
    addresses: r.many(A, 'Address').map((e) => decodeAddress(r.sub(e))),
    additionalInformation: r.many(A, 'HealthCareAdditionalInformation').map((e) => {
      const sub = r.sub(e);
      return { value: simpleText(e, sub.path), type: sub.optAttr('Type') };
    }),
  };
}

/** Reads the HealthCareOrganizationTypeV2 children from `r` (the caller calls `done()`). */
export function decodeOrganizationFields(r: WireReader): HealthCareOrganization {
  return {
    id: decodeSourcedCode(r, r.one(A, 'Id')),
    typeCodes: r.many(A, 'OrganizationTypeCode', 1).map((e) => decodeSourcedCode(r, e)),
    typeFriendlyNames: decodeLocalized(r, 'OrganizationTypeFriendlyName', 1),
    names: decodeLocalized(r, 'Name'),
  };
}
