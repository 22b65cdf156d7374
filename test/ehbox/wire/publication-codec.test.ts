import type { Element } from '@xmldom/xmldom';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseXml } from '../../../src/soap/xml.ts';
import { NS } from '../../../src/soap/namespaces.ts';
import {
  decodeSendMessageRequest,
  decodeSendMessageResponse,
  encodeSendMessageRequest,
  encodeSendMessageResponse,
} from '../../../src/ehbox/wire/publication-codec.ts';
import type { EncodedPayload, SendMessageRequest, SendMessageResponse } from '../../../src/ehbox/wire/messages.ts';
import { isWireError } from '../../../src/ehbox/wire/wire-error.ts';
import { bytes, failed, fullSendRequest, minimalSendRequest, ok, oooSendResponse } from './fixtures.ts';
import { xsdValidate, type XsdResult } from './xsd-validate.ts';

const root = (xml: string) => parseXml(xml).documentElement!;
const toMap = (p: EncodedPayload) => new Map(p.attachments.map((a) => [a.cid, a.bytes]));

function oldFreeInfoRequest(): SendMessageRequest {
  return { ...minimalSendRequest(), freeInformations: { kind: 'old', value: bytes('<p>x</p>'), render: 'html' } };
}
function textFreeInfoRequest(): SendMessageRequest {
  return { ...minimalSendRequest(), freeInformations: { kind: 'text', text: bytes('free') }, inssPatient: new Uint8Array(0) };
}

const requests: Record<string, SendMessageRequest> = {
  full: fullSendRequest(),
  minimal: minimalSendRequest(),
  oldFreeInfo: oldFreeInfoRequest(),
  textFreeInfo: textFreeInfoRequest(),
};
const responses: Record<string, SendMessageResponse> = {
  success: { id: '1000010173227', status: ok, sentPublicationId: 'PUB-0001', recipients: [] },
  outOfOffice: oooSendResponse(),
  error: { status: failed('810'), recipients: [] },
  errorWithId: { id: 'err-1', status: failed('801'), recipients: [] },
};

describe('publication codec: encode → XSD → decode', () => {
  const encodedRequests: Record<string, EncodedPayload> = {};
  const encodedResponses: Record<string, string> = {};
  let results: Record<string, XsdResult>;

  beforeAll(() => {
    for (const [name, req] of Object.entries(requests)) encodedRequests[name] = encodeSendMessageRequest(req);
    for (const [name, res] of Object.entries(responses)) encodedResponses[name] = encodeSendMessageResponse(res);
    const docs: Record<string, string> = {};
    for (const [name, p] of Object.entries(encodedRequests)) docs[`req:${name}`] = p.xml;
    for (const [name, xml] of Object.entries(encodedResponses)) docs[`res:${name}`] = xml;
    results = xsdValidate('publication', docs);
  });

  for (const name of Object.keys(requests)) {
    it(`SendMessageRequest (${name}) validates and round-trips`, () => {
      const p = encodedRequests[name]!;
      expect(results[`req:${name}`]).toEqual({ valid: true, output: expect.any(String) });
      expect(decodeSendMessageRequest(root(p.xml), toMap(p))).toEqual(requests[name]);
    });
  }

  for (const name of Object.keys(responses)) {
    it(`SendMessageResponse (${name}) validates and round-trips`, () => {
      expect(results[`res:${name}`]?.valid, results[`res:${name}`]?.output).toBe(true);
      expect(decodeSendMessageResponse(root(encodedResponses[name]!))).toEqual(responses[name]);
    });
  }

  it('puts only the root in the publication namespace and keeps schema order', () => {
    const el = root(encodedRequests.full!.xml);
    expect(el.namespaceURI).toBe(NS.ehboxPublication);
    expect(el.getAttribute('PublicationId')).toBe('PUB-0001');
    const names: string[] = [];
    for (let n = el.firstChild; n; n = n.nextSibling) {
      const e = n as unknown as Element;
      expect(e.namespaceURI).toBeNull();
      names.push(String(e.localName));
    }
    expect(names).toEqual(['BoxId', 'DestinationContext', 'DestinationContext', 'DestinationContext', 'ContentContext', 'Meta', 'CopyMailTo', 'CopyMailTo']);
  });

  it('writes binary content as cid: references and returns the bytes beside the XML', () => {
    const p = encodedRequests.full!;
    expect(p.attachments).toHaveLength(2);
    for (const a of p.attachments) {
      expect(a.cid).toMatch(/^[0-9a-f-]{36}@ehealth\.fgov\.be$/);
      expect(p.xml).toContain(`<EncryptableBinaryContent>cid:${a.cid}</EncryptableBinaryContent>`);
    }
    expect(p.attachments[0]!.bytes).toEqual(new Uint8Array([0, 1, 2, 250, 255]));
    expect(p.xml).toContain(`<EncryptableTextContent>${Buffer.from('plain text annex').toString('base64')}</EncryptableTextContent>`);
    expect(encodedRequests.minimal!.attachments).toEqual([]);
  });

  it('uses the given content id generator and URL-encodes odd ids', () => {
    let n = 0;
    const p = encodeSendMessageRequest(fullSendRequest(), { newContentId: () => `part ${++n}/x@test`.replace(' ', '_') });
    expect(p.attachments.map((a) => a.cid)).toEqual(['part_1/x@test', 'part_2/x@test']);
    expect(p.xml).toContain('cid:part_1%2Fx@test');
    expect(decodeSendMessageRequest(root(p.xml), toMap(p))).toEqual(fullSendRequest());
  });

  it('reads Recipient absences from an 826 answer', () => {
    const res = decodeSendMessageResponse(root(encodedResponses.outOfOffice!));
    expect(res.status.code).toBe('826');
    expect(res.recipients[0]?.absence?.substitutes.map((s) => s.id)).toEqual(['85073003328', '71000436']);
    expect(res.recipients[1]?.absence?.substitutes).toEqual([]);
    expect(res.recipients[2]?.absence).toBeUndefined();
  });

  it('refuses a missing attachment with WIRE_ATTACHMENT_MISSING', () => {
    const p = encodedRequests.full!;
    expect(() => decodeSendMessageRequest(root(p.xml), new Map())).toThrow(expect.objectContaining({ code: 'WIRE_ATTACHMENT_MISSING' }));
  });

  it('refuses a qualified child both in xmllint and in the decoder', () => {
    const xml = encodedRequests.minimal!.xml.replace('<DestinationContext>', '<ehboxp:DestinationContext>').replace('</DestinationContext>', '</ehboxp:DestinationContext>');
    const r = xsdValidate('publication', { qualified: xml });
    expect(r.qualified?.valid).toBe(false);
    let err: unknown;
    try {
      decodeSendMessageRequest(root(xml));
    } catch (e) {
      err = e;
    }
    expect(isWireError(err, 'WIRE_INVALID')).toBe(true);
    expect((err as Error).message).toContain('DestinationContext');
  });
});
