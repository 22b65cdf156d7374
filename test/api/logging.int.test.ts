/**
 * What the API logs: one access line per request (no query, headers or
 * body) and, for unknown failures, a generic 500 whose log line carries the
 * error's name and stack frames but not its message or the request's data.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TenancyStores } from '../../src/tenancy/tenancy.ts';
import { call, errorOf, jsonMessage, startApiHarness, type ApiHarness } from './api-harness.ts';

const MARKER = 'LOG-MARKER-51d2';
let h: ApiHarness;
const lines: string[] = [];
const logger = pino({ level: 'info' }, new Writable({
  write(chunk: Buffer, _enc, done) {
    lines.push(chunk.toString());
    done();
  },
}));

beforeAll(async () => {
  h = await startApiHarness('logging');
});
afterAll(async () => {
  await h.close();
});

it('logs requests and unknown errors without payloads, answering 500 INTERNAL', async () => {
  // A store that fails in an unforeseen way, with data in its message.
  const groups = { ...h.tenancy.groups, list: () => Promise.reject(new Error(`boom ${MARKER} patient 85073100393`)) };
  const tenancy = { ...h.tenancy, groups } as unknown as TenancyStores;
  const app = await h.startApp({ outbound: h.outbound, tenancy, redis: h.redis.redis, redisPrefix: h.redis.prefix, logger });

  const failed = await call(app, 'GET', `/v1/groups?q=${MARKER}`, { key: h.a.apiKey });
  const body = await errorOf(failed);
  expect([failed.status, body.code]).toEqual([500, 'INTERNAL']);
  expect(JSON.stringify(body)).not.toContain(MARKER);

  const ok = await call(app, 'POST', '/v1/messages', { key: h.a.apiKey, json: jsonMessage(h.doctorNihii, Buffer.from(`content ${MARKER}`), { title: MARKER }) });
  expect(ok.status).toBe(202);
  const refused = await call(app, 'POST', '/v1/messages', { key: h.a.apiKey, json: { title: MARKER } });
  expect(refused.status).toBe(422);

  const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const errorLine = records.find((r) => r.msg === 'request failed');
  expect(errorLine).toMatchObject({ requestId: body.requestId, path: '/v1/groups', err: { name: 'Error' } });
  expect((errorLine!.err as { frames: string[] }).frames.length).toBeGreaterThan(0);
  const access = records.filter((r) => r.msg === 'request');
  expect(access.map((r) => r.status)).toEqual([500, 202, 422]);
  expect(access[1]).toMatchObject({ method: 'POST', path: '/v1/messages' });
  expect(lines.join('\n')).not.toContain(MARKER);
  expect(lines.join('\n')).not.toContain('85073100393');
  expect(lines.join('\n')).not.toContain(h.a.apiKey);
});
