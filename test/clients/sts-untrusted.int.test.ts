import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.ts';
import { StsClient, StsError } from '../../src/sts/sts-client.ts';
import { buildAssertion, buildTokenResponse } from '../../src/sts/saml.ts';
import { signAssertion } from '../../src/soap/wssec.ts';
import { buildEnvelope } from '../../src/soap/envelope.ts';
import { createTestCa, issueHolder } from '../../src/crypto/test-pki.ts';
import { systemRandom } from '../../src/crypto/drbg.ts';
import { classifyError } from '../../src/soap/fault.ts';
import { keystoreOf, partyWith, startTestSandbox } from '../helpers/sandbox.ts';

let sandbox: Sandbox;
let hostile: http.Server;
let hostileUrl: string;
let answer: 'unsigned' | 'foreign' = 'unsigned';

function assertionXml(hokCertificate: Uint8Array): string {
  const now = new Date();
  return buildAssertion({
    assertionId: `_${crypto.randomUUID()}`,
    issuer: 'urn:be:fgov:ehealth:sandbox:sts',
    issueInstant: now.toISOString(),
    notBefore: now.toISOString(),
    notOnOrAfter: new Date(now.getTime() + 3600_000).toISOString(),
    subjectDn: 'CN=someone',
    issuerDn: 'CN=issuer',
    hokCertificate,
    attributes: [{ name: 'urn:be:fgov:ehealth:1.0:hospital:nihii-number:recognisedhospital:boolean', namespace: 'urn:be:fgov:certified-namespace:ehealth', values: ['true'] }],
  });
}

beforeAll(async () => {
  sandbox = await startTestSandbox();
  const foreignCa = createTestCa({ keyBits: 2048 });
  const foreign = issueHolder(foreignCa, { name: 'rogue-sts', type: 'EHP', id: '0123456749', quality: 'INSTITUTION_EHP', displayName: 'ROGUE STS' }, systemRandom());
  hostile = http.createServer((_req, res) => {
    const hok = sandbox.material.sts.der;
    const raw = assertionXml(hok);
    const signed = answer === 'unsigned' ? raw : signAssertion(raw, foreign.authentication.privateKey, foreign.authentication.der);
    const body = buildEnvelope({ body: buildTokenResponse({ inResponseTo: 'request-1', issueInstant: new Date().toISOString(), assertionXml: signed }) });
    res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' }).end(body);
  });
  await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', r));
  hostileUrl = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}/IAM/Saml11TokenService/Legacy/v1`;
}, 120_000);

afterAll(async () => {
  hostile?.close();
  await sandbox?.close();
});

describe('STS answers from a hostile endpoint', () => {
  it('refuses unsigned and foreign-signed assertions with a typed, permanent error', async () => {
    const ks = keystoreOf(sandbox, partyWith(sandbox, 'HOSPITAL').name);
    const client = new StsClient({ url: hostileUrl, timeoutMs: 5000, trustedSignersDer: [sandbox.material.sts.der] });
    for (const kind of ['unsigned', 'foreign'] as const) {
      answer = kind;
      const err = await client.request(ks, 'hospital').then(() => undefined, (e: unknown) => e);
      expect(err, kind).toBeInstanceOf(StsError);
      expect((err as StsError).code, kind).toBe('STS_UNTRUSTED');
      expect(classifyError(err)).toBe('permanent');
    }
  });

  it('accepts the assertion signed by the trusted STS', async () => {
    const ks = keystoreOf(sandbox, partyWith(sandbox, 'HOSPITAL').name);
    const client = new StsClient({ url: `${sandbox.url}/IAM/Saml11TokenService/Legacy/v1`, timeoutMs: 5000, trustedSignersDer: [sandbox.material.sts.der] });
    const token = await client.request(ks, 'hospital');
    expect(token.quality).toBe('HOSPITAL');
  });
});
