/**
 * A strict reader for ehBox payload elements. ehBox types are xs:sequences of
 * unqualified elements, so the reader walks the children in order: each call
 * takes the next child if it has the expected name, `end()` refuses anything
 * left over. A missing, misplaced, namespace-qualified or unknown element is
 * therefore a WireError WIRE_INVALID naming its path. Leaf readers convert
 * simple types and resolve attachments (SwA `cid:` references and XOP
 * includes).
 */
import type { Element } from '@xmldom/xmldom';
import { NS } from '../../soap/namespaces.ts';
import { attr as readAttr } from '../../soap/xml.ts';
import type { AttachmentMap } from './messages.ts';
import { WireError } from './wire-error.ts';
import { decodeBase64, facetProblem, FACETS, isXsDate, isXsDateTime, parseXsBoolean, parseXsInteger, type Facet } from './wire-values.ts';

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const CDATA_NODE = 4;
const NO_ATTACHMENTS: AttachmentMap = new Map();

/** Reads one element of an ehBox payload; children are consumed in schema order. */
export class WireReader {
  private readonly kids: Element[] = [];
  private readonly hasText: boolean = false;
  private pos = 0;

  constructor(
    readonly el: Element,
    readonly path: string,
    private readonly attachments: AttachmentMap = NO_ATTACHMENTS,
  ) {
    for (let n = el.firstChild; n; n = n.nextSibling) {
      if (n.nodeType === ELEMENT_NODE) this.kids.push(n as Element);
      else if ((n.nodeType === TEXT_NODE || n.nodeType === CDATA_NODE) && /\S/.test(n.nodeValue ?? '')) this.hasText = true;
    }
  }

  /** A reader on a payload root after checking its namespace and local name. */
  static root(el: Element, ns: string, local: string, attachments?: AttachmentMap): WireReader {
    if (el.localName !== local || (el.namespaceURI ?? null) !== ns) {
      throw new WireError('WIRE_INVALID', `expected {${ns}}${local}, got {${el.namespaceURI ?? ''}}${el.localName ?? ''}`, el.localName ?? '');
    }
    return new WireReader(el, local, attachments);
  }

  /** Throws WIRE_INVALID at this element (or at `sub` below it). */
  fail(message: string, sub?: string): never {
    throw new WireError('WIRE_INVALID', message, sub ? `${this.path}/${sub}` : this.path);
  }

  /** The next child when it is the unqualified element `name`, else undefined (nothing consumed). */
  opt(name: string): WireReader | undefined {
    return this.take(name, name);
  }

  private take(name: string, step: string): WireReader | undefined {
    const next = this.kids[this.pos];
    if (!next || next.localName !== name || (next.namespaceURI ?? null) !== null) return undefined;
    this.pos++;
    return new WireReader(next, `${this.path}/${step}`, this.attachments);
  }

  /** The next child, which must be the unqualified element `name`. */
  one(name: string): WireReader {
    const found = this.opt(name);
    if (found) return found;
    const next = this.kids[this.pos];
    if (!next) this.fail(`missing element <${name}>`);
    this.fail(`expected element <${name}> but found ${describe(next)}`);
  }

  /** Consecutive children named `name`, between `min` and `max` of them (paths get a 1-based index). */
  many(name: string, min = 0, max = Number.POSITIVE_INFINITY): WireReader[] {
    const out: WireReader[] = [];
    for (let r = this.take(name, `${name}[1]`); r; r = this.take(name, `${name}[${out.length + 1}]`)) out.push(r);
    if (out.length < min) {
      if (out.length === 0) this.one(name); // throws the precise "missing" / "expected" error
      this.fail(`expected at least ${min} <${name}> elements, found ${out.length}`);
    }
    if (out.length > max) this.fail(`expected at most ${max} <${name}> elements, found ${out.length}`);
    return out;
  }

  /** Asserts that every child has been consumed and there is no stray text. */
  end(): void {
    const next = this.kids[this.pos];
    if (next) this.fail(`unexpected element ${describe(next)}`);
    if (this.hasText) this.fail('unexpected text in element-only content');
  }

  /** Text of this leaf element (no element children allowed), checked against `facet`. */
  text(facet: Facet = FACETS.any): string {
    if (this.kids.length > 0) this.fail(`unexpected element ${describe(this.kids[0]!)} in a simple value`);
    const value = this.el.textContent ?? '';
    const problem = facetProblem(value, facet);
    if (problem) this.fail(`value ${problem}`);
    return value;
  }

  /** Text of the child `name`, checked against `facet`. */
  str(name: string, facet: Facet = FACETS.any): string {
    return this.one(name).text(facet);
  }

