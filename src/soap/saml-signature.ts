/**
 * Enveloped XML signatures on SAML 1.1 documents (PROTOCOL.md §2): the
 * sandbox STS signs its saml:Assertion (reference to `AssertionID`), the
 * legacy STS client may sign its samlp:Request (`RequestID`), and whoever
 * receives an assertion checks it against trusted STS certificates. SAML
 * 1.1 names its id attributes AssertionID / RequestID / ResponseID, so the
 * id attribute is a parameter handed to xml-crypto.
 */
import { X509Certificate } from 'node:crypto';
import type { Element } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { SoapError, describeError } from './errors.ts';
import {
  DIGEST_ALGORITHMS,
  ID_ATTRIBUTE_NAMES,
  SIGNATURE_ALGORITHMS,
  certDerToPem,
  checkAlgorithms,
  indexIds,
  readSignedInfo,
  toPrivateKey,
  verifySignedInfo,
  type DigestAlgorithmName,
  type SignedInfoSummary,
  type PrivateKeyInput,
  type SignatureAlgorithmName,
} from './dsig.ts';
import { DSIG, NS } from './namespaces.ts';
import { attr, child, children, parseXml, text } from './xml.ts';

/** Options of `signEnveloped`. */
export interface SignEnvelopedOptions {
  privateKey: PrivateKeyInput;
  /** Published in KeyInfo/X509Data when given. */
  certificateDer?: Uint8Array;
  /** Name of the root's id attribute (AssertionID, RequestID, ResponseID, Id…). */
  idAttribute: string;
  /** Where ds:Signature goes in the root: last (SAML 1.1 Assertion) or first (samlp:Request without RespondWith). */
  placement?: 'append' | 'prepend';
  signatureAlgorithm?: SignatureAlgorithmName;
  digestAlgorithm?: DigestAlgorithmName;
}

/**
 * Adds an enveloped ds:Signature to the root element of `xml`, referencing
 * the root by its id attribute (transforms: enveloped-signature, exc-c14n).
 */
export function signEnveloped(xml: string, opts: SignEnvelopedOptions): string {
  const source = xml.replace(/^\uFEFF?\s*<\?xml[^?]*\?>\s*/, '');
  const root = parseXml(source).documentElement!;
  const id = attr(root, null, opts.idAttribute);
  if (!id) throw new SoapError('INVALID_ARGUMENT', `The root element has no ${opts.idAttribute} attribute`);
  if (children(root, NS.ds, 'Signature').length > 0) throw new SoapError('INVALID_ARGUMENT', 'The root element is already signed');
  try {
    const signer = new SignedXml({
      privateKey: toPrivateKey(opts.privateKey),
      ...(opts.certificateDer ? { publicCert: certDerToPem(opts.certificateDer) } : {}),
      signatureAlgorithm: SIGNATURE_ALGORITHMS[opts.signatureAlgorithm ?? 'rsa-sha256'],
      canonicalizationAlgorithm: DSIG.excC14n,
      idAttribute: opts.idAttribute,
    });
    signer.addReference({
      xpath: '/*',
      transforms: [DSIG.envelopedSignature, DSIG.excC14n],
      digestAlgorithm: DIGEST_ALGORITHMS[opts.digestAlgorithm ?? 'sha256'],
    });
    signer.computeSignature(source, { prefix: 'ds', location: { reference: '/*', action: opts.placement ?? 'append' } });
    return signer.getSignedXml();
  } catch (err) {
    if (err instanceof SoapError) throw err;
    throw new SoapError('WSSEC_SIGN_FAILED', `Cannot sign the document: ${describeError(err)}`, { cause: err });
  }
}

/** Signs a SAML 1.1 assertion as the STS does: enveloped, exc-c14n, RSA-SHA256, X509Data KeyInfo. */
export function signAssertion(assertionXml: string, privateKey: PrivateKeyInput, certificateDer: Uint8Array): string {
  return signEnveloped(assertionXml, { privateKey, certificateDer, idAttribute: 'AssertionID', placement: 'append' });
}

/** Named reasons for a rejected enveloped signature. */
export type SamlSignatureFailureCode =
  | 'SAML_MALFORMED'
  | 'SAML_SIGNATURE_MISSING'
  | 'SAML_REFERENCE_INVALID'
  | 'SAML_DUPLICATE_ID'
  | 'SAML_ALGORITHM_UNSUPPORTED'
  | 'SAML_SIGNER_UNTRUSTED'
  | 'SAML_SIGNATURE_INVALID';

