/**
 * POST/GET /v1/messages over real HTTP, Redis and S3: what a 202 leaves
 * behind (record, resolve job, encrypted staged objects), the multipart
 * stream, idempotency, list and retry.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stagingKeys } from '../../src/outbound/staging.ts';
import { jobId } from '../../src/workers/queues.ts';
import { call, errorOf, jsonMessage, startApiHarness, type ApiHarness } from './api-harness.ts';

const MARKER = 'PLAINTEXT-MARKER-7f3c9a';
let h: ApiHarness;

beforeAll(async () => {
  h = await startApiHarness('messages');
});
afterAll(async () => {
  await h.close();
});

/** Every value stored under the test prefix, as one string. */
async function redisDump(): Promise<string> {
  const out: string[] = [];
  for (const key of await h.redis.keys()) {
    const type = await h.redis.redis.type(key);
    if (type === 'string') out.push((await h.redis.redis.get(key)) ?? '');
    else if (type === 'hash') out.push(JSON.stringify(await h.redis.redis.hgetall(key)));
    else if (type === 'list') out.push(JSON.stringify(await h.redis.redis.lrange(key, 0, -1)));
    else if (type === 'set') out.push(JSON.stringify(await h.redis.redis.smembers(key)));
    else if (type === 'zset') out.push(JSON.stringify(await h.redis.redis.zrange(key, '0', '-1')));
    else if (type === 'stream') out.push(JSON.stringify(await h.redis.redis.xrange(key, '-', '+')));
    else out.push(`unchecked ${type}`);
  }
  return out.join('\n');
}

function multipartForm(metadata: unknown, files: { name: string; bytes: Buffer }[]): FormData {
  const form = new FormData();
  form.append('metadata', JSON.stringify(metadata));
  for (const f of files) form.append(f.name, new Blob([f.bytes]), 'file.bin');
  return form;
}

describe('POST /v1/messages (JSON)', () => {
  it('answers 202 with Location only once the message is stored, staged encrypted and its resolve job enqueued', async () => {
    const document = Buffer.from(`%PDF-1.4 ${MARKER} discharge letter of a fictitious patient`);
    const annex = Buffer.from(`lab results ${MARKER}`);
    const body = jsonMessage(h.doctorNihii, document, {
      title: `Letter ${MARKER}`,
      freeText: `Free text ${MARKER}`,
      annexes: [{ title: `Annex ${MARKER}`, filename: 'lab.txt', mimeType: 'text/plain', content: annex.toString('base64') }],
    });
    const res = await call(h.app, 'POST', '/v1/messages', { key: h.a.apiKey, json: body, headers: { 'x-request-id': 'engine-req-42' } });
    expect(res.status).toBe(202);
    expect(res.headers.get('x-request-id')).toBe('engine-req-42');
    const answer = (await res.json()) as { id: string; state: string; location: string };
    expect(answer.id).toMatch(/^m[0-9a-z]{24}$/);
    expect(answer.state).toBe('accepted');
    expect(res.headers.get('location')).toBe(`/v1/messages/${answer.id}`);
    expect(answer.location).toBe(`/v1/messages/${answer.id}`);

    const stored = await h.store.get(h.a.tenant.id, answer.id);
    expect(stored?.meta.senderBoxId).toBe(h.a.boxId);
    expect(stored?.rows.map((r) => [r.type, r.id, r.quality, r.state])).toEqual([['NIHII', h.doctorNihii, 'DOCTOR', 'pending']]);
    const job = await h.queues.queue('resolve').getJob(jobId(answer.id, 'resolve'));
    expect(job?.data).toEqual({ messageId: answer.id, round: 0 });

    const keys = stagingKeys(answer.id);
    for (const key of [keys.document, keys.annex(0), keys.fields]) {
      const raw = await h.plain.getBuffer(key);
      expect(raw.length).toBeGreaterThan(0);
      expect(raw.includes(MARKER)).toBe(false);
    }
    expect((await h.blobs.getBuffer(keys.document)).equals(document)).toBe(true);
    expect((await h.blobs.getBuffer(keys.annex(0))).equals(annex)).toBe(true);
    expect((await h.blobs.getBuffer(keys.fields)).toString()).toContain(`Letter ${MARKER}`);
    expect(await redisDump()).not.toContain(MARKER);

    const view = await call(h.app, 'GET', `/v1/messages/${answer.id}`, { key: h.a.apiKey });
    expect(view.status).toBe(200);
    expect(await view.json()).toMatchObject({
      id: answer.id,
      state: 'accepted',
      recipients: [{ type: 'NIHII', id: h.doctorNihii, quality: 'DOCTOR', state: 'pending' }],
    });
  });

  it('accepts a group recipient and expands it', async () => {
    const group = await call(h.app, 'POST', '/v1/groups', {
      key: h.a.apiKey,
      json: { name: 'Ward 3 doctors', members: [{ type: 'NIHII', id: h.doctorNihii, quality: 'DOCTOR' }, { search: { kind: 'professional', lastName: 'Peeters' } }] },
    });
    expect(group.status).toBe(201);
    const { id: groupId } = (await group.json()) as { id: string };
    const res = await call(h.app, 'POST', '/v1/messages', { key: h.a.apiKey, json: jsonMessage(h.doctorNihii, Buffer.from('x'), { recipients: [{ group: groupId }] }) });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const view = (await (await call(h.app, 'GET', `/v1/messages/${id}`, { key: h.a.apiKey })).json()) as { recipients: { group?: string; state: string }[] };
    expect(view.recipients).toHaveLength(2);
    expect(view.recipients.every((r) => r.group === groupId && r.state === 'pending')).toBe(true);
  });
});

