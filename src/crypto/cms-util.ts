/**
 * Small ASN.1 helpers for the ETEE seal/unseal code: the OIDs of SEALING.md §1,
 * a DER writer that keeps large payloads as separate chunks (no copies), and a
 * fast, bounded BER reader (indefinite lengths, chunked OCTET STRINGs) with the
 * certificate fields the verifier needs. asn1js/pkijs are ~100× slower at
 * parsing a sealed message, so the hot paths use this reader instead.
 */
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

// ---------------------------------------------------------------- BER reader

/** One parsed BER element; `children` are parsed eagerly for constructed elements. */
export interface Ber {
  readonly buf: Uint8Array;
  /** The identifier octet (class, constructed bit, tag number < 31). */
  readonly tag: number;
  readonly constructed: boolean;
  /** Offset of the identifier octet. */
  readonly offset: number;
  /** Value bytes are buf[start, end) (end excludes the end-of-contents of indefinite lengths). */
  readonly start: number;
  readonly end: number;
  /** Offset just past the element. */
  readonly next: number;
  readonly indefinite: boolean;
  readonly children: readonly Ber[];
}

/** Deepest nesting accepted; a sealed message nests about 12 levels. */
const MAX_BER_DEPTH = 40;
/** Most elements in one parse; bounds the work an attacker can cause. */
const MAX_BER_ELEMENTS = 2_000_000;
/** Longest length field (octets) accepted: 6 octets = up to 2^48 bytes. */
const MAX_LENGTH_OCTETS = 6;

/** A MALFORMED_CMS CryptoError. */
export function malformed(message: string): CryptoError {
  return new CryptoError('MALFORMED_CMS', message);
}

/** Parses one BER element that must fill `bytes` exactly; throws CryptoError MALFORMED_CMS. */
export function parseBer(bytes: Uint8Array): Ber {
  if (bytes.length === 0) throw malformed('empty input');
  const node = readElement(bytes, 0, bytes.length, 0, { elements: 0 });
  if (node.next !== bytes.length) throw malformed('trailing bytes after the BER element');
  return node;
}

function readElement(buf: Uint8Array, offset: number, limit: number, depth: number, count: { elements: number }): Ber {
  if (depth > MAX_BER_DEPTH) throw malformed('BER nested too deeply');
  if (++count.elements > MAX_BER_ELEMENTS) throw malformed('too many BER elements');
  if (offset + 2 > limit) throw malformed('truncated BER element');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw malformed('high tag numbers are not used in CMS');
  const constructed = (tag & 0x20) !== 0;
  const first = buf[offset + 1]!;
  const children: Ber[] = [];
  if (first === 0x80) {
    if (!constructed) throw malformed('indefinite length on a primitive element');
    let at = offset + 2;
    for (;;) {
      if (at + 2 > limit) throw malformed('missing end-of-contents');
      if (buf[at] === 0 && buf[at + 1] === 0) break;
      const child = readElement(buf, at, limit, depth + 1, count);
      children.push(child);
      at = child.next;
    }
    return { buf, tag, constructed, offset, start: offset + 2, end: at, next: at + 2, indefinite: true, children };
  }
  let start = offset + 2;
  let length = first;
  if (first & 0x80) {
    const n = first & 0x7f;
    if (n > MAX_LENGTH_OCTETS || start + n > limit) throw malformed('unsupported BER length');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[start + i]!;
    start += n;
  }
  const end = start + length;
  if (end > limit) throw malformed('BER element longer than its container');
  for (let at = start; constructed && at < end; ) {
    const child = readElement(buf, at, end, depth + 1, count);
    children.push(child);
    at = child.next;
  }
  return { buf, tag, constructed, offset, start, end, next: end, indefinite: false, children };
}

/** The i-th child, required to exist (and to have `tag` when given). */
export function child(node: Ber, index: number, tag?: number): Ber {
  const c = node.children[index];
  if (!c || (tag !== undefined && c.tag !== tag)) throw malformed(`expected element ${index}${tag === undefined ? '' : ` with tag 0x${tag.toString(16)}`}`);
  return c;
}

