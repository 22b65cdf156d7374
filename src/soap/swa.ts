/**
 * SOAP with Attachments (PROTOCOL.md §1.6): ehBox binary content travels as
 * `cid:` references to MIME parts of a multipart/related message. We build
 * such bodies (SwA, or XOP/MTOM when asked) and parse incoming ones, with a
 * plain text/xml root or an application/xop+xml root whose xop:Include
 * elements are replaced by the base64 of the referenced part.
 *
 * Limits: DEFAULT_MAX_PARTS parts and DEFAULT_MAX_MULTIPART_BYTES in total
 * (both overridable); the whole body is held in memory, so the HTTP layer
 * caps it first. Parts without Content-ID cannot be referenced and are left out.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { SoapError } from './errors.ts';
import { parseContentType, splitMultipart, type MimePart, type MultipartLimits } from './multipart.ts';
import { NS } from './namespaces.ts';
import { attr, parseXml, serializeNode, type ParseXmlOptions } from './xml.ts';

export { DEFAULT_MAX_MULTIPART_BYTES, DEFAULT_MAX_PARTS, parseContentType, type ContentType, type MultipartLimits } from './multipart.ts';

/** Content-ID of the root part, as the eHealth connector names it. */
export const DEFAULT_ROOT_CONTENT_ID = 'root.message@ehealth.fgov.be';

/** One attachment to send: its Content-ID (without `cid:` or brackets) and bytes. */
export interface SwaAttachment {
  contentId: string;
  data: Uint8Array;
  contentType?: string;
}

/** A ready-to-send multipart/related body: the Content-Type header and the bytes in order. */
export interface MultipartBody {
  contentType: string;
  parts: Buffer[];
  length: number;
}

/** Options of `buildMultipartRelated`. */
export interface BuildMultipartOptions {
  envelopeXml: string;
  attachments: readonly SwaAttachment[];
  /** Root as application/xop+xml (MTOM); the XML must already hold the xop:Include elements. */
  xop?: boolean;
  rootContentId?: string;
  /** `Content-ID: <id>` (RFC 2392, default) or bare `Content-ID: id` as the connector sends in SwA mode. */
  bracketedContentIds?: boolean;
}

