import { describe, expect, it } from 'vitest';
import {
  SOAP_ACTIONS,
  SOAP_OPERATIONS,
  buildEnvelope,
  formatSoapActionHeader,
  operationForRequestElement,
  operationsForAction,
  parseEnvelope,
  readSoapActionHeader,
} from '../../src/soap/envelope.ts';
import { NS } from '../../src/soap/namespaces.ts';

const PAYLOAD = `<ns:GetBoxInfoRequest xmlns:ns="${NS.ehboxConsultation}"/>`;

describe('buildEnvelope / parseEnvelope', () => {
  it('round-trips header and payload', () => {
    const xml = buildEnvelope({ header: '<h:Trace xmlns:h="urn:x-test">1</h:Trace>', body: PAYLOAD, bodyId: 'id-1' });
    const env = parseEnvelope(xml);
    expect(env.payload.localName).toBe('GetBoxInfoRequest');
    expect(env.payload.namespaceURI).toBe(NS.ehboxConsultation);
    expect(env.header?.firstChild?.textContent).toBe('1');
    expect(env.body.getAttributeNS(NS.wsu, 'Id')).toBe('id-1');
    expect(env.fault).toBeUndefined();
  });

  it('has no Header element without header blocks', () => {
    expect(buildEnvelope({ body: PAYLOAD })).not.toContain('Header');
    expect(parseEnvelope(buildEnvelope({ body: PAYLOAD })).header).toBeUndefined();
  });

  it('refuses a body id that is not an NCName', () => {
    expect(() => buildEnvelope({ body: PAYLOAD, bodyId: 'a"b' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it.each([
    ['SOAP 1.2', `<e:Envelope xmlns:e="${NS.soap12}"><e:Body>${PAYLOAD}</e:Body></e:Envelope>`],
    ['not an envelope', PAYLOAD],
    ['no Body', `<e:Envelope xmlns:e="${NS.soap}"><e:Header/></e:Envelope>`],
    ['two Bodies', `<e:Envelope xmlns:e="${NS.soap}"><e:Body>${PAYLOAD}</e:Body><e:Body>${PAYLOAD}</e:Body></e:Envelope>`],
    ['Header after Body', `<e:Envelope xmlns:e="${NS.soap}"><e:Body>${PAYLOAD}</e:Body><e:Header/></e:Envelope>`],
    ['empty Body', `<e:Envelope xmlns:e="${NS.soap}"><e:Body> </e:Body></e:Envelope>`],
    ['two payloads', `<e:Envelope xmlns:e="${NS.soap}"><e:Body>${PAYLOAD}${PAYLOAD}</e:Body></e:Envelope>`],
    ['text in Body', `<e:Envelope xmlns:e="${NS.soap}"><e:Body>hello${PAYLOAD}</e:Body></e:Envelope>`],
  ])('rejects %s with ENVELOPE_INVALID', (_name, xml) => {
    expect(() => parseEnvelope(xml)).toThrow(expect.objectContaining({ code: 'ENVELOPE_INVALID' }));
  });

  it('exposes a fault payload', () => {
    const env = parseEnvelope(`<e:Envelope xmlns:e="${NS.soap}"><e:Body><e:Fault><faultcode>e:Client</faultcode><faultstring>x</faultstring></e:Fault></e:Body></e:Envelope>`);
    expect(env.fault?.localName).toBe('Fault');
  });
});

describe('SOAPAction', () => {
  it('maps every operation of PROTOCOL.md §1.3', () => {
    expect(SOAP_ACTIONS.getHistory).toBe('urn:be:fgov:ehealth:ehbox:consultation:protocol:v3:getMessageHistory');
    expect(SOAP_ACTIONS.sendMessage).toBe('urn:be:fgov:ehealth:ehbox:publication:protocol:v3:sendMessage');
    expect(SOAP_ACTIONS.getEtk).toBeNull();
    expect(SOAP_ACTIONS.stsRequestSecureToken).toBe('urn:be:fgov:ehealth:sts:protocol:v1:RequestSecureToken');
    expect(Object.keys(SOAP_OPERATIONS)).toHaveLength(20);
    expect(operationsForAction('urn:be:fgov:ehealth:addressbook:protocol:v1:searchOrganizations')).toEqual(['searchOrganizations']);
    expect(operationsForAction('urn:unknown')).toEqual([]);
    expect(operationForRequestElement(NS.etkDepot, 'GetEtkRequest')).toBe('getEtk');
  });

  it('reads the header quoted or not', () => {
    const a = SOAP_ACTIONS.getBoxInfo;
    expect(readSoapActionHeader(`"${a}"`)).toBe(a);
    expect(readSoapActionHeader(` ${a} `)).toBe(a);
    expect(readSoapActionHeader([`"${a}"`])).toBe(a);
    expect(readSoapActionHeader('""')).toBe('');
    expect(readSoapActionHeader(undefined)).toBeUndefined();
    expect(formatSoapActionHeader(a)).toBe(`"${a}"`);
    expect(() => formatSoapActionHeader('a"\r\nX: y')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
