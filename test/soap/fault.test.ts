import { describe, expect, it } from 'vitest';
import { CryptoError } from '../../src/crypto/errors.ts';
import { parseEnvelope } from '../../src/soap/envelope.ts';
import { SoapError } from '../../src/soap/errors.ts';
import {
  EhealthSoapFault,
  SoapTransportError,
  buildFaultEnvelope,
  classifyError,
  parseFault,
  type FaultSpec,
} from '../../src/soap/fault.ts';
import { NS } from '../../src/soap/namespaces.ts';
import { validateXml } from '../../src/soap/xsd-validator.ts';

const business: FaultSpec = {
  faultcode: 'Client',
  faultstring: 'Recipient unknown',
  detail: {
    kind: 'business',
    id: 'EHBOX-FICT-1',
    origin: 'Consumer',
    code: 'ERROR_RECIPIENT',
    messages: [
      { lang: 'en', text: 'Unknown <recipient> & co' },
      { lang: 'fr', text: 'Destinataire inconnu' },
    ],
    environment: 'Simulation',
  },
};

function faultOf(xml: string, status?: number): EhealthSoapFault {
  return parseFault(parseEnvelope(xml).fault!, status);
}

describe('eHealth SOAP faults', () => {
  it('build schema-valid faults and parse them back', async () => {
    const xml = buildFaultEnvelope(business);
    expect(await validateXml(xml)).toEqual({ valid: true, errors: [] });
    const f = faultOf(xml, 500);
    expect(f).toBeInstanceOf(EhealthSoapFault);
    expect(f).toMatchObject({ kind: 'business', code: 'ERROR_RECIPIENT', faultcode: 'Client', faultcodeNs: NS.soap, faultstring: 'Recipient unknown', httpStatus: 500 });
    expect(f.messages).toEqual(business.detail!.messages);
    expect(f.detail).toEqual(business.detail);
    expect(f.retry).toBe(false);
    expect(classifyError(f)).toBe('permanent');
  });

  it('classify SystemError and Retry=true as transient', async () => {
    const system = buildFaultEnvelope({
      faultcode: 'Server',
      faultstring: 'Down',
      detail: { kind: 'system', origin: 'Provider', code: 'SOA-03001', messages: [{ text: 'x' }], retry: true, contact: 'ops@example.invalid', environment: 'Simulation' },
    });
    expect(await validateXml(system)).toEqual({ valid: true, errors: [] });
    const s = faultOf(system);
    expect(s).toMatchObject({ kind: 'system', retry: true });
    expect(s.detail?.contact).toBe('ops@example.invalid');
    expect(classifyError(s)).toBe('transient');
    const retryBusiness = buildFaultEnvelope({ ...business, detail: { ...business.detail!, retry: true } });
    expect(classifyError(faultOf(retryBusiness))).toBe('transient');
  });

  it('handle faults without eHealth detail', () => {
    const bare = (code: string) =>
      `<s:Envelope xmlns:s="${NS.soap}"><s:Body><s:Fault><faultcode>s:${code}</faultcode><faultstring>oops</faultstring></s:Fault></s:Body></s:Envelope>`;
    expect(faultOf(bare('Server'))).toMatchObject({ kind: 'unknown', code: 'Server' });
    const noEnv = bare('Client').replace('</faultstring>', `</faultstring><detail><soa:BusinessError xmlns:soa="${NS.soaErrors}"><Origin>o</Origin><Code>C1</Code><Message>m</Message></soa:BusinessError></detail>`);
    expect(faultOf(noEnv).detail).toEqual({ kind: 'business', origin: 'o', code: 'C1', messages: [{ text: 'm' }] });
    expect(classifyError(faultOf(bare('Server')))).toBe('transient');
    expect(classifyError(faultOf(bare('Client')))).toBe('permanent');
    const noCode = `<s:Envelope xmlns:s="${NS.soap}"><s:Body><s:Fault><faultstring>x</faultstring></s:Fault></s:Body></s:Envelope>`;
    expect(() => faultOf(noCode)).toThrow(expect.objectContaining({ code: 'FAULT_INVALID' }));
  });

  it('refuse a detail without message', () => {
    expect(() => buildFaultEnvelope({ ...business, detail: { ...business.detail!, messages: [] } })).toThrow(SoapError);
  });
});

describe('classifyError', () => {
  it.each([
    [new SoapTransportError('timeout', 't'), 'transient'],
    [new SoapTransportError('connection', 'c'), 'transient'],
    [new SoapTransportError('http', 'h', 503), 'transient'],
    [new SoapTransportError('http', 'h', 500), 'transient'],
    [new SoapTransportError('http', 'h', 429), 'transient'],
    [new SoapTransportError('http', 'h', 404), 'permanent'],
    [new SoapTransportError('http', 'h', 400), 'permanent'],
    [new SoapTransportError('too-large', 'l'), 'permanent'],
    [new SoapTransportError('malformed', 'm'), 'permanent'],
    [new SoapError('XML_MALFORMED', 'x'), 'permanent'],
    [new SoapError('XSD_INVALID', 'x'), 'permanent'],
    [new CryptoError('MALFORMED_CMS', 'x'), 'permanent'],
    [Object.assign(new Error('reset'), { code: 'ECONNRESET' }), 'transient'],
    [Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }), 'transient'],
  ] as const)('%s → %s', (err, expected) => {
    expect(classifyError(err)).toBe(expected);
  });

  it('gives transport errors stable codes', () => {
    expect(new SoapTransportError('timeout', 't').code).toBe('SOAP_TIMEOUT');
    expect(new SoapTransportError('too-large', 't').code).toBe('SOAP_RESPONSE_TOO_LARGE');
  });
});
