/**
 * ETK (eHealth encryption token): build, parse and validate (SEALING.md §2).
 * An ETK is a CMS SignedData by the ETK-RA whose content is the holder's DER
 * encryption certificate, carrying the RA certificate, the holder's
 * authentication certificate and its CA chain. Validation runs the checks of
 * the Java library's EncryptionTokenChecker (§2.3 items 1–5) and returns a
 * verdict with named reasons; revocation is not checked.
 */
import { sign, verify, X509Certificate, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { child, expectTag, octetsOf, oidOf, parseBer, reencode, type Ber } from './cms-util.ts';
import { CryptoError } from './errors.ts';
import {
  certificateBasicConstraints,
  describeName,
  namesEqual,
  parseCertificate,
  sharedCertificate,
} from './certificates.ts';

const OID_SIGNED_DATA = '1.2.840.113549.1.7.2';
const OID_DATA = '1.2.840.113549.1.7.1';
const OID_SHA256 = '2.16.840.1.101.3.4.2.1';
const OID_RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
/** Digest OIDs an RA signature may use (old test-kit ETKs are sha1). */
const DIGEST_NAMES: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** One certificate of an ETK, DER and parsed. */
export interface EtkCertificate {
  der: Uint8Array;
  certificate: pkijs.Certificate;
}

/** A parsed ETK, split like the Java library does. */
export interface Etk {
  der: Uint8Array;
  /** The eContent: the holder's self-issued encryption certificate. */
  encryption: EtkCertificate;
  /** The holder's authentication certificate (the end-entity that is neither RA nor encryption cert). */
  authentication: EtkCertificate;
  /** The certificate matching the SignerInfo sid, when present. */
  ra: EtkCertificate | undefined;
  /** Embedded certificates with basicConstraints CA, in ETK order. */
  caChain: EtkCertificate[];
  /** The RA's SignerInfo, when present. */
  signerInfo: pkijs.SignerInfo | undefined;
}

/** What an ETK is made of. */
export interface BuildEtkInput {
  encryptionCertDer: Uint8Array;
  authCertDer: Uint8Array;
  caChainDer: Uint8Array[];
  ra: { certDer: Uint8Array; privateKey: KeyObject };
}

const alg = (oid: string) => new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: oid }), new asn1js.Null()] });
const explicit0 = (inner: asn1js.BaseBlock) => new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [inner] });

function derBlock(der: Uint8Array, what: string): asn1js.BaseBlock {
  const parsed = asn1js.fromBER(der);
  if (parsed.offset === -1) throw new CryptoError('MALFORMED_CERTIFICATE', `${what} is not valid DER`);
  return parsed.result;
}

/**
 * Builds an ETK as the depot serves it: ContentInfo/SignedData v1, sha256,
 * eContent = DER encryption certificate, certificates = RA + auth + CA chain,
 * one SignerInfo by the RA (issuerAndSerialNumber, sha256 + rsaEncryption
 * PKCS#1 v1.5, no signed attributes). Output is DER.
 */
export function buildEtk(input: BuildEtkInput): Uint8Array {
  const ra = parseCertificate(input.ra.certDer);
  parseCertificate(input.encryptionCertDer);
  parseCertificate(input.authCertDer);
  const signature = sign('sha256', input.encryptionCertDer, input.ra.privateKey);
  const signerInfo = new asn1js.Sequence({
    value: [
      new asn1js.Integer({ value: 1 }),
      new asn1js.Sequence({ value: [ra.issuer.toSchema(), new asn1js.Integer({ valueHex: ra.serialNumber.valueBlock.valueHexView })] }),
      alg(OID_SHA256),
      alg(OID_RSA_ENCRYPTION),
      new asn1js.OctetString({ valueHex: signature }),
    ],
  });
  const certs = [input.ra.certDer, input.authCertDer, ...input.caChainDer].map((d, i) => derBlock(d, `certificate ${i}`));
  const signedData = new asn1js.Sequence({
    value: [
      new asn1js.Integer({ value: 1 }),
      new asn1js.Set({ value: [alg(OID_SHA256)] }),
      new asn1js.Sequence({
        value: [new asn1js.ObjectIdentifier({ value: OID_DATA }), explicit0(new asn1js.OctetString({ valueHex: input.encryptionCertDer }))],
      }),
      new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: certs }),
      new asn1js.Set({ value: [signerInfo] }),
    ],
  });
  const contentInfo = new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: OID_SIGNED_DATA }), explicit0(signedData)] });
  return new Uint8Array(contentInfo.toBER(false));
}

function malformed(message: string, cause?: unknown): CryptoError {
  return new CryptoError('ETK_MALFORMED', `ETK is malformed: ${message}`, cause === undefined ? undefined : { cause });
}

/** Octets of an OCTET STRING, reassembling constructed (chunked BER) ones. */
function toEtkCertificate(der: Uint8Array, what: string): EtkCertificate {
  try {
    return { der, certificate: sharedCertificate(der) };
  } catch (err) {
    throw malformed(`${what} does not parse`, err);
  }
}

function sidMatches(sid: unknown, cert: pkijs.Certificate): boolean {
  if (sid instanceof pkijs.IssuerAndSerialNumber) {
    return namesEqual(sid.issuer, cert.issuer) && sid.serialNumber.isEqual(cert.serialNumber);
  }
  return false;
}

