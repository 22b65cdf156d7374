import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate } from '../../src/api/middleware/auth.ts';
import { errorHandler } from '../../src/api/middleware/error-handler.ts';
import { requestId } from '../../src/api/middleware/request-id.ts';
import { boxesPollRouter, inboxRouter } from '../../src/api/routes/inbox.ts';
import { createInboxApiDeps, type InboundDeps } from '../../src/inbound/inbound-deps.ts';
import { inboxIdFor } from '../../src/inbound/inbox-record.ts';
import { processPoll, pollNowJobId } from '../../src/workers/poll.ts';
import { startInboundWorkers } from '../../src/workers/inbound-workers.ts';
import { providers, folder, letter, sendTampered, sendToHospital, startInboundBench, waitFor, type InboundBench } from './helpers.ts';

let b: InboundBench;
let deps: InboundDeps;
let server: http.Server;
let base: string;
let key: string;
let otherKey: string;

beforeAll(async () => {
  b = await startInboundBench('inbound-api');
  deps = b.inboundDeps();
  const apiDeps = createInboxApiDeps({ redis: b.gw.redis, prefix: b.redis.prefix, blobs: b.gw.deps.staging.blobs, queues: b.gw.deps.queues, tenancy: b.gw.tenancy });
  // the API's own chain: request id → authentication → routes → error middleware
  const app = express();
  app.use(requestId());
  const v1 = express.Router();
  v1.use(authenticate({ tenancy: b.gw.tenancy, redis: b.gw.redis, redisPrefix: b.redis.prefix }));
  v1.use('/inbox', inboxRouter(apiDeps));
  v1.use('/boxes', boxesPollRouter(apiDeps));
  app.use('/v1', v1);
  app.use(errorHandler(pino({ level: 'silent' })));
  server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  key = (await b.gw.tenancy.apiKeys.create(b.tenant.id, { label: 'test' })).apiKey;
  const other = await b.gw.tenancy.tenants.create({ name: 'Other hospital' });
  otherKey = (await b.gw.tenancy.apiKeys.create(other.id, { label: 'other' })).apiKey;
}, 120_000);

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  await b?.close();
});

const get = (path: string, apiKey = key) => fetch(base + path, { headers: { authorization: `Bearer ${apiKey}` } });
const post = (path: string, apiKey = key) => fetch(base + path, { method: 'POST', headers: { authorization: `Bearer ${apiKey}` } });

interface Item { id: string; title: string; sender: { id: string; name: string }; receivedAt: string; verdict: { ok: boolean; flagged: boolean }; state: string; box: string }

