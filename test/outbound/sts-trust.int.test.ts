import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.ts';
import { startGateway, type Gateway } from '../../src/main/gateway.ts';
import { senderBoxForParty } from '../../src/main/demo-tenant.ts';
import { messageInputSchema } from '../../src/outbound/message-input.ts';
import { messageState } from '../../src/outbound/message-store.ts';
import { materialDir, partyWith, startTestSandbox } from '../helpers/sandbox.ts';
import { createTestRedis, type TestRedis } from '../helpers/redis.ts';
import { startTestS3, type TestS3 } from '../helpers/s3.ts';
import { testConfig } from '../helpers/config.ts';

let sandbox: Sandbox;
let redis: TestRedis;
let s3: TestS3;
const gateways: Gateway[] = [];

beforeAll(async () => {
  sandbox = await startTestSandbox();
  redis = await createTestRedis('sts-trust');
  s3 = await startTestS3();
}, 120_000);

afterAll(async () => {
  for (const g of gateways) await g.close();
  await sandbox?.close();
  await redis?.cleanup();
  await s3?.stop();
});

/** A gateway talking to the sandbox as to an external platform, trusting `stsCert` as the STS. */
async function gatewayTrusting(stsCert: string, prefix: string): Promise<Gateway> {
  const dir = materialDir();
  const config = testConfig(
    { ...s3.settings, REDIS_PREFIX: `${redis.prefix}${prefix}:` },
    { EHEALTH_SANDBOX_URL: sandbox.url, EHEALTH_TRUST_CHAIN: path.join(dir, 'ca', 'chain.pem'), EHEALTH_STS_CERT: stsCert },
  );
  const gw = await startGateway(config, { api: false, workers: ['resolve', 'deliver'], sandbox: false });
  gateways.push(gw);
  return gw;
}

async function sendAndWait(gw: Gateway) {
  const tenant = await gw.tenancy.tenants.create({ name: 'STS trust test' });
  await gw.tenancy.boxes.create(tenant.id, senderBoxForParty(sandbox, partyWith(sandbox, 'HOSPITAL')));
  const doctor = partyWith(sandbox, 'DOCTOR');
  const input = messageInputSchema.parse({ title: 'Trust', document: { filename: 'a.txt', mimeType: 'text/plain' }, recipients: [{ type: 'NIHII', id: doctor.nihii, quality: 'DOCTOR' }] });
  const { id } = await gw.outbound.accept(tenant, input, { document: { body: Buffer.from('x') }, annexes: [] });
  for (const end = Date.now() + 30_000; Date.now() < end; ) {
    const m = await gw.outbound.get(tenant.id, id);
    if (!['accepted', 'processing'].includes(messageState(m.rows))) return m.rows[0]!;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('message not final');
}

describe('EHEALTH_STS_CERT', () => {
  it('publishes when the STS is the one configured', async () => {
    const row = await sendAndWait(await gatewayTrusting(path.join(materialDir(), 'sts.pem'), 'good'));
    expect(row.state).toBe('published');
  });

  it('refuses tokens from an STS other than the configured one, permanently', async () => {
    const row = await sendAndWait(await gatewayTrusting(path.join(materialDir(), 'etk-ra.pem'), 'bad'));
    expect(row.state).toBe('failed');
    expect(row.code).toBe('STS_UNTRUSTED');
  });
});
