import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.ts';
import { StsClient } from '../../src/sts/sts-client.ts';
import { keystoreOf, partyWith, startTestSandbox } from '../helpers/sandbox.ts';
import { postSoap } from '../../src/soap/http.ts';
import { signWithSamlHok } from '../../src/soap/wssec.ts';
import { EHBOX_CODECS, EHBOX_OPERATIONS } from '../../src/ehbox/wire/operations.ts';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(async () => {
  await sandbox?.close();
});

describe('sandbox smoke', () => {
  it('issues a token and answers getBoxInfo over real HTTP with WS-Security', async () => {
    const hospital = partyWith(sandbox, 'HOSPITAL');
    const ks = keystoreOf(sandbox, hospital.name);
    const sts = new StsClient({ url: `${sandbox.url}/IAM/Saml11TokenService/Legacy/v1`, timeoutMs: 10_000 });
    const token = await sts.token(ks, 'hospital');
    expect(token.quality).toBe('HOSPITAL');
    const body = EHBOX_CODECS.getBoxInfo.encodeRequest({}).xml;
    const envelopeXml = signWithSamlHok({ body, assertionXml: token.assertionXml, privateKey: ks.authentication.privateKey });
    const res = await postSoap({ url: `${sandbox.url}/ehBoxConsultation/v3`, soapAction: EHBOX_OPERATIONS.getBoxInfo.soapAction, body: envelopeXml, timeoutMs: 10_000 });
    const info = EHBOX_CODECS.getBoxInfo.decodeResponse(res.envelope.payload);
    expect(info.status.code).toBe('100');
    expect(info.boxInfo?.boxId.id).toBe(hospital.boxes[0]!.id);
  });
});