describe('inbox API', () => {
  let id: string;
  let flaggedId: string;

  it('lists stored messages with title, sender, verdict, state and box', async () => {
    const gp = providers(b.sandbox)[0]!;
    id = inboxIdFor(b.tenant.id, b.box.id, sendToHospital(b, gp, letter('api1')));
    flaggedId = inboxIdFor(b.tenant.id, b.box.id, sendTampered(b, gp, letter('api2')));
    await processPoll({ tenantId: b.tenant.id, boxId: b.box.id }, deps);

    const res = await get('/inbox');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: Item[]; cursor?: string };
    expect(body.cursor).toBeUndefined();
    const byId = new Map(body.items.map((i) => [i.id, i]));
    expect(byId.get(id)).toMatchObject({ title: 'Referral letter api1', sender: { id: gp.boxes[0]!.id }, verdict: { ok: true, flagged: false }, state: 'new', box: b.box.id });
    expect(byId.get(flaggedId)).toMatchObject({ title: 'Referral letter api2', verdict: { ok: false, flagged: true } });
    expect(Date.parse(byId.get(id)!.receivedAt)).toBeGreaterThan(0);
  });

  it('answers one message with its decrypted fields, verdicts and annex list', async () => {
    const res = await get(`/inbox/${id}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      id,
      freeText: { text: 'Please see the patient this week (api1)' },
      patientInss: '85073003328',
      document: { filename: 'referral-api1.pdf', mimeType: 'application/pdf', available: true, link: `/v1/inbox/${id}/document` },
      annexes: [{ n: 0, title: 'Lab results api1', filename: 'lab.txt', mimeType: 'text/plain', size: 'lab values api1'.length, available: true }],
      verdict: { ok: true, status: 'verified' },
    });
    expect((body.fields as { field: string; ok: boolean }[]).every((f) => f.ok)).toBe(true);
  });

  it('streams the document and annexes with their MIME type and file name', async () => {
    const doc = await get(`/inbox/${id}/document`);
    expect(doc.status).toBe(200);
    expect(doc.headers.get('content-type')).toBe('application/pdf');
    expect(doc.headers.get('content-disposition')).toMatch(/^attachment; filename="?referral-api1\.pdf"?$/);
    expect(doc.headers.get('x-ehbox-verdict')).toBe('ok');
    expect(await doc.text()).toBe('%PDF-1.4 fictitious referral api1');
    const annex = await get(`/inbox/${id}/annexes/0`);
    expect(annex.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(annex.headers.get('content-disposition')).toMatch(/^attachment; filename="?lab\.txt"?$/);
    expect(await annex.text()).toBe('lab values api1');
    const missing = await get(`/inbox/${id}/annexes/3`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { code: string }).code).toBe('INBOX_CONTENT_UNAVAILABLE');
    // a flagged message is served, but says so
    const flagged = await get(`/inbox/${flaggedId}/document`);
    expect(flagged.headers.get('x-ehbox-verdict')).toBe('flagged');
    await flagged.arrayBuffer();
  });

  it('acknowledges a message (state acked) and filters by state', async () => {
    const res = await post(`/inbox/${id}/ack`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id, state: 'acked' });
    const fresh = (await (await get('/inbox?state=new')).json()) as { items: Item[] };
    expect(fresh.items.map((i) => i.id)).not.toContain(id);
    expect(fresh.items.map((i) => i.id)).toContain(flaggedId);
    const acked = (await (await get('/inbox?state=acked')).json()) as { items: Item[] };
    expect(acked.items.map((i) => [i.id, i.state])).toEqual([[id, 'acked']]);
    // acking twice is harmless
    expect((await post(`/inbox/${id}/ack`)).status).toBe(200);
  });

  it('pages with a cursor, oldest first, and honours since', async () => {
    const first = (await (await get('/inbox?limit=1')).json()) as { items: Item[]; cursor: string };
    expect(first.items).toHaveLength(1);
    expect(first.cursor).toBeDefined();
    const second = (await (await get(`/inbox?limit=1&cursor=${first.cursor}`)).json()) as { items: Item[]; cursor?: string };
    expect(second.items).toHaveLength(1);
    expect(second.items[0]!.id).not.toBe(first.items[0]!.id);
    expect(Date.parse(second.items[0]!.receivedAt)).toBeGreaterThanOrEqual(Date.parse(first.items[0]!.receivedAt));
    const later = (await (await get(`/inbox?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).json()) as { items: Item[] };
    expect(later.items).toEqual([]);
    expect((await get('/inbox?cursor=not-a-cursor')).status).toBe(422);
    expect((await get('/inbox?state=unknown')).status).toBe(422);
  });

  it("answers 404 INBOX_MESSAGE_NOT_FOUND for another tenant's message", async () => {
    for (const path of [`/inbox/${id}`, `/inbox/${id}/document`, `/inbox/${id}/annexes/0`]) {
      const res = await get(path, otherKey);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ code: 'INBOX_MESSAGE_NOT_FOUND' });
    }
    expect((await post(`/inbox/${id}/ack`, otherKey)).status).toBe(404);
    expect(((await (await get('/inbox', otherKey)).json()) as { items: Item[] }).items).toEqual([]);
    expect((await get('/inbox/inb_000000000000000000000000')).status).toBe(404);
    expect((await get(`/inbox?box=${b.box.id}`, otherKey)).status).toBe(404);
  });

  it('polls a box now on POST /v1/boxes/:id/poll', async () => {
    const gp = providers(b.sandbox)[1]!;
    const ehboxId = sendToHospital(b, gp, letter('now'));
    const res = await post(`/boxes/${b.box.id}/poll`);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ box: b.box.id, state: 'queued' });
    expect(await b.gw.deps.queues.queue('poll').getJob(pollNowJobId(b.tenant.id, b.box.id))).toBeDefined();
    expect((await post(`/boxes/${b.box.id}/poll`, otherKey)).status).toBe(404);
    startInboundWorkers(deps, ['poll']);
    await waitFor(async () => (await deps.inbox.get(b.tenant.id, inboxIdFor(b.tenant.id, b.box.id, ehboxId))) !== undefined, 15_000, 'the poll');
    await waitFor(() => folder(b, 'BININBOX').includes(ehboxId), 5000, 'the move');
  });
});
