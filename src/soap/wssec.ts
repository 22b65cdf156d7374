/**
 * WS-Security for the eHealth calls (PROTOCOL.md §1.7): signing with a SAML
 * holder-of-key assertion (ehBox, Addressbook) or with an X.509
 * BinarySecurityToken (STS). We write the envelope ourselves and let
 * xml-crypto compute the signature (exclusive c14n, RSA-SHA256, SHA-256
 * digests) over the Body and the Timestamp (and the BST); its ds:Signature is
 * then placed last in wsse:Security, so the assertion stays byte-for-byte as
 * the STS issued it.
 *
 * Verification lives in wssec-verify.ts, SAML enveloped signatures in
 * saml-signature.ts; both are re-exported here.
 */
import { X509Certificate, randomUUID } from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import { buildEnvelope, parseEnvelope, SOAP_PREFIX } from './envelope.ts';
import { SoapError, describeError } from './errors.ts';
import {
  DIGEST_ALGORITHMS,
  SIGNATURE_ALGORITHMS,
  toPrivateKey,
  type DigestAlgorithmName,
  type PrivateKeyInput,
  type SignatureAlgorithmName,
} from './dsig.ts';
import { DSIG, NS, WSS } from './namespaces.ts';
import { attr, children, isElement, parseXml, serializeStandalone, xmlElement, xmlText } from './xml.ts';

export { verifyWsSecurity, type TokenType, type VerifyWsSecurityOptions, type WsSecFailureCode, type WsSecVerdict } from './wssec-verify.ts';
export {
  signAssertion,
  signEnveloped,
  verifyAssertionSignature,
  verifyEnvelopedSignature,
  type EnvelopedSignatureVerdict,
  type SamlSignatureFailureCode,
  type SignEnvelopedOptions,
} from './saml-signature.ts';
export type { DigestAlgorithmName, PrivateKeyInput, PublicKeyInput, SignatureAlgorithmName } from './dsig.ts';

/** Default Timestamp lifetime: the eHealth connector's default TTL (PROTOCOL.md §1.7). */
export const DEFAULT_TIMESTAMP_TTL_SECONDS = 60;

/** What to sign: either a payload (+ optional extra header blocks) or a whole envelope without wsse:Security. */
export type SignableMessage = { body: string; header?: string; envelopeXml?: never } | { envelopeXml: string; body?: never; header?: never };

/** Options common to both token types. */
export interface SignCommonOptions {
  privateKey: PrivateKeyInput;
  ttlSeconds?: number;
  now?: Date;
  signatureAlgorithm?: SignatureAlgorithmName;
  digestAlgorithm?: DigestAlgorithmName;
}

/** Options of `signWithSamlHok`. */
export type SignWithSamlHokOptions = SignableMessage &
  SignCommonOptions & {
    /** The saml:Assertion exactly as received from the STS. */
    assertionXml: string;
    /** Its AssertionID; read from the assertion when omitted, checked when given. */
    assertionId?: string;
  };

/** Options of `signWithX509Bst`. */
export type SignWithX509BstOptions = SignableMessage & SignCommonOptions & { certificateDer: Uint8Array };

interface MessageParts {
  header: string;
  body: string;
}

function messageParts(msg: SignableMessage): MessageParts {
  if (msg.envelopeXml === undefined) return { header: msg.header ?? '', body: msg.body };
  const env = parseEnvelope(msg.envelopeXml);
  const headerBlocks = env.header ? children(env.header) : [];
  if (headerBlocks.some((h) => isElement(h, NS.wsse, 'Security'))) {
    throw new SoapError('INVALID_ARGUMENT', 'The envelope already has a wsse:Security header');
  }
  return { header: headerBlocks.map(serializeStandalone).join(''), body: serializeStandalone(env.payload) };
}

function timestampXml(id: string, now: Date, ttlSeconds: number): string {
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) throw new SoapError('INVALID_ARGUMENT', 'ttlSeconds must be positive');
  const expires = new Date(now.getTime() + ttlSeconds * 1000);
  return xmlElement('wsu:Timestamp', { 'wsu:Id': id }, xmlText('wsu:Created', now.toISOString()), xmlText('wsu:Expires', expires.toISOString()));
}

const SECURITY_OPEN = `<wsse:Security xmlns:wsse="${NS.wsse}" xmlns:wsu="${NS.wsu}" ${SOAP_PREFIX}:mustUnderstand="1">`;
const SECURITY_CLOSE = '</wsse:Security>';

interface SignPlan {
  parts: MessageParts;
  /** Security header content before the signature (Timestamp, tokens). */
  securityContent: string;
  bodyId: string;
  /** wsu:Id values to reference, in SignedInfo order. */
  referenceIds: string[];
  keyInfoXml: string;
  opts: SignCommonOptions;
}

function byWsuId(id: string): string {
  return `//*[@*[local-name(.)='Id' and namespace-uri(.)='${NS.wsu}']='${id}']`;
}

