/**
 * The sandbox STS and the WS-Security checks of the ehBox services: tokens
 * per quality, certified attributes `false` for a quality not held, and the
 * rejections of tampered, expired, unsigned and foreign-signed calls and of
 * certificates from another CA.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.ts';
import { endpointsAt, EhealthSession } from '../../src/ehealth/session.ts';
import { EhboxClient } from '../../src/ehbox/ehbox-client.ts';
import { EHBOX_CODECS, EHBOX_OPERATIONS } from '../../src/ehbox/wire/operations.ts';
import { StsClient } from '../../src/sts/sts-client.ts';
import { attributeValue, parseAssertion } from '../../src/sts/saml.ts';
import { qualityProfile } from '../../src/sts/attributes.ts';
import { parseXml } from '../../src/soap/xml.ts';
import { buildEnvelope } from '../../src/soap/envelope.ts';
import { postSoap } from '../../src/soap/http.ts';
import { signWithSamlHok } from '../../src/soap/wssec.ts';
import { classifyError, EhealthSoapFault } from '../../src/soap/fault.ts';
import { createTestCa, issueHolder } from '../../src/crypto/test-pki.ts';
import { systemRandom } from '../../src/crypto/drbg.ts';
import type { Keystore } from '../../src/crypto/types.ts';
import { startTestSandbox } from '../helpers/sandbox.ts';
import { CALL_TIMEOUT_MS, stsOf, type Actor, standardActors } from './helpers/actors.ts';

let sandbox: Sandbox;
let hospital: Actor;
let doctor: Actor;
let nurse: Actor;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  ({ hospital, doctor, nurse } = standardActors(sandbox));
});
afterAll(async () => {
  await sandbox?.close();
});

const assertionOf = (xml: string) => parseAssertion(parseXml(xml).documentElement!);

/** getBoxInfo signed by `key` with `assertionXml`, posted to `target`. */
async function boxInfoWith(target: Sandbox, assertionXml: string, privateKey: Keystore['authentication']['privateKey'], now?: Date) {
  const envelope = signWithSamlHok({ body: EHBOX_CODECS.getBoxInfo.encodeRequest({}).xml, assertionXml, privateKey, ...(now ? { now } : {}) });
  const res = await postSoap({ url: endpointsAt(target.url).ehboxConsultation, soapAction: EHBOX_OPERATIONS.getBoxInfo.soapAction, body: envelope, timeoutMs: CALL_TIMEOUT_MS });
  return EHBOX_CODECS.getBoxInfo.decodeResponse(res.envelope.payload);
}

async function fault(p: Promise<unknown>): Promise<EhealthSoapFault> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EhealthSoapFault);
  const f = err as EhealthSoapFault;
  expect(f.faultcode).toBe('Client');
  expect(classifyError(f)).toBe('permanent');
  return f;
}

describe('sandbox STS', () => {
  it('issues holder-of-key tokens signed by the sandbox STS for hospital, doctor and nurse', async () => {
    for (const [who, quality] of [
      [hospital, 'hospital'],
      [doctor, 'doctor'],
      [nurse, 'nurse'],
    ] as const) {
      const token = await stsOf(sandbox).token(who.keystore, quality);
      expect(token.quality).toBe(who.party.quality);
      const a = assertionOf(token.assertionXml);
      expect(attributeValue(a, qualityProfile(quality)!.proof)).toBe('true');
      expect(Buffer.from(a.hokCertificate)).toEqual(Buffer.from(who.keystore.authentication.certificateDer));
      expect(a.notOnOrAfter.getTime()).toBeGreaterThan(Date.now());
      const info = await boxInfoWith(sandbox, token.assertionXml, who.keystore.authentication.privateKey);
      expect(info.status.code).toBe('100');
      expect(info.boxInfo?.boxId.id).toBe(who.party.boxes[0]!.id);
    }
    const nihii = attributeValue(assertionOf((await stsOf(sandbox).token(doctor.keystore, 'doctor')).assertionXml), qualityProfile('doctor')!.nihii!);
    expect(nihii).toBe(doctor.party.nihii11);
  });

  it('limits the validity to 24 hours and refuses a validity that has already ended', async () => {
    const later = new StsClient({ url: endpointsAt(sandbox.url).sts, timeoutMs: CALL_TIMEOUT_MS, now: () => new Date(Date.now() + 20 * 3600_000) });
    const token = await later.request(doctor.keystore, 'doctor');
    expect(Date.parse(token.notOnOrAfter)).toBeLessThanOrEqual(Date.now() + 24 * 3600_000 + 1000);
    const past = new StsClient({ url: endpointsAt(sandbox.url).sts, timeoutMs: CALL_TIMEOUT_MS, now: () => new Date(Date.now() - 13 * 3600_000) });
    const f = await fault(past.request(doctor.keystore, 'doctor'));
    expect(f.code).toBe('INVALID_VALIDITY');
  });

  it('answers false for a quality the keystore does not hold, and ehBox then refuses the token', async () => {
    const token = await new StsClient({ url: endpointsAt(sandbox.url).sts, timeoutMs: CALL_TIMEOUT_MS }).request(nurse.keystore, 'doctor');
    const a = assertionOf(token.assertionXml);
    expect(attributeValue(a, qualityProfile('doctor')!.proof)).toBe('false');
    expect(attributeValue(a, qualityProfile('doctor')!.nihii!)).toBeUndefined();
    const f = await fault(boxInfoWith(sandbox, token.assertionXml, nurse.keystore.authentication.privateKey));
    expect(f.code).toBe('NOT_AUTHORIZED');
    // through the client as well
    const wrong = new EhboxClient(new EhealthSession(nurse.keystore, 'doctor', stsOf(sandbox), CALL_TIMEOUT_MS), endpointsAt(sandbox.url));
    await expect(wrong.getBoxInfo()).rejects.toBeInstanceOf(EhealthSoapFault);
  });

  it('refuses a certificate issued by another CA', async () => {
    const foreignCa = createTestCa({ keyBits: 2048 });
    const p = doctor.party;
    const holder = issueHolder(foreignCa, { name: 'impostor', type: 'SSIN', id: p.ssin!, quality: 'DOCTOR', displayName: p.displayName.toUpperCase() }, systemRandom());
    const auth = { alias: 'authentication', privateKey: holder.authentication.privateKey, certificate: holder.authentication.certificate, certificateDer: holder.authentication.der, chainDer: [foreignCa.issuing.der] };
    const impostor: Keystore = { authentication: auth, entries: [auth] };
    const f = await fault(new StsClient({ url: endpointsAt(sandbox.url).sts, timeoutMs: CALL_TIMEOUT_MS }).request(impostor, 'doctor'));
    expect(f.code).toBe('UNTRUSTED_CERTIFICATE');
  }, 20_000);
});

