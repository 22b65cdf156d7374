/**
 * X.500 names the eHealth way: builders for holder, CA and ETK-RA subject DNs
 * (SEALING.md §5, attribute order as encoded), a readable one-line rendering,
 * order-sensitive comparison, and extraction of the holder identity
 * (type, id, application) from a certificate DN (SEALING.md §2.4).
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { CryptoError } from './errors.ts';

/** One attribute of a DN, by short name (`C`, `O`, `OU`, `CN`, `SERIALNUMBER`, …) or dotted OID. */
export interface NameAttribute {
  type: string;
  value: string;
}

/** A DN as the ordered list of its (single-valued) RDNs, in encoding order. */
export type DistinguishedName = readonly NameAttribute[];

/** The OU every eHealth certificate carries. */
export const EHEALTH_PLATFORM_OU = 'eHealth-platform Belgium';
/** The O of eHealth holder, CA and ETK-RA certificates. */
export const FEDERAL_GOVERNMENT_O = 'Federal Government';

const SHORT_TO_OID: Record<string, string> = {
  C: '2.5.4.6', O: '2.5.4.10', OU: '2.5.4.11', CN: '2.5.4.3', SERIALNUMBER: '2.5.4.5',
  L: '2.5.4.7', ST: '2.5.4.8', SN: '2.5.4.4', GN: '2.5.4.42', emailAddress: '1.2.840.113549.1.9.1',
};
const OID_TO_SHORT: Record<string, string> = Object.fromEntries(Object.entries(SHORT_TO_OID).map(([k, v]) => [v, k]));
/** Attributes whose ASN.1 type is PrintableString/IA5String by definition; the rest is UTF8String. */
const PRINTABLE_ATTRIBUTES = new Set(['2.5.4.6', '2.5.4.5']);
const IA5_ATTRIBUTES = new Set(['1.2.840.113549.1.9.1']);

/** The identity a holder certificate carries. */
export interface HolderIdentity {
  /** ETK Depot identifier type (`SSIN`, `NIHII`, `NIHII-HOSPITAL`, `CBE`, `EHP`, …). */
  type: string;
  id: string;
  /** Application id (an OU that ends the CN), for organisation/application certificates. */
  applicationId?: string;
}

/** What a holder DN is built from. */
export interface HolderDnSpec {
  /** ETK Depot identifier type, e.g. `SSIN`, `NIHII`, `NIHII-HOSPITAL`, `CBE`, `EHP`. */
  type: string;
  id: string;
  /** Person `FIRST LAST` or organisation name. */
  name: string;
  /** Application name; gives the organisation/application DN shape. */
  application?: string;
}

/**
 * The subject DN of an eHealth holder (SEALING.md §5), C first:
 * `C=BE, O=Federal Government, [OU=<APP>,] OU=<TYPE>=<id>, OU=<NAME>, OU=eHealth-platform Belgium, CN=<TYPE>=<id>[, <APP>]`.
 */
export function holderDn(spec: HolderDnSpec): DistinguishedName {
  if (!/^[A-Z][A-Z0-9_-]*$/.test(spec.type) || !/^\d+$/.test(spec.id) || spec.name.trim() === '') {
    throw new CryptoError('INVALID_ARGUMENT', 'holder DN needs an upper-case type, a numeric id and a name');
  }
  const idValue = `${spec.type}=${spec.id}`;
  const app = spec.application?.trim();
  return [
    { type: 'C', value: 'BE' },
    { type: 'O', value: FEDERAL_GOVERNMENT_O },
    ...(app ? [{ type: 'OU', value: app }] : []),
    { type: 'OU', value: idValue },
    { type: 'OU', value: spec.name },
    { type: 'OU', value: EHEALTH_PLATFORM_OU },
    { type: 'CN', value: app ? `${idValue}, ${app}` : idValue },
  ];
}

/** `CN=ETK-RA, OU=eHealth-platform Belgium, O=Federal Government, C=BE`, in that encoding order (as the real RA). */
export function etkRaDn(): DistinguishedName {
  return [
    { type: 'CN', value: 'ETK-RA' },
    { type: 'OU', value: EHEALTH_PLATFORM_OU },
    { type: 'O', value: FEDERAL_GOVERNMENT_O },
    { type: 'C', value: 'BE' },
  ];
}

/** `C=BE, O=Federal Government, OU=eHealth-platform Belgium, CN=<commonName>` for test CAs. */
export function caDn(commonName: string): DistinguishedName {
  return [
    { type: 'C', value: 'BE' },
    { type: 'O', value: FEDERAL_GOVERNMENT_O },
    { type: 'OU', value: EHEALTH_PLATFORM_OU },
    { type: 'CN', value: commonName },
  ];
}

