import { beforeAll, describe, expect, it } from 'vitest';
import { parseXml } from '../../../src/soap/xml.ts';
import { NS } from '../../../src/soap/namespaces.ts';
import {
  decodeEhboxRequest,
  decodeEhboxResponse,
  encodeEhboxRequest,
  encodeEhboxResponse,
  type EhboxOperation,
  type EhboxRequests,
  type EhboxResponses,
} from '../../../src/ehbox/wire/operations.ts';
import { decodeGetFullMessageResponse, encodeGetBoxInfoRequest, encodeGetFullMessageResponse } from '../../../src/ehbox/wire/consultation-codec.ts';
import type { EncodedPayload } from '../../../src/ehbox/wire/messages.ts';
import { doctorBox, doctorInHospital, failed, fullMessages, hospitalBox, listItem, nurse, ok } from './fixtures.ts';
import { xsdValidate, type XsdResult } from './xsd-validate.ts';

type Case = {
  [K in EhboxOperation]: { op: K; kind: 'request'; data: EhboxRequests[K] } | { op: K; kind: 'response'; data: EhboxResponses[K] };
}[EhboxOperation];

const ids = (n: number) => Array.from({ length: n }, (_, i) => `MSG${String(i).padStart(10, '0')}`);
const err = (code = '813') => ({ status: failed(code) });

const requestCases: Record<string, Case> = {
  getBoxInfo: { op: 'getBoxInfo', kind: 'request', data: {} },
  getBoxInfoBox: { op: 'getBoxInfo', kind: 'request', data: { boxId: hospitalBox } },
  list: { op: 'getMessagesList', kind: 'request', data: { source: 'INBOX' } },
  listFull: { op: 'getMessagesList', kind: 'request', data: { boxId: doctorBox, source: 'BINSENTBOX', startIndex: 1, endIndex: 100 } },
  listAll: { op: 'getAllEhboxesMessagesList', kind: 'request', data: { source: 'SENTBOX', startIndex: 101, endIndex: 200 } },
  listAllMin: { op: 'getAllEhboxesMessagesList', kind: 'request', data: { source: 'BININBOX' } },
  full: { op: 'getFullMessage', kind: 'request', data: { source: 'HISTORY', messageId: '1000010173227' } },
  fullBox: { op: 'getFullMessage', kind: 'request', data: { boxId: hospitalBox, source: 'SENTBOX', messageId: 'ABCdef0123456' } },
  history: { op: 'getHistory', kind: 'request', data: { boxId: hospitalBox, source: 'INBOX', messageId: '1000010173227' } },
  acks: { op: 'getMessageAcknowledgmentsStatus', kind: 'request', data: { messageId: '1000010173227' } },
  acksFull: { op: 'getMessageAcknowledgmentsStatus', kind: 'request', data: { boxId: hospitalBox, messageId: '1000010173227', startIndex: 2, endIndex: 50 } },
  move: { op: 'moveMessage', kind: 'request', data: { source: 'INBOX', destination: 'BININBOX', messageIds: ids(100) } },
  moveBox: { op: 'moveMessage', kind: 'request', data: { boxId: hospitalBox, source: 'BINSENTBOX', destination: 'SENTBOX', messageIds: ids(1) } },
  delete: { op: 'deleteMessage', kind: 'request', data: { boxId: doctorBox, source: 'BINSENTBOX', messageIds: ids(3) } },
  insertOoO: { op: 'insertOoO', kind: 'request', data: { startDate: '2026-12-01', endDate: '2026-12-31', substitutes: [] } },
  insertOoOFull: { op: 'insertOoO', kind: 'request', data: { boxId: doctorBox, startDate: '2026-12-01', endDate: '2027-01-15', substitutes: [nurse, doctorBox] } },
  deleteOoO: { op: 'deleteOoO', kind: 'request', data: { oooIds: ['1', '1234567890123'] } },
  deleteOoOBox: { op: 'deleteOoO', kind: 'request', data: { boxId: doctorBox, oooIds: ['42'] } },
  oooList: { op: 'getOoOList', kind: 'request', data: {} },
  oooListBox: { op: 'getOoOList', kind: 'request', data: { boxId: nurse } },
};

