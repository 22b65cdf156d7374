import { beforeAll, describe, expect, it } from 'vitest';
import { parseXml } from '../../../src/soap/xml.ts';
import { isSoapError } from '../../../src/soap/errors.ts';
import { decodeSendMessageRequest, decodeSendMessageResponse, encodeSendMessageRequest, encodeSendMessageResponse } from '../../../src/ehbox/wire/publication-codec.ts';
import * as C from '../../../src/ehbox/wire/consultation-codec.ts';
import { isWireError, WireError } from '../../../src/ehbox/wire/wire-error.ts';
import type { SendMessageRequest } from '../../../src/ehbox/wire/messages.ts';
import { doctorBox, fullMessages, fullSendRequest, hospitalBox, minimalSendRequest, ok, oooSendResponse } from './fixtures.ts';
import { xsdValidate, type XsdResult } from './xsd-validate.ts';

const root = (xml: string) => parseXml(xml).documentElement!;

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** Replaces the first occurrence of `from` (which must exist) in `xml`. */
function mutate(xml: string, from: string | RegExp, to: string): string {
  const out = xml.replace(from, to);
  if (out === xml) throw new Error(`mutation ${String(from)} did not apply`);
  return out;
}

const send = encodeSendMessageRequest(fullSendRequest(), { newContentId: (() => { let i = 0; return () => `p${++i}@x`; })() });
const sendAtt = new Map(send.attachments.map((a) => [a.cid, a.bytes]));
const sendXml = send.xml;
const oooXml = encodeSendMessageResponse(oooSendResponse());
const moveXml = C.encodeMoveMessageRequest({ boxId: hospitalBox, source: 'INBOX', destination: 'BININBOX', messageIds: ['1000010173227'] });
const listReqXml = C.encodeGetMessagesListRequest({ boxId: doctorBox, source: 'INBOX', startIndex: 1, endIndex: 10 });
const boxInfoXml = C.encodeGetBoxInfoResponse({ status: ok, boxInfo: { boxId: hospitalBox, nbrMessagesInStandBy: 1, currentSize: 2, maxSize: 3 } });
const fullXml = C.encodeGetFullMessageResponse({ status: ok, fullMessage: fullMessages().acknowledgment! }).xml;

interface Mutation {
  schema: 'publication' | 'consultation';
  xml: string;
  decode: (el: ReturnType<typeof root>) => unknown;
  /** Expected fragment of the error path. */
  path: string;
}

const pub = (xml: string, path: string): Mutation => ({ schema: 'publication', xml, decode: (el) => decodeSendMessageRequest(el, sendAtt), path });