/** Requires `node` to have `tag`; returns it. */
export function expectTag(node: Ber, tag: number, what: string): Ber {
  if (node.tag !== tag) throw malformed(`${what}: unexpected tag 0x${node.tag.toString(16)}`);
  return node;
}

/** Value bytes of a primitive element (a view, no copy). */
export function valueOf(node: Ber): Uint8Array {
  if (node.constructed) throw malformed('expected a primitive element');
  return node.buf.subarray(node.start, node.end);
}

/** The original encoding of an element (a view). */
export function encodingOf(node: Ber): Uint8Array {
  return node.buf.subarray(node.offset, node.next);
}

/** Dotted form of an OBJECT IDENTIFIER. */
export function oidOf(node: Ber): string {
  const bytes = valueOf(expectTag(node, 0x06, 'OBJECT IDENTIFIER'));
  const arcs: number[] = [];
  let value = 0;
  for (const b of bytes) {
    value = value * 128 + (b & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER) throw malformed('OID arc too large');
    if ((b & 0x80) === 0) {
      if (arcs.length === 0) arcs.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else arcs.push(value);
      value = 0;
    }
  }
  if (bytes.length === 0 || (bytes[bytes.length - 1]! & 0x80) !== 0) throw malformed('truncated OID');
  return arcs.join('.');
}

/** A small non-negative INTEGER (versions, salt lengths). */
export function smallIntegerOf(node: Ber): number {
  const bytes = valueOf(expectTag(node, 0x02, 'INTEGER'));
  if (bytes.length === 0 || bytes.length > 4 || (bytes[0]! & 0x80) !== 0) throw malformed('INTEGER out of range');
  return bytes.reduce((n, b) => n * 256 + b, 0);
}

/** Content of an OCTET STRING (or IMPLICIT-tagged one): a view when primitive, a copy when chunked. */
export function octetsOf(node: Ber): Uint8Array {
  if (!node.constructed) return valueOf(node);
  const parts = node.children.map((c) => {
    if (c.tag !== 0x04 && c.tag !== 0x24) throw malformed('constructed OCTET STRING holds a non-OCTET STRING');
    return octetsOf(c);
  });
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/** An AlgorithmIdentifier. */
export interface AlgorithmId {
  oid: string;
  params: Ber | undefined;
}

/** Reads an AlgorithmIdentifier SEQUENCE. */
export function algorithmOf(node: Ber): AlgorithmId {
  expectTag(node, 0x30, 'AlgorithmIdentifier');
  return { oid: oidOf(child(node, 0)), params: node.children[1] };
}

/** UTCTime (0x17) or GeneralizedTime (0x18) as a Date (Z or offset-less forms). */
export function timeOf(node: Ber): Date {
  const text = Buffer.from(valueOf(node)).toString('latin1');
  const m = node.tag === 0x17 ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?Z$/.exec(text)
    : node.tag === 0x18 ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:\.\d+)?Z$/.exec(text) : null;
  if (!m) throw malformed('unsupported time encoding');
  const year = node.tag === 0x17 ? (Number(m[1]) < 50 ? 2000 : 1900) + Number(m[1]) : Number(m[1]);
  const date = new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0)));
  if (Number.isNaN(date.getTime())) throw malformed('invalid time');
  return date;
}

/** Definite-length (DER-style) re-encoding of an element, with an optional new identifier octet. */
export function reencode(node: Ber, tag = node.tag): Uint8Array {
  if (!node.indefinite && tag === node.tag) return encodingOf(node);
  const value = node.constructed ? Buffer.concat(node.children.map((c) => reencode(c))) : valueOf(node);
  return tlv(tag, value);
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

/** Byte equality of two public byte strings (not constant time: never use on secrets). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** One attribute of a distinguished name, in encoding order. */
export interface NameAttribute {
  type: string;
  value: string;
}

const SHORT_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN', '2.5.4.4': 'SN', '2.5.4.5': 'SERIALNUMBER', '2.5.4.6': 'C', '2.5.4.7': 'L',
  '2.5.4.8': 'ST', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.42': 'GN', '1.2.840.113549.1.9.1': 'E',
};

