import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { parseXml, serializeStandalone } from '../../src/soap/xml.ts';
import { xmldomRegexShared } from '../../src/soap/xmldom-tuning.ts';

const require = createRequire(import.meta.url);

describe('xmldom regex sharing', () => {
  it('is in place and hands out one RegExp per argument list', () => {
    expect(xmldomRegexShared).toBe(true);
    const g = require('@xmldom/xmldom/lib/grammar.js') as { reg(...p: (string | RegExp)[]): RegExp; QName_group: RegExp };
    const a = g.reg('^', g.QName_group, '$');
    expect(g.reg('^', g.QName_group, '$')).toBe(a);
    expect(g.reg('^', g.QName_group)).not.toBe(a);
    expect(a.test('soapenv:Body')).toBe(true);
    expect(a.test('1bad')).toBe(false);
  });

  it('parses end tags as before: mismatched and malformed ones are still errors', () => {
    const doc = parseXml('<a:x xmlns:a="urn:a"><a:y>t</a:y><z/></a:x>');
    expect(serializeStandalone(doc.documentElement!)).toBe('<a:x xmlns:a="urn:a"><a:y>t</a:y><z/></a:x>');
    expect(() => parseXml('<a><b></a></b>')).toThrow();
    expect(() => parseXml('<a></a b>')).toThrow();
    expect(() => parseXml('<a></1a>')).toThrow();
  });
});

describe('elementDigest', () => {
  const at = (xml: string) => parseXml(xml).getElementsByTagNameNS('urn:s', 'A').item(0)!;
  const base = '<r xmlns:x="urn:x"><s:A xmlns:s="urn:s" ID="1" x:t="x:v"><s:B>text</s:B><!--c--></s:A></r>';

  it('is equal for the same element wherever it is read, and not equal to a serialization of it', async () => {
    const { elementDigest } = await import('../../src/soap/xml.ts');
    expect(elementDigest(at(base))).toBe(elementDigest(at(base)));
    expect(elementDigest(at(`<?xml version="1.0"?>${base}`))).toBe(elementDigest(at(base)));
  });

  it('changes with any text, attribute, name, prefix, namespace or namespace in scope', async () => {
    const { elementDigest } = await import('../../src/soap/xml.ts');
    const d = elementDigest(at(base));
    for (const variant of [
      base.replace('>text<', '>texT<'),
      base.replace('ID="1"', 'ID="2"'),
      base.replace('<s:B>text</s:B>', '<s:C>text</s:C>'),
      '<r xmlns:x="urn:x"><z:A xmlns:z="urn:s" ID="1" x:t="x:v"><z:B>text</z:B><!--c--></z:A></r>',
      base.replace('xmlns:x="urn:x"', 'xmlns:x="urn:other"'),
      base.replace('<!--c-->', '<!--d-->'),
      base.replace('<s:B>text</s:B>', '<s:B>te</s:B><s:B>xt</s:B>'),
    ]) {
      expect(elementDigest(at(variant)), variant).not.toBe(d);
    }
  });
});