const mutations: Record<string, Mutation> = {
  missingDigest: pub(mutate(sendXml, /<Digest>[^<]*<\/Digest><\/Document>/, '</Document>'), 'Content/Document'),
  swappedTitle: pub(mutate(sendXml, /<Title>([^<]*)<\/Title>(<EncryptableBinaryContent>[^<]*<\/EncryptableBinaryContent>)/, '$2<Title>$1</Title>'), 'Content/Document'),
  unknownElement: pub(mutate(sendXml, '</DestinationContext>', '<Extra>1</Extra></DestinationContext>'), 'DestinationContext'),
  qualifiedChild: pub(mutate(sendXml, /<BoxId>(.*?)<\/BoxId>/, '<ehboxp:BoxId>$1</ehboxp:BoxId>'), 'SendMessageRequest'),
  badBoolean: pub(mutate(sendXml, '<IsImportant>true</IsImportant>', '<IsImportant>yes</IsImportant>'), 'ContentSpecification/IsImportant'),
  badBase64: pub(mutate(sendXml, /<EncryptableINSSPatient>[^<]*</, '<EncryptableINSSPatient>not*base64<'), 'EncryptableINSSPatient'),
  strayText: pub(mutate(sendXml, '<BoxId><Id>', '<BoxId>junk<Id>'), 'BoxId'),
  userWithoutFirstName: pub(mutate(sendXml, ' FirstName="Alice"', ''), 'DestinationContext[1]/User'),
  longTitle: pub(mutate(sendXml, /<Title>[^<]*<\/Title>/, `<Title>${'x'.repeat(401)}</Title>`), 'Document/Title'),
  badContentType: pub(mutate(sendXml, '<ContentType>DOCUMENT</ContentType>', '<ContentType>LETTER</ContentType>'), 'ContentType'),
  tooManyCustomMetas: pub(mutate(sendXml, '</ContentContext>', '<CustomMeta><Key>k</Key><Value>v</Value></CustomMeta>'.repeat(99) + '</ContentContext>'), 'ContentContext'),
  missingSubstituteDate: { schema: 'publication', xml: mutate(oooXml, /<AbsentTo>[^<]*<\/AbsentTo>/, ''), decode: decodeSendMessageResponse, path: 'Recipient' },
  badLang: { schema: 'publication', xml: mutate(oooXml, 'Lang="EN"', 'Lang="XX"'), decode: decodeSendMessageResponse, path: 'Status/Message' },
  noStatusMessage: { schema: 'publication', xml: mutate(oooXml, /<Message[^>]*>[^<]*<\/Message>/, ''), decode: decodeSendMessageResponse, path: 'Status' },
  shortMessageId: { schema: 'consultation', xml: mutate(moveXml, '1000010173227', '10000'), decode: C.decodeMoveMessageRequest, path: 'MessageId' },
  tooManyIds: { schema: 'consultation', xml: mutate(moveXml, /(<MessageId>[^<]*<\/MessageId>)/, '$1'.repeat(101)), decode: C.decodeMoveMessageRequest, path: 'MoveMessageRequest' },
  historySource: { schema: 'consultation', xml: mutate(listReqXml, '<Source>INBOX', '<Source>HISTORY'), decode: C.decodeGetMessagesListRequest, path: 'Source' },
  zeroIndex: { schema: 'consultation', xml: mutate(listReqXml, '<StartIndex>1<', '<StartIndex>0<'), decode: C.decodeGetMessagesListRequest, path: 'StartIndex' },
  indexesSwapped: { schema: 'consultation', xml: mutate(listReqXml, '<StartIndex>1</StartIndex><EndIndex>10</EndIndex>', '<EndIndex>10</EndIndex><StartIndex>1</StartIndex>'), decode: C.decodeGetMessagesListRequest, path: 'GetMessagesListRequest' },
  fractionalInt: { schema: 'consultation', xml: mutate(boxInfoXml, '<NbrMessagesInStandBy>1<', '<NbrMessagesInStandBy>1.5<'), decode: C.decodeGetBoxInfoResponse, path: 'NbrMessagesInStandBy' },
  partialPayload: { schema: 'consultation', xml: mutate(boxInfoXml, /<MaxSize>[^<]*<\/MaxSize>/, ''), decode: C.decodeGetBoxInfoResponse, path: 'GetBoxInfoResponse' },
  badDateTime: { schema: 'consultation', xml: mutate(fullXml, /<DateTime>[^<]*</, '<DateTime>2026-11-21 08:30<'), decode: C.decodeGetFullMessageResponse, path: 'Acknowledgment/DateTime' },
  badAckType: { schema: 'consultation', xml: mutate(fullXml, '<AckType>READ<', '<AckType>OPENED<'), decode: C.decodeGetFullMessageResponse, path: 'AckType' },
};

describe('decoders refuse what the XSD refuses', () => {
  let results: Record<string, XsdResult>;
  beforeAll(() => {
    const byName = (schema: string) => Object.fromEntries(Object.entries(mutations).filter(([, m]) => m.schema === schema).map(([k, m]) => [k, m.xml]));
    results = { ...xsdValidate('publication', byName('publication')), ...xsdValidate('consultation', byName('consultation')) };
  });

  it('the unmutated documents are valid and decode', () => {
    const base = { ...xsdValidate('publication', { sendXml, oooXml }), ...xsdValidate('consultation', { moveXml, listReqXml, boxInfoXml, fullXml }) };
    for (const [name, r] of Object.entries(base)) expect(r.valid, `${name}: ${r.output}`).toBe(true);
    expect(decodeSendMessageRequest(root(sendXml), sendAtt)).toEqual(fullSendRequest());
  });

  for (const [name, m] of Object.entries(mutations)) {
    it(`${name}: xmllint rejects it and the decoder throws WIRE_INVALID at ${m.path}`, () => {
      expect(results[name]?.valid, 'xmllint accepted the mutated document').toBe(false);
      const err = caught(() => m.decode(root(m.xml)));
      expect(isWireError(err, 'WIRE_INVALID'), String(err)).toBe(true);
      expect((err as WireError).path).toContain(m.path);
    });
  }

  it('refuses a payload root of another operation or namespace', () => {
    const wrongOp = caught(() => C.decodeGetBoxInfoRequest(root(C.encodeGetOoOListRequest({}))));
    expect(isWireError(wrongOp, 'WIRE_INVALID')).toBe(true);
    const wrongNs = caught(() => decodeSendMessageRequest(root(sendXml.replace(/publication:protocol:v3/, 'consultation:protocol:v3'))));
    expect(isWireError(wrongNs, 'WIRE_INVALID')).toBe(true);
  });

  it('never copies values into error messages', () => {
    const err = caught(() => decodeSendMessageRequest(root(mutate(sendXml, /<Title>[^<]*<\/Title>/, `<Title>SECRET-${'x'.repeat(400)}</Title>`)), sendAtt));
    expect(isWireError(err, 'WIRE_INVALID')).toBe(true);
    expect((err as Error).message).not.toContain('SECRET');
  });
});

