/**
 * Checked builders for ehBox payload XML. Each helper refuses a value the
 * schema would refuse (WireError WIRE_ENCODE_INVALID) before writing it, so
 * what we send validates against the official XSDs; binary content goes to
 * an AttachmentSink and is referenced as `cid:<id>` (SwA, as the eHealth
 * connector does).
 */
import crypto from 'node:crypto';
import { xmlElement, xmlText, type XmlAttrs } from '../../soap/xml.ts';
import type { EncodeOptions, WireAttachment } from './messages.ts';
import { WireError } from './wire-error.ts';
import { encodeBase64, facetProblem, FACETS, isXsDate, isXsDateTime, isXsInteger, type Facet } from './wire-values.ts';

/** Domain of the content ids we generate (the connector's `<uuid>@ehealth.fgov.be`). */
export const CONTENT_ID_DOMAIN = 'ehealth.fgov.be';

/** Throws WIRE_ENCODE_INVALID at `path`. */
export function encodeFail(message: string, path: string): never {
  throw new WireError('WIRE_ENCODE_INVALID', message, path);
}

/** Returns `value` after checking it against `facet`. */
export function checked(value: string, facet: Facet, path: string): string {
  if (typeof value !== 'string') encodeFail('value must be a string', path);
  const problem = facetProblem(value, facet);
  if (problem) encodeFail(`value ${problem}`, path);
  return value;
}

/** '' for an absent optional element, else what `render` builds from the value. */
export function opt<T>(value: T | undefined, render: (value: T) => string): string {
  return value === undefined ? '' : render(value);
}

/** `<name>value</name>` after the facet check (required: undefined is refused). */
export function textEl(name: string, value: string, facet: Facet = FACETS.any, path = name): string {
  return xmlText(name, checked(value, facet, path));
}

/** `<name>true|false</name>`. */
export function boolEl(name: string, value: boolean, path = name): string {
  if (typeof value !== 'boolean') encodeFail('value must be a boolean', path);
  return xmlText(name, value ? 'true' : 'false');
}

/** `<name>n</name>` for xs:int / xs:long with an optional lower bound. */
export function intEl(name: string, value: number, kind: 'int' | 'long', min?: number, path = name): string {
  if (typeof value !== 'number' || !isXsInteger(value, kind, min)) {
    encodeFail(`value must be an xs:${kind}${min !== undefined ? ` of at least ${min}` : ''}`, path);
  }
  return xmlText(name, String(value));
}

/** `<name>date</name>` for xs:date (lexical form kept). */
export function dateEl(name: string, value: string, path = name): string {
  if (typeof value !== 'string' || !isXsDate(value)) encodeFail('value must be an xs:date (YYYY-MM-DD)', path);
  return xmlText(name, value);
}

/** `<name>dateTime</name>` for xs:dateTime. */
export function dateTimeEl(name: string, value: string, path = name): string {
  if (typeof value !== 'string' || !isXsDateTime(value)) encodeFail('value must be an xs:dateTime', path);
  return xmlText(name, value);
}

/** `<name attrs>base64</name>`. */
export function base64El(name: string, bytes: Uint8Array, attrs?: XmlAttrs, path = name): string {
  if (!(bytes instanceof Uint8Array)) encodeFail('value must be a Uint8Array', path);
  return xmlText(name, encodeBase64(bytes), attrs);
}

/** Checks that a repeated element occurs between `min` and `max` times; returns the items. */
export function counted<T>(items: readonly T[], min: number, max: number, path: string): readonly T[] {
  if (!Array.isArray(items)) encodeFail('value must be an array', path);
  if (items.length < min) encodeFail(`at least ${min} item(s) required, got ${items.length}`, path);
  if (items.length > max) encodeFail(`at most ${max} item(s) allowed, got ${items.length}`, path);
  return items;
}

/** Renders each item and concatenates. */
export function each<T>(items: readonly T[], render: (item: T, index: number) => string): string {
  return items.map(render).join('');
}

/** The root element of a payload: the only namespace-qualified element (PROTOCOL.md §1.4). */
export function rootEl(prefix: string, ns: string, local: string, attrs: XmlAttrs, ...content: (string | undefined)[]): string {
  return xmlElement(`${prefix}:${local}`, { [`xmlns:${prefix}`]: ns, ...attrs }, ...content);
}

/** Collects the binary parts of one encoded payload and hands out their `cid:` references. */
export class AttachmentSink {
  readonly attachments: WireAttachment[] = [];
  private readonly newId: () => string;

  constructor(options: EncodeOptions = {}) {
    this.newId = options.newContentId ?? (() => `${crypto.randomUUID()}@${CONTENT_ID_DOMAIN}`);
  }

  /** Adds `bytes` as a new part; returns the swaRef text (`cid:` + the URL-encoded id). */
  add(bytes: Uint8Array, path: string): string {
    if (!(bytes instanceof Uint8Array)) encodeFail('content bytes must be a Uint8Array', path);
    const cid = this.newId();
    if (!cid || /[<>\s]/.test(cid)) encodeFail('content ids must be non-empty, without angle brackets or spaces', path);
    if (this.attachments.some((a) => a.cid === cid)) encodeFail('content id generator returned a duplicate id', path);
    this.attachments.push({ cid, bytes });
    return `cid:${encodeURIComponent(cid).replace(/%40/g, '@')}`;
  }
}
