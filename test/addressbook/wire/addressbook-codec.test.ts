import type { Element } from '@xmldom/xmldom';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as req from '../../../src/addressbook/wire/requests.ts';
import * as res from '../../../src/addressbook/wire/responses.ts';
import { isAbSuccess } from '../../../src/addressbook/wire/header-codec.ts';
import { WireError } from '../../../src/addressbook/wire/wire-error.ts';
import { buildEnvelope, parseEnvelope } from '../../../src/soap/envelope.ts';
import { assertXmlChars, parseXml } from '../../../src/soap/xml.ts';
import { fullAddress, hospital, physician, requests, responses } from './fixtures.ts';
import { ADDRESSBOOK_XSD, validateWithXmllint } from './xsd-check.ts';

interface Case {
  name: string;
  xml: string;
  decode: (el: Element) => unknown;
  data: unknown;
}
/** Encodes `data` right away; typed so that encoder, decoder and data must agree. */
const kase = <T,>(name: string, encode: (m: T) => string, decode: (el: Element) => T, data: T): Case => ({ name, xml: encode(data), decode, data });

const root = (xml: string): Element => parseXml(xml).documentElement!;

function isXmlText(s: string): boolean {
  try {
    assertXmlChars(s);
    return true;
  } catch {
    return false;
  }
}

function wireCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof WireError) return err.code;
    throw err;
  }
  throw new Error('expected a WireError');
}

const CASES: Case[] = [
  kase('searchProfessionalsRequest full', req.encodeSearchProfessionalsRequest, req.decodeSearchProfessionalsRequest, requests.searchProfessionalsFull),
  kase('searchProfessionalsRequest minimal', req.encodeSearchProfessionalsRequest, req.decodeSearchProfessionalsRequest, requests.searchProfessionalsMinimal),
  kase('getProfessionalContactInfoRequest', req.encodeGetProfessionalContactInfoRequest, req.decodeGetProfessionalContactInfoRequest, requests.getProfessionalContactInfo),
  kase('searchOrganizationsRequest full', req.encodeSearchOrganizationsRequest, req.decodeSearchOrganizationsRequest, requests.searchOrganizationsFull),
  kase('searchOrganizationsRequest minimal', req.encodeSearchOrganizationsRequest, req.decodeSearchOrganizationsRequest, requests.searchOrganizationsMinimal),
  kase('getOrganizationContactInfoRequest', req.encodeGetOrganizationContactInfoRequest, req.decodeGetOrganizationContactInfoRequest, requests.getOrganizationContactInfo),
  kase('searchProfessionalsResponse', res.encodeSearchProfessionalsResponse, res.decodeSearchProfessionalsResponse, responses.searchProfessionals),
  kase('searchProfessionalsResponse empty', res.encodeSearchProfessionalsResponse, res.decodeSearchProfessionalsResponse, responses.searchProfessionalsEmpty),
  kase('getProfessionalContactInfoResponse', res.encodeGetProfessionalContactInfoResponse, res.decodeGetProfessionalContactInfoResponse, responses.getProfessionalContactInfo),
  kase('getProfessionalContactInfoResponse none', res.encodeGetProfessionalContactInfoResponse, res.decodeGetProfessionalContactInfoResponse, responses.getProfessionalContactInfoNotFound),
  kase('searchOrganizationsResponse', res.encodeSearchOrganizationsResponse, res.decodeSearchOrganizationsResponse, responses.searchOrganizations),
  kase('getOrganizationContactInfoResponse', res.encodeGetOrganizationContactInfoResponse, res.decodeGetOrganizationContactInfoResponse, responses.getOrganizationContactInfo),
  kase('getOrganizationContactInfoResponse none', res.encodeGetOrganizationContactInfoResponse, res.decodeGetOrganizationContactInfoResponse, responses.getOrganizationContactInfoNotFound),
];

const PROF_XML = res.encodeGetProfessionalContactInfoResponse(responses.getProfessionalContactInfo);
const SEARCH_REQ_XML = req.encodeSearchProfessionalsRequest(requests.searchProfessionalsFull);
const ORG_XML = res.encodeGetOrganizationContactInfoResponse(responses.getOrganizationContactInfo);

