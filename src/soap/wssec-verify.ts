/**
 * Server-side WS-Security check used by the sandbox (PROTOCOL.md §1.7
 * "Simulator check list"). The verdict is a value with a named failure code
 * (CONVENTIONS §2.10). Wrapping attacks are closed by construction: ids are
 * unique in the whole document, and the references must designate the one
 * soap:Body child of the Envelope and the Timestamp inside wsse:Security.
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import type { Document, Element } from '@xmldom/xmldom';
import { envelopeFromDocument, type ParsedEnvelope } from './envelope.ts';
import { describeError } from './errors.ts';
import { checkAlgorithms, indexIds, readSignedInfo, toPublicKey, verifySignedInfo, type PublicKeyInput } from './dsig.ts';
import { DSIG, NS, WSS } from './namespaces.ts';
import { attr, child, children, parseXml, text } from './xml.ts';

/** Tolerated clock difference between client and server, as wss4j's default future TTL. */
export const DEFAULT_MAX_CLOCK_SKEW_SECONDS = 60;

/** How the signer was identified. */
export type TokenType = 'saml-hok' | 'x509-bst';

/** Named reasons for a rejected message. */
export type WsSecFailureCode =
  | 'WSSEC_MALFORMED'
  | 'WSSEC_MISSING'
  | 'WSSEC_DUPLICATE_ID'
  | 'WSSEC_TIMESTAMP_MISSING'
  | 'WSSEC_TIMESTAMP_INVALID'
  | 'WSSEC_TIMESTAMP_EXPIRED'
  | 'WSSEC_TIMESTAMP_FUTURE'
  | 'WSSEC_SIGNATURE_MISSING'
  | 'WSSEC_SIGNATURE_INVALID'
  | 'WSSEC_ALGORITHM_UNSUPPORTED'
  | 'WSSEC_REFERENCE_MISSING'
  | 'WSSEC_TOKEN_UNKNOWN'
  | 'WSSEC_TOKEN_UNTRUSTED'
  | 'WSSEC_ASSERTION_EXPIRED';

/** Options of `verifyWsSecurity`. */
export interface VerifyWsSecurityOptions {
  /**
   * For SAML HOK: checks the assertion (its STS signature, its issuer) and
   * returns the holder-of-key public key or certificate from its
   * SubjectConfirmation, or undefined when the assertion is not acceptable.
   */
  resolveAssertionKey?: (assertion: Element) => PublicKeyInput | undefined;
  /** Accept only this token type (default: either). */
  expectedToken?: TokenType;
  now?: Date;
  maxClockSkewSeconds?: number;
  /** Size limit passed to the XML parser (when given a string). */
  maxBytes?: number;
}

/** Outcome of `verifyWsSecurity`. */
export type WsSecVerdict =
  | {
      ok: true;
      tokenType: TokenType;
      envelope: ParsedEnvelope;
      /** The SAML assertion (HOK only). */
      assertion?: Element;
      /** DER of the signer's certificate: the BST, or the resolver's answer when it returned a DER certificate. */
      signerCertDer?: Uint8Array;
      created: Date;
      expires: Date;
    }
  | { ok: false; code: WsSecFailureCode; message: string };

type Failure = Extract<WsSecVerdict, { ok: false }>;
const fail = (code: WsSecFailureCode, message: string): Failure => ({ ok: false, code, message });

interface Token {
  tokenType: TokenType;
  key: KeyObject;
  assertion?: Element;
  certDer?: Uint8Array;
  /** Element that the signature must also cover (the BST). */
  mustCover?: Element;
}

