import { createHash, generateKeyPairSync, verify as verifySignature, X509Certificate } from 'node:crypto';
import type { Document } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildSignatureXml, canonicalizeExclusive, certDerToPem, indexIds, readSignedInfo, verifySignedInfo } from '../../src/soap/dsig.ts';
import { DSIG, NS, WSS } from '../../src/soap/namespaces.ts';
import { signAssertion, signWithX509Bst, verifyAssertionSignature, verifyWsSecurity } from '../../src/soap/wssec.ts';
import { child, parseXml, serializeNode } from '../../src/soap/xml.ts';
import { makeAssertionXml } from './helpers/saml-fixture.ts';
import { makeTestCredential, type TestCredential } from './helpers/test-pki.ts';

const NOW = new Date('2030-03-01T10:00:00.000Z');
const BODY = `<ns:GetBoxInfoRequest xmlns:ns="${NS.ehboxConsultation}"><Box>INBOX</Box></ns:GetBoxInfoRequest>`;
const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });

let cred: TestCredential;
let signed: string;

const verify = (xml: string | Document) => verifyWsSecurity(xml, { expectedToken: 'x509-bst', now: NOW });
const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('base64');
const verifyRaw = (alg: string, data: Buffer, certDer: Uint8Array, sig: Buffer) => verifySignature(alg, data, new X509Certificate(certDer).publicKey, sig);
const digestValues = (xml: string) => [...xml.matchAll(/<ds:DigestValue>([^<]*)<\/ds:DigestValue>/g)].map((m) => m[1]!);

/** Removes our signature and signs Body, Timestamp and BST again with xml-crypto itself (optionally with a PrefixList). */
function resignWithXmlCrypto(xml: string, prefixList: string[]): string {
  const doc = parseXml(xml);
  const security = doc.getElementsByTagNameNS(NS.wsse, 'Security')[0]!;
  security.removeChild(child(security, NS.ds, 'Signature')!);
  const ids = [...xml.matchAll(/wsu:Id="([^"]+)"/g)].map((m) => m[1]!);
  const bstId = ids.find((id) => id.startsWith('X509-'))!;
  const signer = new SignedXml({
    privateKey: cred.privateKey,
    signatureAlgorithm: DSIG.rsaSha256,
    canonicalizationAlgorithm: DSIG.excC14n,
    idMode: 'wssecurity',
    getKeyInfoContent: () => `<wsse:SecurityTokenReference xmlns:wsse="${NS.wsse}"><wsse:Reference URI="#${bstId}" ValueType="${WSS.x509v3ValueType}"/></wsse:SecurityTokenReference>`,
  });
  for (const id of ids) {
    signer.addReference({ xpath: `//*[@*[local-name(.)='Id']='${id}']`, transforms: [DSIG.excC14n], digestAlgorithm: DSIG.sha256, inclusiveNamespacesPrefixList: prefixList });
  }
  signer.computeSignature(doc.toString(), { prefix: 'ds', location: { reference: "//*[local-name(.)='Security']", action: 'append' } });
  return signer.getSignedXml();
}

beforeAll(() => {
  cred = makeTestCredential('Fictitious Signer');
  signed = signWithX509Bst({ body: BODY, certificateDer: cred.certDer, privateKey: cred.privateKey, now: NOW });
});

describe('canonicalizeExclusive', () => {
  const doc = () => parseXml('<a xmlns:p="urn:p" xmlns:q="urn:q"><b p:x="1"><c/><!-- note --><p:d>t &amp; u</p:d></b></a>');

  it('renders exc-c14n of an element in place, with exclusion and PrefixList, and never writes to the DOM', () => {
    const d = doc();
    const b = d.documentElement!.firstChild as Parameters<typeof canonicalizeExclusive>[0];
    const before = serializeNode(d);
    expect(canonicalizeExclusive(b)).toBe('<b xmlns:p="urn:p" p:x="1"><c></c><p:d>t &amp; u</p:d></b>');
    expect(canonicalizeExclusive(b, [], b.firstChild as typeof b)).toBe('<b xmlns:p="urn:p" p:x="1"><p:d>t &amp; u</p:d></b>');
    expect(canonicalizeExclusive(b, ['q'])).toBe('<b xmlns:p="urn:p" xmlns:q="urn:q" p:x="1"><c></c><p:d>t &amp; u</p:d></b>');
    expect(serializeNode(d)).toBe(before);
  });
});

