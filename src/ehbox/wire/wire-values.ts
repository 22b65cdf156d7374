/**
 * Simple-type rules of the ehBox v3 schemas (lengths, patterns, xs:date,
 * xs:int, xs:boolean, base64) in one place, so that encoders refuse data the
 * schema would refuse and decoders refuse payloads that break it, with the
 * same limits on both sides.
 */

/** A string facet: length bounds in characters (code points) and an optional pattern. */
export interface Facet {
  readonly min?: number;
  readonly max?: number;
  readonly pattern?: RegExp;
}

/** Facets of the ehBox v3 core and protocol simple types (PROTOCOL.md §4, §5.6). */
export const FACETS = {
  /** Document Title and ContentInfo Title: 1..400. */
  title: { min: 1, max: 400 },
  /** DownloadFileName and MimeType: 1..255. */
  fileName: { min: 1, max: 255 },
  mimeType: { min: 1, max: 255 },
  /** ContentSpecification/ApplicationName: 1..25. */
  applicationName: { min: 1, max: 25 },
  /** CustomMeta Key/Value and Meta Type/Value: 1..250. */
  meta: { min: 1, max: 250 },
  /** CopyMailTo: 1..80. */
  copyMailTo: { min: 1, max: 80 },
  /** PublicationIdType and OoOIdType: 1..13. */
  publicationId: { min: 1, max: 13 },
  oooId: { min: 1, max: 13 },
  /** MessageIdType: exactly 13 ASCII letters or digits. */
  messageId: { pattern: /^[a-zA-Z0-9]{13}$/ },
  /** INSSType (text of `User`): exactly 11 characters. */
  inss: { min: 11, max: 11 },
  /** `User` attributes FirstName / LastName: 1..100. */
  personName: { min: 1, max: 100 },
  /** EncryptableOldFreeInformation@Render: at least 1. */
  render: { min: 1 },
  /** Plain xs:string. */
  any: {},
} as const satisfies Record<string, Facet>;

/** Lexical xs:date (year, month, day, optional time zone). */
const XS_DATE = /^-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(Z|[+-](0\d|1[0-4]):[0-5]\d)?$/;
/** Lexical xs:dateTime (optional fraction and time zone). */
const XS_DATE_TIME = /^-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-](0\d|1[0-4]):[0-5]\d)?$|^-?\d{4,}-\d\d-\d\dT24:00:00(\.0+)?(Z|[+-]\d\d:\d\d)?$/;
/** Lexical xs:int / xs:long (after whitespace collapse). */
const XS_INTEGER = /^[+-]?\d+$/;
/** Base64 quantum: encoded length is a multiple of 4 characters. */
const BASE64_QUANTUM = 4;
/** At most two `=` padding characters end a base64 text. */
const MAX_PADDING = 2;
/** xs:int bounds. */
const INT_MIN = -2_147_483_648;
const INT_MAX = 2_147_483_647;

/** Why `value` breaks `facet`, or undefined when it fits. */
export function facetProblem(value: string, facet: Facet): string | undefined {
  const needsCount = facet.min !== undefined || facet.max !== undefined;
  const length = needsCount ? [...value].length : 0;
  if (facet.min !== undefined && length < facet.min) return `must have at least ${facet.min} characters`;
  if (facet.max !== undefined && length > facet.max) return `must have at most ${facet.max} characters`;
  if (facet.pattern && !facet.pattern.test(value)) return 'does not match the required pattern';
  return undefined;
}

/** True for a lexically valid xs:date. */
export function isXsDate(value: string): boolean {
  return XS_DATE.test(value);
}

/** True for a lexically valid xs:dateTime. */
export function isXsDateTime(value: string): boolean {
  return XS_DATE_TIME.test(value);
}

/** Parses xs:boolean ("true", "false", "1", "0" after collapse); undefined when invalid. */
export function parseXsBoolean(raw: string): boolean | undefined {
  const v = raw.trim();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return undefined;
}

/** Parses xs:int (kind 'int') or xs:long (kind 'long', limited to safe integers); undefined when invalid. */
export function parseXsInteger(raw: string, kind: 'int' | 'long'): number | undefined {
  const v = raw.trim();
  if (!XS_INTEGER.test(v)) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n)) return undefined;
  if (kind === 'int' && (n < INT_MIN || n > INT_MAX)) return undefined;
  return n;
}

/** True when `n` is an integer that xs:int (kind 'int') or a safe xs:long can hold, and at least `min`. */
export function isXsInteger(n: number, kind: 'int' | 'long', min = Number.MIN_SAFE_INTEGER): boolean {
  if (!Number.isSafeInteger(n) || n < min) return false;
  return kind === 'long' || (n >= INT_MIN && n <= INT_MAX);
}

/** True for a char code of the base64 alphabet (A-Z, a-z, 0-9, +, /). */
function isBase64Char(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47;
}

/**
 * Checks base64 text without regular expressions: a regex over a 10 MB
 * attachment exhausts V8's backtracking stack.
 */
function isBase64(s: string): boolean {
  if (s.length % BASE64_QUANTUM !== 0) return false;
  let end = s.length;
  while (end > 0 && s.length - end < MAX_PADDING && s.charCodeAt(end - 1) === 61) end--;
  for (let i = 0; i < end; i++) if (!isBase64Char(s.charCodeAt(i))) return false;
  return true;
}

/** Decodes xs:base64Binary strictly (whitespace allowed, alphabet and padding checked); undefined when invalid. */
export function decodeBase64(raw: string): Uint8Array | undefined {
  const compact = /[ \t\r\n]/.test(raw) ? raw.replace(/[ \t\r\n]+/g, '') : raw;
  if (!isBase64(compact)) return undefined;
  return new Uint8Array(Buffer.from(compact, 'base64'));
}

/** Encodes bytes as base64 without line breaks. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
