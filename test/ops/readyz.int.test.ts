import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.ts';
import { startGateway, type Gateway } from '../../src/main/gateway.ts';
import { startTestSandbox } from '../helpers/sandbox.ts';
import { createTestRedis, type TestRedis } from '../helpers/redis.ts';
import { startTestS3, type TestS3 } from '../helpers/s3.ts';
import { testConfig } from '../helpers/config.ts';

let sandbox: Sandbox;
let redis: TestRedis;
let s3: TestS3;
let gw: Gateway;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  redis = await createTestRedis('readyz');
  s3 = await startTestS3();
  gw = await startGateway(testConfig({ ...s3.settings, REDIS_PREFIX: redis.prefix }), { api: true, workers: [], sandbox: false }, () => {}, { sandbox });
}, 120_000);

afterAll(async () => {
  await gw?.close();
  await redis?.cleanup();
  await s3?.stop();
});

describe('/readyz', () => {
  it('reports Redis, S3 and the eHealth endpoint, and 503 once eHealth cannot be reached', async () => {
    const ok = await fetch(`${gw.apiUrl}/readyz`);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { checks: Record<string, string> }).checks).toEqual({ redis: 'ok', s3: 'ok', ehealth: 'ok' });
    await sandbox.close();
    const down = await fetch(`${gw.apiUrl}/readyz`);
    expect(down.status).toBe(503);
    const body = JSON.stringify(await down.json());
    expect(body).toContain('ehealth');
    expect(body).not.toContain(new URL(sandbox.url).port);
  });
});
