import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseXml } from '../../../src/soap/xml.ts';
import { NS } from '../../../src/soap/namespaces.ts';
import { SOAP_OPERATIONS } from '../../../src/soap/soap-actions.ts';
import {
  decodeEhboxResponse,
  EHBOX_CODECS,
  EHBOX_OPERATION_NAMES,
  EHBOX_OPERATIONS,
  ehboxOperationForElement,
  encodeEhboxRequest,
  encodeEhboxResponse,
  type EhboxOperation,
} from '../../../src/ehbox/wire/operations.ts';
import { decodeSendMessageRequest, encodeSendMessageRequest } from '../../../src/ehbox/wire/publication-codec.ts';
import type { SendMessageRequest } from '../../../src/ehbox/wire/messages.ts';
import { isWireError } from '../../../src/ehbox/wire/wire-error.ts';
import { doctorBox, ok } from './fixtures.ts';

const CONSULT = 'urn:be:fgov:ehealth:ehbox:consultation:protocol:v3';

describe('operation table', () => {
  it('lists the twelve ehBox operations with their PROTOCOL.md §1.3 SOAPActions', () => {
    expect(EHBOX_OPERATION_NAMES).toHaveLength(12);
    expect(EHBOX_OPERATIONS.sendMessage).toEqual({
      requestElement: 'SendMessageRequest',
      responseElement: 'SendMessageResponse',
      namespace: NS.ehboxPublication,
      soapAction: 'urn:be:fgov:ehealth:ehbox:publication:protocol:v3:sendMessage',
    });
    expect(EHBOX_OPERATIONS.getHistory).toEqual({ requestElement: 'GetHistoryRequest', responseElement: 'GetHistoryResponse', namespace: CONSULT, soapAction: `${CONSULT}:getMessageHistory` });
    for (const op of EHBOX_OPERATION_NAMES) {
      const o = EHBOX_OPERATIONS[op];
      expect(o.soapAction).toBe(SOAP_OPERATIONS[op].action);
      expect(o.responseElement).toBe(o.requestElement.replace(/Request$/, 'Response'));
      expect(ehboxOperationForElement(o.namespace, o.requestElement)).toEqual({ operation: op, kind: 'request' });
      expect(ehboxOperationForElement(o.namespace, o.responseElement)).toEqual({ operation: op, kind: 'response' });
      if (op !== 'sendMessage') expect(o.namespace).toBe(CONSULT);
    }
    expect(ehboxOperationForElement(null, 'GetBoxInfoRequest')).toBeUndefined();
    expect(ehboxOperationForElement(NS.ehboxPublication, 'GetBoxInfoRequest')).toBeUndefined();
  });

  it('encodes the payload root named in the table for every operation', () => {
    for (const op of EHBOX_OPERATION_NAMES) {
      const codec = EHBOX_CODECS[op] as (typeof EHBOX_CODECS)[EhboxOperation];
      const res = (codec.encodeResponse as (d: unknown) => { xml: string })({ status: ok, recipients: [], messageIds: [], rows: [], substitutes: [], oooIds: [], periods: [] });
      const el = parseXml(res.xml).documentElement!;
      expect([el.namespaceURI, el.localName]).toEqual([EHBOX_OPERATIONS[op].namespace, EHBOX_OPERATIONS[op].responseElement]);
    }
    const req = encodeEhboxRequest('getOoOList', { boxId: doctorBox });
    expect(req.attachments).toEqual([]);
    expect(req.xml).toContain('<ehboxc:GetOoOListRequest');
  });

  it('decodes with the generic entry points and refuses unknown operations', () => {
    const xml = encodeEhboxResponse('deleteOoO', { status: ok, oooIds: ['5'] }).xml;
    expect(decodeEhboxResponse('deleteOoO', parseXml(xml).documentElement!)).toEqual({ status: ok, oooIds: ['5'] });
    let err: unknown;
    try {
      encodeEhboxRequest('toString' as EhboxOperation, {} as never);
    } catch (e) {
      err = e;
    }
    expect(isWireError(err, 'WIRE_ENCODE_INVALID')).toBe(true);
  });
});

// eslint-disable-next-line no-control-regex
const XML_UNSAFE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const xmlString = (min: number, max: number) => fc.string({ unit: 'binary', minLength: min, maxLength: max }).filter((s) => !XML_UNSAFE.test(s) && [...s].length <= max);
const blob = fc.uint8Array({ maxLength: 64 });

describe('property: SendMessageRequest survives encode → decode', () => {
  it('keeps arbitrary text, bytes and encoding choices', () => {
    const request = fc.record({
      title: xmlString(1, 40),
      name: xmlString(1, 20),
      meta: xmlString(1, 30),
      doc: blob,
      docBinary: fc.boolean(),
      annexes: fc.array(fc.record({ title: blob, bytes: blob, binary: fc.boolean() }), { maxLength: 3 }),
      cells: fc.array(fc.tuple(blob, blob), { minLength: 1, maxLength: 3 }),
      tableTitle: fc.option(fc.string(), { nil: undefined }).filter((s) => s === undefined || !XML_UNSAFE.test(s)),
    });
    fc.assert(
      fc.property(request, (r) => {
        const req: SendMessageRequest = {
          destinations: [{ ...doctorBox, user: { inss: '79021802145', firstName: r.name, lastName: r.name } }],
          document: { title: r.title, content: { bytes: r.doc, binary: r.docBinary }, downloadFileName: r.name, mimeType: r.meta, digest: r.meta },
          freeInformations: { kind: 'table', title: r.tableTitle, rows: r.cells.map(([left, right]) => ({ left, right })) },
          annexes: r.annexes.map((a) => ({ title: a.title, content: { bytes: a.bytes, binary: a.binary }, downloadFileName: 'f', mimeType: 'm', digest: 'd' })),
          contentSpecification: { contentType: 'DOCUMENT', isImportant: false, isEncrypted: true, publicationReceipt: true, receivedReceipt: true, readReceipt: false },
          customMetas: [{ key: r.meta, value: [...r.title][0] ?? 'v' }],
          metas: [],
          copyMailTo: [],
        };
        const p = encodeSendMessageRequest(req);
        const back = decodeSendMessageRequest(parseXml(p.xml).documentElement!, new Map(p.attachments.map((a) => [a.cid, a.bytes])));
        expect(back).toEqual(req);
      }),
      { numRuns: 150 },
    );
  });
});
