import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnrecoverableError } from 'bullmq';
import { createTenancyStores, type TenancyStores } from '../../src/tenancy/tenancy.ts';
import { processWebhook, webhookSignature } from '../../src/workers/webhook.ts';
import { createTestRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
let tenancy: TenancyStores;
let server: http.Server;
let url: string;
const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
let status = 204;

beforeAll(async () => {
  redis = await createTestRedis('webhook');
  tenancy = createTenancyStores(redis.redis, redis.prefix);
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  server.close();
  await redis.cleanup();
});

describe('webhook deliveries', () => {
  it('POSTs metadata signed with HMAC-SHA256 of the body', async () => {
    const secret = 'a-long-enough-webhook-secret';
    const t = await tenancy.tenants.create({ name: 'Hook tenant', webhook: { url, secret } });
    const deps = { tenancy, redis: redis.redis, prefix: redis.prefix, maxAttempts: 3 };
    await processWebhook({ tenantId: t.id, event: 'message.status', deliveryId: 'd1', payload: { messageId: 'm1', state: 'published' } }, deps);
    const last = received.at(-1)!;
    expect(last.headers['x-ehbox-signature']).toBe(webhookSignature(secret, last.body));
    expect(JSON.parse(last.body)).toMatchObject({ id: 'd1', event: 'message.status', data: { messageId: 'm1', state: 'published' } });
  });

  it('retries on failure and dead-letters after the last attempt', async () => {
    status = 500;
    const t = await tenancy.tenants.create({ name: 'Failing hook', webhook: { url, secret: 'another-long-secret-value' } });
    const deps = { tenancy, redis: redis.redis, prefix: redis.prefix, maxAttempts: 3 };
    const data = { tenantId: t.id, event: 'message.status' as const, deliveryId: 'd2', payload: { messageId: 'm2' } };
    await expect(processWebhook(data, deps, { attemptsMade: 0 })).rejects.toThrow(/HTTP 500/);
    await expect(processWebhook(data, deps, { attemptsMade: 2 })).rejects.toBeInstanceOf(UnrecoverableError);
    const dead = await redis.redis.lrange(`${redis.prefix}deadletter:webhook:${t.id}`, 0, -1);
    expect(dead).toHaveLength(1);
    expect(JSON.parse(dead[0]!)).toMatchObject({ deliveryId: 'd2', why: 'HTTP 500' });
    status = 204;
  });
});
