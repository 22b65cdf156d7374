/**
 * Who is calling the sandbox: the certificate checks of the STS (issued by
 * the sandbox CA, valid now) and, for ehBox and Addressbook calls, the
 * holder-of-key assertion (signed by the sandbox STS, in its validity
 * window) turned into the caller's party, quality and boxes.
 */
import crypto, { X509Certificate, type KeyObject } from 'node:crypto';
import type { Document, Element } from '@xmldom/xmldom';
import { parseCertificate } from '../../crypto/certificates.ts';
import { describeName, parseHolderIdentity } from '../../crypto/certificate-names.ts';
import { verifyAssertionSignature, verifyWsSecurity } from '../../soap/wssec.ts';
import { elementDigest } from '../../soap/xml.ts';
import { attributeValue, parseAssertion, type ParsedAssertion } from '../../sts/saml.ts';
import { QUALITY_PROFILES, type QualityProfile } from '../../sts/attributes.ts';
import type { PartyDirectory } from '../directory/party-directory.ts';
import type { Party } from '../directory/party.ts';
import type { SandboxMaterial } from '../material.ts';
import type { Caller } from '../ehbox/context.ts';
import { SoapFaultAnswer } from '../http/soap-endpoint.ts';

/** A WS-Security or token failure, answered as a SOAP fault (HTTP 500, faultcode Client). */
export function securityFault(code: string, message: string): SoapFaultAnswer {
  return new SoapFaultAnswer({
    faultcode: 'Client',
    faultstring: `Security error: ${message}`,
    detail: { kind: 'business', origin: 'Sandbox', code, messages: [{ lang: 'en', text: message }], environment: 'Simulation' },
  });
}

/** Checks that a certificate was issued by the sandbox's issuing CA and is valid at `now`. */
export function checkSandboxCertificate(material: SandboxMaterial, certDer: Uint8Array, now: Date): void {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certDer);
  } catch {
    throw securityFault('INVALID_CERTIFICATE', 'The certificate does not parse');
  }
  const issuing = new X509Certificate(material.ca.issuing.der);
  if (!cert.checkIssued(issuing) || !cert.verify(issuing.publicKey)) {
    throw securityFault('UNTRUSTED_CERTIFICATE', 'The certificate is not issued by the sandbox CA');
  }
  if (now < new Date(cert.validFrom) || now > new Date(cert.validTo)) {
    throw securityFault('CERTIFICATE_EXPIRED', 'The certificate is not valid now');
  }
}

/**
 * Verified assertions kept per sandbox, so that a client reusing its token
 * (every client does, for hours) costs one STS-signature check instead of one
 * per call. Keyed by a digest of the assertion element and its namespace
 * context: any change to it is a cache miss and a full check. Cleared when full.
 */
const MAX_CACHED_ASSERTIONS = 4096;
const verifiedAssertions = new WeakMap<SandboxMaterial, Map<string, { assertion: ParsedAssertion; hokKey: KeyObject }>>();
/** Certificate → party, per directory (parsing a certificate with pkijs costs more than the rest of a call). */
const partiesByCert = new WeakMap<PartyDirectory, Map<string, Party | undefined>>();

const sha256 = (data: string | Uint8Array) => crypto.createHash('sha256').update(data).digest('base64');

/** The party whose certificate this is. */
export function partyOfCertificate(directory: PartyDirectory, certDer: Uint8Array): Party | undefined {
  let cache = partiesByCert.get(directory);
  if (!cache) partiesByCert.set(directory, (cache = new Map()));
  const key = sha256(certDer);
  if (cache.has(key)) return cache.get(key);
  const id = parseHolderIdentity(parseCertificate(certDer));
  const party = id ? directory.parties.find((p) => p.certIdentity.type === id.type && p.certIdentity.id === id.id) : undefined;
  if (cache.size >= MAX_CACHED_ASSERTIONS) cache.clear();
  cache.set(key, party);
  return party;
}

/** Checks the STS signature of an assertion (cached) and parses it; undefined when not signed by the sandbox STS. */
function verifiedAssertion(material: SandboxMaterial, el: Element): { assertion: ParsedAssertion; hokKey: KeyObject } | undefined {
  let cache = verifiedAssertions.get(material);
  if (!cache) verifiedAssertions.set(material, (cache = new Map()));
  const key = elementDigest(el);
  const hit = cache.get(key);
  if (hit) return hit;
  if (!verifyAssertionSignature(el, [material.sts.der]).ok) return undefined;
  const assertion = parseAssertion(el);
  const entry = { assertion, hokKey: new X509Certificate(assertion.hokCertificate).publicKey };
  if (cache.size >= MAX_CACHED_ASSERTIONS) cache.clear();
  cache.set(key, entry);
  return entry;
}

/** Subject DN string of a certificate in the form the STS puts in NameIdentifier. */
export function subjectDn(certDer: Uint8Array): string {
  return describeName(parseCertificate(certDer).subject);
}

/** What an authenticated ehBox/Addressbook call carries. */
export interface AuthenticatedCaller extends Caller {
  party: Party;
  quality: string;
  assertion: ParsedAssertion;
}

function provenProfile(a: ParsedAssertion): QualityProfile | undefined {
  return Object.values(QUALITY_PROFILES).find((p) => attributeValue(a, p.proof) === 'true');
}

/**
 * Verifies the WS-Security header of an ehBox or Addressbook call and
 * returns the caller. Throws a security fault on any failure.
 */
export function authenticateCaller(envelope: string | Document, deps: { material: SandboxMaterial; directory: PartyDirectory; now: Date }): AuthenticatedCaller {
  let parsed: ParsedAssertion | undefined;
  let rejection = 'the assertion is not signed by the sandbox STS';
  const verdict = verifyWsSecurity(envelope, {
    expectedToken: 'saml-hok',
    now: deps.now,
    resolveAssertionKey: (el: Element) => {
      const verified = verifiedAssertion(deps.material, el);
      if (!verified) return undefined;
      const a = verified.assertion;
      if (deps.now < a.notBefore || deps.now >= a.notOnOrAfter) {
        rejection = 'the assertion has expired';
        return undefined;
      }
      parsed = a;
      return verified.hokKey;
    },
  });
  if (!verdict.ok) {
    const why = verdict.code === 'WSSEC_TOKEN_UNTRUSTED' || verdict.code === 'WSSEC_TOKEN_UNKNOWN' ? rejection : verdict.message;
    throw securityFault(verdict.code, why);
  }
  if (!parsed) throw securityFault('WSSEC_TOKEN_UNKNOWN', rejection);
  const party = partyOfCertificate(deps.directory, parsed.hokCertificate);
  const profile = provenProfile(parsed);
  if (!party || !profile || party.quality !== profile.ehboxQuality) {
    throw securityFault('NOT_AUTHORIZED', 'The token proves no quality that gives access to an eHealthBox');
  }
  return { party, quality: profile.ehboxQuality, assertion: parsed, boxes: [party.boxes[0]!] };
}