function stringValue(node: Ber): string {
  const v = Buffer.from(valueOf(node));
  switch (node.tag) {
    case 0x0c: return v.toString('utf8'); // UTF8String
    case 0x13: case 0x16: case 0x1a: case 0x14: return v.toString('latin1'); // Printable, IA5, Visible, T61
    case 0x1e: return Buffer.from(v).swap16().toString('utf16le'); // BMPString
    default: return `#${Buffer.from(encodingOf(node)).toString('hex')}`;
  }
}

/** Attributes of a Name (SEQUENCE OF SET OF AttributeTypeAndValue), multi-valued RDNs flattened. */
export function nameAttributesOf(name: Ber): NameAttribute[] {
  expectTag(name, 0x30, 'Name');
  return name.children.flatMap((rdn) => expectTag(rdn, 0x31, 'RDN').children.map((atv) => ({
    type: oidOf(child(atv, 0)),
    value: atv.children[1]?.constructed === false ? stringValue(atv.children[1]) : '#',
  })));
}

/** A distinguished name as `CN=…, OU=…` in encoding order (RFC 4514 escaping of specials). */
export function nameToString(attributes: readonly NameAttribute[]): string {
  return attributes.map((a) => `${SHORT_NAMES[a.type] ?? a.type}=${a.value.replace(/([,+"\\<>;])/g, '\\$1')}`).join(', ');
}

/** The certificate fields ETEE needs, read straight from the DER (views into it). */
export interface CertificateInfo {
  der: Uint8Array;
  /** Issuer Name encoding. */
  issuer: Uint8Array;
  issuerName: NameAttribute[];
  /** Serial INTEGER value bytes. */
  serial: Uint8Array;
  subjectName: NameAttribute[];
  notBefore: Date;
  notAfter: Date;
  /** First octet of the key-usage bits; undefined when the extension is absent. */
  keyUsage: number | undefined;
  subjectKeyIdentifier: Uint8Array | undefined;
  /** SubjectPublicKeyInfo encoding. */
  spki: Uint8Array;
  /** DER of IssuerAndSerialNumber ::= SEQUENCE { issuer, serialNumber }. */
  issuerAndSerial: Uint8Array;
}

const certificateCache = new WeakMap<Uint8Array, CertificateInfo>();

/** Reads a DER X.509 certificate (cached per buffer); throws CryptoError MALFORMED_CERTIFICATE. */
export function readCertificate(der: Uint8Array): CertificateInfo {
  const cached = certificateCache.get(der);
  if (cached) return cached;
  try {
    const tbs = child(expectTag(parseBer(der), 0x30, 'Certificate'), 0, 0x30);
    const f = tbs.children[0]?.tag === 0xa0 ? tbs.children.slice(1) : tbs.children;
    const [serial, , issuer, validity, subject, spki] = f;
    if (!serial || !issuer || !validity || !subject || !spki) throw malformed('incomplete TBSCertificate');
    const extensions = f.find((x) => x.tag === 0xa3)?.children[0]?.children ?? [];
    const extension = (oid: string): Ber | undefined => {
      const ext = extensions.find((e) => oidOf(child(e, 0)) === oid);
      return ext ? parseBer(octetsOf(child(ext, ext.children.length - 1, 0x04))) : undefined;
    };
    const ku = extension(OID.keyUsage);
    const ski = extension(OID.subjectKeyIdentifier);
    const info: CertificateInfo = {
      der,
      issuer: encodingOf(expectTag(issuer, 0x30, 'issuer')),
      issuerName: nameAttributesOf(issuer),
      serial: valueOf(expectTag(serial, 0x02, 'serialNumber')),
      subjectName: nameAttributesOf(subject),
      notBefore: timeOf(child(validity, 0)),
      notAfter: timeOf(child(validity, 1)),
      keyUsage: ku ? (valueOf(expectTag(ku, 0x03, 'keyUsage'))[1] ?? 0) : undefined,
      subjectKeyIdentifier: ski ? valueOf(expectTag(ski, 0x04, 'subjectKeyIdentifier')) : undefined,
      spki: encodingOf(expectTag(spki, 0x30, 'subjectPublicKeyInfo')),
      issuerAndSerial: derSequence(encodingOf(issuer), encodingOf(serial)),
    };
    certificateCache.set(der, info);
    return info;
  } catch (err) {
    throw new CryptoError('MALFORMED_CERTIFICATE', `certificate: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