describe('POST /v1/messages (multipart)', () => {
  it('streams a 5 MB document and an annex into staging', async () => {
    const document = randomBytes(5 * 1000 * 1000);
    const annex = Buffer.from('second file');
    const metadata = {
      title: 'Imaging report',
      document: { filename: 'report.pdf', mimeType: 'application/pdf' },
      annexes: [{ title: 'Note', filename: 'note.txt', mimeType: 'text/plain' }],
      recipients: [{ type: 'NIHII', id: h.doctorNihii, quality: 'DOCTOR' }],
    };
    const res = await fetch(`${h.app.url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.a.apiKey}` },
      body: multipartForm(metadata, [{ name: 'document', bytes: document }, { name: 'annex', bytes: annex }]),
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const stored = await h.store.get(h.a.tenant.id, id);
    expect(stored?.meta.parts.document.size).toBe(document.length);
    expect(stored?.meta.parts.annexes.map((a) => a.size)).toEqual([annex.length]);
    const staged = await h.blobs.getBuffer(stagingKeys(id).document);
    expect(createHash('sha256').update(staged).digest('hex')).toBe(createHash('sha256').update(document).digest('hex'));
    expect((await h.blobs.getBuffer(stagingKeys(id).annex(0))).toString()).toBe('second file');
    expect(await h.queues.queue('resolve').getJob(jobId(id, 'resolve'))).toBeDefined();
  });

  it('takes indexed annex parts in any order, and the metadata as a JSON file part', async () => {
    const metadata = {
      title: 'Two annexes',
      document: { filename: 'd.txt', mimeType: 'text/plain' },
      annexes: [{ title: 'First', filename: 'a.txt', mimeType: 'text/plain' }, { title: 'Second', filename: 'b.txt', mimeType: 'text/plain' }],
      recipients: [{ type: 'NIHII', id: h.doctorNihii, quality: 'DOCTOR' }],
    };
    const form = new FormData();
    form.append('metadata', new Blob([JSON.stringify(metadata)], { type: 'application/json' }), 'metadata.json');
    form.append('annex[1]', new Blob(['bbb']), 'b.txt');
    form.append('document', new Blob(['ddd']), 'd.txt');
    form.append('annex[0]', new Blob(['a']), 'a.txt');
    const res = await fetch(`${h.app.url}/v1/messages`, { method: 'POST', headers: { authorization: `Bearer ${h.a.apiKey}` }, body: form });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    expect((await h.blobs.getBuffer(stagingKeys(id).annex(0))).toString()).toBe('a');
    expect((await h.blobs.getBuffer(stagingKeys(id).annex(1))).toString()).toBe('bbb');
    expect((await h.store.get(h.a.tenant.id, id))?.meta.parts.annexes.map((a) => a.size)).toEqual([1, 3]);
  });
});

describe('Idempotency-Key', () => {
  it('gives the same id for the same body and 409 for another body, in JSON and multipart alike', async () => {
    const key = `engine-${randomBytes(4).toString('hex')}`;
    const body = jsonMessage(h.doctorNihii, Buffer.from('same content'));
    const first = await call(h.app, 'POST', '/v1/messages', { key: h.a.apiKey, json: body, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(202);
    const { id } = (await first.json()) as { id: string };
    const again = await call(h.app, 'POST', '/v1/messages', { key: h.a.apiKey, json: body, headers: { 'idempotency-key': key } });
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(((await again.json()) as { id: string }).id).toBe(id);

    // The same message as multipart hashes alike.
    const { document: { content: _c, ...docMeta }, ...rest } = body as { document: { content: string } } & Record<string, unknown>;
    const viaForm = await fetch(`${h.app.url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.a.apiKey}`, 'idempotency-key': key },
      body: multipartForm({ ...rest, document: docMeta }, [{ name: 'document', bytes: Buffer.from('same content') }]),
    });
    expect(viaForm.status).toBe(202);
    expect(((await viaForm.json()) as { id: string }).id).toBe(id);

    const other = await call(h.app, 'POST', '/v1/messages', { key: h.a.apiKey, json: jsonMessage(h.doctorNihii, Buffer.from('other content')), headers: { 'idempotency-key': key } });
    expect(other.status).toBe(409);
    expect((await errorOf(other)).code).toBe('IDEMPOTENCY_CONFLICT');
    const otherForm = await fetch(`${h.app.url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.a.apiKey}`, 'idempotency-key': key },
      body: multipartForm({ ...rest, document: docMeta }, [{ name: 'document', bytes: Buffer.from('changed file') }]),
    });
    expect(otherForm.status).toBe(409);

    // One message only, and the refused uploads left nothing staged.
    expect((await h.redis.keys()).filter((k) => k.includes(':msg:'))).toContain(`${h.redis.prefix}msg:${id}`);
    const stagedIds = new Set((await h.stagedKeys()).map((k) => k.split('/')[1]!));
    expect(stagedIds.has(id)).toBe(true);
    for (const m of stagedIds) expect(await h.store.get(undefined, m), `orphan staged objects of ${m}`).toBeDefined();
  });

  it('refuses a malformed key', async () => {
    const res = await call(h.app, 'POST', '/v1/messages', { key: h.a.apiKey, json: jsonMessage(h.doctorNihii, Buffer.from('x')), headers: { 'idempotency-key': 'has space' } });
    expect(res.status).toBe(422);
    expect((await errorOf(res)).details?.issues?.[0]?.path).toBe('headers.idempotency-key');
  });
});

