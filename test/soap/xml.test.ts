import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SoapError } from '../../src/soap/errors.ts';
import {
  assertXmlChars,
  attr,
  child,
  children,
  escapeAttr,
  escapeText,
  parseXml,
  serializeStandalone,
  text,
  xmlElement,
  xmlText,
} from '../../src/soap/xml.ts';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof SoapError ? err.code : `untyped:${String(err)}`;
  }
  return undefined;
}

describe('parseXml hardening', () => {
  it('refuses DTDs, internal entities and external entities before parsing', () => {
    expect(codeOf(() => parseXml('<!DOCTYPE r [<!ENTITY x "y">]><r>&x;</r>'))).toBe('XML_DTD_FORBIDDEN');
    expect(codeOf(() => parseXml('<!DOCTYPE r SYSTEM "file:///etc/passwd"><r/>'))).toBe('XML_DTD_FORBIDDEN');
    expect(codeOf(() => parseXml('<?xml version="1.0"?>\n<!doctype r><r/>'))).toBe('XML_DTD_FORBIDDEN');
    const lol = `<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">${Array.from({ length: 9 }, (_, i) => `<!ENTITY b${i} "${'&a;'.repeat(10)}">`).join('')}]><l>&b8;</l>`;
    expect(codeOf(() => parseXml(lol))).toBe('XML_DTD_FORBIDDEN');
  });

  it('treats every parser error or warning as fatal', () => {
    expect(codeOf(() => parseXml('<a><b></a>'))).toBe('XML_MALFORMED');
    expect(codeOf(() => parseXml('<a>&unknown;</a>'))).toBe('XML_MALFORMED');
    expect(codeOf(() => parseXml('<p:a/>'))).toBe('XML_MALFORMED');
    expect(codeOf(() => parseXml('<a x="1" x="2"/>'))).toBe('XML_MALFORMED');
    expect(codeOf(() => parseXml(''))).toBe('XML_MALFORMED');
    expect(codeOf(() => parseXml('<a/><b/>'))).toBe('XML_MALFORMED');
    expect(codeOf(() => parseXml('not xml at all'))).toBe('XML_MALFORMED');
  });

  it('applies the size limit in UTF-8 bytes', () => {
    expect(codeOf(() => parseXml(`<a>${'x'.repeat(100)}</a>`, { maxBytes: 50 }))).toBe('XML_TOO_LARGE');
    expect(codeOf(() => parseXml(`<a>${'é'.repeat(20)}</a>`, { maxBytes: 45 }))).toBe('XML_TOO_LARGE'); // 47 bytes, 27 chars
    expect(parseXml('<a>é</a>', { maxBytes: 50 }).documentElement?.textContent).toBe('é');
  });

  it('never throws anything but a SoapError on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        const code = codeOf(() => parseXml(s));
        expect(code === undefined || !code.startsWith('untyped')).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('DOM helpers', () => {
  const doc = parseXml('<ns:R xmlns:ns="urn:r" xmlns:x="urn:x"><Source>INBOX</Source><ns:Q a="1" x:b="2">q</ns:Q><Source>B</Source></ns:R>');
  const root = doc.documentElement!;

  it('distinguish unqualified from qualified children', () => {
    expect(children(root, null, 'Source').map((e) => e.textContent)).toEqual(['INBOX', 'B']);
    expect(child(root, 'urn:r', 'Source')).toBeUndefined();
    expect(text(child(root, 'urn:r', 'Q'))).toBe('q');
    expect(attr(child(root, 'urn:r', 'Q')!, null, 'a')).toBe('1');
    expect(attr(child(root, 'urn:r', 'Q')!, 'urn:x', 'b')).toBe('2');
    expect(attr(child(root, 'urn:r', 'Q')!, null, 'b')).toBeUndefined();
  });

  it('serialise an element standalone with the namespaces in scope', () => {
    const q = child(root, 'urn:r', 'Q')!;
    const standalone = parseXml(serializeStandalone(q)).documentElement!;
    expect(standalone.namespaceURI).toBe('urn:r');
    expect(standalone.lookupNamespaceURI('x')).toBe('urn:x');
  });
});

describe('XML writer', () => {
  it('escapes text and attributes so that they parse back unchanged', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80, unit: 'binary' }), fc.string({ maxLength: 80, unit: fc.constantFrom('\r', '\n', '\t', '"', '<', '&', 'a', 'é') }), (t, a) => {
        // only strings XML can carry
        fc.pre(codeOf(() => assertXmlChars(t + a)) === undefined);
        const xml = `<e a="${escapeAttr(a)}">${escapeText(t)}</e>`;
        const el = parseXml(xml).documentElement!;
        expect(el.getAttribute('a')).toBe(a);
        expect(el.textContent).toBe(t);
      }),
      { numRuns: 300 },
    );
  });

  it('builds elements, leaving out undefined attributes and optional elements', () => {
    expect(xmlElement('ns:A', { 'xmlns:ns': 'urn:a', Id: undefined, n: 3 }, xmlText('B', 'x<y'), xmlText('C', undefined))).toBe(
      '<ns:A xmlns:ns="urn:a" n="3"><B>x&lt;y</B></ns:A>',
    );
  });

  it('refuses characters XML cannot carry', () => {
    expect(codeOf(() => escapeText('a\u0001b'))).toBe('XML_INVALID_CHARACTER');
    expect(codeOf(() => escapeAttr('\uD800'))).toBe('XML_INVALID_CHARACTER');
  });
});
