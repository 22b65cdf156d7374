/**
 * SAML 1.1 documents of the eHealth STS, "legacy" flavour (PROTOCOL.md §2):
 * the `samlp:Request` a client sends, the holder-of-key `saml:Assertion` the
 * STS answers inside a `samlp:Response`, and parsers for both.
 */
import crypto from 'node:crypto';
import type { Element } from '@xmldom/xmldom';
import { attr, child, children, text, xmlElement, xmlText } from '../soap/xml.ts';
import { NS } from '../soap/namespaces.ts';
import { SoapError } from '../soap/errors.ts';
import type { SamlAttributeName } from './attributes.ts';

const HOK = 'urn:oasis:names:tc:SAML:1.0:cm:holder-of-key';
const X509_SUBJECT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName';
const NSDECL = { 'xmlns:saml': NS.saml, 'xmlns:samlp': NS.samlp, 'xmlns:ds': NS.ds };

/** One attribute with its values. */
export interface SamlAttribute extends SamlAttributeName {
  values: string[];
}

/** What a token request says. */
export interface TokenRequest {
  requestId: string;
  issueInstant: string;
  subjectDn: string;
  issuerDn: string;
  /** DER of the holder-of-key certificate. */
  hokCertificate: Uint8Array;
  notBefore: string;
  notOnOrAfter: string;
  claimed: SamlAttribute[];
  designators: SamlAttributeName[];
}

function keyInfo(certDer: Uint8Array): string {
  return xmlElement('ds:KeyInfo', undefined, xmlElement('ds:X509Data', undefined, xmlText('ds:X509Certificate', Buffer.from(certDer).toString('base64'))));
}

function subject(dn: string, issuerDn: string, confirmationData: string | undefined, certDer: Uint8Array): string {
  return xmlElement(
    'saml:Subject',
    undefined,
    xmlText('saml:NameIdentifier', dn, { Format: X509_SUBJECT, NameQualifier: issuerDn }),
    xmlElement('saml:SubjectConfirmation', undefined, xmlText('saml:ConfirmationMethod', HOK), confirmationData, keyInfo(certDer)),
  );
}

function attributeXml(a: SamlAttribute): string {
  return xmlElement('saml:Attribute', { AttributeName: a.name, AttributeNamespace: a.namespace }, ...a.values.map((v) => xmlText('saml:AttributeValue', v)));
}

/** Builds the legacy `samlp:Request` (body of the STS call). */
export function buildTokenRequest(r: Omit<TokenRequest, 'requestId' | 'issueInstant'> & { requestId?: string; issueInstant?: string }): string {
  const requestId = r.requestId ?? `request-${crypto.randomUUID()}`;
  const issueInstant = r.issueInstant ?? new Date().toISOString();
  const selfAssertion = xmlElement(
    'saml:Assertion',
    { AssertionID: `assertion-${crypto.randomUUID()}`, IssueInstant: issueInstant, Issuer: r.subjectDn, MajorVersion: 1, MinorVersion: 1 },
    xmlElement('saml:Conditions', { NotBefore: r.notBefore, NotOnOrAfter: r.notOnOrAfter }),
    xmlElement('saml:AttributeStatement', undefined, subject(r.subjectDn, r.issuerDn, undefined, r.hokCertificate), ...r.claimed.map(attributeXml)),
  );
  return xmlElement(
    'samlp:Request',
    { ...NSDECL, IssueInstant: issueInstant, MajorVersion: 1, MinorVersion: 1, RequestID: requestId },
    xmlElement(
      'samlp:AttributeQuery',
      undefined,
      subject(r.subjectDn, r.issuerDn, xmlElement('saml:SubjectConfirmationData', undefined, selfAssertion), r.hokCertificate),
      ...r.designators.map((d) => xmlElement('saml:AttributeDesignator', { AttributeName: d.name, AttributeNamespace: d.namespace })),
    ),
  );
}

function bad(message: string): never {
  throw new SoapError('ENVELOPE_INVALID', message);
}

function req(el: Element | undefined, what: string): Element {
  return el ?? bad(`STS request: missing ${what}`);
}

function certOf(confirmation: Element): Uint8Array {
  const ki = req(child(confirmation, NS.ds, 'KeyInfo'), 'ds:KeyInfo');
  const x509 = req(child(req(child(ki, NS.ds, 'X509Data'), 'ds:X509Data'), NS.ds, 'X509Certificate'), 'ds:X509Certificate');
  return new Uint8Array(Buffer.from((text(x509) ?? '').replace(/\s+/g, ''), 'base64'));
}

function readAttributes(statement: Element): SamlAttribute[] {
  return children(statement, NS.saml, 'Attribute').map((a) => ({
    name: attr(a, null, 'AttributeName') ?? '',
    namespace: attr(a, null, 'AttributeNamespace') ?? '',
    values: children(a, NS.saml, 'AttributeValue').map((v) => text(v) ?? ''),
  }));
}