describe('GET /v1/messages and retry', () => {
  it('lists the tenant’s messages newest first, pages with a cursor and filters by state', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await call(h.app, 'POST', '/v1/messages', { key: h.b.apiKey, json: jsonMessage(h.doctorNihii, Buffer.from(`m${i}`)) });
      ids.push(((await res.json()) as { id: string }).id);
      await new Promise((r) => setTimeout(r, 3));
    }
    const page1 = (await (await call(h.app, 'GET', '/v1/messages?limit=2', { key: h.b.apiKey })).json()) as { items: { id: string }[]; cursor?: string };
    expect(page1.items.map((m) => m.id)).toEqual([ids[2], ids[1]]);
    expect(page1.cursor).toBeDefined();
    const page2 = (await (await call(h.app, 'GET', `/v1/messages?limit=2&cursor=${page1.cursor}`, { key: h.b.apiKey })).json()) as { items: { id: string }[]; cursor?: string };
    expect(page2.items.map((m) => m.id)).toEqual([ids[0]]);
    expect(page2.cursor).toBeUndefined();
    const failedOnly = (await (await call(h.app, 'GET', '/v1/messages?state=failed', { key: h.b.apiKey })).json()) as { items: unknown[] };
    expect(failedOnly.items).toEqual([]);
    const bad = await call(h.app, 'GET', '/v1/messages?state=lost&limit=0', { key: h.b.apiKey });
    expect(bad.status).toBe(422);
    expect((await errorOf(bad)).details?.issues?.map((i) => i.path).sort()).toEqual(['limit', 'state']);
  });

  it('retries failed recipients only (409 NOTHING_TO_RETRY otherwise)', async () => {
    const res = await call(h.app, 'POST', '/v1/messages', { key: h.a.apiKey, json: jsonMessage(h.doctorNihii, Buffer.from('retry me')) });
    const { id } = (await res.json()) as { id: string };
    const nothing = await call(h.app, 'POST', `/v1/messages/${id}/retry`, { key: h.a.apiKey });
    expect(nothing.status).toBe(409);
    expect((await errorOf(nothing)).code).toBe('NOTHING_TO_RETRY');

    await h.store.updateRow(id, 0, { state: 'failed', code: 'ETK_NOT_FOUND', reason: 'no ETK' });
    const failed = (await (await call(h.app, 'GET', `/v1/messages/${id}`, { key: h.a.apiKey })).json()) as { state: string; recipients: { state: string; code?: string; reason?: string }[] };
    expect(failed.state).toBe('failed');
    expect(failed.recipients[0]).toMatchObject({ state: 'failed', code: 'ETK_NOT_FOUND', reason: 'no ETK' });

    const retried = await call(h.app, 'POST', `/v1/messages/${id}/retry`, { key: h.a.apiKey });
    expect(retried.status).toBe(202);
    const view = (await retried.json()) as { recipients: { state: string; code?: string }[] };
    expect(view.recipients[0]!.state).toBe('pending');
    expect(view.recipients[0]!.code).toBeUndefined();
    const jobs = await h.queues.queue('resolve').getJobs(['waiting', 'delayed', 'prioritized']);
    expect(jobs.filter((j) => j.data.messageId === id).length).toBe(2);
  });

  it('answers 404 for unknown and malformed ids', async () => {
    for (const route of ['/v1/messages/m000000000000000000000000', '/v1/messages/..%2F..%2Fetc', '/v1/messages/*']) {
      const res = await call(h.app, 'GET', route, { key: h.a.apiKey });
      expect(res.status).toBe(404);
      expect((await errorOf(res)).code).toBe('MESSAGE_NOT_FOUND');
    }
  });
});
