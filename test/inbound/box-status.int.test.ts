/**
 * Box health as the outside world sees it: `GET /v1/boxes` and
 * `/v1/boxes/:id` carry the status each poll records (usage, stand-by, full,
 * last poll), and `/metrics` shows the box usage gauges — both through the
 * gateway's own API server (`startApi`), so the composition root's wiring is
 * what is tested.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from '../../src/main/api-server.ts';
import { processPoll } from '../../src/workers/poll.ts';
import { boxStatus, type BoxStatus } from '../../src/inbound/box-health.ts';
import type { InboundDeps } from '../../src/inbound/inbound-deps.ts';
import { letter, providers, sendToHospital, startInboundBench, type InboundBench } from './helpers.ts';

let b: InboundBench;
let deps: InboundDeps;
let api: { url: string; close(): Promise<void> };
let key: string;
let otherKey: string;

beforeAll(async () => {
  b = await startInboundBench('inbound-box-status');
  deps = b.inboundDeps();
  api = await startApi(b.gw.config, b.gw);
  key = (await b.gw.tenancy.apiKeys.create(b.tenant.id, { label: 'test' })).apiKey;
  const other = await b.gw.tenancy.tenants.create({ name: 'Other hospital' });
  otherKey = (await b.gw.tenancy.apiKeys.create(other.id, { label: 'other' })).apiKey;
}, 120_000);

afterAll(async () => {
  await api?.close();
  await b?.close();
});

const get = (path: string, apiKey = key) => fetch(api.url + path, { headers: { authorization: `Bearer ${apiKey}` } });
const poll = () => processPoll({ tenantId: b.tenant.id, boxId: b.box.id }, deps);
/** A gauge's value for the bench's box in the Prometheus text. */
function gauge(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{box="${b.box.id}"}`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

describe('box health in the API and metrics', () => {
  it('shows no status before the first poll', async () => {
    const res = await get('/v1/boxes');
    expect(res.status).toBe(200);
    const { items } = (await res.json()) as { items: { id: string; status?: BoxStatus }[] };
    const mine = items.find((x) => x.id === b.box.id)!;
    expect(mine).toBeDefined();
    expect(mine.status).toBeUndefined();
  });

  it('shows usage, stand-by, full and the last poll once polled, in the list and per box', async () => {
    sendToHospital(b, providers(b.sandbox)[0]!, letter('s1'));
    expect(await poll()).toMatchObject({ ok: true, stored: 1 });
    const recorded = (await boxStatus(b.gw.redis, b.redis.prefix, b.tenant.id, b.box.id))!;

    const list = (await (await get('/v1/boxes')).json()) as { items: { id: string; status?: BoxStatus }[] };
    const status = list.items.find((x) => x.id === b.box.id)!.status!;
    expect(status).toEqual(recorded);
    expect(status.maxSize).toBe(b.hospital.quotaBytes);
    expect(status.currentSize).toBeGreaterThan(0);
    expect(status.usage).toBeCloseTo(status.currentSize! / status.maxSize!, 10);
    expect(status).toMatchObject({ boxId: b.box.id, standBy: 0, full: false, lastPoll: { ok: true, fetched: 1, stored: 1, cleaned: 1 } });

    const one = await get(`/v1/boxes/${b.box.id}`);
    expect(one.status).toBe(200);
    const body = (await one.json()) as { id: string; status?: BoxStatus; keystorePath?: string };
    expect(body.status).toEqual(recorded);
    expect(body.keystorePath).toBeUndefined();
    // another tenant sees neither the box nor its health
    expect((await get(`/v1/boxes/${b.box.id}`, otherKey)).status).toBe(404);
  });

  it('reports a box as full when its usage reaches the threshold', async () => {
    const quota = b.hospital.quotaBytes;
    try {
      const used = (await boxStatus(b.gw.redis, b.redis.prefix, b.tenant.id, b.box.id))!.currentSize!;
      b.hospital.quotaBytes = used; // 100 % used
      await poll();
      const body = (await (await get(`/v1/boxes/${b.box.id}`)).json()) as { status: BoxStatus };
      expect(body.status).toMatchObject({ maxSize: used, usage: 1, full: true });
    } finally {
      b.hospital.quotaBytes = quota;
    }
    await poll();
    const body = (await (await get(`/v1/boxes/${b.box.id}`)).json()) as { status: BoxStatus };
    expect(body.status).toMatchObject({ maxSize: quota, full: false });
  });

  it('exposes the usage gauges of polled boxes on /metrics', async () => {
    const s = (await boxStatus(b.gw.redis, b.redis.prefix, b.tenant.id, b.box.id))!;
    const res = await fetch(`${api.url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(gauge(text, 'ehbox_box_used_bytes')).toBe(s.currentSize);
    expect(gauge(text, 'ehbox_box_max_bytes')).toBe(s.maxSize);
    expect(gauge(text, 'ehbox_box_standby_messages')).toBe(0);

    // the gauges follow the recorded health at each scrape
    sendToHospital(b, providers(b.sandbox)[1]!, letter('s2'));
    await poll();
    const after = (await boxStatus(b.gw.redis, b.redis.prefix, b.tenant.id, b.box.id))!;
    expect(after.currentSize).toBeGreaterThan(s.currentSize!);
    expect(gauge(await (await fetch(`${api.url}/metrics`)).text(), 'ehbox_box_used_bytes')).toBe(after.currentSize);
  });
});