describe('encoders refuse data the XSD would refuse', () => {
  const base = minimalSendRequest;
  const sendCases: Record<string, SendMessageRequest> = {
    noDestination: { ...base(), destinations: [] },
    emptyTitle: { ...base(), document: { ...base().document, title: '' } },
    longTitle: { ...base(), document: { ...base().document, title: 'é'.repeat(401) } },
    longPublicationId: { ...base(), publicationId: 'P'.repeat(14) },
    shortInss: { ...base(), destinations: [{ ...doctorBox, user: { inss: '1234567890', firstName: 'A', lastName: 'B' } }] },
    tooManyMetas: { ...base(), customMetas: Array.from({ length: 101 }, (_, i) => ({ key: `k${i}`, value: 'v' })) },
    metaWithoutValue: { ...base(), metas: [{ type: 't', values: [] }] },
    longApplicationName: { ...base(), contentSpecification: { ...base().contentSpecification, applicationName: 'a'.repeat(26) } },
    stringBytes: { ...base(), document: { ...base().document, content: { bytes: 'abc' as unknown as Uint8Array, binary: false } } },
    longMail: { ...base(), copyMailTo: [`${'m'.repeat(75)}@x.org`] },
  };

  for (const [name, req] of Object.entries(sendCases)) {
    it(`SendMessageRequest ${name} → WIRE_ENCODE_INVALID`, () => {
      expect(isWireError(caught(() => encodeSendMessageRequest(req)), 'WIRE_ENCODE_INVALID')).toBe(true);
    });
  }

  it('consultation encoders check cardinalities, patterns, dates and ranges', () => {
    const calls: [string, () => unknown][] = [
      ['no ids', () => C.encodeDeleteMessageRequest({ source: 'INBOX', messageIds: [] })],
      ['101 ids', () => C.encodeMoveMessageRequest({ source: 'INBOX', destination: 'BININBOX', messageIds: Array.from({ length: 101 }, () => '1000010173227') })],
      ['bad id', () => C.encodeGetFullMessageRequest({ source: 'INBOX', messageId: '12345' })],
      ['bad source', () => C.encodeGetFullMessageRequest({ source: 'BININBOX' as 'INBOX', messageId: '1000010173227' })],
      ['bad date', () => C.encodeInsertOoORequest({ startDate: '2026-13-01', endDate: '2026-12-31', substitutes: [] })],
      ['zero index', () => C.encodeGetMessagesListRequest({ source: 'INBOX', startIndex: 0 })],
      ['int overflow', () => C.encodeGetBoxInfoResponse({ status: ok, boxInfo: { boxId: hospitalBox, nbrMessagesInStandBy: 2 ** 31, currentSize: 0, maxSize: 0 } })],
      ['no oooId', () => C.encodeDeleteOoORequest({ oooIds: [] })],
      ['no status message', () => C.encodeGetOoOListResponse({ status: { code: '100', messages: [] }, periods: [] })],
      ['error with both', () => C.encodeGetFullMessageResponse({ status: ok, fullMessage: { ...fullMessages().errorFailures!, message: { ...fullMessages().errorFailures!.message, error: { code: '1', messages: ['m'], destinations: [doctorBox], failures: ['f'] } } } })],
      ['bad dateTime', () => C.encodeGetMessageAcknowledgmentsStatusResponse({ status: ok, rows: [{ recipient: doctorBox, read: 'yesterday' }] })],
    ];
    for (const [what, fn] of calls) expect(isWireError(caught(fn), 'WIRE_ENCODE_INVALID'), what).toBe(true);
  });

  it('characters XML cannot carry fail in the XML layer with a typed error', () => {
    const err = caught(() => encodeSendMessageRequest({ ...base(), document: { ...base().document, title: 'bad\u0001char' } }));
    expect(isSoapError(err, 'XML_INVALID_CHARACTER')).toBe(true);
  });
});
