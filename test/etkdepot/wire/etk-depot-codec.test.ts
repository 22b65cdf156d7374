import { readFileSync } from 'node:fs';
import type { Element } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import { WireError } from '../../../src/addressbook/wire/wire-error.ts';
import {
  decodeGetEtkRequest,
  decodeGetEtkResponse,
  encodeGetEtkRequest,
  encodeGetEtkResponse,
  isEtkSuccess,
} from '../../../src/etkdepot/wire/etk-depot-codec.ts';
import type { GetEtkRequest, GetEtkResponse } from '../../../src/etkdepot/wire/types.ts';
import { buildEnvelope, parseEnvelope } from '../../../src/soap/envelope.ts';
import { parseXml } from '../../../src/soap/xml.ts';
import { ETK_DEPOT_XSD, validateWithXmllint } from '../../addressbook/wire/xsd-check.ts';

const ETK_BYTES = new Uint8Array(readFileSync('/work/shared/vectors/etee-testkit/etk_kgss.etk'));
const root = (xml: string): Element => parseXml(xml).documentElement!;

function wireCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof WireError) return err.code;
    throw err;
  }
  throw new Error('expected a WireError');
}

const ssin = { type: 'SSIN', value: '00000000097' };
const request: GetEtkRequest = { identifiers: [ssin, { type: 'CBE', value: '0123456789', applicationId: 'FICTIVE_APP' }] };
const ok = { code: '200', messages: [{ value: 'OK' }] };

const RESPONSES: Record<string, GetEtkResponse> = {
  etk: { id: 'etk-1', status: ok, givenSearchCriteria: [ssin], result: { kind: 'etk', etk: ETK_BYTES } },
  matches: {
    status: { code: '200', messages: [{ value: 'Plusieurs', lang: 'FR' }, { value: 'Meerdere', lang: 'NL' }] },
    givenSearchCriteria: [{ type: 'NIHII-HOSPITAL', value: '71000001' }],
    result: {
      kind: 'matches',
      matches: [
        { identifiers: [{ type: 'NIHII-HOSPITAL', value: '71000001', applicationId: 'A' }] },
        { identifiers: [{ type: 'NIHII-HOSPITAL', value: '71000001' }, { type: 'CBE', value: '0123456789' }] },
      ],
    },
  },
  errors: { id: 'x', status: ok, givenSearchCriteria: [ssin], result: { kind: 'errors', errors: [{ code: '404', message: 'No ETK found' }, { code: '4xx', message: '<&>' }] } },
  echoOnly: { status: { code: '400', messages: [{ value: 'Bad request', lang: 'EN' }] }, givenSearchCriteria: [ssin] },
  statusOnly: { status: { code: '500', messages: [{ value: 'Internal', lang: 'NA' }] } },
};

const RESP_XML = encodeGetEtkResponse(RESPONSES.etk!);
const MATCH_XML = encodeGetEtkResponse(RESPONSES.matches!);
const REQ_XML = encodeGetEtkRequest(request);

/** Must fail both the schema and the decoder. */
const BROKEN: [string, string, (el: Element) => unknown][] = [
  ['qualified Status/Code', RESP_XML.replace('<Code>200</Code>', '<etk:Code>200</etk:Code>'), decodeGetEtkResponse],
  ['Status in the etkdepot namespace', RESP_XML.replaceAll('c10:Status>', 'etk:Status>'), decodeGetEtkResponse],
  ['unqualified Identifier in request', REQ_XML.replace(/<etk:Identifier>(.*?)<\/etk:Identifier>/, '<Identifier xmlns="">$1</Identifier>'), decodeGetEtkRequest],
  ['request without SearchCriteria', '<etk:GetEtkRequest xmlns:etk="urn:be:fgov:ehealth:etkdepot:1_0:protocol"/>', decodeGetEtkRequest],
  ['empty SearchCriteria', '<etk:GetEtkRequest xmlns:etk="urn:be:fgov:ehealth:etkdepot:1_0:protocol"><etk:SearchCriteria/></etk:GetEtkRequest>', decodeGetEtkRequest],
  ['Identifier without Value', REQ_XML.replace('<etk:Value>00000000097</etk:Value>', ''), decodeGetEtkRequest],
  ['Status without Message', RESP_XML.replace('<Message>OK</Message>', ''), decodeGetEtkResponse],
  ['bad Message Lang', MATCH_XML.replace('Lang="FR"', 'Lang="fr"'), decodeGetEtkResponse],
  ['ETK without GivenSearchCriteria', RESP_XML.replace(/<etk:GivenSearchCriteria>.*<\/etk:GivenSearchCriteria>/, ''), decodeGetEtkResponse],
  ['ETK and Error together', RESP_XML.replace('</etk:GetEtkResponse>', '<etk:Error><etk:Code>1</etk:Code><etk:Message>m</etk:Message></etk:Error></etk:GetEtkResponse>'), decodeGetEtkResponse],
  ['ETK not base64', RESP_XML.replace(/<etk:ETK>[^<]*<\/etk:ETK>/, '<etk:ETK>not*base64</etk:ETK>'), decodeGetEtkResponse],
  ['response without Status', RESP_XML.replace(/<c10:Status>.*<\/c10:Status>/, ''), decodeGetEtkResponse],
];

