/**
 * Hardened XML parsing and small DOM/string helpers for hand-built SOAP.
 *
 * Every XML document that reaches us from the network goes through
 * `parseXml`: DTDs and entity declarations are refused on the raw text before
 * the parser sees it (no XXE, no entity expansion bombs), every parser
 * warning or error is fatal, and a size limit applies. We build outgoing XML
 * as strings with the escapers below, because the eHealth schemas need exact
 * control over which elements are namespace-qualified (PROTOCOL.md §1.4).
 */
import { createHash } from 'node:crypto';
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import './xmldom-tuning.ts';
import type { Document, Element, Node } from '@xmldom/xmldom';
import { SoapError, describeError } from './errors.ts';
import { NS } from './namespaces.ts';

/** Default limit for one XML document: large ehBox answers with inline base64 content stay well below it. */
export const DEFAULT_MAX_XML_BYTES = 20 * 1024 * 1024;

/** Options of `parseXml`. */
export interface ParseXmlOptions {
  /** Maximum size of the document in UTF-8 bytes (default DEFAULT_MAX_XML_BYTES). */
  maxBytes?: number;
}

const DTD_MARKERS = /<!DOCTYPE|<!ENTITY/i;
// Characters that XML 1.0 cannot carry at all (not even as character references).
// eslint-disable-next-line no-control-regex
const INVALID_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** XML 1.0 line-end normalisation (§2.11); xmldom's default also folds XML 1.1 newline characters. */
function normalizeXml10LineEnds(source: string): string {
  return source.replace(/\r\n?/g, '\n');
}

/** Throws XML_TOO_LARGE when `xml` is bigger than `maxBytes` UTF-8 bytes. */
export function assertXmlSize(xml: string, maxBytes: number = DEFAULT_MAX_XML_BYTES): void {
  // UTF-8 needs at least one byte per UTF-16 unit and at most three: skip the exact count when obvious.
  if (xml.length > maxBytes || (xml.length * 3 > maxBytes && Buffer.byteLength(xml, 'utf8') > maxBytes)) {
    throw new SoapError('XML_TOO_LARGE', `XML document exceeds the limit of ${maxBytes} bytes`);
  }
}

/** Refuses any DOCTYPE or entity declaration in the raw text (checked before any parsing). */
export function assertNoDtd(xml: string): void {
  if (DTD_MARKERS.test(xml)) {
    throw new SoapError('XML_DTD_FORBIDDEN', 'XML documents with a DOCTYPE or entity declarations are refused');
  }
}

/**
 * Parses untrusted XML into a DOM. Throws SoapError XML_TOO_LARGE,
 * XML_DTD_FORBIDDEN or XML_MALFORMED; never returns a partial document.
 */
export function parseXml(xml: string, options: ParseXmlOptions = {}): Document {
  if (typeof xml !== 'string') throw new SoapError('INVALID_ARGUMENT', 'parseXml expects a string');
  assertXmlSize(xml, options.maxBytes);
  assertNoDtd(xml);
  const parser = new DOMParser({
    normalizeLineEndings: normalizeXml10LineEnds,
    onError: (level, message) => {
      throw new SoapError('XML_MALFORMED', `XML ${level}: ${message}`);
    },
  });
  let doc: Document;
  try {
    doc = parser.parseFromString(xml, 'text/xml');
  } catch (err) {
    const inner = err instanceof Error && err.cause instanceof SoapError ? err.cause.message : describeError(err);
    throw new SoapError('XML_MALFORMED', `Malformed XML: ${inner}`, { cause: err });
  }
  if (!doc.documentElement) throw new SoapError('XML_MALFORMED', 'Malformed XML: no root element');
  if (doc.doctype) throw new SoapError('XML_DTD_FORBIDDEN', 'XML documents with a DOCTYPE are refused');
  return doc;
}

/** True when `node` is an element in namespace `ns` (null = no namespace) with local name `local`. */
export function isElement(node: Node | null | undefined, ns: string | null, local: string): node is Element {
  return !!node && node.nodeType === 1 && (node as Element).localName === local && ((node as Element).namespaceURI ?? null) === ns;
}

/** Element children of `el`, optionally only those with the given namespace (null = none) and local name. */
export function children(el: Element, ns?: string | null, local?: string): Element[] {
  const out: Element[] = [];
  for (let n = el.firstChild; n; n = n.nextSibling) {
    if (n.nodeType !== 1) continue;
    const e = n as Element;
    if (ns !== undefined && (e.namespaceURI ?? null) !== ns) continue;
    if (local !== undefined && e.localName !== local) continue;
    out.push(e);
  }
  return out;
}

/** First direct child element with namespace `ns` (null = unqualified) and local name `local`. */
export function child(el: Element, ns: string | null, local: string): Element | undefined {
  return children(el, ns, local)[0];
}

/** Like `child`, but a missing element is a SoapError of `code` (default ENVELOPE_INVALID). */
export function requireChild(el: Element, ns: string | null, local: string, code: SoapError['code'] = 'ENVELOPE_INVALID'): Element {
  const found = child(el, ns, local);
  if (!found) throw new SoapError(code, `<${el.localName}> has no <${local}> child${ns ? ` in ${ns}` : ''}`);
  return found;
}

/** Text content of an element (undefined when the element is absent). */
export function text(el: Element | undefined): string | undefined {
  return el ? (el.textContent ?? '') : undefined;
}

