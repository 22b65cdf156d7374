/**
 * The sandbox STS (SAML 1.1 "legacy" token service): verifies the request's
 * X.509 WS-Security signature against a certificate of the sandbox CA,
 * checks the claimed identity, and answers a holder-of-key assertion signed
 * by the sandbox STS certificate, with the certified attributes of the
 * caller's quality (true/false as the real STS does).
 */
import crypto from 'node:crypto';
import { verifyWsSecurity, signAssertion } from '../../soap/wssec.ts';
import { buildAssertion, buildTokenResponse, parseTokenRequest, type SamlAttribute, type TokenRequest } from '../../sts/saml.ts';
import { ATTR_NS, profileForDesignators, type QualityProfile } from '../../sts/attributes.ts';
import type { PartyDirectory } from '../directory/party-directory.ts';
import type { Party } from '../directory/party.ts';
import type { SandboxMaterial } from '../material.ts';
import type { SoapAnswer, SoapCall, SoapService } from '../http/soap-endpoint.ts';
import { checkSandboxCertificate, partyOfCertificate, securityFault, subjectDn } from './identity.ts';

/** Longest token the sandbox issues (the real STS caps validity too; freehealth asks 24 h). */
export const MAX_TOKEN_LIFETIME_MS = 24 * 3600_000;
/** Lifetime when the request names none. */
const DEFAULT_TOKEN_LIFETIME_MS = 3600_000;

function identifierOf(party: Party): string {
  return party.ssin ?? party.nihii ?? party.cbe ?? party.ehp ?? party.certIdentity.id;
}

function certifiedValue(name: string, party: Party, profile: QualityProfile): string | undefined {
  const holds = party.quality === profile.ehboxQuality;
  if (name === profile.proof) return String(holds);
  if (name === profile.nihii) return holds ? (party.nihii11 ?? party.nihii) : undefined;
  if (name.endsWith(':givenname')) return party.firstName;
  if (name.endsWith(':surname')) return party.lastName;
  if (name.endsWith(':boolean')) return String(holds);
  if (name.endsWith(':nihii11')) return holds ? (party.nihii11 ?? party.nihii) : undefined;
  return undefined;
}

function attributesFor(req: TokenRequest, party: Party, profile: QualityProfile): SamlAttribute[] {
  const out: SamlAttribute[] = req.claimed.map((c) => ({ ...c }));
  for (const d of req.designators) {
    if (out.some((a) => a.name === d.name)) continue;
    const v = d.namespace === ATTR_NS.certified ? certifiedValue(d.name, party, profile) : undefined;
    if (v !== undefined) out.push({ name: d.name, namespace: d.namespace, values: [v] });
  }
  return out;
}

function validity(req: TokenRequest, now: Date): { notBefore: string; notOnOrAfter: string } {
  const askedEnd = Date.parse(req.notOnOrAfter);
  const end = Number.isFinite(askedEnd) ? Math.min(askedEnd, now.getTime() + MAX_TOKEN_LIFETIME_MS) : now.getTime() + DEFAULT_TOKEN_LIFETIME_MS;
  if (end <= now.getTime()) throw securityFault('INVALID_VALIDITY', 'The requested validity has already ended');
  return { notBefore: now.toISOString(), notOnOrAfter: new Date(end).toISOString() };
}

/** The STS SOAP service. */
export function createStsService(deps: { material: SandboxMaterial; directory: PartyDirectory; now: () => Date }): SoapService {
  return {
    operations: ['stsRequestSecureToken'],
    handle(call: SoapCall): SoapAnswer {
      const now = deps.now();
      const v = verifyWsSecurity(call.envelope.doc, { expectedToken: 'x509-bst', now });
      if (!v.ok) throw securityFault(v.code, v.message);
      checkSandboxCertificate(deps.material, v.signerCertDer!, now);
      const req = parseTokenRequest(call.payload);
      if (Buffer.compare(Buffer.from(req.hokCertificate), Buffer.from(v.signerCertDer!)) !== 0) {
        checkSandboxCertificate(deps.material, req.hokCertificate, now);
        if (subjectDn(req.hokCertificate) !== subjectDn(v.signerCertDer!)) {
          throw securityFault('HOK_MISMATCH', 'The holder-of-key certificate belongs to someone else than the signer');
        }
      }
      const party = partyOfCertificate(deps.directory, v.signerCertDer!);
      if (!party) throw securityFault('UNKNOWN_HOLDER', 'No party of the sandbox directory holds this certificate');
      for (const c of req.claimed) {
        if (c.values.some((val) => val !== identifierOf(party) && val !== party.certIdentity.id)) {
          throw securityFault('CLAIM_MISMATCH', `Claimed ${c.name} does not match the certificate holder`);
        }
      }
      const profile = profileForDesignators(req.designators.map((d) => d.name));
      if (!profile) throw securityFault('UNKNOWN_QUALITY', 'The request asks for no quality the sandbox knows');
      const assertion = buildAssertion({
        assertionId: `_${crypto.randomUUID()}`,
        issuer: 'urn:be:fgov:ehealth:sandbox:sts',
        issueInstant: now.toISOString(),
        ...validity(req, now),
        subjectDn: req.subjectDn || subjectDn(v.signerCertDer!),
        issuerDn: req.issuerDn,
        hokCertificate: req.hokCertificate,
        attributes: attributesFor(req, party, profile),
      });
      const signed = signAssertion(assertion, deps.material.sts.privateKey, deps.material.sts.der);
      return { payloadXml: buildTokenResponse({ inResponseTo: req.requestId, issueInstant: now.toISOString(), assertionXml: signed }) };
    },
  };
}