describe('sandbox WS-Security checks on ehBox calls', () => {
  it('rejects an assertion whose attribute value was changed after signing', async () => {
    const token = await stsOf(sandbox).token(nurse.keystore, 'nurse');
    const surname = nurse.party.lastName!;
    expect(token.assertionXml).toContain(`>${surname}<`);
    const tampered = token.assertionXml.replace(`>${surname}<`, `>${surname}x<`);
    const f = await fault(boxInfoWith(sandbox, tampered, nurse.keystore.authentication.privateKey));
    expect(f.code).toBe('WSSEC_TOKEN_UNTRUSTED');
    // and turning a false proof into true does not work either
    const noQuality = await new StsClient({ url: endpointsAt(sandbox.url).sts, timeoutMs: CALL_TIMEOUT_MS }).request(nurse.keystore, 'doctor');
    const forged = noQuality.assertionXml.replace(/(doctor:boolean"[^>]*>\s*<saml:AttributeValue[^>]*>)false</, '$1true<');
    expect(forged).not.toBe(noQuality.assertionXml);
    expect((await fault(boxInfoWith(sandbox, forged, nurse.keystore.authentication.privateKey))).code).toBe('WSSEC_TOKEN_UNTRUSTED');
  });

  it('rejects an expired token', async () => {
    const token = await stsOf(sandbox).token(hospital.keystore, 'hospital');
    const future = new Date(Date.parse(token.notOnOrAfter) + 3600_000);
    const later = await startTestSandbox({ now: () => new Date(Date.now() + (future.getTime() - Date.now())) });
    try {
      // the Timestamp is fresh for that sandbox; only the assertion is stale
      const f = await fault(boxInfoWith(later, token.assertionXml, hospital.keystore.authentication.privateKey, future));
      expect(f.faultstring).toMatch(/expired/);
    } finally {
      await later.close();
    }
  });

  it('rejects an unsigned request and a request signed with someone else’s key', async () => {
    const body = EHBOX_CODECS.getBoxInfo.encodeRequest({}).xml;
    const url = endpointsAt(sandbox.url).ehboxConsultation;
    const unsigned = await fault(postSoap({ url, soapAction: EHBOX_OPERATIONS.getBoxInfo.soapAction, body: buildEnvelope({ body }), timeoutMs: CALL_TIMEOUT_MS }));
    expect(unsigned.code).toBe('WSSEC_MISSING');
    const token = await stsOf(sandbox).token(hospital.keystore, 'hospital');
    const foreign = await fault(boxInfoWith(sandbox, token.assertionXml, doctor.keystore.authentication.privateKey));
    expect(foreign.code).toBe('WSSEC_SIGNATURE_INVALID');
  });

  it('rejects a stale Timestamp', async () => {
    const token = await stsOf(sandbox).token(hospital.keystore, 'hospital');
    const f = await fault(boxInfoWith(sandbox, token.assertionXml, hospital.keystore.authentication.privateKey, new Date(Date.now() - 10 * 60_000)));
    expect(f.code).toBe('WSSEC_TIMESTAMP_EXPIRED');
  });
});