/** Signs the planned envelope with xml-crypto and inserts the signature last in wsse:Security. */
function signPlan(plan: SignPlan): string {
  const { parts, bodyId, opts } = plan;
  const envelopeWith = (signature: string): string =>
    buildEnvelope({ header: SECURITY_OPEN + plan.securityContent + signature + SECURITY_CLOSE + parts.header, body: parts.body, bodyId });
  const unsigned = envelopeWith('');
  try {
    const signer = new SignedXml({
      privateKey: toPrivateKey(opts.privateKey),
      signatureAlgorithm: SIGNATURE_ALGORITHMS[opts.signatureAlgorithm ?? 'rsa-sha256'],
      canonicalizationAlgorithm: DSIG.excC14n,
      idMode: 'wssecurity',
      getKeyInfoContent: () => plan.keyInfoXml,
    });
    for (const id of plan.referenceIds) {
      signer.addReference({ xpath: byWsuId(id), transforms: [DSIG.excC14n], digestAlgorithm: DIGEST_ALGORITHMS[opts.digestAlgorithm ?? 'sha256'] });
    }
    signer.computeSignature(unsigned, {
      prefix: 'ds',
      location: { reference: `/*/*[local-name(.)='Header']/*[local-name(.)='Security' and namespace-uri(.)='${NS.wsse}']`, action: 'append' },
    });
    return envelopeWith(signer.getSignatureXml());
  } catch (err) {
    if (err instanceof SoapError) throw err;
    throw new SoapError('WSSEC_SIGN_FAILED', `Cannot sign the SOAP message: ${describeError(err)}`, { cause: err });
  }
}

function newIds(): { bodyId: string; tsId: string; tokenId: string } {
  const u = randomUUID();
  return { bodyId: `id-${u}`, tsId: `TS-${u}`, tokenId: `X509-${u}` };
}

/** Removes an XML declaration / BOM so that a document can be embedded in another. */
function embeddable(xml: string): string {
  return xml.replace(/^\uFEFF?\s*<\?xml[^?]*\?>\s*/, '');
}

/**
 * Signs a message with a SAML 1.1 holder-of-key assertion, as the eHealth
 * connector does for ehBox and Addressbook calls: wsse:Security
 * (mustUnderstand) = Timestamp, the assertion verbatim, ds:Signature over
 * Body + Timestamp whose KeyInfo points at the AssertionID.
 */
export function signWithSamlHok(opts: SignWithSamlHokOptions): string {
  const assertionXml = embeddable(opts.assertionXml);
  const root = parseXml(assertionXml).documentElement!;
  if (!isElement(root, NS.saml, 'Assertion')) throw new SoapError('INVALID_ARGUMENT', 'assertionXml is not a SAML 1.1 saml:Assertion');
  const assertionId = attr(root, null, 'AssertionID');
  if (!assertionId) throw new SoapError('INVALID_ARGUMENT', 'The assertion has no AssertionID');
  if (opts.assertionId !== undefined && opts.assertionId !== assertionId) {
    throw new SoapError('INVALID_ARGUMENT', 'assertionId does not match the AssertionID of the assertion');
  }
  const ids = newIds();
  const keyInfoXml = xmlElement(
    'wsse:SecurityTokenReference',
    { 'xmlns:wsse': NS.wsse },
    xmlText('wsse:KeyIdentifier', assertionId, { ValueType: WSS.samlAssertionIdValueType }),
  );
  return signPlan({
    parts: messageParts(opts),
    securityContent: timestampXml(ids.tsId, opts.now ?? new Date(), opts.ttlSeconds ?? DEFAULT_TIMESTAMP_TTL_SECONDS) + assertionXml,
    bodyId: ids.bodyId,
    referenceIds: [ids.bodyId, ids.tsId],
    keyInfoXml,
    opts,
  });
}

/**
 * Signs a message with an X.509 BinarySecurityToken (STS requests):
 * wsse:Security = Timestamp, BST, ds:Signature over Body + Timestamp + BST
 * whose KeyInfo references the BST.
 */
export function signWithX509Bst(opts: SignWithX509BstOptions): string {
  try {
    new X509Certificate(opts.certificateDer);
  } catch (err) {
    throw new SoapError('INVALID_ARGUMENT', `certificateDer is not an X.509 certificate: ${describeError(err)}`, { cause: err });
  }
  const ids = newIds();
  const bst = xmlText('wsse:BinarySecurityToken', Buffer.from(opts.certificateDer).toString('base64'), {
    EncodingType: WSS.base64EncodingType,
    ValueType: WSS.x509v3ValueType,
    'wsu:Id': ids.tokenId,
  });
  const keyInfoXml = xmlElement(
    'wsse:SecurityTokenReference',
    { 'xmlns:wsse': NS.wsse },
    xmlElement('wsse:Reference', { URI: `#${ids.tokenId}`, ValueType: WSS.x509v3ValueType }),
  );
  return signPlan({
    parts: messageParts(opts),
    securityContent: timestampXml(ids.tsId, opts.now ?? new Date(), opts.ttlSeconds ?? DEFAULT_TIMESTAMP_TTL_SECONDS) + bst,
    bodyId: ids.bodyId,
    referenceIds: [ids.bodyId, ids.tsId, ids.tokenId],
    keyInfoXml,
    opts,
  });
}