function attributeValueBlock(oid: string, value: string): asn1js.BaseBlock {
  if (PRINTABLE_ATTRIBUTES.has(oid)) return new asn1js.PrintableString({ value });
  if (IA5_ATTRIBUTES.has(oid)) return new asn1js.IA5String({ value });
  return new asn1js.Utf8String({ value });
}

/** Encodes a DN with one attribute per RDN, keeping the given order. */
export function encodeName(dn: DistinguishedName): pkijs.RelativeDistinguishedNames {
  const rdns = dn.map((attr) => {
    const oid = SHORT_TO_OID[attr.type] ?? attr.type;
    if (!/^\d+(\.\d+)+$/.test(oid)) throw new CryptoError('INVALID_ARGUMENT', `unknown DN attribute type ${attr.type}`);
    const atv = new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: oid }), attributeValueBlock(oid, attr.value)] });
    return new asn1js.Set({ value: [atv] });
  });
  const der = new asn1js.Sequence({ value: rdns }).toBER();
  return pkijs.RelativeDistinguishedNames.fromBER(der);
}

/** The attributes of a parsed name, in encoding order, with short type names where known. */
export function nameAttributes(name: pkijs.RelativeDistinguishedNames): NameAttribute[] {
  return name.typesAndValues.map((tv) => ({
    type: OID_TO_SHORT[tv.type] ?? tv.type,
    value: attributeText(tv.value),
  }));
}

function attributeText(value: unknown): string {
  const block = value as { valueBlock?: { value?: unknown } };
  const v = block.valueBlock?.value;
  return typeof v === 'string' ? v : '';
}

function quoteValue(value: string): string {
  return /[,+;"\\<>]|^\s|\s$/.test(value) ? `"${value.replace(/(["\\])/g, '\\$1')}"` : value;
}

/** One-line rendering in encoding order, e.g. `C=BE, O=Federal Government, OU=SSIN=…, CN=SSIN=…`. */
export function describeName(name: pkijs.RelativeDistinguishedNames | DistinguishedName): string {
  const attrs = name instanceof pkijs.RelativeDistinguishedNames ? nameAttributes(name) : name;
  return attrs.map((a) => `${a.type}=${quoteValue(a.value)}`).join(', ');
}

function canonical(attrs: NameAttribute[]): string[] {
  return attrs.map((a) => `${SHORT_TO_OID[a.type] ?? a.type}=${a.value.trim().replace(/\s+/g, ' ').toLowerCase()}`);
}

/**
 * True when both names have the same attributes in the same order, comparing
 * values case- and whitespace-insensitively (like Java's X500Principal), so a
 * DN whose RDNs were reordered does not match.
 */
export function namesEqual(a: pkijs.RelativeDistinguishedNames, b: pkijs.RelativeDistinguishedNames): boolean {
  const x = canonical(nameAttributes(a));
  const y = canonical(nameAttributes(b));
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** An OU shaped like `TYPE=digits` carries the identifier (connector's CertificateParser). */
const IDENTIFIER_OU = /^([A-Z][A-Z0-9_-]*)=(\d+)$/;
/** OUs that never name an application. */
const NON_APPLICATION_OUS = new Set([EHEALTH_PLATFORM_OU, FEDERAL_GOVERNMENT_O]);

/**
 * The holder identity of an eHealth certificate (SEALING.md §2.4): the OU
 * `TYPE=digits` gives type and id, an OU that ends the CN is the application
 * id; a SERIALNUMBER attribute marks an eID certificate (type SSIN).
 * Undefined when the DN carries no identifier.
 */
export function parseHolderIdentity(cert: pkijs.Certificate): HolderIdentity | undefined {
  const attrs = nameAttributes(cert.subject);
  const serial = attrs.find((a) => a.type === 'SERIALNUMBER');
  if (serial && /^\d{11}$/.test(serial.value)) return { type: 'SSIN', id: serial.value };
  const ous = attrs.filter((a) => a.type === 'OU').map((a) => a.value);
  const idOu = ous.find((ou) => IDENTIFIER_OU.test(ou));
  if (!idOu) return undefined;
  const [, type, id] = IDENTIFIER_OU.exec(idOu)!;
  const cn = attrs.find((a) => a.type === 'CN')?.value ?? '';
  const app = ous.find((ou) => ou !== idOu && !NON_APPLICATION_OUS.has(ou) && cn.length > ou.length && cn.endsWith(ou));
  return app ? { type: type!, id: id!, applicationId: app } : { type: type!, id: id! };
}