function resolveToken(security: Element, signature: Element, ids: Map<string, Element>, opts: VerifyWsSecurityOptions): Token | Failure {
  const keyInfo = child(signature, NS.ds, 'KeyInfo');
  const str = keyInfo && child(keyInfo, NS.wsse, 'SecurityTokenReference');
  if (!str) return fail('WSSEC_TOKEN_UNKNOWN', 'KeyInfo holds no wsse:SecurityTokenReference');
  const keyId = child(str, NS.wsse, 'KeyIdentifier');
  const ref = child(str, NS.wsse, 'Reference');
  if (keyId && attr(keyId, null, 'ValueType') === WSS.samlAssertionIdValueType) {
    if (opts.expectedToken === 'x509-bst') return fail('WSSEC_TOKEN_UNKNOWN', 'A BinarySecurityToken is required');
    const id = (text(keyId) ?? '').trim();
    const assertion = children(security, NS.saml, 'Assertion').find((a) => attr(a, null, 'AssertionID') === id);
    if (!assertion) return fail('WSSEC_TOKEN_UNKNOWN', 'No SAML assertion with the referenced AssertionID in wsse:Security');
    let resolved: PublicKeyInput | undefined;
    try {
      resolved = opts.resolveAssertionKey?.(assertion);
    } catch (err) {
      return fail('WSSEC_TOKEN_UNTRUSTED', `The SAML assertion could not be checked: ${describeError(err)}`);
    }
    const key = resolved === undefined ? undefined : toPublicKey(resolved);
    if (!key) return fail('WSSEC_TOKEN_UNTRUSTED', 'The SAML assertion is not accepted');
    return { tokenType: 'saml-hok', key, assertion, ...(resolved instanceof Uint8Array ? { certDer: resolved } : {}) };
  }
  if (ref) {
    if (opts.expectedToken === 'saml-hok') return fail('WSSEC_TOKEN_UNKNOWN', 'A SAML holder-of-key assertion is required');
    const uri = attr(ref, null, 'URI') ?? '';
    const bst = uri.startsWith('#') ? ids.get(uri.slice(1)) : undefined;
    if (!bst || bst.parentNode !== security || bst.namespaceURI !== NS.wsse || bst.localName !== 'BinarySecurityToken') {
      return fail('WSSEC_TOKEN_UNKNOWN', 'The token reference does not designate a BinarySecurityToken in wsse:Security');
    }
    if (attr(bst, null, 'ValueType') !== WSS.x509v3ValueType) return fail('WSSEC_TOKEN_UNKNOWN', 'Only X509v3 BinarySecurityTokens are accepted');
    try {
      const certDer = new Uint8Array(Buffer.from((text(bst) ?? '').replace(/\s+/g, ''), 'base64'));
      return { tokenType: 'x509-bst', key: new X509Certificate(certDer).publicKey, certDer, mustCover: bst };
    } catch (err) {
      return fail('WSSEC_TOKEN_UNKNOWN', `The BinarySecurityToken is not a certificate: ${describeError(err)}`);
    }
  }
  return fail('WSSEC_TOKEN_UNKNOWN', 'Unsupported SecurityTokenReference');
}

