/**
 * Authentication, the bad-key rate limit, tenant isolation across every
 * route, and the groups and boxes routes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_FAILURE_LIMIT, AUTH_FAILURE_WINDOW_SECONDS } from '../../src/api/middleware/auth.ts';
import { generateApiKey } from '../../src/tenancy/api-key-store.ts';
import { call, errorOf, jsonMessage, startApiHarness, type ApiHarness, type RunningApp } from './api-harness.ts';

let h: ApiHarness;

beforeAll(async () => {
  h = await startApiHarness('auth');
});
afterAll(async () => {
  await h.close();
});

describe('authentication', () => {
  it('401 UNAUTHORIZED with WWW-Authenticate: Bearer without a key, with a wrong key, or a malformed header', async () => {
    const cases: Record<string, string>[] = [{}, { authorization: `Bearer ${generateApiKey()}` }, { authorization: 'Bearer not-a-key' }, { authorization: `Basic ${h.a.apiKey}` }];
    for (const headers of cases) {
      const res = await call(h.app, 'GET', '/v1/messages', { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="ehbox-bridge"/);
      expect((await errorOf(res)).code).toBe('UNAUTHORIZED');
    }
    expect((await call(h.app, 'GET', '/v1/messages', { key: h.a.apiKey })).status).toBe(200);
  });

  it('a revoked key or a deleted tenant no longer opens anything', async () => {
    const tenant = await h.tenancy.tenants.create({ name: 'Short-lived (fictitious)' });
    const { apiKey, record } = await h.tenancy.apiKeys.create(tenant.id);
    expect((await call(h.app, 'GET', '/v1/groups', { key: apiKey })).status).toBe(200);
    await h.tenancy.apiKeys.revoke(tenant.id, record.id);
    expect((await call(h.app, 'GET', '/v1/groups', { key: apiKey })).status).toBe(401);
  });

  it(`rate-limits an address after ${AUTH_FAILURE_LIMIT} bad keys per window, even for a good key`, async () => {
    // Own counter namespace, so the other tests' requests from 127.0.0.1 are not blocked.
    const prefix = `${h.redis.prefix}rl:`;
    const limited: RunningApp = await h.startApp({ outbound: h.outbound, tenancy: h.tenancy, redis: h.redis.redis, redisPrefix: prefix });
    expect((await call(limited, 'GET', '/v1/boxes', { key: h.a.apiKey })).status).toBe(200);
    for (let i = 0; i < AUTH_FAILURE_LIMIT; i++) {
      expect((await call(limited, 'GET', '/v1/boxes', { key: generateApiKey() })).status).toBe(401);
    }
    const blocked = await call(limited, 'GET', '/v1/boxes', { key: generateApiKey() });
    expect(blocked.status).toBe(429);
    expect((await errorOf(blocked)).code).toBe('RATE_LIMITED');
    const retryAfter = Number(blocked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(AUTH_FAILURE_WINDOW_SECONDS);
    expect((await call(limited, 'GET', '/v1/boxes', { key: h.a.apiKey })).status).toBe(429);
    // The counter is a Redis key with a TTL: it expires on its own.
    const counters = (await h.redis.keys()).filter((k) => k.startsWith(`${prefix}authfail:`));
    expect(counters).toHaveLength(1);
    expect(await h.redis.redis.ttl(counters[0]!)).toBeGreaterThan(0);
    await h.redis.redis.del(counters[0]!);
    expect((await call(limited, 'GET', '/v1/boxes', { key: h.a.apiKey })).status).toBe(200);
    // The main app (other prefix) was never limited.
    expect((await call(h.app, 'GET', '/v1/boxes', { key: h.a.apiKey })).status).toBe(200);
  });

  it('probes are open', async () => {
    expect(await (await call(h.app, 'GET', '/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await call(h.app, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { redis: 'ok', queues: 'ok' } });
  });
});

describe('tenant isolation', () => {
  it('tenant B gets 404 on every route with tenant A’s ids, and sees none of A’s data', async () => {
    const group = await call(h.app, 'POST', '/v1/groups', { key: h.a.apiKey, json: { name: 'A ward', members: [{ type: 'NIHII', id: h.doctorNihii, quality: 'DOCTOR' }] } });
    const groupId = ((await group.json()) as { id: string }).id;
    const msg = await call(h.app, 'POST', '/v1/messages', { key: h.a.apiKey, json: jsonMessage(h.doctorNihii, Buffer.from('for A only')) });
    const messageId = ((await msg.json()) as { id: string }).id;
    await h.store.updateRow(messageId, 0, { state: 'failed', code: 'X', reason: 'x' });

    const asB = (method: string, route: string, json?: unknown) => call(h.app, method, route, { key: h.b.apiKey, json });
    const attempts: [string, string, unknown?][] = [
      ['GET', `/v1/messages/${messageId}`],
      ['POST', `/v1/messages/${messageId}/retry`],
      ['GET', `/v1/groups/${groupId}`],
      ['PUT', `/v1/groups/${groupId}`, { name: 'hijack', members: [{ type: 'NIHII', id: h.doctorNihii, quality: 'DOCTOR' }] }],
      ['DELETE', `/v1/groups/${groupId}`],
      ['GET', `/v1/boxes/${h.a.boxId}`],
    ];
    for (const [method, route, json] of attempts) {
      const res = await asB(method, route, json);
      expect({ route, method, status: res.status }).toEqual({ route, method, status: 404 });
    }
    // The same calls as A succeed (so the 404s above are about ownership).
    expect((await call(h.app, 'GET', `/v1/messages/${messageId}`, { key: h.a.apiKey })).status).toBe(200);
    expect((await call(h.app, 'GET', `/v1/groups/${groupId}`, { key: h.a.apiKey })).status).toBe(200);
    expect((await call(h.app, 'GET', `/v1/boxes/${h.a.boxId}`, { key: h.a.apiKey })).status).toBe(200);

    expect(await (await asB('GET', '/v1/messages')).json()).toEqual({ items: [] });
    expect(await (await asB('GET', '/v1/groups')).json()).toEqual({ items: [] });
    const boxes = (await (await asB('GET', '/v1/boxes')).json()) as { items: { id: string }[] };
    expect(boxes.items.map((b) => b.id)).toEqual([h.b.boxId]);

    const viaGroup = await asB('POST', '/v1/messages', jsonMessage(h.doctorNihii, Buffer.from('x'), { recipients: [{ group: groupId }] }));
    expect([viaGroup.status, (await errorOf(viaGroup)).code]).toEqual([422, 'GROUP_NOT_FOUND']);
    const viaBox = await asB('POST', '/v1/messages', jsonMessage(h.doctorNihii, Buffer.from('x'), { senderBox: h.a.boxId }));
    expect([viaBox.status, (await errorOf(viaBox)).code]).toEqual([422, 'SENDER_BOX_NOT_FOUND']);
    // A's group is untouched.
    expect(((await (await call(h.app, 'GET', `/v1/groups/${groupId}`, { key: h.a.apiKey })).json()) as { name: string }).name).toBe('A ward');
  });
});

describe('groups and boxes', () => {
  it('create, list, read, replace and delete a group', async () => {
    const members = [{ type: 'NIHII', id: h.doctorNihii, quality: 'doctor' }];
    const created = await call(h.app, 'POST', '/v1/groups', { key: h.b.apiKey, json: { name: 'Night nurses', members } });
    expect(created.status).toBe(201);
    const group = (await created.json()) as { id: string; name: string; members: unknown[]; tenantId?: string };
    expect(created.headers.get('location')).toBe(`/v1/groups/${group.id}`);
    expect(group).toMatchObject({ name: 'Night nurses', members: [{ type: 'NIHII', id: h.doctorNihii, quality: 'DOCTOR' }] });
    expect(group.tenantId).toBeUndefined();
    const list = (await (await call(h.app, 'GET', '/v1/groups', { key: h.b.apiKey })).json()) as { items: { id: string }[] };
    expect(list.items.map((g) => g.id)).toEqual([group.id]);
    const replaced = await call(h.app, 'PUT', `/v1/groups/${group.id}`, { key: h.b.apiKey, json: { name: 'Day nurses', members } });
    expect(replaced.status).toBe(200);
    expect(((await replaced.json()) as { name: string }).name).toBe('Day nurses');
    expect((await call(h.app, 'DELETE', `/v1/groups/${group.id}`, { key: h.b.apiKey })).status).toBe(204);
    const gone = await call(h.app, 'GET', `/v1/groups/${group.id}`, { key: h.b.apiKey });
    expect([gone.status, (await errorOf(gone)).code]).toEqual([404, 'GROUP_NOT_FOUND']);
    expect((await call(h.app, 'DELETE', `/v1/groups/${group.id}`, { key: h.b.apiKey })).status).toBe(404);
  });

  it('lists sender boxes without keystore paths or password references', async () => {
    const res = await call(h.app, 'GET', '/v1/boxes', { key: h.a.apiKey });
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ items: [{ id: h.a.boxId, label: 'Hospital A (fictitious) main box', box: expect.objectContaining({ type: 'NIHII', subType: 'HOSPITAL', quality: 'HOSPITAL' }) as unknown, quality: 'hospital' }] });
    expect(text).not.toContain('keystore');
    expect(text).not.toContain('FICTITIOUS_KEYSTORE_PASSWORD');
  });
});