/** The SignedData node and its raw certificates, straight from the (BER) structure. */
/** The parts of the token's SignedData that parseEtk needs. */
interface TokenParts {
  eContent: Uint8Array | undefined;
  certsDer: Uint8Array[];
  signerInfos: pkijs.SignerInfo[];
}

const CONTEXT_0 = 0xa0;
const SEQUENCE = 0x30;
const SET = 0x31;

/**
 * ContentInfo{SignedData} split with the project's BER reader: only the
 * SignerInfos go through pkijs. asn1js needs about a millisecond per
 * embedded certificate, and the certificates are parsed (memoised) later.
 */
function readSignedData(der: Uint8Array): TokenParts {
  let ci: Ber;
  try {
    ci = parseBer(der);
  } catch (err) {
    throw malformed(`not BER/DER (${err instanceof Error ? err.message : String(err)})`, err);
  }
  try {
    expectTag(ci, SEQUENCE, 'ContentInfo');
    const contentType = oidOf(child(ci, 0));
    if (contentType !== OID_SIGNED_DATA) throw malformed(`content type ${contentType} is not signedData`);
    const sd = expectTag(child(child(ci, 1, CONTEXT_0), 0), SEQUENCE, 'SignedData');
    child(sd, 0, 0x02);
    child(sd, 1, SET);
    const encap = child(sd, 2, SEQUENCE);
    oidOf(child(encap, 0));
    const wrapped = encap.children[1];
    const eContent = wrapped && wrapped.tag === CONTEXT_0 ? octetsOf(child(wrapped, 0)) : undefined;
    const rest = sd.children.slice(3);
    const certsNode = rest.find((b) => b.tag === CONTEXT_0);
    const certsDer = (certsNode?.children ?? []).map((c) => new Uint8Array(reencode(c)));
    const infos = rest[rest.length - 1];
    if (!infos || infos.tag !== SET) throw malformed('SignedData has no SignerInfos');
    const signerInfos = infos.children.map((c) => {
      const parsed = asn1js.fromBER(reencode(c));
      if (parsed.offset === -1) throw malformed('a SignerInfo does not parse');
      return new pkijs.SignerInfo({ schema: parsed.result });
    });
    return { eContent: eContent && new Uint8Array(eContent), certsDer, signerInfos };
  } catch (err) {
    if (err instanceof CryptoError && err.code === 'ETK_MALFORMED') throw err;
    throw malformed(`SignedData does not parse (${err instanceof Error ? err.message : String(err)})`, err);
  }
}

/**
 * Parses an ETK (BER with indefinite lengths accepted) and splits it like the
 * Java EncryptionTokenFactory: encryption cert = eContent, RA = the
 * certificate matching the SignerInfo sid, CA chain = certificates with
 * basicConstraints CA, authentication = the remaining end-entity.
 * Throws CryptoError ETK_MALFORMED.
 */
export function parseEtk(der: Uint8Array): Etk {
  if (!(der instanceof Uint8Array) || der.byteLength === 0) throw malformed('empty input');
  const { eContent: content, certsDer, signerInfos } = readSignedData(der);
  if (!content) throw malformed('no encapsulated content (the encryption certificate)');
  const encryption = toEtkCertificate(content, 'the encryption certificate');
  const signerInfo = signerInfos[0];

  const seen = new Set<string>([Buffer.from(encryption.der).toString('hex')]);
  const certs: EtkCertificate[] = [];
  certsDer.forEach((d, i) => {
    const key = Buffer.from(d).toString('hex');
    if (seen.has(key)) return;
    seen.add(key);
    certs.push(toEtkCertificate(d, `embedded certificate ${i}`));
  });
  const ra = signerInfo ? certs.find((c) => sidMatches(signerInfo.sid, c.certificate)) : undefined;
  const rest = certs.filter((c) => c !== ra);
  const caChain = rest.filter((c) => {
    try {
      return certificateBasicConstraints(c.certificate).cA;
    } catch (err) {
      throw malformed(`embedded certificate ${describeName(c.certificate.subject)} has malformed basic constraints`, err);
    }
  });
  const endEntities = rest.filter((c) => !caChain.includes(c));
  const authentication =
    endEntities.find((c) => namesEqual(c.certificate.subject, encryption.certificate.issuer)) ?? endEntities[0];
  if (!authentication) throw malformed('no authentication certificate among the embedded certificates');
  return { der, encryption, authentication, ra, caChain, signerInfo };
}

/**
 * Verifies the ETK-RA's CMS signature over the encryption certificate. The
 * Java library does not check it (§2.3); exposed for the depot and for tests.
 */
export function verifyEtkSignature(etk: Etk): boolean {
  const si = etk.signerInfo;
  if (!si || !etk.ra) return false;
  const digest = DIGEST_NAMES[si.digestAlgorithm.algorithmId];
  if (!digest) return false;
  const data = si.signedAttrs
    ? Buffer.concat([Buffer.from([0x31]), Buffer.from(new Uint8Array(si.signedAttrs.encodedValue)).subarray(1)])
    : etk.encryption.der;
  try {
    return verify(digest, data, new X509Certificate(etk.ra.der).publicKey, si.signature.valueBlock.valueHexView);
  } catch {
    return false;
  }
}

export { validateEtk, type EtkReason, type EtkReasonCode, type EtkVerdict, type ValidateEtkOptions } from './etk-validator.ts';
