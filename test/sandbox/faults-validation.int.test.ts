/**
 * Request validation against the XSDs and fault injection over the admin API,
 * each outcome observed by the real clients with the classification
 * `classifyError` gives it (transient → retry, permanent → give up).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.ts';
import { endpointsAt, EhealthSession } from '../../src/ehealth/session.ts';
import { EhboxClient, EhboxStatusError } from '../../src/ehbox/ehbox-client.ts';
import { EHBOX_CODECS, EHBOX_OPERATIONS } from '../../src/ehbox/wire/operations.ts';
import { classifyError, EhealthSoapFault, SoapTransportError } from '../../src/soap/fault.ts';
import { partyWith, startTestSandbox } from '../helpers/sandbox.ts';
import { actor, admin, plainRequest, stsOf, type Actor } from './helpers/actors.ts';

let sandbox: Sandbox;
let hospital: Actor;
let doctor: Actor;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  hospital = actor(sandbox, partyWith(sandbox, 'HOSPITAL').name);
  doctor = actor(sandbox, partyWith(sandbox, 'DOCTOR').name);
  await hospital.ehbox.getBoxInfo(); // token fetched before faults are set
});
afterEach(async () => {
  await admin(sandbox, 'DELETE', '/faults');
});
afterAll(async () => {
  await sandbox?.close();
});

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );

describe('sandbox request validation', () => {
  it('answers a BusinessError fault for a request with a qualified child element', async () => {
    const valid = EHBOX_CODECS.getMessagesList.encodeRequest({ source: 'INBOX' }).xml;
    expect(valid).toContain('<Source>INBOX</Source>');
    const qualified = valid.replace('<Source>INBOX</Source>', '<ehboxc:Source>INBOX</ehboxc:Source>');
    const err = await failure(hospital.session.call(endpointsAt(sandbox.url).ehboxConsultation, EHBOX_OPERATIONS.getMessagesList.soapAction, qualified));
    expect(err).toBeInstanceOf(EhealthSoapFault);
    const f = err as EhealthSoapFault;
    expect(f.kind).toBe('business');
    expect(f.code).toBe('INVALID_REQUEST');
    expect(f.faultstring).toMatch(/schema/);
    expect(classifyError(f)).toBe('permanent');
  });

  it('answers a BusinessError fault for an unknown payload and a mismatching SOAPAction', async () => {
    const url = endpointsAt(sandbox.url).ehboxConsultation;
    const body = EHBOX_CODECS.getBoxInfo.encodeRequest({}).xml;
    const wrongAction = await failure(hospital.session.call(url, EHBOX_OPERATIONS.deleteMessage.soapAction, body));
    expect((wrongAction as EhealthSoapFault).code).toBe('INVALID_SOAPACTION');
    const publicationOnly = await failure(hospital.session.call(url, EHBOX_OPERATIONS.sendMessage.soapAction, EHBOX_CODECS.sendMessage.encodeRequest(plainRequest([{ ...doctor.party.boxes[0]! }], new Uint8Array(1))).xml));
    expect((publicationOnly as EhealthSoapFault).code).toBe('UNKNOWN_OPERATION');
  });
});

describe('sandbox fault injection', () => {
  it('adds latency', async () => {
    expect((await admin(sandbox, 'PUT', '/faults/getBoxInfo', { latencyMs: 300 })).status).toBe(200);
    const t0 = Date.now();
    await hospital.ehbox.getBoxInfo();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
  });

  it('answers HTTP 503 (transient)', async () => {
    await admin(sandbox, 'PUT', '/faults/getBoxInfo', { http503Rate: 1 });
    const err = await failure(hospital.ehbox.getBoxInfo());
    expect(err).toBeInstanceOf(SoapTransportError);
    expect((err as SoapTransportError).status).toBe(503);
    expect(classifyError(err)).toBe('transient');
  });

  it('answers a SystemError with Retry=true (transient)', async () => {
    await admin(sandbox, 'PUT', '/faults/getMessagesList', { systemErrorRate: 1 });
    const err = await failure(hospital.ehbox.getMessagesList({ source: 'INBOX' }));
    expect(err).toBeInstanceOf(EhealthSoapFault);
    expect((err as EhealthSoapFault).kind).toBe('system');
    expect((err as EhealthSoapFault).retry).toBe(true);
    expect(classifyError(err)).toBe('transient');
    // other operations are untouched
    expect((await hospital.ehbox.getBoxInfo()).status.code).toBe('100');
  });

  it('drops the connection (transient)', async () => {
    await admin(sandbox, 'PUT', '/faults/*', { dropRate: 1 });
    const err = await failure(hospital.ehbox.getBoxInfo());
    expect(err).toBeInstanceOf(SoapTransportError);
    expect((err as SoapTransportError).kind).toBe('connection');
    expect(classifyError(err)).toBe('transient');
  });

  it('hangs until the client times out (transient)', async () => {
    await admin(sandbox, 'PUT', '/faults/getBoxInfo', { hangRate: 1 });
    const impatient = new EhboxClient(new EhealthSession(hospital.keystore, 'hospital', stsOf(sandbox), 400), endpointsAt(sandbox.url));
    const t0 = Date.now();
    const err = await failure(impatient.getBoxInfo());
    expect(err).toBeInstanceOf(SoapTransportError);
    expect((err as SoapTransportError).kind).toBe('timeout');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(390);
    expect(classifyError(err)).toBe('transient');
  });

  it('answers an ehBox business code in the status (permanent) and counts what it injected', async () => {
    await admin(sandbox, 'PUT', '/faults/sendMessage', { businessCode: '802' });
    const err = await failure(hospital.ehbox.send(plainRequest([{ ...doctor.party.boxes[0]! }], new Uint8Array(Buffer.from('x')))));
    expect(err).toBeInstanceOf(EhboxStatusError);
    expect((err as EhboxStatusError).code).toBe('802');
    expect(classifyError(err)).toBe('permanent');
    // a service without a status answers a BusinessError fault
    await admin(sandbox, 'PUT', '/faults/searchOrganizations', { businessCode: 'AB_BUSY' });
    const ab = await failure(hospital.addressbook.searchOrganizations({ institutionType: 'HOSPITAL' }));
    expect(ab).toMatchObject({ name: 'EhealthSoapFault', kind: 'business', code: 'AB_BUSY' });
    expect(classifyError(ab)).toBe('permanent');
    const counts = (await admin(sandbox, 'GET', '/faults')).json as { rules: Record<string, unknown>; counts: Record<string, number> };
    expect(Object.keys(counts.rules).sort()).toEqual(['searchOrganizations', 'sendMessage']);
    expect(counts.counts['sendMessage:business']).toBe(1);
  });

  it('stops applying a rule after its `until` time and rejects invalid rules', async () => {
    await admin(sandbox, 'PUT', '/faults/getBoxInfo', { http503Rate: 1, until: new Date(Date.now() + 300).toISOString() });
    expect(await failure(hospital.ehbox.getBoxInfo())).toBeInstanceOf(SoapTransportError);
    await new Promise((r) => setTimeout(r, 350));
    expect((await hospital.ehbox.getBoxInfo()).status.code).toBe('100');
    expect((await admin(sandbox, 'PUT', '/faults/getBoxInfo', { http503Rate: 2 })).status).toBe(422);
  });
});