describe('ETK Depot v1 wire codec', () => {
  it('encodes request and every response shape schema-valid and decodes them back', () => {
    const docs: Record<string, string> = { request: REQ_XML };
    for (const [name, m] of Object.entries(RESPONSES)) docs[name] = encodeGetEtkResponse(m);
    const report = validateWithXmllint(ETK_DEPOT_XSD, docs);
    for (const name of Object.keys(docs)) expect(report[name], name).toEqual({ valid: true, errors: [] });
    expect(decodeGetEtkRequest(root(REQ_XML))).toEqual(request);
    for (const [name, m] of Object.entries(RESPONSES)) expect(decodeGetEtkResponse(root(docs[name]!)), name).toEqual(m);
  });

  it('carries the ETK bytes exactly and keeps Code/Message unqualified', () => {
    const decoded = decodeGetEtkResponse(root(RESP_XML));
    expect(decoded.result?.kind).toBe('etk');
    expect(decoded.result?.kind === 'etk' && Buffer.from(decoded.result.etk).equals(Buffer.from(ETK_BYTES))).toBe(true);
    expect(RESP_XML).toContain('<c10:Status><Code>200</Code><Message>OK</Message></c10:Status>');
    expect(isEtkSuccess(decoded.status)).toBe(true);
    expect(isEtkSuccess(RESPONSES.statusOnly!.status)).toBe(false);
  });

  it('decodes line-wrapped base64 (as Java services send it)', () => {
    const b64 = Buffer.from(ETK_BYTES).toString('base64');
    const wrapped = b64.replace(/(.{76})/g, '$1\r\n');
    const xml = RESP_XML.replace(b64, wrapped);
    expect(xml).not.toBe(RESP_XML);
    expect(decodeGetEtkResponse(root(xml))).toEqual(RESPONSES.etk);
  });

  it('keeps unqualified children in no namespace inside an envelope with a default namespace', () => {
    const env = `<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Body>${RESP_XML}</Body></Envelope>`;
    expect(decodeGetEtkResponse(parseEnvelope(env).payload)).toEqual(RESPONSES.etk);
    expect(decodeGetEtkRequest(parseEnvelope(buildEnvelope({ body: REQ_XML })).payload)).toEqual(request);
  });

  it('rejects mis-qualified or incomplete documents in the schema and the decoder alike', () => {
    const report = validateWithXmllint(ETK_DEPOT_XSD, Object.fromEntries(BROKEN.map(([name, xml]) => [name, xml])));
    for (const [name, xml, decode] of BROKEN) {
      expect(xml === RESP_XML || xml === REQ_XML, name).toBe(false);
      expect(report[name]?.valid, name).toBe(false);
      expect(wireCode(() => decode(root(xml))), name).toBe('WIRE_INVALID');
    }
  });

  it('refuses to encode what the schema forbids', () => {
    const bad: [string, () => string][] = [
      ['no identifier', () => encodeGetEtkRequest({ identifiers: [] })],
      ['result without GivenSearchCriteria', () => encodeGetEtkResponse({ status: ok, result: { kind: 'etk', etk: ETK_BYTES } })],
      ['no status message', () => encodeGetEtkResponse({ status: { code: '200', messages: [] } })],
      ['unknown Lang', () => encodeGetEtkResponse({ status: { code: '200', messages: [{ value: 'x', lang: 'fr' as 'FR' }] } })],
      ['empty ETK', () => encodeGetEtkResponse({ status: ok, givenSearchCriteria: [ssin], result: { kind: 'etk', etk: new Uint8Array() } })],
      ['empty match list', () => encodeGetEtkResponse({ status: ok, givenSearchCriteria: [ssin], result: { kind: 'matches', matches: [] } })],
      ['match without identifier', () => encodeGetEtkResponse({ status: ok, givenSearchCriteria: [ssin], result: { kind: 'matches', matches: [{ identifiers: [] }] } })],
      ['empty error list', () => encodeGetEtkResponse({ status: ok, givenSearchCriteria: [ssin], result: { kind: 'errors', errors: [] } })],
    ];
    for (const [name, fn] of bad) expect(wireCode(fn), name).toBe('WIRE_INVALID');
  });

  it('refuses a payload of another operation', () => {
    expect(wireCode(() => decodeGetEtkResponse(root(REQ_XML)))).toBe('WIRE_INVALID');
    expect(wireCode(() => decodeGetEtkRequest(root(RESP_XML)))).toBe('WIRE_INVALID');
  });
});
