/**
 * Small ASN.1 helpers for the ETEE seal/unseal code: a DER writer that keeps
 * large payloads as separate chunks (no copies), a strict DER reader for the
 * few certificate fields the sealer needs, BER OCTET STRING reassembly for the
 * unsealer, and the OIDs of SEALING.md §1.
 */
import * as asn1js from 'asn1js';
import type * as pkijs from 'pkijs';
import { CryptoError } from './errors.ts';

/** Object identifiers used by the sealed-message format (SEALING.md §1, §1.5). */
export const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  sha224: '2.16.840.1.101.3.4.2.4',
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsaOaep: '1.2.840.113549.1.1.7',
  mgf1: '1.2.840.113549.1.1.8',
  rsaPss: '1.2.840.113549.1.1.10',
  sha1WithRsa: '1.2.840.113549.1.1.5',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  sha384WithRsa: '1.2.840.113549.1.1.12',
  sha512WithRsa: '1.2.840.113549.1.1.13',
  dsaWithSha1: '1.2.840.10040.4.3',
  aes128Cbc: '2.16.840.1.101.3.4.1.2',
  aes192Cbc: '2.16.840.1.101.3.4.1.22',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  aes128Wrap: '2.16.840.1.101.3.4.1.5',
  aes192Wrap: '2.16.840.1.101.3.4.1.25',
  aes256Wrap: '2.16.840.1.101.3.4.1.45',
  desEde3Cbc: '1.2.840.113549.3.7',
  camellia128Cbc: '1.2.392.200011.61.1.1.1.2',
  keyUsage: '2.5.29.15',
  subjectKeyIdentifier: '2.5.29.14',
  dnSerialNumber: '2.5.4.5',
} as const;

// ---------------------------------------------------------------- DER writer

/** The DER length octets for `length`. */
export function derLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** Tag + length octets only, for a value that is kept as separate chunks. */
export function derHeader(tag: number, length: number): Uint8Array {
  const len = derLength(length);
  const out = new Uint8Array(1 + len.length);
  out[0] = tag;
  out.set(len, 1);
  return out;
}

/** One complete TLV from small parts (copies them; not for big payloads). */
export function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const length = parts.reduce((n, p) => n + p.length, 0);
  return Buffer.concat([derHeader(tag, length), ...parts]);
}

/** Wraps chunks in a TLV without copying them: returns [header, ...chunks]. */
export function wrapChunks(tag: number, chunks: readonly Uint8Array[]): Uint8Array[] {
  return [derHeader(tag, chunksLength(chunks)), ...chunks];
}

/** Total byte length of a chunk list. */
export function chunksLength(chunks: readonly Uint8Array[]): number {
  let n = 0;
  for (const c of chunks) n += c.length;
  return n;
}

/** DER SEQUENCE. */
export const derSequence = (...parts: Uint8Array[]): Uint8Array => tlv(0x30, ...parts);

/** DER SET OF: members sorted by their encodings as X.690 §11.6 requires. */
export function derSetOf(members: readonly Uint8Array[]): Uint8Array {
  return tlv(0x31, ...[...members].sort((a, b) => Buffer.compare(a, b)));
}

/** DER OCTET STRING (small values). */
export const derOctetString = (value: Uint8Array): Uint8Array => tlv(0x04, value);

/** DER NULL. */
export const DER_NULL = Uint8Array.of(0x05, 0x00);

/** DER INTEGER from a small non-negative number. */
export function derSmallInteger(value: number): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value > 127) throw new CryptoError('INVALID_ARGUMENT', 'small integer out of range');
  return Uint8Array.of(0x02, 0x01, value);
}

/** DER OBJECT IDENTIFIER from its dotted form. */
export function derOid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  const first = arcs[0] ?? 0;
  const second = arcs[1] ?? 0;
  const body: number[] = [];
  for (const arc of [first * 40 + second, ...arcs.slice(2)]) {
    const septets: number[] = [arc & 0x7f];
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) septets.unshift((n & 0x7f) | 0x80);
    body.push(...septets);
  }
  return tlv(0x06, Uint8Array.from(body));
}

/** AlgorithmIdentifier SEQUENCE { oid, params? }. */
export function derAlgorithm(oid: string, params?: Uint8Array): Uint8Array {
  return params ? derSequence(derOid(oid), params) : derSequence(derOid(oid));
}

/** UTCTime as CMS signing-time uses for 1950–2049 (YYMMDDHHMMSSZ). */
export function derUtcTime(date: Date): Uint8Array {
  const year = date.getUTCFullYear();
  if (year < 1950 || year > 2049) throw new CryptoError('INVALID_ARGUMENT', 'signing time outside UTCTime range');
  const p = (n: number): string => String(n).padStart(2, '0');
  const text = `${p(year % 100)}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}${p(date.getUTCHours())}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())}Z`;
  return tlv(0x17, Buffer.from(text, 'latin1'));
}

// ---------------------------------------------------------------- DER reader

interface Tlv {
  tag: number;
  /** offset of the value */
  start: number;
  /** offset just past the value */
  end: number;
  /** offset of the tag byte */
  offset: number;
}

function readTlv(buf: Uint8Array, offset: number, limit: number): Tlv {
  const bad = (): never => {
    throw new CryptoError('MALFORMED_CERTIFICATE', 'certificate is not valid DER');
  };
  if (offset + 2 > limit) bad();
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) bad();
  let len = buf[offset + 1]!;
  let start = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) bad();
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i]!;
    start += n;
  }
  if (start + len > limit) bad();
  return { tag, start, end: start + len, offset };
}

function childrenOf(buf: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.start; at < parent.end; ) {
    const child = readTlv(buf, at, parent.end);
    out.push(child);
    at = child.end;
  }
  return out;
}