const HEADER_SAFE = /^[^\r\n<>"]+$/;

function headerValue(value: string, what: string): string {
  if (!HEADER_SAFE.test(value)) throw new SoapError('INVALID_ARGUMENT', `${what} must not contain line breaks, quotes or angle brackets`);
  return value;
}

/** Builds a multipart/related body with the envelope as root part and one part per attachment. */
export function buildMultipartRelated(opts: BuildMultipartOptions): MultipartBody {
  const rootId = headerValue(opts.rootContentId ?? DEFAULT_ROOT_CONTENT_ID, 'rootContentId');
  const cidHeader = (id: string): string => (opts.bracketedContentIds === false ? id : `<${id}>`);
  const rootType = opts.xop ? 'application/xop+xml; charset=UTF-8; type="text/xml"' : 'text/xml; charset=UTF-8';
  const sections: { headers: string; content: Buffer }[] = [
    {
      headers: `Content-Type: ${rootType}\r\nContent-Transfer-Encoding: ${opts.xop ? 'binary' : '8bit'}\r\nContent-ID: <${rootId}>\r\n`,
      content: Buffer.from(opts.envelopeXml, 'utf8'),
    },
  ];
  const seen = new Set<string>([rootId]);
  for (const a of opts.attachments) {
    const id = headerValue(a.contentId, 'contentId');
    if (seen.has(id)) throw new SoapError('INVALID_ARGUMENT', `Duplicate Content-ID ${id}`);
    seen.add(id);
    const type = headerValue(a.contentType ?? 'application/octet-stream', 'contentType');
    sections.push({
      headers: `Content-Type: ${type}\r\nContent-Transfer-Encoding: binary\r\nContent-ID: ${cidHeader(id)}\r\n`,
      content: Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength),
    });
  }
  let boundary = `uuid:${randomUUID()}`;
  while (sections.some((s) => s.content.includes(`--${boundary}`))) boundary = `uuid:${randomUUID()}`;
  const parts: Buffer[] = [];
  for (const s of sections) {
    parts.push(Buffer.from(`--${boundary}\r\n${s.headers}\r\n`, 'latin1'), s.content, Buffer.from('\r\n', 'latin1'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`, 'latin1'));
  const typeParams = opts.xop ? 'type="application/xop+xml"; start-info="text/xml"' : 'type="text/xml"';
  return {
    contentType: `multipart/related; ${typeParams}; boundary="${boundary}"; start="<${rootId}>"`,
    parts,
    length: parts.reduce((n, p) => n + p.length, 0),
  };
}

/** The body as a stream, for piping into an HTTP request. */
export function multipartStream(body: MultipartBody): Readable {
  return Readable.from(body.parts);
}

/** A parsed multipart/related message. */
export interface ParsedMultipart {
  /** The root XML; with an XOP root, xop:Include elements are already replaced by base64 text. */
  envelopeXml: string;
  rootContentType: string;
  xop: boolean;
  /** Every non-root part with a Content-ID, keyed by the normalised id (see normalizeContentId). */
  attachments: Map<string, Buffer>;
}

/** True for a `multipart/related` Content-Type header value. */
export function isMultipartRelated(contentType: string | undefined): boolean {
  return !!contentType && parseContentType(contentType).mediaType === 'multipart/related';
}

/** A Content-ID header value without surrounding angle brackets and blanks. */
export function normalizeContentId(raw: string): string {
  const t = raw.trim();
  return t.startsWith('<') && t.endsWith('>') ? t.slice(1, -1).trim() : t;
}

/** The Content-ID designated by a `cid:` URL (prefix stripped, URL-decoded as the connector does). */
export function cidFromReference(ref: string): string {
  const raw = ref.trim().replace(/^cid:/i, '');
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** Looks up the attachment a `cid:` reference designates (decoded form first, then the literal one). */
export function resolveAttachment(attachments: ReadonlyMap<string, Buffer>, ref: string): Buffer | undefined {
  const raw = normalizeContentId(ref.trim().replace(/^cid:/i, ''));
  return attachments.get(normalizeContentId(cidFromReference(ref))) ?? attachments.get(raw);
}

function decodeContent(part: MimePart): Buffer {
  const cte = (part.headers.get('content-transfer-encoding') ?? 'binary').toLowerCase();
  if (cte === 'binary' || cte === '8bit' || cte === '7bit') return part.content;
  if (cte === 'base64') {
    const text = part.content.toString('latin1').replace(/[\r\n\t ]+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new SoapError('MULTIPART_MALFORMED', 'Invalid base64 part content');
    return Buffer.from(text, 'base64');
  }
  throw new SoapError('MULTIPART_UNSUPPORTED', `Unsupported Content-Transfer-Encoding ${cte}`);
}

function decodeRoot(bytes: Buffer, charset: string | undefined): string {
  try {
    return new TextDecoder(charset ?? 'utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    const code = err instanceof RangeError ? 'MULTIPART_UNSUPPORTED' : 'MULTIPART_MALFORMED';
    throw new SoapError(code, `Cannot decode the root part as ${charset ?? 'utf-8'}`, { cause: err });
  }
}

/** Replaces every xop:Include by the base64 text of the part it references. */
export function resolveXopIncludes(xml: string, attachments: ReadonlyMap<string, Buffer>, options?: ParseXmlOptions): string {
  const doc = parseXml(xml, options);
  const includes = Array.from(doc.getElementsByTagNameNS(NS.xop, 'Include'));
  if (includes.length === 0) return xml;
  for (const inc of includes) {
    const href = attr(inc, null, 'href') ?? '';
    const data = resolveAttachment(attachments, href);
    if (!data) throw new SoapError('ATTACHMENT_NOT_FOUND', `xop:Include references an unknown part ${href.slice(0, 200)}`);
    inc.parentNode!.replaceChild(doc.createTextNode(data.toString('base64')), inc);
  }
  return serializeNode(doc);
}

/** Parses a multipart/related body into the root XML and its attachments. */
export function parseMultipartRelated(body: Buffer, contentTypeHeader: string, limits: MultipartLimits & ParseXmlOptions = {}): ParsedMultipart {
  const ct = parseContentType(contentTypeHeader);
  if (ct.mediaType !== 'multipart/related') throw new SoapError('MULTIPART_MALFORMED', `Expected multipart/related, got ${ct.mediaType}`);
  const boundary = ct.params.get('boundary');
  if (!boundary) throw new SoapError('MULTIPART_MALFORMED', 'multipart/related without boundary');
  const parts = splitMultipart(body, boundary, limits);
  const start = ct.params.get('start');
  const idOf = (p: MimePart): string | undefined => {
    const h = p.headers.get('content-id');
    return h === undefined ? undefined : normalizeContentId(h);
  };
  const root = start === undefined ? parts[0]! : parts.find((p) => idOf(p) === normalizeContentId(start));
  if (!root) throw new SoapError('MULTIPART_MALFORMED', 'The start part of the multipart message is missing');
  const rootType = parseContentType(root.headers.get('content-type') ?? 'text/xml');
  if (!/(^|[/+])xml$/.test(rootType.mediaType)) throw new SoapError('MULTIPART_MALFORMED', `Root part is ${rootType.mediaType}, not XML`);
  const attachments = new Map<string, Buffer>();
  for (const p of parts) {
    if (p === root) continue;
    const id = idOf(p);
    if (id === undefined) continue;
    if (attachments.has(id)) throw new SoapError('MULTIPART_MALFORMED', `Duplicate Content-ID ${id.slice(0, 200)}`);
    attachments.set(id, decodeContent(p));
  }
  const xop = rootType.mediaType === 'application/xop+xml';
  let envelopeXml = decodeRoot(decodeContent(root), rootType.params.get('charset'));
  if (xop) envelopeXml = resolveXopIncludes(envelopeXml, attachments, limits.maxBytes !== undefined ? { maxBytes: limits.maxBytes } : {});
  return { envelopeXml, rootContentType: rootType.mediaType, xop, attachments };
}
