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