describe('WS-Security signatures computed without XPath', () => {
  it('verify with xml-crypto itself (interop)', () => {
    const sig = parseXml(signed).getElementsByTagNameNS(NS.ds, 'Signature')[0]!;
    const checker = new SignedXml({ publicCert: certDerToPem(cred.certDer), getCertFromKeyInfo: () => null });
    checker.loadSignature(sig as unknown as Parameters<SignedXml['loadSignature']>[0]);
    expect(checker.checkSignature(signed)).toBe(true);
  });

  it('accept a parsed document and return that very DOM', () => {
    const doc = parseXml(signed);
    const verdict = verify(doc);
    expect(verdict.ok).toBe(true);
    if (verdict.ok) expect(verdict.envelope.doc).toBe(doc);
  });

  it('refuse non-RSA keys', () => {
    expect(() => signWithX509Bst({ body: BODY, certificateDer: cred.certDer, privateKey: ecKey.privateKey, now: NOW })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    const root = parseXml(BODY).documentElement!;
    expect(() => buildSignatureXml({ references: [{ id: 'x', element: root }], privateKey: ecKey.privateKey, signatureAlgorithm: 'rsa-sha256', digestAlgorithm: 'sha256' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

describe('verification on our own DOM', () => {
  it('accepts xml-crypto signatures and honours an InclusiveNamespaces PrefixList through the ancestors', () => {
    const withNs = signed.replace('<soapenv:Envelope ', '<soapenv:Envelope xmlns:x="urn:x-test:one" ');
    const plain = resignWithXmlCrypto(withNs, []);
    const listed = resignWithXmlCrypto(withNs, ['x']);
    expect(listed).toContain('PrefixList="x"');
    expect(verify(plain).ok).toBe(true);
    expect(verify(listed).ok).toBe(true);
    const rebind = (xml: string) => xml.replace('xmlns:x="urn:x-test:one"', 'xmlns:x="urn:x-test:two"');
    expect(verify(rebind(plain)).ok).toBe(true); // an unused ancestor binding is outside exc-c14n
    expect(verify(rebind(listed))).toMatchObject({ ok: false, code: 'WSSEC_SIGNATURE_INVALID', message: expect.stringMatching(/digest/) });
  });

  it('rejects a tampered DigestValue', () => {
    const [first] = digestValues(signed);
    const xml = signed.replace(`<ds:DigestValue>${first}<`, `<ds:DigestValue>${sha256('other')}<`);
    expect(verify(xml)).toMatchObject({ ok: false, code: 'WSSEC_SIGNATURE_INVALID', message: expect.stringMatching(/digest/) });
  });

  it('rejects a tampered Body whose digest was recomputed, and a tampered SignedInfo', () => {
    const tampered = signed.replace('<Box>INBOX</Box>', '<Box>BININBOX</Box>');
    const body = parseXml(tampered).getElementsByTagNameNS(NS.soap, 'Body')[0]!;
    const fixed = tampered.replace(digestValues(signed)[0]!, sha256(canonicalizeExclusive(body)));
    expect(verify(fixed)).toMatchObject({ ok: false, code: 'WSSEC_SIGNATURE_INVALID', message: 'the signature value is incorrect' });
    const signedInfoTag = /<ds:SignedInfo[^>]*>/.exec(signed)![0];
    expect(verify(signed.replace(signedInfoTag, `${signedInfoTag} `))).toMatchObject({ ok: false, code: 'WSSEC_SIGNATURE_INVALID' });
    expect(verify(signed.replace(/<ds:SignatureValue>[^<]*</, '<ds:SignatureValue>AAAA<'))).toMatchObject({ ok: false, code: 'WSSEC_SIGNATURE_INVALID' });
  });

  it('rejects a reference without the exc-c14n transform, and an extra element in SignedInfo', () => {
    const noTransforms = signed.replace(/<ds:Transforms>.*?<\/ds:Transforms>/, '');
    expect(verify(noTransforms)).toMatchObject({ ok: false, code: 'WSSEC_SIGNATURE_INVALID', message: expect.stringMatching(/transform chain/) });
    const extra = signed.replace('</ds:SignedInfo>', '<ds:Object/></ds:SignedInfo>');
    expect(verify(extra)).toMatchObject({ ok: false, code: 'WSSEC_MALFORMED' });
  });

  it('rejects a signed Timestamp moved out of wsse:Security', () => {
    const ts = /<wsu:Timestamp .*?<\/wsu:Timestamp>/.exec(signed)![0];
    const fresh = ts.replace(/wsu:Id="[^"]+"/, 'wsu:Id="TS-fresh"').replace('10:01:00.000Z', '11:01:00.000Z');
    const moved = signed
      .replace(ts, fresh)
      .replace('</soapenv:Header>', `<w:Wrapper xmlns:w="urn:x-test" xmlns:wsu="${NS.wsu}">${ts}</w:Wrapper></soapenv:Header>`);
    expect(verify(moved)).toMatchObject({ ok: false, code: 'WSSEC_REFERENCE_MISSING' });
  });

  it('rejects two elements with the same id, whatever the id attribute', () => {
    const bodyId = /soapenv:Body [^>]*wsu:Id="([^"]+)"/.exec(signed)![1]!;
    const twin = signed.replace('</soapenv:Header>', `<w:Twin xmlns:w="urn:x-test" ID="${bodyId}"/></soapenv:Header>`);
    expect(verify(twin)).toMatchObject({ ok: false, code: 'WSSEC_DUPLICATE_ID' });
  });

  it('verifySignedInfo refuses a non-RSA key and a reference missing from the index', () => {
    const doc = parseXml(signed);
    const signature = doc.getElementsByTagNameNS(NS.ds, 'Signature')[0]!;
    const info = readSignedInfo(signature)!;
    const { ids } = indexIds(doc.documentElement!);
    expect(verifySignedInfo(signature, info, ids, ecKey.publicKey)).toMatchObject({ ok: false, message: expect.stringMatching(/RSA/) });
    expect(verifySignedInfo(signature, info, new Map(), cred.privateKey)).toMatchObject({ ok: false, message: expect.stringMatching(/designates no element/) });
  });
});

describe('SignedInfo as emitted', () => {
  const sign = (id: string) => {
    const doc = parseXml(`<r xmlns:wsu="${NS.wsu}"><e wsu:Id="${id.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}">x</e></r>`);
    const e = doc.documentElement!.firstChild as Parameters<typeof canonicalizeExclusive>[0];
    const xml = buildSignatureXml({ references: [{ id, element: e }], privateKey: cred.privateKey, signatureAlgorithm: 'rsa-sha256', digestAlgorithm: 'sha256' });
    const sig = parseXml(xml).documentElement!;
    const signedInfo = child(sig, NS.ds, 'SignedInfo')!;
    const value = Buffer.from(child(sig, NS.ds, 'SignatureValue')!.textContent!, 'base64');
    return { xml, canonical: canonicalizeExclusive(signedInfo), value };
  };

  it('is already canonical: the signature verifies over the exc-c14n of the SignedInfo we send', () => {
    const { xml, canonical, value } = sign('id-1234');
    expect(xml).toContain(canonical); // the text sent is the text signed
    expect(verifyRaw('sha256', Buffer.from(canonical), cred.certDer, value)).toBe(true);
  });

  it('ids that need escaping take the parsed path, and still verify', () => {
    const { xml, canonical, value } = sign('id&"x');
    expect(xml).not.toContain(canonical);
    expect(verifyRaw('sha256', Buffer.from(canonical), cred.certDer, value)).toBe(true);
  });
});

describe('enveloped SAML signatures on our own DOM', () => {
  let assertion: string;
  beforeAll(() => {
    const xml = makeAssertionXml({ assertionId: 'assertion-9f8e', holderCertDer: cred.certDer, notBefore: NOW, notOnOrAfter: new Date(NOW.getTime() + 3600_000) });
    assertion = signAssertion(xml, cred.privateKey, cred.certDer);
  });

  it('verify, and reject a tampered DigestValue or a duplicated id', () => {
    expect(verifyAssertionSignature(assertion, [cred.certDer]).ok).toBe(true);
    const [digest] = digestValues(assertion);
    expect(verifyAssertionSignature(assertion.replace(digest!, sha256('x')), [cred.certDer])).toMatchObject({ ok: false, code: 'SAML_SIGNATURE_INVALID' });
    const twin = assertion.replace('</saml:Assertion>', '<x:Extra xmlns:x="urn:x-test" Id="assertion-9f8e"/></saml:Assertion>');
    expect(verifyAssertionSignature(twin, [cred.certDer])).toMatchObject({ ok: false, code: 'SAML_DUPLICATE_ID' });
  });

  it('are checked in place without touching the document', () => {
    const env = `<s:Envelope xmlns:s="${NS.soap}"><s:Body>${assertion}</s:Body></s:Envelope>`;
    const doc = parseXml(env);
    const el = doc.getElementsByTagNameNS(NS.saml, 'Assertion')[0]!;
    expect(verifyAssertionSignature(el, [cred.certDer]).ok).toBe(true);
    expect(serializeNode(doc)).toBe(env);
  });
});