/** Reads a legacy `samlp:Request`. */
export function parseTokenRequest(el: Element): TokenRequest {
  if (el.namespaceURI !== NS.samlp || el.localName !== 'Request') bad('STS request: expected samlp:Request');
  const query = req(child(el, NS.samlp, 'AttributeQuery'), 'samlp:AttributeQuery');
  const subj = req(child(query, NS.saml, 'Subject'), 'saml:Subject');
  const nameId = req(child(subj, NS.saml, 'NameIdentifier'), 'saml:NameIdentifier');
  const confirmation = req(child(subj, NS.saml, 'SubjectConfirmation'), 'saml:SubjectConfirmation');
  const data = child(confirmation, NS.saml, 'SubjectConfirmationData');
  const self = data ? child(data, NS.saml, 'Assertion') : undefined;
  const conditions = self ? child(self, NS.saml, 'Conditions') : undefined;
  const statement = self ? child(self, NS.saml, 'AttributeStatement') : undefined;
  return {
    requestId: attr(el, null, 'RequestID') ?? '',
    issueInstant: attr(el, null, 'IssueInstant') ?? '',
    subjectDn: text(nameId) ?? '',
    issuerDn: attr(nameId, null, 'NameQualifier') ?? '',
    hokCertificate: certOf(confirmation),
    notBefore: (conditions && attr(conditions, null, 'NotBefore')) ?? '',
    notOnOrAfter: (conditions && attr(conditions, null, 'NotOnOrAfter')) ?? '',
    claimed: statement ? readAttributes(statement) : [],
    designators: children(query, NS.saml, 'AttributeDesignator').map((d) => ({
      name: attr(d, null, 'AttributeName') ?? '',
      namespace: attr(d, null, 'AttributeNamespace') ?? '',
    })),
  };
}

/** What the STS puts in an assertion. */
export interface AssertionSpec {
  assertionId: string;
  issuer: string;
  issueInstant: string;
  notBefore: string;
  notOnOrAfter: string;
  subjectDn: string;
  issuerDn: string;
  hokCertificate: Uint8Array;
  attributes: SamlAttribute[];
}

/** Builds the unsigned holder-of-key assertion (the STS signs it, enveloped). */
export function buildAssertion(a: AssertionSpec): string {
  return xmlElement(
    'saml:Assertion',
    { 'xmlns:saml': NS.saml, 'xmlns:ds': NS.ds, AssertionID: a.assertionId, IssueInstant: a.issueInstant, Issuer: a.issuer, MajorVersion: 1, MinorVersion: 1 },
    xmlElement('saml:Conditions', { NotBefore: a.notBefore, NotOnOrAfter: a.notOnOrAfter }),
    xmlElement(
      'saml:AuthenticationStatement',
      { AuthenticationInstant: a.issueInstant, AuthenticationMethod: 'urn:oasis:names:tc:SAML:1.0:am:X509-PKI' },
      subject(a.subjectDn, a.issuerDn, undefined, a.hokCertificate),
    ),
    xmlElement('saml:AttributeStatement', undefined, subject(a.subjectDn, a.issuerDn, undefined, a.hokCertificate), ...a.attributes.map(attributeXml)),
  );
}

/** Wraps a signed assertion (or a failure) in a `samlp:Response`. */
export function buildTokenResponse(r: { inResponseTo: string; issueInstant: string; assertionXml?: string; status?: 'Success' | 'Requester' | 'Responder'; message?: string }): string {
  const status = r.status ?? 'Success';
  return xmlElement(
    'samlp:Response',
    { ...NSDECL, InResponseTo: r.inResponseTo, IssueInstant: r.issueInstant, MajorVersion: 1, MinorVersion: 1, ResponseID: `_${crypto.randomUUID()}` },
    xmlElement('samlp:Status', undefined, xmlElement('samlp:StatusCode', { Value: `samlp:${status}` }), r.message ? xmlText('samlp:StatusMessage', r.message) : undefined),
    r.assertionXml,
  );
}

/** What a client or a service reads from an assertion. */
export interface ParsedAssertion {
  element: Element;
  assertionId: string;
  issuer: string;
  notBefore: Date;
  notOnOrAfter: Date;
  subjectDn: string;
  hokCertificate: Uint8Array;
  attributes: SamlAttribute[];
}

/** Reads a SAML 1.1 assertion. */
export function parseAssertion(el: Element): ParsedAssertion {
  if (el.namespaceURI !== NS.saml || el.localName !== 'Assertion') bad('expected saml:Assertion');
  const conditions = req(child(el, NS.saml, 'Conditions'), 'saml:Conditions');
  const statement = req(child(el, NS.saml, 'AttributeStatement'), 'saml:AttributeStatement');
  const subj = req(child(statement, NS.saml, 'Subject'), 'saml:Subject');
  const confirmation = req(child(subj, NS.saml, 'SubjectConfirmation'), 'saml:SubjectConfirmation');
  const date = (v: string | undefined, what: string) => {
    const d = new Date(v ?? '');
    return Number.isNaN(d.getTime()) ? bad(`assertion: invalid ${what}`) : d;
  };
  return {
    element: el,
    assertionId: attr(el, null, 'AssertionID') ?? bad('assertion without AssertionID'),
    issuer: attr(el, null, 'Issuer') ?? '',
    notBefore: date(attr(conditions, null, 'NotBefore'), 'NotBefore'),
    notOnOrAfter: date(attr(conditions, null, 'NotOnOrAfter'), 'NotOnOrAfter'),
    subjectDn: text(child(subj, NS.saml, 'NameIdentifier')) ?? '',
    hokCertificate: certOf(confirmation),
    attributes: readAttributes(statement),
  };
}

/** The first value of an attribute of an assertion, if any. */
export function attributeValue(a: Pick<ParsedAssertion, 'attributes'>, name: string): string | undefined {
  return a.attributes.find((x) => x.name === name)?.values[0];
}