/** Value of an attribute (null ns = unqualified attribute), undefined when absent. */
export function attr(el: Element, ns: string | null, local: string): string | undefined {
  return el.hasAttributeNS(ns, local) ? (el.getAttributeNS(ns, local) ?? undefined) : undefined;
}

/** Throws XML_INVALID_CHARACTER when `s` holds characters XML 1.0 cannot represent. */
export function assertXmlChars(s: string): void {
  if (INVALID_XML_CHARS.test(s)) {
    throw new SoapError('XML_INVALID_CHARACTER', 'Value contains characters that XML 1.0 cannot carry');
  }
}

/** Escapes character data for element content (keeps CR through a character reference). */
export function escapeText(s: string): string {
  assertXmlChars(s);
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#xD;');
}

/** Escapes an attribute value for double quotes (whitespace kept through character references). */
export function escapeAttr(s: string): string {
  assertXmlChars(s);
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#x9;')
    .replace(/\n/g, '&#xA;')
    .replace(/\r/g, '&#xD;');
}

/** Attribute map for the builders; undefined values are left out. */
export type XmlAttrs = Readonly<Record<string, string | number | boolean | undefined>>;

function renderAttrs(attrs: XmlAttrs | undefined): string {
  if (!attrs) return '';
  let out = '';
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined) continue;
    out += ` ${name}="${escapeAttr(String(value))}"`;
  }
  return out;
}

/**
 * Builds `<name attrs>content</name>`; `content` is already-serialised XML
 * (other builders' output). Names come from our own constants, never from input.
 */
export function xmlElement(name: string, attrs?: XmlAttrs, ...content: (string | undefined | false)[]): string {
  const inner = content.filter((c): c is string => typeof c === 'string').join('');
  return `<${name}${renderAttrs(attrs)}>${inner}</${name}>`;
}

/** Builds `<name attrs>escaped text</name>`, or '' when `value` is undefined (optional elements). */
export function xmlText(name: string, value: string | number | boolean | undefined, attrs?: XmlAttrs): string {
  if (value === undefined) return '';
  return `<${name}${renderAttrs(attrs)}>${escapeText(String(value))}</${name}>`;
}

/** Serialises a node as it is in its document (namespaces declared where needed). */
export function serializeNode(node: Node): string {
  return new XMLSerializer().serializeToString(node);
}

/**
 * A digest of an element as it stands in its document — its subtree (names,
 * namespaces, attributes, text) and the namespace declarations in scope — for
 * cache keys: equal digests mean an identical element to any reader, and it
 * costs a walk of the tree instead of `serializeStandalone`'s deep copy.
 */
export function elementDigest(el: Element): string {
  const out: string[] = [];
  const put = (v: string | null | undefined): void => {
    const s = v ?? '';
    out.push(`${v === null || v === undefined ? '-' : s.length}:`, s);
  };
  for (const { prefix, namespaceURI } of inheritedNamespaces(el)) out.push('d', prefix, '=', namespaceURI, '\u0000');
  const walk = (n: Node): void => {
    if (n.nodeType === 1) {
      const e = n as Element;
      out.push('<');
      put(e.namespaceURI);
      put(e.nodeName);
      out.push(`${e.attributes.length}`);
      for (let i = 0; i < e.attributes.length; i++) {
        const a = e.attributes.item(i)!;
        put(a.namespaceURI);
        put(a.nodeName);
        put(a.value);
      }
      for (let c = e.firstChild; c; c = c.nextSibling) walk(c);
      out.push('>');
    } else {
      out.push(`#${n.nodeType}`);
      put(n.nodeValue);
    }
  };
  walk(el);
  return createHash('sha256').update(out.join('')).digest('base64');
}

/**
 * Serialises an element as a standalone document: every namespace in scope
 * at the element (also those only used in attribute values such as
 * xsi:type QNames) is declared on the copy's root.
 */
export function serializeStandalone(el: Element): string {
  const copy = el.cloneNode(true) as Element;
  for (const { prefix, namespaceURI } of inheritedNamespaces(el)) {
    if (prefix === '' && namespaceURI === '') continue; // an undeclaration needs no copy
    copy.setAttributeNS(NS.xmlns, prefix ? `xmlns:${prefix}` : 'xmlns', namespaceURI);
  }
  return serializeNode(copy);
}

/**
 * Namespace declarations `el` inherits: those of its ancestors, the closest
 * one per prefix, except prefixes `el` declares itself ('' is the default
 * namespace; an undeclaration comes with namespaceURI '').
 */
export function inheritedNamespaces(el: Element): { prefix: string; namespaceURI: string }[] {
  const seen = new Set<string>();
  const own = (e: Element, visit: (prefix: string, value: string) => void) => {
    for (let i = 0; i < e.attributes.length; i++) {
      const a = e.attributes.item(i);
      if (a && a.namespaceURI === NS.xmlns) visit(a.prefix === 'xmlns' ? (a.localName ?? '') : '', a.value);
    }
  };
  own(el, (prefix) => seen.add(prefix));
  const out: { prefix: string; namespaceURI: string }[] = [];
  for (let p = el.parentNode; p && p.nodeType === 1; p = p.parentNode) {
    own(p as Element, (prefix, namespaceURI) => {
      if (seen.has(prefix)) return;
      seen.add(prefix);
      out.push({ prefix, namespaceURI });
    });
  }
  return out;
}
