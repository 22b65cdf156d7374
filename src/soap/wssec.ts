/**
 * WS-Security for the eHealth calls (PROTOCOL.md §1.7): signing with a SAML
 * holder-of-key assertion (ehBox, Addressbook) or with an X.509
 * BinarySecurityToken (STS). We write the envelope ourselves and compute the
 * signature (exclusive c14n by xml-crypto's canonicaliser, RSA-SHA256,
 * SHA-256 digests) over the Body and the Timestamp (and the BST); the
 * ds:Signature is then placed last in wsse:Security, so the assertion stays
 * byte-for-byte as the STS issued it.
 *
 * Verification lives in wssec-verify.ts, SAML enveloped signatures in
 * saml-signature.ts; both are re-exported here.
 */
import { X509Certificate, randomUUID } from 'node:crypto';
import type { Element } from '@xmldom/xmldom';
import { buildEnvelope, parseEnvelope, SOAP_PREFIX } from './envelope.ts';
import { SoapError, describeError } from './errors.ts';
import {
  buildSignatureXml,
  buildSignatureXmlAsync,
  type SignatureSpec,
  toPrivateKey,
  type DigestAlgorithmName,
  type PrivateKeyInput,
  type SignatureAlgorithmName,
} from './dsig.ts';
import { NS, WSS } from './namespaces.ts';
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
  /**
   * Security content after `securityContent` that no reference covers (the
   * SAML assertion): left out of the document parsed for the digests, which
   * exc-c14n takes from the referenced elements and their ancestors only.
   */
  unreferencedSecurity?: string;
  bodyId: string;
  /** wsu:Id values to reference, in SignedInfo order. */
  referenceIds: string[];
  keyInfoXml: string;
  opts: SignCommonOptions;
}

/** Finds each of `ids` as a wsu:Id in one walk of the tree; an id missing or present twice is a signing error. */
function elementsByWsuId(root: Element, ids: readonly string[]): Element[] {
  const found = new Map<string, Element>();
  const stack: Element[] = [root];
  while (stack.length > 0) {
    const el = stack.pop()!;
    const id = el.hasAttributeNS(NS.wsu, 'Id') ? el.getAttributeNS(NS.wsu, 'Id') : null;
    if (id !== null && ids.includes(id)) {
      if (found.has(id)) throw new SoapError('WSSEC_SIGN_FAILED', `wsu:Id "${id}" occurs more than once in the message`);
      found.set(id, el);
    }
    stack.push(...children(el));
  }
  return ids.map((id) => {
    const el = found.get(id);
    if (!el) throw new SoapError('WSSEC_SIGN_FAILED', `No element carries wsu:Id "${id}"`);
    return el;
  });
}

/** No size limit when parsing our own outgoing envelope: the limit guards input, not what we build. */
const OWN_XML = { maxBytes: Number.POSITIVE_INFINITY };

/**
 * Signs the planned envelope and inserts the signature last in wsse:Security.
 * The envelope is parsed once (as the receiver will parse it); the digests
 * are taken on the referenced elements found by their wsu:Id, so the
 * ds:Signature text can be spliced into the envelope text unchanged.
 */
function signPlan(plan: SignPlan): string {
  const { spec, envelopeWith } = planSignature(plan);
  return signing(() => envelopeWith(buildSignatureXml(spec())));
}

/** `signPlan` with the RSA signature in the thread pool. */
async function signPlanAsync(plan: SignPlan): Promise<string> {
  const { spec, envelopeWith } = planSignature(plan);
  const signature = await signing(() => buildSignatureXmlAsync(spec()));
  return envelopeWith(signature);
}

function planSignature(plan: SignPlan): { spec: () => SignatureSpec; envelopeWith(signature: string): string } {
  const { parts, bodyId, opts } = plan;
  const envelopeWith = (signature: string, unreferenced = plan.unreferencedSecurity ?? ''): string =>
    buildEnvelope({ header: SECURITY_OPEN + plan.securityContent + unreferenced + signature + SECURITY_CLOSE + parts.header, body: parts.body, bodyId });
  const unsigned = envelopeWith('', '');
  const spec = (): SignatureSpec => {
    const root = parseXml(unsigned, OWN_XML).documentElement!;
    const elements = elementsByWsuId(root, plan.referenceIds);
    return {
      references: plan.referenceIds.map((id, i) => ({ id, element: elements[i]! })),
      privateKey: toPrivateKey(opts.privateKey),
      signatureAlgorithm: opts.signatureAlgorithm ?? 'rsa-sha256',
      digestAlgorithm: opts.digestAlgorithm ?? 'sha256',
      keyInfoXml: plan.keyInfoXml,
    };
  };
  return { spec, envelopeWith };
}

/** Runs a signing step; anything but a SoapError becomes WSSEC_SIGN_FAILED (sync throws and async rejections alike). */
function signing<T>(fn: () => T): T {
  const wrap = (err: unknown): never => {
    if (err instanceof SoapError) throw err;
    throw new SoapError('WSSEC_SIGN_FAILED', `Cannot sign the SOAP message: ${describeError(err)}`, { cause: err });
  };
  try {
    const out = fn();
    return (out instanceof Promise ? out.catch(wrap) : out) as T;
  } catch (err) {
    return wrap(err);
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
  return signPlan(samlHokPlan(opts));
}

/** `signWithSamlHok` with the RSA signature in the thread pool: the event loop serves other calls meanwhile. */
export async function signWithSamlHokAsync(opts: SignWithSamlHokOptions): Promise<string> {
  return signPlanAsync(samlHokPlan(opts));
}

/** AssertionIDs of recently used assertions: a token is reused for hours, parsing it per call is waste. */
const assertionIds = new Map<string, string>();
const MAX_REMEMBERED_ASSERTIONS = 64;

function assertionIdOf(assertionXml: string): string {
  const known = assertionIds.get(assertionXml);
  if (known) return known;
  const root = parseXml(assertionXml).documentElement!;
  if (!isElement(root, NS.saml, 'Assertion')) throw new SoapError('INVALID_ARGUMENT', 'assertionXml is not a SAML 1.1 saml:Assertion');
  const assertionId = attr(root, null, 'AssertionID');
  if (!assertionId) throw new SoapError('INVALID_ARGUMENT', 'The assertion has no AssertionID');
  if (assertionIds.size >= MAX_REMEMBERED_ASSERTIONS) assertionIds.delete(assertionIds.keys().next().value!);
  assertionIds.set(assertionXml, assertionId);
  return assertionId;
}

function samlHokPlan(opts: SignWithSamlHokOptions): SignPlan {
  const assertionXml = embeddable(opts.assertionXml);
  const assertionId = assertionIdOf(assertionXml);
  if (opts.assertionId !== undefined && opts.assertionId !== assertionId) {
    throw new SoapError('INVALID_ARGUMENT', 'assertionId does not match the AssertionID of the assertion');
  }
  const ids = newIds();
  const keyInfoXml = xmlElement(
    'wsse:SecurityTokenReference',
    { 'xmlns:wsse': NS.wsse },
    xmlText('wsse:KeyIdentifier', assertionId, { ValueType: WSS.samlAssertionIdValueType }),
  );
  return {
    parts: messageParts(opts),
    securityContent: timestampXml(ids.tsId, opts.now ?? new Date(), opts.ttlSeconds ?? DEFAULT_TIMESTAMP_TTL_SECONDS),
    unreferencedSecurity: assertionXml,
    bodyId: ids.bodyId,
    referenceIds: [ids.bodyId, ids.tsId],
    keyInfoXml,
    opts,
  };
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
