import type { Element } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { NS, WSS, DSIG } from '../../src/soap/namespaces.ts';
import {
  signAssertion,
  signWithSamlHok,
  signWithX509Bst,
  verifyAssertionSignature,
  verifyWsSecurity,
  type VerifyWsSecurityOptions,
} from '../../src/soap/wssec.ts';
import { child, children, parseXml } from '../../src/soap/xml.ts';
import { validateXml } from '../../src/soap/xsd-validator.ts';
import { makeAssertionXml } from './helpers/saml-fixture.ts';
import { makeTestCredential, type TestCredential } from './helpers/test-pki.ts';

const BODY = `<ns:GetMessagesListRequest xmlns:ns="${NS.ehboxConsultation}"><Source>INBOX</Source></ns:GetMessagesListRequest>`;
const NOW = new Date('2030-03-01T10:00:00.000Z');

let sts: TestCredential;
let doctor: TestCredential;
let other: TestCredential;
let signedAssertion: string;

/** What the sandbox will do: trust the STS signature, take the HOK certificate from SubjectConfirmation. */
function resolver(trusted: Uint8Array[]): VerifyWsSecurityOptions['resolveAssertionKey'] {
  return (assertion: Element) => {
    if (!verifyAssertionSignature(assertion, trusted).ok) return undefined;
    const cert = assertion.getElementsByTagNameNS(NS.ds, 'X509Certificate')[0];
    return cert ? new Uint8Array(Buffer.from(cert.textContent ?? '', 'base64')) : undefined;
  };
}

function hokSigned(overrides: Partial<Parameters<typeof signWithSamlHok>[0]> = {}): string {
  return signWithSamlHok({ body: BODY, assertionXml: signedAssertion, privateKey: doctor.privateKey, now: NOW, ...overrides } as Parameters<typeof signWithSamlHok>[0]);
}

function verifyHok(xml: string, now = NOW) {
  return verifyWsSecurity(xml, { resolveAssertionKey: resolver([sts.certDer]), now });
}

beforeAll(() => {
  sts = makeTestCredential('Fictitious STS');
  doctor = makeTestCredential('Fictitious Doctor');
  other = makeTestCredential('Fictitious Intruder');
  const assertion = makeAssertionXml({
    assertionId: 'assertion-1b2c3d',
    holderCertDer: doctor.certDer,
    notBefore: new Date(NOW.getTime() - 3600_000),
    notOnOrAfter: new Date(NOW.getTime() + 3600_000),
  });
  signedAssertion = signAssertion(assertion, sts.privateKey, sts.certDer);
});

