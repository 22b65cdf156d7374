/**
 * Shared XML-Signature plumbing for WS-Security and SAML signatures: key
 * normalisation, the algorithm allow-lists, reading a SignedInfo without
 * trusting it, the document-wide id index that defeats wrapping attacks,
 * and the call into xml-crypto for the cryptographic check.
 */
import { X509Certificate, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import type { Element } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { SoapError, describeError } from './errors.ts';
import { DSIG, NS } from './namespaces.ts';
import { attr, children } from './xml.ts';

/** Signature algorithms we emit or accept (RSA; PROTOCOL.md §1.7, §2: RSA-SHA1 on legacy STS requests). */
export const SIGNATURE_ALGORITHMS = { 'rsa-sha1': DSIG.rsaSha1, 'rsa-sha256': DSIG.rsaSha256, 'rsa-sha512': DSIG.rsaSha512 } as const;
/** Digest algorithms we emit or accept. */
export const DIGEST_ALGORITHMS = { sha1: DSIG.sha1, sha256: DSIG.sha256, sha512: DSIG.sha512 } as const;

/** Short name of a signature algorithm. */
export type SignatureAlgorithmName = keyof typeof SIGNATURE_ALGORITHMS;
/** Short name of a digest algorithm. */
export type DigestAlgorithmName = keyof typeof DIGEST_ALGORITHMS;

/** A private key: PEM text or a KeyObject (as held by a Credential). */
export type PrivateKeyInput = string | KeyObject;
/** A public key for verification: KeyObject, DER certificate, or PEM certificate / public key. */
export type PublicKeyInput = KeyObject | Uint8Array | string;

/** Normalises a private key input; bad input is SoapError INVALID_ARGUMENT. */
export function toPrivateKey(key: PrivateKeyInput): KeyObject {
  if (typeof key !== 'string') {
    if (key.type !== 'private') throw new SoapError('INVALID_ARGUMENT', 'A private key is required for signing');
    return key;
  }
  try {
    return createPrivateKey(key);
  } catch (err) {
    throw new SoapError('INVALID_ARGUMENT', `Unreadable private key: ${describeError(err)}`, { cause: err });
  }
}

/** Normalises a verification key; undefined when the input holds no usable public key. */
export function toPublicKey(key: PublicKeyInput): KeyObject | undefined {
  try {
    if (typeof key === 'string') return key.includes('CERTIFICATE') ? new X509Certificate(key).publicKey : createPublicKey(key);
    if (key instanceof Uint8Array) return new X509Certificate(key).publicKey;
    return key.type === 'private' ? createPublicKey(key) : key;
  } catch {
    return undefined;
  }
}

/** PEM text of a DER certificate. */
export function certDerToPem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}-----END CERTIFICATE-----\n`;
}

/** What a ds:SignedInfo claims, read from our own DOM before anything is trusted. */
export interface SignedInfoSummary {
  c14n: string;
  signatureMethod: string;
  references: { uri: string; transforms: string[]; digestMethod: string }[];
}

/** Reads SignedInfo; undefined when its structure is not XML-DSig. */
export function readSignedInfo(signature: Element): SignedInfoSummary | undefined {
  const infos = children(signature, NS.ds, 'SignedInfo');
  if (infos.length !== 1) return undefined;
  const info = infos[0]!;
  const algo = (el: Element | undefined): string | undefined => (el ? attr(el, null, 'Algorithm') : undefined);
  const c14n = algo(children(info, NS.ds, 'CanonicalizationMethod')[0]);
  const signatureMethod = algo(children(info, NS.ds, 'SignatureMethod')[0]);
  if (!c14n || !signatureMethod) return undefined;
  const references: SignedInfoSummary['references'] = [];
  for (const ref of children(info, NS.ds, 'Reference')) {
    const digestMethod = algo(children(ref, NS.ds, 'DigestMethod')[0]);
    if (!digestMethod) return undefined;
    const transformsEl = children(ref, NS.ds, 'Transforms')[0];
    const transforms = transformsEl ? children(transformsEl, NS.ds, 'Transform').map((t) => algo(t) ?? '') : [];
    references.push({ uri: attr(ref, null, 'URI') ?? '', transforms, digestMethod });
  }
  return { c14n, signatureMethod, references };
}

/** Returns a reason when SignedInfo uses an algorithm outside the allow-lists, else undefined. */
export function checkAlgorithms(info: SignedInfoSummary, allowedTransforms: readonly string[]): string | undefined {
  if (info.c14n !== DSIG.excC14n) return `canonicalization ${info.c14n} is not accepted (exclusive c14n only)`;
  if (!(Object.values(SIGNATURE_ALGORITHMS) as string[]).includes(info.signatureMethod)) return `signature method ${info.signatureMethod} is not accepted`;
  for (const r of info.references) {
    if (!(Object.values(DIGEST_ALGORITHMS) as string[]).includes(r.digestMethod)) return `digest method ${r.digestMethod} is not accepted`;
    const bad = r.transforms.find((t) => !allowedTransforms.includes(t));
    if (bad !== undefined) return `transform ${bad} is not accepted`;
  }
  return undefined;
}

/** Attribute local names that XML-DSig reference resolution treats as ids (what xml-crypto looks up). */
export const ID_ATTRIBUTE_NAMES = ['Id', 'ID', 'id'] as const;

/**
 * Indexes every element under `root` by its id attributes (local names
 * `names`, any namespace). A value carried twice is reported as `duplicate`:
 * with unique ids, a reference can only designate one element.
 */
export function indexIds(root: Element, names: readonly string[] = ID_ATTRIBUTE_NAMES): { ids: Map<string, Element>; duplicate?: string } {
  const ids = new Map<string, Element>();
  const stack: Element[] = [root];
  while (stack.length > 0) {
    const el = stack.pop()!;
    for (let i = 0; i < el.attributes.length; i++) {
      const a = el.attributes.item(i);
      if (!a || !names.includes(a.localName ?? '') || a.namespaceURI === NS.xmlns) continue;
      if (ids.has(a.value)) return { ids, duplicate: a.value };
      ids.set(a.value, el);
    }
    stack.push(...children(el));
  }
  return { ids };
}

/**
 * The cryptographic check, delegated to xml-crypto: digests of every
 * reference and the SignatureValue over the exc-c14n SignedInfo, with the
 * given key only (KeyInfo certificates are never trusted implicitly).
 * `xml` must be the exact document `signature` belongs to.
 */
export function xmlCryptoCheck(signature: Element, xml: string, key: KeyObject, idAttribute?: string): { ok: true } | { ok: false; message: string } {
  try {
    const verifier = new SignedXml({ publicCert: key, getCertFromKeyInfo: () => null, ...(idAttribute ? { idAttribute } : {}) });
    verifier.loadSignature(signature as unknown as Parameters<SignedXml['loadSignature']>[0]);
    return verifier.checkSignature(xml) ? { ok: true } : { ok: false, message: 'a reference digest does not match' };
  } catch (err) {
    return { ok: false, message: describeError(err).replace(/the signature value \S+ is incorrect/, 'the signature value is incorrect') };
  }
}
