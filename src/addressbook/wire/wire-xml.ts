/**
 * Small building blocks shared by the payload codecs: a strict reader over
 * one DOM element (required/optional/repeated children, every child must be
 * consumed) and checks of XSD simple values we emit (xs:dateTime, xs:ID,
 * xs:int, patterns). Everything fails with WireError WIRE_INVALID.
 */
import type { Element } from '@xmldom/xmldom';
import { wireInvalid } from './wire-error.ts';

/** Deepest nesting we follow in recursive structures (StatusCode in StatusCode): real answers use two levels. */
export const MAX_NESTING = 16;

/**
 * Reads the children of one element. Each read marks children as used;
 * `done()` then refuses any element child nobody asked for (mis-qualified or
 * unknown elements) and any non-blank text in element-only content.
 */
export class WireReader {
  private readonly used = new Set<Element>();

  constructor(
    readonly el: Element,
    readonly path: string = el.localName ?? '?',
  ) {}

  /** Reader for the element `el`, a child of ours, for nested decoding. */
  sub(el: Element): WireReader {
    return new WireReader(el, `${this.path}/${el.localName ?? '?'}`);
  }

  private matching(ns: string | null, local: string): Element[] {
    const out: Element[] = [];
    for (let n = this.el.firstChild; n; n = n.nextSibling) {
      if (n.nodeType !== 1) continue;
      const e = n as Element;
      if (e.localName === local && (e.namespaceURI ?? null) === ns) out.push(e);
    }
    return out;
  }

  /** All children `{ns}local`, at least `min`. */
  many(ns: string | null, local: string, min = 0): Element[] {
    const found = this.matching(ns, local);
    if (found.length < min) throw wireInvalid(`${this.path} needs at least ${min} <${local}> (${ns ?? 'no namespace'})`);
    for (const e of found) this.used.add(e);
    return found;
  }

  /** The child `{ns}local` if present; more than one is an error. */
  opt(ns: string | null, local: string): Element | undefined {
    const found = this.many(ns, local);
    if (found.length > 1) throw wireInvalid(`${this.path} has more than one <${local}>`);
    return found[0];
  }

  /** Exactly one child `{ns}local`. */
  one(ns: string | null, local: string): Element {
    const found = this.opt(ns, local);
    if (!found) throw wireInvalid(`${this.path} has no <${local}> (${ns ?? 'no namespace'})`);
    return found;
  }

  /** Text of the optional simple child `{ns}local`. */
  optText(ns: string | null, local: string): string | undefined {
    const e = this.opt(ns, local);
    return e ? simpleText(e, `${this.path}/${local}`) : undefined;
  }

  /** Text of the required simple child `{ns}local`. */
  text(ns: string | null, local: string): string {
    return simpleText(this.one(ns, local), `${this.path}/${local}`);
  }

  /** Optional attribute (null ns = unqualified). */
  optAttr(local: string, ns: string | null = null): string | undefined {
    return this.el.hasAttributeNS(ns, local) ? (this.el.getAttributeNS(ns, local) ?? '') : undefined;
  }

  /** Required attribute. */
  attr(local: string, ns: string | null = null): string {
    const v = this.optAttr(local, ns);
    if (v === undefined) throw wireInvalid(`${this.path} has no ${local} attribute`);
    return v;
  }

  /** Refuses element children that no read asked for and non-blank text. */
  done(): void {
    for (let n = this.el.firstChild; n; n = n.nextSibling) {
      if (n.nodeType === 1 && !this.used.has(n as Element)) {
        const e = n as Element;
        throw wireInvalid(`${this.path} has an unexpected <${e.localName ?? '?'}> (${e.namespaceURI ?? 'no namespace'})`);
      }
      if ((n.nodeType === 3 || n.nodeType === 4) && (n.nodeValue ?? '').trim() !== '') {
        throw wireInvalid(`${this.path} has unexpected text content`);
      }
    }
  }
}

/** Text of a simple-content element; element children there are an error. */
export function simpleText(el: Element, path: string): string {
  for (let n = el.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1) throw wireInvalid(`${path} must hold text only`);
  }
  return el.textContent ?? '';
}

/** Checks that `el` is `{ns}local` (the payload root a decoder was handed). */
export function expectRoot(el: Element, ns: string, local: string): WireReader {
  if (!el || el.nodeType !== 1 || el.localName !== local || (el.namespaceURI ?? null) !== ns) {
    throw wireInvalid(`Expected <${local}> in ${ns}`);
  }
  return new WireReader(el, local);
}

/** XSD whitespace "collapse" for typed simple values. */
export function collapse(s: string): string {
  return s.replace(/[\t\n\r ]+/g, ' ').trim();
}

const XS_INT_MIN = -2147483648;
const XS_INT_MAX = 2147483647;

/** Parses an xs:int lexical value (whitespace collapsed). */
export function parseXsInt(raw: string, what: string): number {
  const s = collapse(raw);
  if (!/^[+-]?\d{1,20}$/.test(s)) throw wireInvalid(`${what} is not an xs:int`);
  const n = Number(s);
  if (n < XS_INT_MIN || n > XS_INT_MAX) throw wireInvalid(`${what} is out of the xs:int range`);
  return Object.is(n, -0) ? 0 : n;
}

/** Refuses a number that is not an xs:int. */
export function checkXsInt(n: number, what: string): number {
  if (!Number.isInteger(n) || n < XS_INT_MIN || n > XS_INT_MAX) throw wireInvalid(`${what} must be an xs:int`);
  return n;
}

/** XML NCName (the lexical space of xs:ID), approximated with Unicode letter/digit classes. */
const NCNAME = /^[\p{L}_][\p{L}\p{N}\p{M}_.\u00B7-]*$/u;

/** Refuses a value that cannot be an xs:ID (must start with a letter or `_`, no colon). */
export function checkXsId(id: string, what: string): string {
  if (!NCNAME.test(id)) throw wireInvalid(`${what} must be an XML NCName (xs:ID)`);
  return id;
}

const DATE_TIME = /^(-?\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))?$/;

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
}

/** Refuses a value that is not an xs:dateTime (hour 24 is refused: we never write it). */
export function checkXsDateTime(value: string, what: string): string {
  const m = DATE_TIME.exec(value);
  const bad = (): never => {
    throw wireInvalid(`${what} must be an xs:dateTime such as 2024-05-01T10:00:00Z`);
  };
  if (!m) return bad();
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  if (year === 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) bad();
  if (hour > 23 || minute > 59 || second > 59) bad();
  if (m[9] !== undefined && (Number(m[9]) > 14 || Number(m[10]) > 59)) bad();
  return value;
}

/** Refuses a value that does not match the whole of `pattern` (an XSD pattern facet). */
export function checkPattern(value: string, pattern: RegExp, what: string): string {
  if (!pattern.test(value)) throw wireInvalid(`${what} does not have the required format`);
  return value;
}

/** Refuses an empty list where the schema wants at least one item. */
export function checkNonEmpty<T>(list: readonly T[], what: string): readonly T[] {
  if (list.length === 0) throw wireInvalid(`${what} needs at least one item`);
  return list;
}