describe('signWithSamlHok', () => {
  it('produces the connector layout and verifies', async () => {
    const xml = hokSigned();
    const doc = parseXml(xml);
    const header = child(doc.documentElement!, NS.soap, 'Header')!;
    const security = child(header, NS.wsse, 'Security')!;
    expect(security.getAttributeNS(NS.soap, 'mustUnderstand')).toBe('1');
    expect(children(security).map((e) => e.localName)).toEqual(['Timestamp', 'Assertion', 'Signature']);
    expect(xml).toContain(signedAssertion); // verbatim
    const keyId = security.getElementsByTagNameNS(NS.wsse, 'KeyIdentifier')[0]!;
    expect(keyId.getAttribute('ValueType')).toBe(WSS.samlAssertionIdValueType);
    expect(keyId.textContent).toBe('assertion-1b2c3d');
    const sig = child(security, NS.ds, 'Signature')!;
    expect(sig.getElementsByTagNameNS(NS.ds, 'SignatureMethod')[0]!.getAttribute('Algorithm')).toBe(DSIG.rsaSha256);
    expect(sig.getElementsByTagNameNS(NS.ds, 'Reference').length).toBe(2);
    const ts = child(security, NS.wsu, 'Timestamp')!;
    expect(child(ts, NS.wsu, 'Created')!.textContent).toBe('2030-03-01T10:00:00.000Z');
    expect(child(ts, NS.wsu, 'Expires')!.textContent).toBe('2030-03-01T10:01:00.000Z');

    const verdict = verifyHok(xml);
    expect(verdict).toMatchObject({ ok: true, tokenType: 'saml-hok' });
    if (verdict.ok) {
      expect(verdict.assertion?.getAttribute('AssertionID')).toBe('assertion-1b2c3d');
      expect(Buffer.from(verdict.signerCertDer!).equals(Buffer.from(doctor.certDer))).toBe(true);
    }
    expect(await validateXml(xml)).toEqual({ valid: true, errors: [] });
  });

  it('accepts a whole envelope as input', () => {
    const env = `<s:Envelope xmlns:s="${NS.soap}" xmlns:ns="${NS.ehboxConsultation}"><s:Header><x:Trace xmlns:x="urn:x-test">t1</x:Trace></s:Header><s:Body><ns:GetBoxInfoRequest/></s:Body></s:Envelope>`;
    const xml = signWithSamlHok({ envelopeXml: env, assertionXml: signedAssertion, privateKey: doctor.privateKeyPem, now: NOW });
    expect(parseXml(xml).getElementsByTagNameNS('urn:x-test', 'Trace')[0]?.textContent).toBe('t1');
    expect(verifyHok(xml).ok).toBe(true);
  });

  it('refuses an assertion id that does not match', () => {
    expect(() => hokSigned({ assertionId: 'other' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('verifyWsSecurity rejects', () => {
  it('a tampered Body', () => {
    const xml = hokSigned().replace('<Source>INBOX</Source>', '<Source>SENTBOX</Source>');
    expect(verifyHok(xml)).toMatchObject({ ok: false, code: 'WSSEC_SIGNATURE_INVALID' });
  });

  it('a tampered Timestamp', () => {
    const xml = hokSigned().replace('2030-03-01T10:01:00.000Z', '2030-03-01T11:01:00.000Z');
    expect(verifyHok(xml)).toMatchObject({ ok: false, code: 'WSSEC_SIGNATURE_INVALID' });
  });

  it('an expired or future Timestamp', () => {
    const xml = hokSigned();
    expect(verifyHok(xml, new Date(NOW.getTime() + 10 * 60_000))).toMatchObject({ ok: false, code: 'WSSEC_TIMESTAMP_EXPIRED' });
    expect(verifyHok(xml, new Date(NOW.getTime() - 10 * 60_000))).toMatchObject({ ok: false, code: 'WSSEC_TIMESTAMP_FUTURE' });
    expect(verifyHok(xml, new Date(NOW.getTime() + 90_000)).ok).toBe(true); // within the 60 s skew after expiry
  });

  it('an expired assertion', () => {
    const xml = hokSigned({ now: new Date(NOW.getTime() + 2 * 3600_000) });
    expect(verifyHok(xml, new Date(NOW.getTime() + 2 * 3600_000))).toMatchObject({ ok: false, code: 'WSSEC_ASSERTION_EXPIRED' });
  });

  it('a valid signature that does not cover the Body', () => {
    const xml = hokSigned();
    const doc = parseXml(xml);
    const security = doc.getElementsByTagNameNS(NS.wsse, 'Security')[0]!;
    const sig = child(security, NS.ds, 'Signature')!;
    security.removeChild(sig);
    const tsId = child(security, NS.wsu, 'Timestamp')!.getAttributeNS(NS.wsu, 'Id');
    const signer = new SignedXml({
      privateKey: doctor.privateKey,
      signatureAlgorithm: DSIG.rsaSha256,
      canonicalizationAlgorithm: DSIG.excC14n,
      idMode: 'wssecurity',
      getKeyInfoContent: () =>
        `<wsse:SecurityTokenReference xmlns:wsse="${NS.wsse}"><wsse:KeyIdentifier ValueType="${WSS.samlAssertionIdValueType}">assertion-1b2c3d</wsse:KeyIdentifier></wsse:SecurityTokenReference>`,
    });
    signer.addReference({ xpath: `//*[@*[local-name(.)='Id']='${tsId}']`, transforms: [DSIG.excC14n], digestAlgorithm: DSIG.sha256 });
    signer.computeSignature(doc.toString(), { prefix: 'ds', location: { reference: "//*[local-name(.)='Security']", action: 'append' } });
    expect(verifyHok(signer.getSignedXml())).toMatchObject({ ok: false, code: 'WSSEC_REFERENCE_MISSING' });
  });

  it('a signed Body moved into a wrapper and replaced', () => {
    const xml = hokSigned();
    const bodyStart = xml.indexOf('<soapenv:Body');
    const signedBody = xml.slice(bodyStart, xml.indexOf('</soapenv:Envelope>'));
    const evilBody = `<soapenv:Body><ns:GetMessagesListRequest xmlns:ns="${NS.ehboxConsultation}"><Source>BININBOX</Source></ns:GetMessagesListRequest></soapenv:Body>`;
    const wrapped = xml
      .slice(0, bodyStart)
      .replace('</soapenv:Header>', `<w:Wrapper xmlns:w="urn:x-test">${signedBody}</w:Wrapper></soapenv:Header>`);
    expect(verifyHok(`${wrapped}${evilBody}</soapenv:Envelope>`)).toMatchObject({ ok: false, code: 'WSSEC_REFERENCE_MISSING' });
    const sameId = evilBody.replace('<soapenv:Body>', signedBody.slice(0, signedBody.indexOf('>') + 1));
    expect(verifyHok(`${wrapped}${sameId}</soapenv:Envelope>`)).toMatchObject({ ok: false, code: 'WSSEC_DUPLICATE_ID' });
  });

  it('an assertion the resolver does not accept, or a signature by another key', () => {
    const xml = hokSigned();
    expect(verifyWsSecurity(xml, { resolveAssertionKey: resolver([other.certDer]), now: NOW })).toMatchObject({ ok: false, code: 'WSSEC_TOKEN_UNTRUSTED' });
    const throwing = () => {
      throw new Error('resolver bug');
    };
    expect(verifyWsSecurity(xml, { resolveAssertionKey: throwing, now: NOW })).toMatchObject({ ok: false, code: 'WSSEC_TOKEN_UNTRUSTED' });
    const forged = hokSigned({ privateKey: other.privateKey });
    expect(verifyHok(forged)).toMatchObject({ ok: false, code: 'WSSEC_SIGNATURE_INVALID' });
  });

  it('a message without WS-Security, or with the wrong token type', () => {
    const plain = `<s:Envelope xmlns:s="${NS.soap}"><s:Body>${BODY}</s:Body></s:Envelope>`;
    expect(verifyHok(plain)).toMatchObject({ ok: false, code: 'WSSEC_MISSING' });
    expect(verifyWsSecurity(hokSigned(), { expectedToken: 'x509-bst', now: NOW })).toMatchObject({ ok: false, code: 'WSSEC_TOKEN_UNKNOWN' });
    expect(verifyWsSecurity('<a><b></a>', {})).toMatchObject({ ok: false, code: 'WSSEC_MALFORMED' });
  });
});

describe('signWithX509Bst', () => {
  const stsBody = `<samlp:Request xmlns:samlp="${NS.samlp}" MajorVersion="1" MinorVersion="1" RequestID="request-1" IssueInstant="${NOW.toISOString()}"><samlp:AssertionArtifact>x</samlp:AssertionArtifact></samlp:Request>`;

  it('signs Body, Timestamp and the BST and verifies with the BST certificate', () => {
    const xml = signWithX509Bst({ body: stsBody, certificateDer: doctor.certDer, privateKey: doctor.privateKey, now: NOW });
    const sec = parseXml(xml).getElementsByTagNameNS(NS.wsse, 'Security')[0]!;
    expect(children(sec).map((e) => e.localName)).toEqual(['Timestamp', 'BinarySecurityToken', 'Signature']);
    expect(sec.getElementsByTagNameNS(NS.ds, 'Reference').length).toBe(3);
    const verdict = verifyWsSecurity(xml, { expectedToken: 'x509-bst', now: NOW });
    expect(verdict.ok).toBe(true);
    if (verdict.ok) expect(Buffer.from(verdict.signerCertDer!).equals(Buffer.from(doctor.certDer))).toBe(true);
  });

  it('rejects a swapped certificate', () => {
    const xml = signWithX509Bst({ body: stsBody, certificateDer: doctor.certDer, privateKey: doctor.privateKey, now: NOW });
    const swapped = xml.replace(Buffer.from(doctor.certDer).toString('base64'), Buffer.from(other.certDer).toString('base64'));
    expect(verifyWsSecurity(swapped, { now: NOW })).toMatchObject({ ok: false, code: 'WSSEC_SIGNATURE_INVALID' });
  });
});

describe('SAML assertion signatures', () => {
  it('verifies standalone and in place, and names the signer', () => {
    const ok = verifyAssertionSignature(signedAssertion, [other.certDer, sts.certDer]);
    expect(ok.ok).toBe(true);
    if (ok.ok) expect(Buffer.from(ok.certDer).equals(Buffer.from(sts.certDer))).toBe(true);
    const inPlace = parseXml(hokSigned()).getElementsByTagNameNS(NS.saml, 'Assertion')[0]!;
    expect(verifyAssertionSignature(inPlace, [sts.certDer]).ok).toBe(true);
  });

  it('rejects a tampered attribute, an untrusted signer and a missing signature', () => {
    const tampered = signedAssertion.replace('00010100107', '00010100206');
    expect(verifyAssertionSignature(tampered, [sts.certDer])).toMatchObject({ ok: false, code: 'SAML_SIGNATURE_INVALID' });
    expect(verifyAssertionSignature(signedAssertion, [other.certDer])).toMatchObject({ ok: false, code: 'SAML_SIGNER_UNTRUSTED' });
    const unsigned = makeAssertionXml({ assertionId: 'a-2', holderCertDer: doctor.certDer, notBefore: NOW, notOnOrAfter: NOW });
    expect(verifyAssertionSignature(unsigned, [sts.certDer])).toMatchObject({ ok: false, code: 'SAML_SIGNATURE_MISSING' });
  });

  it('rejects a signature whose reference points elsewhere', () => {
    const moved = signedAssertion.replace('AssertionID="assertion-1b2c3d"', 'AssertionID="assertion-other"');
    expect(verifyAssertionSignature(moved, [sts.certDer])).toMatchObject({ ok: false, code: 'SAML_REFERENCE_INVALID' });
  });
});