/** Outcome of an enveloped-signature check: which trusted certificate signed, or why not. */
export type EnvelopedSignatureVerdict = { ok: true; certDer: Uint8Array } | { ok: false; code: SamlSignatureFailureCode; message: string };

const fail = (code: SamlSignatureFailureCode, message: string): EnvelopedSignatureVerdict => ({ ok: false, code, message });

function keyInfoCertificate(signature: Element): Uint8Array | undefined {
  const keyInfo = child(signature, NS.ds, 'KeyInfo');
  const data = keyInfo && child(keyInfo, NS.ds, 'X509Data');
  const cert = data && child(data, NS.ds, 'X509Certificate');
  const b64 = text(cert)?.replace(/\s+/g, '');
  return b64 ? new Uint8Array(Buffer.from(b64, 'base64')) : undefined;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

interface CheckedStructure {
  signature: Element;
  info: SignedInfoSummary;
  ids: Map<string, Element>;
}

/** Structural checks: one Signature child, one Reference to the root's own id, allowed transforms, unique ids. */
function checkStructure(root: Element, idAttribute: string): CheckedStructure | EnvelopedSignatureVerdict {
  const signatures = children(root, NS.ds, 'Signature');
  if (signatures.length === 0) return fail('SAML_SIGNATURE_MISSING', 'The element carries no enveloped ds:Signature');
  if (signatures.length > 1) return fail('SAML_MALFORMED', 'The element carries more than one ds:Signature');
  const signature = signatures[0]!;
  const info = readSignedInfo(signature);
  if (!info) return fail('SAML_MALFORMED', 'Unreadable ds:SignedInfo');
  const id = attr(root, null, idAttribute);
  const ref = info.references[0];
  if (!id || info.references.length !== 1 || ref?.uri !== `#${id}`) {
    return fail('SAML_REFERENCE_INVALID', `The signature must reference exactly the element's own ${idAttribute}`);
  }
  if (!ref.transforms.includes(DSIG.envelopedSignature)) return fail('SAML_REFERENCE_INVALID', 'The reference lacks the enveloped-signature transform');
  const badAlgo = checkAlgorithms(info, [DSIG.envelopedSignature, DSIG.excC14n]);
  if (badAlgo) return fail('SAML_ALGORITHM_UNSUPPORTED', badAlgo);
  const { ids, duplicate } = indexIds(root, [idAttribute, ...ID_ATTRIBUTE_NAMES]);
  if (duplicate !== undefined) return fail('SAML_DUPLICATE_ID', `Id "${duplicate}" is used more than once`);
  return { signature, info, ids };
}

/**
 * Verifies the enveloped signature of an element (or standalone document)
 * against trusted certificates. When KeyInfo carries a certificate it must
 * be one of them; otherwise each trusted certificate is tried. An element is
 * checked where it stands (exc-c14n needs nothing from its ancestors but
 * InclusiveNamespaces bindings, which are taken from them); ids must be
 * unique within it.
 */
export function verifyEnvelopedSignature(
  target: Element | string,
  trustedCertsDer: readonly Uint8Array[],
  opts: { idAttribute: string },
): EnvelopedSignatureVerdict {
  let root: Element;
  try {
    root = typeof target === 'string' ? parseXml(target).documentElement! : target;
  } catch (err) {
    return fail('SAML_MALFORMED', describeError(err));
  }
  const structure = checkStructure(root, opts.idAttribute);
  if (!('signature' in structure)) return structure;
  const presented = keyInfoCertificate(structure.signature);
  const candidates = presented ? trustedCertsDer.filter((c) => sameBytes(c, presented)) : trustedCertsDer;
  if (candidates.length === 0) return fail('SAML_SIGNER_UNTRUSTED', 'The signing certificate is not trusted');
  let lastMessage = 'no trusted certificate';
  for (const certDer of candidates) {
    let key;
    try {
      key = new X509Certificate(certDer).publicKey;
    } catch {
      continue;
    }
    const check = verifySignedInfo(structure.signature, structure.info, structure.ids, key);
    if (check.ok) return { ok: true, certDer };
    lastMessage = check.message;
  }
  return fail('SAML_SIGNATURE_INVALID', lastMessage);
}

/** Verifies the STS signature of a SAML 1.1 assertion (reference by AssertionID). */
export function verifyAssertionSignature(assertion: Element | string, trustedCertsDer: readonly Uint8Array[]): EnvelopedSignatureVerdict {
  return verifyEnvelopedSignature(assertion, trustedCertsDer, { idAttribute: 'AssertionID' });
}