const fm = fullMessages();
const responseCases: Record<string, Case> = {
  boxInfo: { op: 'getBoxInfo', kind: 'response', data: { id: 'r1', status: ok, boxInfo: { boxId: hospitalBox, nbrMessagesInStandBy: 3, currentSize: 5_000_000_000, maxSize: 9_007_199_254_740_991 } } },
  boxInfoErr: { op: 'getBoxInfo', kind: 'response', data: err('810') },
  list: { op: 'getMessagesList', kind: 'response', data: { id: 'r2', status: ok, list: { source: 'INBOX', messages: [listItem('1000010173227'), listItem('ABCDEFGHIJ123', false)] } } },
  listEmpty: { op: 'getMessagesList', kind: 'response', data: { status: ok, list: { source: 'BININBOX', messages: [] } } },
  listErr: { op: 'getMessagesList', kind: 'response', data: err() },
  listAll: { op: 'getAllEhboxesMessagesList', kind: 'response', data: { status: ok, list: { source: 'SENTBOX', messages: [listItem('1000010173228')] } } },
  listAllErr: { op: 'getAllEhboxesMessagesList', kind: 'response', data: err() },
  fullDocument: { op: 'getFullMessage', kind: 'response', data: { id: 'r3', status: ok, fullMessage: fm.document! } },
  fullAck: { op: 'getFullMessage', kind: 'response', data: { status: ok, fullMessage: fm.acknowledgment! } },
  fullErrDest: { op: 'getFullMessage', kind: 'response', data: { status: ok, fullMessage: fm.errorDestinations! } },
  fullErrFail: { op: 'getFullMessage', kind: 'response', data: { status: ok, fullMessage: fm.errorFailures! } },
  fullErr: { op: 'getFullMessage', kind: 'response', data: err('820') },
  history: { op: 'getHistory', kind: 'response', data: { status: ok, messageIds: ids(2) } },
  historyErr: { op: 'getHistory', kind: 'response', data: { ...err(), messageIds: [] } },
  acks: {
    op: 'getMessageAcknowledgmentsStatus',
    kind: 'response',
    data: {
      status: ok,
      rows: [
        { recipient: doctorInHospital, published: '2026-11-20T10:00:00Z', received: '2026-11-20T11:00:00+01:00', read: '2026-11-21T09:15:30.5Z' },
        { recipient: nurse, published: '2026-11-20T10:00:00' },
        { recipient: doctorBox },
      ],
    },
  },
  acksErr: { op: 'getMessageAcknowledgmentsStatus', kind: 'response', data: { ...err(), rows: [] } },
  move: { op: 'moveMessage', kind: 'response', data: { status: ok, messageIds: ids(5) } },
  movePartial: { op: 'moveMessage', kind: 'response', data: { ...err('850'), messageIds: ids(1) } },
  delete: { op: 'deleteMessage', kind: 'response', data: { status: ok, messageIds: [] } },
  deleteErr: { op: 'deleteMessage', kind: 'response', data: { ...err(), messageIds: ids(2) } },
  insertOoO: { op: 'insertOoO', kind: 'response', data: { status: ok, substitutes: [] } },
  insertOoORejected: {
    op: 'insertOoO',
    kind: 'response',
    data: { ...err('830'), substitutes: [{ ...nurse, absentFrom: '2026-12-05', absentTo: '2026-12-09' }, { ...doctorBox, absentTo: '2026-12-02' }, hospitalBox] },
  },
  deleteOoO: { op: 'deleteOoO', kind: 'response', data: { status: ok, oooIds: [] } },
  deleteOoONotFound: { op: 'deleteOoO', kind: 'response', data: { ...err(), oooIds: ['7', '8'] } },
  oooList: {
    op: 'getOoOList',
    kind: 'response',
    data: {
      status: ok,
      periods: [
        { oooId: '1', startDate: '2026-01-01', endDate: '2026-01-10', substitutes: [] },
        { oooId: '2', startDate: '2026-12-01', endDate: '2026-12-31', substitutes: [nurse, doctorBox] },
      ],
    },
  },
  oooListErr: { op: 'getOoOList', kind: 'response', data: { ...err(), periods: [] } },
};

const encodeCase = (c: Case): EncodedPayload =>
  c.kind === 'request'
    ? (encodeEhboxRequest as (op: EhboxOperation, d: unknown) => EncodedPayload)(c.op, c.data)
    : (encodeEhboxResponse as (op: EhboxOperation, d: unknown) => EncodedPayload)(c.op, c.data);

const decodeCase = (c: Case, p: EncodedPayload): unknown => {
  const el = parseXml(p.xml).documentElement!;
  const map = new Map(p.attachments.map((a) => [a.cid, a.bytes]));
  return c.kind === 'request' ? decodeEhboxRequest(c.op, el, map) : decodeEhboxResponse(c.op, el, map);
};

describe('consultation codec: encode → XSD → decode', () => {
  const all = { ...Object.fromEntries(Object.entries(requestCases).map(([k, v]) => [`req:${k}`, v])), ...Object.fromEntries(Object.entries(responseCases).map(([k, v]) => [`res:${k}`, v])) };
  const encoded: Record<string, EncodedPayload> = {};
  let results: Record<string, XsdResult>;

  beforeAll(() => {
    for (const [name, c] of Object.entries(all)) encoded[name] = encodeCase(c);
    results = xsdValidate('consultation', Object.fromEntries(Object.entries(encoded).map(([k, p]) => [k, p.xml])));
  });

  for (const [name, c] of Object.entries(all)) {
    it(`${name} (${c.op} ${c.kind}) validates and round-trips`, () => {
      expect(results[name]?.valid, results[name]?.output).toBe(true);
      expect(decodeCase(c, encoded[name]!)).toEqual(c.data);
    });
  }

  it('covers every operation in both directions', () => {
    const seen = new Set(Object.values(all).map((c) => `${c.op}:${c.kind}`));
    expect(seen.size).toBe(22);
  });

  it('answers binary full-message content as cid: attachments and keeps text content inline', () => {
    const p = encoded['res:fullDocument']!;
    expect(p.attachments).toHaveLength(2);
    expect(p.attachments[1]!.bytes).toHaveLength(300);
    expect(p.xml.match(/<EncryptableBinaryContent>cid:/g)).toHaveLength(2);
    expect(p.xml).toContain(`<EncryptableTextContent>${Buffer.from('inline').toString('base64')}</EncryptableTextContent>`);
  });

  it('writes only the root element in the consultation namespace', () => {
    const xml = encodeGetBoxInfoRequest({ boxId: hospitalBox });
    expect(xml.startsWith(`<ehboxc:GetBoxInfoRequest xmlns:ehboxc="${NS.ehboxConsultation}"><BoxId><Id>`)).toBe(true);
  });

  it('decodes status-only error answers with no payload', () => {
    const p = encodeGetFullMessageResponse({ id: 'e1', status: failed('820') });
    expect(p.xml).not.toContain('<Sender>');
    const res = decodeGetFullMessageResponse(parseXml(p.xml).documentElement!);
    expect(res).toEqual({ id: 'e1', status: failed('820') });
    expect(res.fullMessage).toBeUndefined();
  });
});
