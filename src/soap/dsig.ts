/**
 * Shared XML-Signature plumbing for WS-Security and SAML signatures: key
 * normalisation, the algorithm allow-lists, reading a SignedInfo without
 * trusting it, the document-wide id index that defeats wrapping attacks,
 * and the cryptographic check and signature building on our own DOM (ids
 * resolved through that index, never by XPath), with xml-crypto's
 * ExclusiveCanonicalization doing the canonicalization.
 */
import {
  X509Certificate,
  createHash,
  createPrivateKey,
  createPublicKey,
  sign as signRaw,
  timingSafeEqual,
  verify as verifyRaw,
  type KeyObject,
} from 'node:crypto';
import type { Element, Node } from '@xmldom/xmldom';
import { ExclusiveCanonicalization } from 'xml-crypto';
import { SoapError, describeError } from './errors.ts';
import { DSIG, NS } from './namespaces.ts';
import { attr, children, escapeAttr, inheritedNamespaces, parseXml, text } from './xml.ts';

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

/** One ds:Reference as SignedInfo states it. */
export interface SignedReference {
  uri: string;
  transforms: string[];
  digestMethod: string;
  /** Base64 text of ds:DigestValue. */
  digestValue: string;
  /** PrefixList of the exc-c14n transform's InclusiveNamespaces (empty when absent). */
  prefixList: string[];
}

/** What a ds:SignedInfo claims, read from our own DOM before anything is trusted. */
export interface SignedInfoSummary {
  /** The ds:SignedInfo element itself (canonicalised for the SignatureValue check). */
  element: Element;
  c14n: string;
  signatureMethod: string;
  references: SignedReference[];
}

const SIGNED_INFO_CHILDREN = ['CanonicalizationMethod', 'SignatureMethod', 'Reference'];
const algo = (el: Element | undefined): string | undefined => (el ? attr(el, null, 'Algorithm') : undefined);

function readReference(ref: Element): SignedReference | undefined {
  const digestMethods = children(ref, NS.ds, 'DigestMethod');
  const digestValues = children(ref, NS.ds, 'DigestValue');
  const digestMethod = algo(digestMethods[0]);
  if (!digestMethod || digestMethods.length !== 1 || digestValues.length !== 1) return undefined;
  const transformsEls = children(ref, NS.ds, 'Transforms');
  if (transformsEls.length > 1) return undefined;
  const transformEls = transformsEls[0] ? children(transformsEls[0], NS.ds, 'Transform') : [];
  const prefixList = transformEls
    .filter((t) => algo(t) === DSIG.excC14n)
    .flatMap((t) => children(t, DSIG.excC14n, 'InclusiveNamespaces'))
    .flatMap((n) => (attr(n, null, 'PrefixList') ?? '').split(/\s+/))
    .filter((p) => p.length > 0);
  const transforms = transformEls.map((t) => algo(t) ?? '');
  return { uri: attr(ref, null, 'URI') ?? '', transforms, digestMethod, digestValue: text(digestValues[0]) ?? '', prefixList };
}

/**
 * Reads SignedInfo; undefined when its structure is not XML-DSig (exactly
 * CanonicalizationMethod, SignatureMethod, then one or more Reference).
 */
