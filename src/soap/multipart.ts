/**
 * Low-level MIME pieces for SOAP-with-Attachments: Content-Type parameter
 * parsing (RFC 2045 quoted strings) and a boundary scanner over one Buffer
 * that splits a multipart body into header maps and content slices. Generic
 * multipart/form-data libraries do not handle multipart/related, and a
 * scanner over a size-limited Buffer is simple to make safe.
 */
import { SoapError } from './errors.ts';

/** Limits of the scanner; the HTTP layer bounds the total size before we get here. */
export interface MultipartLimits {
  /** Maximum number of parts (root included). */
  maxParts?: number;
  /** Maximum size of the whole body in bytes. */
  maxTotalBytes?: number;
}

/** ehBox messages carry one document and a handful of annexes; far more parts is abuse. */
export const DEFAULT_MAX_PARTS = 256;
/** Default bound of a multipart body: as the XML limit plus room for binary annexes. */
export const DEFAULT_MAX_MULTIPART_BYTES = 64 * 1024 * 1024;
/** Headers of one part are a few lines; a longer block is garbage. */
const MAX_PART_HEADER_BYTES = 16 * 1024;
/** RFC 2046: a boundary is 1 to 70 characters. */
const MAX_BOUNDARY_LENGTH = 70;

/** A media type and its parameters (names lower-cased). */
export interface ContentType {
  mediaType: string;
  params: Map<string, string>;
}

function malformed(message: string): SoapError {
  return new SoapError('MULTIPART_MALFORMED', message);
}

/** Parses a Content-Type header value (`type/subtype; name=value; name="quoted \"value\""`). */
export function parseContentType(value: string): ContentType {
  const semi = value.indexOf(';');
  const mediaType = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
  const params = new Map<string, string>();
  let rest = semi < 0 ? '' : value.slice(semi + 1);
  const paramRe = /^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)\s*(?:;|$)/;
  while (rest.trim() !== '') {
    const m = paramRe.exec(rest);
    if (!m) {
      // tolerate a stray ';' or garbage token the way mail parsers do: skip to the next ';'
      const next = rest.indexOf(';');
      if (next < 0) break;
      rest = rest.slice(next + 1);
      continue;
    }
    const raw = m[2]!;
    const v = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
    params.set(m[1]!.toLowerCase(), v);
    rest = rest.slice(m[0].length);
  }
  return { mediaType, params };
}

/** One part of a multipart body. */
export interface MimePart {
  /** Header names lower-cased; repeated headers keep the first value. */
  headers: Map<string, string>;
  content: Buffer;
}

function parseHeaders(block: Buffer): Map<string, string> {
  const headers = new Map<string, string>();
  const lines = block.toString('latin1').split(/\r?\n/);
  const unfolded: string[] = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line) && unfolded.length > 0) unfolded[unfolded.length - 1] += ` ${line.trim()}`;
    else if (line !== '') unfolded.push(line);
  }
  for (const line of unfolded) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformed(`Bad MIME header line in a part`);
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  return headers;
}

/** Position right after the line break that ends at `pos` (CRLF or LF), or -1 when none. */
function skipLineEnd(body: Buffer, pos: number): number {
  let p = pos;
  while (p < body.length && (body[p] === 0x20 || body[p] === 0x09)) p++; // transport padding
  if (body[p] === 0x0d && body[p + 1] === 0x0a) return p + 2;
  if (body[p] === 0x0a) return p + 1;
  return -1;
}

/** Splits `header` + `content` of one part at the first empty line. */
function splitPart(raw: Buffer): MimePart {
  let headerEnd: number;
  let contentStart: number;
  if (raw[0] === 0x0d && raw[1] === 0x0a) [headerEnd, contentStart] = [0, 2];
  else if (raw[0] === 0x0a) [headerEnd, contentStart] = [0, 1];
  else {
    const crlf = raw.indexOf('\r\n\r\n');
    const lf = raw.indexOf('\n\n');
    if (crlf >= 0 && (lf < 0 || crlf < lf)) [headerEnd, contentStart] = [crlf, crlf + 4];
    else if (lf >= 0) [headerEnd, contentStart] = [lf, lf + 2];
    else [headerEnd, contentStart] = [raw.length, raw.length]; // headers only, empty content (RFC 2046 allows it)
  }
  if (headerEnd > MAX_PART_HEADER_BYTES) throw malformed('Part headers are too long');
  return { headers: parseHeaders(raw.subarray(0, headerEnd)), content: raw.subarray(contentStart) };
}

/**
 * Splits a multipart body on `boundary`. The preamble before the first
 * delimiter and the epilogue after the closing one are ignored; a body
 * without closing delimiter is malformed (a truncated message).
 */
export function splitMultipart(body: Buffer, boundary: string, limits: MultipartLimits = {}): MimePart[] {
  const maxParts = limits.maxParts ?? DEFAULT_MAX_PARTS;
  const maxBytes = limits.maxTotalBytes ?? DEFAULT_MAX_MULTIPART_BYTES;
  if (body.length > maxBytes) throw new SoapError('MULTIPART_TOO_LARGE', `Multipart body exceeds ${maxBytes} bytes`);
  if (boundary.length === 0 || boundary.length > MAX_BOUNDARY_LENGTH) throw malformed('Invalid multipart boundary');
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  const lineDelimiter = Buffer.from(`\n--${boundary}`, 'latin1');
  let pos = body.subarray(0, delimiter.length).equals(delimiter) ? 0 : body.indexOf(lineDelimiter);
  if (pos < 0) throw malformed('Multipart body has no opening boundary');
  if (pos > 0) pos += 1; // past the LF that precedes the delimiter
  const parts: MimePart[] = [];
  for (;;) {
    const afterDelimiter = pos + delimiter.length;
    if (body[afterDelimiter] === 0x2d && body[afterDelimiter + 1] === 0x2d) break; // closing delimiter
    const start = skipLineEnd(body, afterDelimiter);
    if (start < 0) throw malformed('Boundary delimiter not followed by a line break');
    const next = body.indexOf(lineDelimiter, start);
    if (next < 0) throw malformed('Multipart body is not terminated by a closing boundary');
    const end = next > 0 && body[next - 1] === 0x0d ? next - 1 : next;
    if (parts.length >= maxParts) throw new SoapError('MULTIPART_TOO_LARGE', `More than ${maxParts} MIME parts`);
    parts.push(splitPart(body.subarray(start, Math.max(start, end))));
    pos = next + 1;
  }
  if (parts.length === 0) throw malformed('Multipart body has no parts');
  return parts;
}