/** The raw fields of a certificate the sealer needs, copied out of its DER. */
export interface CertificateFields {
  /** DER of IssuerAndSerialNumber ::= SEQUENCE { issuer Name, serialNumber INTEGER }. */
  issuerAndSerial: Uint8Array;
  /** DER of the SubjectPublicKeyInfo. */
  spki: Uint8Array;
}

const fieldCache = new WeakMap<Uint8Array, CertificateFields>();

/** Reads issuer, serial and public key info from a DER certificate (cached per buffer). */
export function certificateFields(der: Uint8Array): CertificateFields {
  const cached = fieldCache.get(der);
  if (cached) return cached;
  const cert = readTlv(der, 0, der.length);
  const tbs = childrenOf(der, cert)[0];
  if (cert.tag !== 0x30 || !tbs || tbs.tag !== 0x30) throw new CryptoError('MALFORMED_CERTIFICATE', 'not an X.509 certificate');
  const fields = childrenOf(der, tbs);
  const rest = fields[0]?.tag === 0xa0 ? fields.slice(1) : fields;
  const [serial, , issuer, , , spki] = rest;
  if (!serial || serial.tag !== 0x02 || !issuer || issuer.tag !== 0x30 || !spki || spki.tag !== 0x30) {
    throw new CryptoError('MALFORMED_CERTIFICATE', 'certificate TBS fields are not as expected');
  }
  const result = {
    issuerAndSerial: derSequence(der.subarray(issuer.offset, issuer.end), der.subarray(serial.offset, serial.end)),
    spki: der.slice(spki.offset, spki.end),
  };
  fieldCache.set(der, result);
  return result;
}

// ---------------------------------------------------------------- BER reading

/** Hard cap on OCTET STRING nesting when reassembling BER chunks (real senders use one level). */
const MAX_OCTET_STRING_NESTING = 8;

/**
 * Content of a (possibly constructed, chunked, indefinite-length) OCTET STRING
 * or of an IMPLICIT-tagged one. Returns a view when primitive, a copy when chunked.
 */
export function octetStringContent(block: asn1js.BaseBlock, depth = 0): Uint8Array {
  if (depth > MAX_OCTET_STRING_NESTING) throw new CryptoError('MALFORMED_CMS', 'OCTET STRING nested too deeply');
  if (!block.idBlock.isConstructed) {
    return (block.valueBlock as unknown as { valueHexView: Uint8Array }).valueHexView;
  }
  const parts = (block.valueBlock as unknown as { value?: asn1js.BaseBlock[] }).value ?? [];
  const chunks: Uint8Array[] = [];
  for (const part of parts) {
    if (part instanceof asn1js.EndOfContent) continue;
    if (part.idBlock.tagClass !== 1 || part.idBlock.tagNumber !== 4) {
      throw new CryptoError('MALFORMED_CMS', 'constructed OCTET STRING holds a non-OCTET STRING');
    }
    chunks.push(octetStringContent(part, depth + 1));
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/** Parses one BER element that must fill `bytes` completely; throws CryptoError otherwise. */
export function parseBer(bytes: Uint8Array): asn1js.AsnType {
  if (bytes.length === 0) throw new CryptoError('MALFORMED_DER', 'empty input');
  const parsed = asn1js.fromBER(bytes, { copyInput: false });
  if (parsed.offset === -1 || parsed.result.error) {
    throw new CryptoError('MALFORMED_DER', `not BER: ${parsed.result.error || 'parse error'}`);
  }
  if (parsed.offset !== bytes.length) throw new CryptoError('MALFORMED_DER', 'trailing bytes after the BER element');
  return parsed.result;
}

// ---------------------------------------------------------------- names and serials

/** INTEGER value bytes without leading zero octets, for comparing serial numbers. */
export function normalizedSerial(serial: Uint8Array): Uint8Array {
  let i = 0;
  while (i < serial.length - 1 && serial[i] === 0) i++;
  return serial.subarray(i);
}

/** Decimal form of a certificate serial (the eHealth keystore alias convention, SEALING.md §5). */
export function serialToDecimal(serial: Uint8Array): string {
  const hex = Buffer.from(normalizedSerial(serial)).toString('hex');
  return hex ? BigInt(`0x${hex}`).toString(10) : '0';
}

const SHORT_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN', '2.5.4.4': 'SN', '2.5.4.5': 'SERIALNUMBER', '2.5.4.6': 'C', '2.5.4.7': 'L',
  '2.5.4.8': 'ST', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.42': 'GN', '1.2.840.113549.1.9.1': 'E',
};

function attributeText(value: asn1js.AsnType): string {
  const block = value.valueBlock as unknown as { value?: unknown };
  if (typeof block.value === 'string') return block.value;
  return `#${Buffer.from(value.toBER(false)).toString('hex')}`;
}

/** A distinguished name as `CN=…, OU=…` in encoding order (RFC 4514 escaping of specials). */
export function nameToString(name: pkijs.RelativeDistinguishedNames): string {
  return name.typesAndValues
    .map((tv) => {
      const text = attributeText(tv.value).replace(/([,+"\\<>;])/g, '\\$1');
      return `${SHORT_NAMES[tv.type] ?? tv.type}=${text}`;
    })
    .join(', ');
}

/** Value of the DN SERIALNUMBER attribute (2.5.4.5), which marks eID certificates. */
export function dnSerialNumber(name: pkijs.RelativeDistinguishedNames): string | undefined {
  const tv = name.typesAndValues.find((t) => t.type === OID.dnSerialNumber);
  return tv ? attributeText(tv.value) : undefined;
}

/** Byte equality of two public byte strings (not constant time: never use on secrets). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