export function readSignedInfo(signature: Element): SignedInfoSummary | undefined {
  const infos = children(signature, NS.ds, 'SignedInfo');
  if (infos.length !== 1) return undefined;
  const info = infos[0]!;
  const parts = children(info);
  if (parts.some((p) => p.namespaceURI !== NS.ds || !SIGNED_INFO_CHILDREN.includes(p.localName ?? ''))) return undefined;
  const c14nEls = children(info, NS.ds, 'CanonicalizationMethod');
  const methodEls = children(info, NS.ds, 'SignatureMethod');
  const c14n = algo(c14nEls[0]);
  const signatureMethod = algo(methodEls[0]);
  if (!c14n || !signatureMethod || c14nEls.length !== 1 || methodEls.length !== 1) return undefined;
  const references: SignedReference[] = [];
  for (const refEl of children(info, NS.ds, 'Reference')) {
    const ref = readReference(refEl);
    if (!ref) return undefined;
    references.push(ref);
  }
  return references.length > 0 ? { element: info, c14n, signatureMethod, references } : undefined;
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

/** Hash functions behind the allow-listed digest and signature algorithm URIs. */
const HASH_OF: Readonly<Record<string, string>> = {
  [DSIG.sha1]: 'sha1',
  [DSIG.sha256]: 'sha256',
  [DSIG.sha512]: 'sha512',
  [DSIG.rsaSha1]: 'sha1',
  [DSIG.rsaSha256]: 'sha256',
  [DSIG.rsaSha512]: 'sha512',
};

/** xml-crypto's canonicaliser; it keeps no state between calls. */
const EXC_C14N = new ExclusiveCanonicalization();
type C14nInput = Parameters<ExclusiveCanonicalization['process']>[0];

/** Namespace bindings visible at `el` from its ancestors (nearest wins), as exc-c14n's InclusiveNamespaces needs them. */
function ancestorNamespaces(el: Element): { prefix: string; namespaceURI: string }[] {
  const ownPrefix = el.prefix ?? '';
  return inheritedNamespaces(el).filter((d) => d.prefix !== ownPrefix && d.namespaceURI !== '');
}

/**
 * Exclusive c14n (without comments) of `el` where it stands in its document,
 * honouring an InclusiveNamespaces PrefixList, optionally without the
 * descendant `exclude` (the enveloped-signature transform). The DOM is never
 * modified: the canonicaliser works on a copy whenever it would write to it.
 */
export function canonicalizeExclusive(el: Element, prefixList: readonly string[] = [], exclude?: Element): string {
  let target = el;
  const mutates = prefixList.length > 0 || children(el).some((c) => c.localName === 'CanonicalizationMethod');
  const path: number[] = [];
  for (let n: Element | null = exclude ?? null; n && n !== el; n = n.parentNode as Element | null) {
    if (!n.parentNode) return canonicalizeExclusive(el, prefixList); // not a descendant: nothing to exclude
    path.unshift(Array.prototype.indexOf.call(n.parentNode.childNodes, n) as number);
  }
  if (mutates || path.length > 0) {
    target = el.cloneNode(true) as Element;
    if (path.length > 0) {
      const removed = path.reduce<Node>((node, i) => node.childNodes[i]!, target);
      removed.parentNode?.removeChild(removed);
    }
  }
  return EXC_C14N.process(target as unknown as C14nInput, {
    inclusiveNamespacesPrefixList: [...prefixList],
    ancestorNamespaces: ancestorNamespaces(el),
    defaultNsForPrefix: { ds: NS.ds },
  });
}

/** Returns a reason when a Reference's transform chain is not one we compute, else whether it is enveloped. */
function transformChain(transforms: readonly string[]): { enveloped: boolean } | string {
  const key = transforms.join(' ');
  if (key === DSIG.excC14n) return { enveloped: false };
  if (key === `${DSIG.envelopedSignature} ${DSIG.excC14n}`) return { enveloped: true };
  return `the transform chain "${key}" is not accepted (exc-c14n, optionally after enveloped-signature)`;
}

function sameDigest(actual: Buffer, expectedB64: string): boolean {
  const expected = Buffer.from(expectedB64.replace(/\s+/g, ''), 'base64');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** Outcome of `verifySignedInfo`. */
export type DsigCheck = { ok: true } | { ok: false; message: string };

/**
 * XML-DSig core validation on our own DOM: every Reference's digest over the
 * element that `ids` (the caller's unique-id index) designates, then the
 * SignatureValue over the exc-c14n SignedInfo with `key` only (KeyInfo
 * certificates are never trusted implicitly). Call `checkAlgorithms` first.
 */
export function verifySignedInfo(signature: Element, info: SignedInfoSummary, ids: ReadonlyMap<string, Element>, key: KeyObject): DsigCheck {
  if (key.asymmetricKeyType !== 'rsa') return { ok: false, message: 'only RSA keys verify these signatures' };
  const hash = HASH_OF[info.signatureMethod];
  if (!hash) return { ok: false, message: `signature method ${info.signatureMethod} is not accepted` };
  for (const ref of info.references) {
    const target = ref.uri.startsWith('#') ? ids.get(ref.uri.slice(1)) : undefined;
    if (!target) return { ok: false, message: `reference ${ref.uri} designates no element` };
    const chain = transformChain(ref.transforms);
    const digestHash = HASH_OF[ref.digestMethod];
    if (typeof chain === 'string') return { ok: false, message: chain };
    if (!digestHash) return { ok: false, message: `digest method ${ref.digestMethod} is not accepted` };
    const canon = canonicalizeExclusive(target, ref.prefixList, chain.enveloped ? signature : undefined);
    if (!sameDigest(createHash(digestHash).update(canon, 'utf8').digest(), ref.digestValue)) {
      return { ok: false, message: `the digest of reference ${ref.uri} does not match` };
    }
  }
  const values = children(signature, NS.ds, 'SignatureValue');
  if (values.length !== 1) return { ok: false, message: 'ds:Signature must hold one ds:SignatureValue' };
  const value = Buffer.from((text(values[0]) ?? '').replace(/\s+/g, ''), 'base64');
  const signedInfo = Buffer.from(canonicalizeExclusive(info.element), 'utf8');
  try {
    return verifyRaw(hash, signedInfo, key, value) ? { ok: true } : { ok: false, message: 'the signature value is incorrect' };
  } catch (err) {
    return { ok: false, message: `the signature value cannot be checked: ${describeError(err)}` };
  }
}

/** What `buildSignatureXml` signs: elements already in their final document, each with its id. */
export interface SignatureSpec {
  references: readonly { id: string; element: Element }[];
  privateKey: KeyObject;
  signatureAlgorithm: SignatureAlgorithmName;
  digestAlgorithm: DigestAlgorithmName;
  /** Content of ds:KeyInfo (already-serialised XML), if any. */
  keyInfoXml?: string;
}

/**
 * Builds a ds:Signature (prefix ds, exc-c14n, one exc-c14n Reference per
 * element) without XPath: digests are taken on the given elements where they
 * stand, and SignedInfo is canonicalised from a parse of the very text we emit.
 */
export function buildSignatureXml(spec: SignatureSpec): string {
  const pending = prepareSignature(spec);
  return pending.finish(signRaw(pending.hash, pending.toSign, spec.privateKey));
}

/** `buildSignatureXml` with the RSA signature in libuv's thread pool (the event loop goes on meanwhile). */
export async function buildSignatureXmlAsync(spec: SignatureSpec): Promise<string> {
  const pending = prepareSignature(spec);
  const value = await new Promise<Buffer>((resolve, reject) => {
    signRaw(pending.hash, pending.toSign, spec.privateKey, (err, sig) => (err ? reject(err) : resolve(sig)));
  });
  return pending.finish(value);
}

/** A ds:Signature waiting for its SignatureValue over `toSign` (canonical SignedInfo). */
function prepareSignature(spec: SignatureSpec): { hash: string; toSign: Buffer; finish(value: Buffer): string } {
  if (spec.privateKey.asymmetricKeyType !== 'rsa') throw new SoapError('INVALID_ARGUMENT', 'Only RSA keys can sign SOAP messages');
  const digestUri = DIGEST_ALGORITHMS[spec.digestAlgorithm];
  const signatureUri = SIGNATURE_ALGORITHMS[spec.signatureAlgorithm];
  const digests = spec.references.map(({ element }) => createHash(HASH_OF[digestUri]!).update(canonicalizeExclusive(element), 'utf8').digest('base64'));
  const open = `<ds:Signature xmlns:ds="${NS.ds}">`;
  let signedInfo: string;
  let canonical: string;
  if (spec.references.every(({ id }) => !/[&<>"\t\n\r]/.test(id))) {
    // Emitted in its exclusive-c14n form already (namespace on the apex, no empty-element
    // tags, nothing to escape): the bytes we sign are the text we send, with no parse.
    const ref = (id: string, digest: string) =>
      `<ds:Reference URI="#${id}"><ds:Transforms><ds:Transform Algorithm="${DSIG.excC14n}"></ds:Transform></ds:Transforms>` +
      `<ds:DigestMethod Algorithm="${digestUri}"></ds:DigestMethod><ds:DigestValue>${digest}</ds:DigestValue></ds:Reference>`;
    signedInfo =
      `<ds:SignedInfo xmlns:ds="${NS.ds}"><ds:CanonicalizationMethod Algorithm="${DSIG.excC14n}"></ds:CanonicalizationMethod>` +
      `<ds:SignatureMethod Algorithm="${signatureUri}"></ds:SignatureMethod>${spec.references.map(({ id }, i) => ref(id, digests[i]!)).join('')}</ds:SignedInfo>`;
    canonical = signedInfo;
  } else {
    const refs = spec.references.map(({ id }, i) =>
      `<ds:Reference URI="#${escapeAttr(id)}"><ds:Transforms><ds:Transform Algorithm="${DSIG.excC14n}"/></ds:Transforms>` +
      `<ds:DigestMethod Algorithm="${digestUri}"/><ds:DigestValue>${digests[i]!}</ds:DigestValue></ds:Reference>`);
    signedInfo = `<ds:SignedInfo><ds:CanonicalizationMethod Algorithm="${DSIG.excC14n}"/><ds:SignatureMethod Algorithm="${signatureUri}"/>${refs.join('')}</ds:SignedInfo>`;
    canonical = canonicalizeExclusive(parseXml(`${open}${signedInfo}</ds:Signature>`).documentElement!.firstChild as Element);
  }
  const keyInfo = spec.keyInfoXml ? `<ds:KeyInfo>${spec.keyInfoXml}</ds:KeyInfo>` : '';
  return {
    hash: HASH_OF[signatureUri]!,
    toSign: Buffer.from(canonical, 'utf8'),
    finish: (value) => `${open}${signedInfo}<ds:SignatureValue>${value.toString('base64')}</ds:SignatureValue>${keyInfo}</ds:Signature>`,
  };
}