/** Documents that must fail the schema and the decoder alike (mis-qualified or missing parts). */
const BROKEN: [string, string, (el: Element) => unknown][] = [
  ['aa:LastName in the core namespace', PROF_XML.replace('<aa:LastName>Testeur</aa:LastName>', '<abc:LastName>Testeur</abc:LastName>'), res.decodeGetProfessionalContactInfoResponse],
  ['EHealthBox Id in aa instead of core', PROF_XML.replace('<abc:Id>10000000</abc:Id>', '<aa:Id>10000000</aa:Id>'), res.decodeGetProfessionalContactInfoResponse],
  ['ProfessionalInformation in aa', PROF_XML.replaceAll('abc:ProfessionalInformation>', 'aa:ProfessionalInformation>'), res.decodeGetProfessionalContactInfoResponse],
  ['Status in the protocol namespace', ORG_XML.replaceAll('cc:Status>', 'ab:Status>'), res.decodeGetOrganizationContactInfoResponse],
  ['unqualified request child', SEARCH_REQ_XML.replace('<ab:FirstName>Anne</ab:FirstName>', '<FirstName>Anne</FirstName>'), req.decodeSearchProfessionalsRequest],
  ['request without IssueInstant', SEARCH_REQ_XML.replace(/ IssueInstant="[^"]*"/, ''), req.decodeSearchProfessionalsRequest],
  ['response without Status', ORG_XML.replace(/<cc:Status>.*<\/cc:Status>/, ''), res.decodeGetOrganizationContactInfoResponse],
  ['professional without ProfessionalInformation', PROF_XML.replace(/<abc:ProfessionalInformation>.*<\/abc:ProfessionalInformation>/, ''), res.decodeGetProfessionalContactInfoResponse],
  ['response Id starting with a digit', ORG_XML.replace('Id="resp-5"', 'Id="5resp"'), res.decodeGetOrganizationContactInfoResponse],
  ['two identifiers in a request', SEARCH_REQ_XML.replace('<ab:FirstName>', '<ab:NIHII>10000000</ab:NIHII><ab:FirstName>'), req.decodeSearchProfessionalsRequest],
  ['Offset not an int', SEARCH_REQ_XML.replace('Offset="0"', 'Offset="zero"'), req.decodeSearchProfessionalsRequest],
  ['ProfessionCode without authenticSource', PROF_XML.replace(' authenticSource="NIHII" type="code">PHYSICIAN', ' type="code">PHYSICIAN'), res.decodeGetProfessionalContactInfoResponse],
  ['organisation without type code', ORG_XML.replace(/<aa:OrganizationTypeCode [^>]*>HOSPITAL<\/aa:OrganizationTypeCode>/, ''), res.decodeGetOrganizationContactInfoResponse],
  ['EHealthBox without Quality', ORG_XML.replace('<abc:Quality>INSTITUTION</abc:Quality>', ''), res.decodeGetOrganizationContactInfoResponse],
  ['Street without Description', ORG_XML.replace(/<aa:Description>Kerkstraat<\/aa:Description>/, ''), res.decodeGetOrganizationContactInfoResponse],
];

describe('Addressbook 1.1 wire codecs', () => {
  it('encodes every message schema-valid and decodes it back unchanged', () => {
    const report = validateWithXmllint(ADDRESSBOOK_XSD, Object.fromEntries(CASES.map((c) => [c.name, c.xml])));
    for (const c of CASES) {
      expect(report[c.name], c.name).toEqual({ valid: true, errors: [] });
      expect(c.decode(root(c.xml)), c.name).toEqual(c.data);
    }
  });

  it('puts each element in its own namespace (spot checks on the serialised form)', () => {
    expect(PROF_XML).toContain('<cc:Status><cc:StatusCode Value="urn:be:fgov:ehealth:2.0:status:Success"></cc:StatusCode></cc:Status>');
    expect(PROF_XML).toContain('<abc:EHealthBox><abc:Id>10000000</abc:Id><abc:Type>NIHII</abc:Type><abc:Quality>DOCTOR</abc:Quality></abc:EHealthBox>');
    expect(PROF_XML).toMatch(/^<ab:GetProfessionalContactInfoResponse [^>]*><cc:Status>.*<ab:IndividualContactInformation><aa:SSIN>/);
    expect(PROF_XML).toContain('<aa:ProfessionFriendlyName xml:lang="fr">Médecin</aa:ProfessionFriendlyName>');
  });

  it('rejects mis-qualified or incomplete documents in the schema and the decoder alike', () => {
    const report = validateWithXmllint(ADDRESSBOOK_XSD, Object.fromEntries(BROKEN.map(([name, xml]) => [name, xml])));
    for (const [name, xml, decode] of BROKEN) {
      expect(xml, name).not.toBe(PROF_XML);
      expect(report[name]?.valid, name).toBe(false);
      expect(wireCode(() => decode(root(xml))), name).toBe('WIRE_INVALID');
    }
  });

  it('decodes a payload inside a SOAP envelope', () => {
    const env = parseEnvelope(buildEnvelope({ body: ORG_XML }));
    const decoded = res.decodeGetOrganizationContactInfoResponse(env.payload);
    expect(decoded).toEqual(responses.getOrganizationContactInfo);
    expect(isAbSuccess(decoded.status)).toBe(true);
    expect(isAbSuccess(responses.searchProfessionalsEmpty.status)).toBe(false);
  });

  it('refuses to encode values the schema forbids', () => {
    const base = requests.searchProfessionalsFull;
    const bad: [string, () => string][] = [
      ['NIHII of 9 digits', () => req.encodeGetProfessionalContactInfoRequest({ ...requests.getProfessionalContactInfo, key: { type: 'NIHII', value: '123456789' } })],
      ['SSIN with a letter', () => req.encodeSearchProfessionalsRequest({ ...base, key: { type: 'SSIN', value: '0000000009A' } })],
      ['CBE as professional key', () => req.encodeSearchProfessionalsRequest({ ...base, key: { type: 'CBE' as 'SSIN', value: '0123456789' } })],
      ['City and ZipCode', () => req.encodeSearchProfessionalsRequest({ ...base, city: 'Gent' })],
      ['Id starting with a digit', () => req.encodeSearchProfessionalsRequest({ ...base, id: '1abc' })],
      ['Id with a colon', () => req.encodeSearchProfessionalsRequest({ ...base, id: 'a:b' })],
      ['30 February', () => req.encodeSearchProfessionalsRequest({ ...base, issueInstant: '2023-02-30T00:00:00Z' })],
      ['date without time', () => req.encodeSearchProfessionalsRequest({ ...base, issueInstant: '2024-05-01' })],
      ['fractional Offset', () => req.encodeSearchProfessionalsRequest({ ...base, offset: 1.5 })],
      ['MaxElements above xs:int', () => req.encodeSearchProfessionalsRequest({ ...base, maxElements: 2 ** 31 })],
      ['professional without profession', () => res.encodeSearchProfessionalsResponse({ ...responses.searchProfessionals, professionals: [{ lastName: 'X', professions: [] }] })],
      ['profession without code', () => res.encodeSearchProfessionalsResponse({ ...responses.searchProfessionals, professionals: [{ lastName: 'X', professions: [{ ...physician, codes: [] }] }] })],
      ['bad xml:lang', () => res.encodeSearchOrganizationsResponse({ ...responses.searchOrganizations, organizations: [{ ...hospital, names: [{ value: 'x', lang: 'f r' }] }] })],
      ['non-integer ZipCode', () => res.encodeGetOrganizationContactInfoResponse({ ...responses.getOrganizationContactInfo, organization: { ...responses.getOrganizationContactInfo.organization, addresses: [{ ...fullAddress, municipality: { descriptions: [{ value: 'x' }], zipCode: '10a' } }] } })],
      ['contact info without ProfessionalInformation', () => res.encodeGetProfessionalContactInfoResponse({ ...responses.getProfessionalContactInfo, individual: { ...responses.getProfessionalContactInfo.individual, professionalInformation: [] } })],
      ['response Id missing', () => res.encodeGetOrganizationContactInfoResponse({ ...responses.getOrganizationContactInfoNotFound, id: '' })],
    ];
    for (const [name, fn] of bad) expect(wireCode(fn), name).toBe('WIRE_INVALID');
  });

  it('agrees with xmllint on xs:ID and xs:dateTime edge cases it accepts', () => {
    const accepted = [
      { id: 'é-1.x', issueInstant: '2024-02-29T23:59:59.123456+14:00' },
      { id: '_', issueInstant: '1999-12-31T00:00:00' },
      { id: 'A', issueInstant: '2024-05-01T10:00:00-05:30' },
    ];
    const docs = Object.fromEntries(accepted.map((h, i) => [String(i), req.encodeSearchOrganizationsRequest({ ...requests.searchOrganizationsMinimal, ...h })]));
    const report = validateWithXmllint(ADDRESSBOOK_XSD, docs);
    for (const [i, h] of accepted.entries()) {
      expect(report[String(i)]?.valid, h.id).toBe(true);
      expect(req.decodeSearchOrganizationsRequest(root(docs[String(i)]!))).toEqual({ ...requests.searchOrganizationsMinimal, ...h });
    }
  });

  it('round-trips arbitrary text (escaping, whitespace, non-ASCII) and stays schema-valid', () => {
    const xmlChar = fc.oneof(fc.constantFrom('<', '>', '&', '"', "'", '\r', '\n', '\t', ' ', 'é', '😀', ']]>'), fc.string({ maxLength: 4, unit: 'binary' }).filter(isXmlText));
    const text = fc.array(xmlChar, { maxLength: 8 }).map((a) => a.join(''));
    const samples: string[] = [];
    fc.assert(
      fc.property(text, text, text, (name, value, type) => {
        const msg = {
          ...responses.getOrganizationContactInfo,
          organization: { ...hospital, names: [{ value: name }], addresses: [], additionalInformation: [{ value, type }], eHealthBoxes: [{ id: value, type, quality: name }] },
        };
        const xml = res.encodeGetOrganizationContactInfoResponse(msg);
        if (samples.length < 40) samples.push(xml);
        expect(res.decodeGetOrganizationContactInfoResponse(root(xml))).toEqual(msg);
      }),
      { numRuns: 200 },
    );
    const report = validateWithXmllint(ADDRESSBOOK_XSD, Object.fromEntries(samples.map((x, i) => [String(i), x])));
    expect(Object.values(report).filter((r) => !r.valid)).toEqual([]);
  });

  it('refuses a payload of the wrong operation', () => {
    expect(wireCode(() => req.decodeGetOrganizationContactInfoRequest(root(SEARCH_REQ_XML)))).toBe('WIRE_INVALID');
    expect(wireCode(() => res.decodeSearchOrganizationsResponse(root(ORG_XML)))).toBe('WIRE_INVALID');
  });
});