  /** Text of the optional child `name`. */
  optStr(name: string, facet: Facet = FACETS.any): string | undefined {
    return this.opt(name)?.text(facet);
  }

  /** Text of this leaf when it is one of `values`. */
  oneOf<T extends string>(values: readonly T[]): T {
    const value = this.text();
    if (!(values as readonly string[]).includes(value)) this.fail(`value must be one of ${values.join(', ')}`);
    return value as T;
  }

  /** xs:boolean of this leaf. */
  boolean(): boolean {
    const v = parseXsBoolean(this.text());
    if (v === undefined) this.fail('value must be an xs:boolean');
    return v;
  }

  /** xs:boolean of the child `name`. */
  bool(name: string): boolean {
    return this.one(name).boolean();
  }

  /** xs:boolean of the optional child `name`. */
  optBool(name: string): boolean | undefined {
    return this.opt(name)?.boolean();
  }

  /** xs:int / xs:long of this leaf, at least `min`. */
  integer(kind: 'int' | 'long', min?: number): number {
    const v = parseXsInteger(this.text(), kind);
    if (v === undefined) this.fail(`value must be an xs:${kind}`);
    if (min !== undefined && v < min) this.fail(`value must be at least ${min}`);
    return v;
  }

  /** xs:date of this leaf, kept as its lexical form. */
  xsDate(): string {
    const v = this.text().trim();
    if (!isXsDate(v)) this.fail('value must be an xs:date');
    return v;
  }

  /** xs:date of the child `name`. */
  date(name: string): string {
    return this.one(name).xsDate();
  }

  /** xs:date of the optional child `name`. */
  optDate(name: string): string | undefined {
    return this.opt(name)?.xsDate();
  }

  /** xs:dateTime of this leaf, kept as its lexical form. */
  dateTime(): string {
    const v = this.text().trim();
    if (!isXsDateTime(v)) this.fail('value must be an xs:dateTime');
    return v;
  }

  /** Value of the unqualified attribute `name`, checked against `facet`. */
  attr(name: string, facet: Facet = FACETS.any): string | undefined {
    const value = readAttr(this.el, null, name);
    if (value === undefined) return undefined;
    const problem = facetProblem(value, facet);
    if (problem) this.fail(`attribute ${name} ${problem}`);
    return value;
  }

  /** Value of the required unqualified attribute `name`. */
  reqAttr(name: string, facet: Facet = FACETS.any): string {
    const value = this.attr(name, facet);
    if (value === undefined) this.fail(`missing attribute ${name}`);
    return value;
  }

  /** xs:base64Binary of this leaf: inline text, or an XOP include (MTOM may optimise any base64 field). */
  base64(): Uint8Array {
    const include = this.xopInclude();
    if (include !== undefined) return this.resolve(include);
    const bytes = decodeBase64(this.text());
    if (!bytes) this.fail('value must be xs:base64Binary');
    return bytes;
  }

  /** swaRef of this leaf: `cid:` text (URL-decoded) or an XOP include, resolved against the attachments. */
  swaRef(): Uint8Array {
    const include = this.xopInclude();
    if (include !== undefined) return this.resolve(include);
    const ref = this.text().trim();
    if (!/^cid:/i.test(ref)) this.fail('a binary content reference must be a cid: URI');
    return this.resolve(ref);
  }

  /** The href of a sole xop:Include child, or undefined when this element has none. */
  private xopInclude(): string | undefined {
    const first = this.kids[0];
    if (!first || first.localName !== 'Include' || first.namespaceURI !== NS.xop) return undefined;
    if (this.kids.length > 1 || this.hasText) this.fail('xop:Include must be the only content');
    const href = readAttr(first, null, 'href');
    if (href === undefined || !/^cid:/i.test(href)) this.fail('xop:Include needs an href with a cid: URI');
    return href;
  }

  /** Looks up `cid:<id>` in the attachments (URL-decoded id first, then the raw one). */
  private resolve(cidUri: string): Uint8Array {
    const raw = cidUri.slice('cid:'.length).replace(/^<|>$/g, '');
    let decoded = raw;
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      this.fail('the cid: reference is not validly URL-encoded');
    }
    const bytes = this.attachments.get(decoded) ?? this.attachments.get(raw);
    if (!bytes) throw new WireError('WIRE_ATTACHMENT_MISSING', `attachment cid:${decoded} was not received`, this.path);
    return bytes;
  }
}

function describe(el: Element): string {
  return el.namespaceURI ? `<${el.localName ?? ''}> in namespace ${el.namespaceURI}` : `<${el.localName ?? ''}>`;
}