function parseInstant(el: Element | undefined): Date | undefined {
  const value = text(el)?.trim();
  if (!value || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

function checkFreshness(created: Date, expires: Date, assertion: Element | undefined, now: number, skewMs: number): Failure | undefined {
  if (expires.getTime() + skewMs <= now) return fail('WSSEC_TIMESTAMP_EXPIRED', 'The Timestamp has expired');
  if (created.getTime() - skewMs > now) return fail('WSSEC_TIMESTAMP_FUTURE', 'The Timestamp was created in the future');
  const conditions = assertion && child(assertion, NS.saml, 'Conditions');
  if (conditions) {
    const notBefore = attr(conditions, null, 'NotBefore');
    const notOnOrAfter = attr(conditions, null, 'NotOnOrAfter');
    if (notOnOrAfter !== undefined && !(Date.parse(notOnOrAfter) + skewMs > now)) return fail('WSSEC_ASSERTION_EXPIRED', 'The SAML assertion has expired');
    if (notBefore !== undefined && !(Date.parse(notBefore) - skewMs <= now)) return fail('WSSEC_ASSERTION_EXPIRED', 'The SAML assertion is not yet valid');
  }
  return undefined;
}

function findSecurity(env: ParsedEnvelope): Element | Failure {
  const securities = env.header ? children(env.header, NS.wsse, 'Security') : [];
  if (securities.length === 0) return fail('WSSEC_MISSING', 'No wsse:Security header');
  if (securities.length > 1) return fail('WSSEC_MALFORMED', 'More than one wsse:Security header');
  return securities[0]!;
}

/**
 * Checks the WS-Security header of a received envelope (signature, coverage,
 * token, Timestamp). Takes the raw text, or a document the caller already
 * parsed with `parseXml` (so a request is parsed once); on success the
 * verdict's envelope is that very DOM, the one whose digests were checked.
 */
export function verifyWsSecurity(envelope: string | Document, opts: VerifyWsSecurityOptions = {}): WsSecVerdict {
  let env: ParsedEnvelope;
  try {
    const doc = typeof envelope === 'string' ? parseXml(envelope, opts.maxBytes !== undefined ? { maxBytes: opts.maxBytes } : {}) : envelope;
    env = envelopeFromDocument(doc);
  } catch (err) {
    return fail('WSSEC_MALFORMED', describeError(err));
  }
  const security = findSecurity(env);
  if ('ok' in security) return security;
  const { ids, duplicate } = indexIds(env.envelope);
  if (duplicate !== undefined) return fail('WSSEC_DUPLICATE_ID', `Id "${duplicate}" is used more than once`);
  const timestamps = children(security, NS.wsu, 'Timestamp');
  if (timestamps.length !== 1) return fail(timestamps.length ? 'WSSEC_TIMESTAMP_INVALID' : 'WSSEC_TIMESTAMP_MISSING', 'wsse:Security must hold one wsu:Timestamp');
  const timestamp = timestamps[0]!;
  const created = parseInstant(child(timestamp, NS.wsu, 'Created'));
  const expires = parseInstant(child(timestamp, NS.wsu, 'Expires'));
  if (!created || !expires || expires < created) return fail('WSSEC_TIMESTAMP_INVALID', 'The Timestamp needs valid Created and Expires');
  const signatures = children(security, NS.ds, 'Signature');
  if (signatures.length !== 1) return fail(signatures.length ? 'WSSEC_MALFORMED' : 'WSSEC_SIGNATURE_MISSING', 'wsse:Security must hold one ds:Signature');
  const signature = signatures[0]!;
  const info = readSignedInfo(signature);
  if (!info) return fail('WSSEC_MALFORMED', 'Unreadable ds:SignedInfo');
  const badAlgo = checkAlgorithms(info, [DSIG.excC14n]);
  if (badAlgo) return fail('WSSEC_ALGORITHM_UNSUPPORTED', badAlgo);
  const covered = new Set(info.references.map((r) => (r.uri.startsWith('#') ? ids.get(r.uri.slice(1)) : undefined)));
  if (covered.has(undefined)) return fail('WSSEC_REFERENCE_MISSING', 'A reference does not designate an element by id');
  if (!covered.has(env.body)) return fail('WSSEC_REFERENCE_MISSING', 'The signature does not cover the soap:Body');
  if (!covered.has(timestamp)) return fail('WSSEC_REFERENCE_MISSING', 'The signature does not cover the Timestamp');
  const token = resolveToken(security, signature, ids, opts);
  if ('ok' in token) return token;
  if (token.mustCover && !covered.has(token.mustCover)) return fail('WSSEC_REFERENCE_MISSING', 'The signature does not cover the BinarySecurityToken');
  const check = verifySignedInfo(signature, info, ids, token.key);
  if (!check.ok) return fail('WSSEC_SIGNATURE_INVALID', check.message);
  const skewMs = (opts.maxClockSkewSeconds ?? DEFAULT_MAX_CLOCK_SKEW_SECONDS) * 1000;
  const stale = checkFreshness(created, expires, token.assertion, (opts.now ?? new Date()).getTime(), skewMs);
  if (stale) return stale;
  return {
    ok: true,
    tokenType: token.tokenType,
    envelope: env,
    ...(token.assertion ? { assertion: token.assertion } : {}),
    ...(token.certDer ? { signerCertDer: token.certDer } : {}),
    created,
    expires,
  };
}
