import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processPoll, pollSchedulerId, syncPollSchedules } from '../../src/workers/poll.ts';
import { inboxIdFor } from '../../src/inbound/inbox-record.ts';
import { boxStatus } from '../../src/inbound/box-health.ts';
import type { InboundDeps } from '../../src/inbound/inbound-deps.ts';
import { providers, folder, letter, receivedWebhooks, sendTampered, sendToHospital, startInboundBench, type InboundBench } from './helpers.ts';

let b: InboundBench;
let deps: InboundDeps;

beforeAll(async () => {
  b = await startInboundBench('inbound-poll');
  deps = b.inboundDeps();
}, 120_000);

afterAll(async () => {
  await b?.close();
});

const poll = (d: InboundDeps = deps) => processPoll({ tenantId: b.tenant.id, boxId: b.box.id }, d);

describe('poll', () => {
  it('stores a GP letter decrypted with a clean verdict, announces it once and moves it to BININBOX', async () => {
    const gp = providers(b.sandbox)[0]!;
    const ehboxId = sendToHospital(b, gp, letter('a1'));
    expect(folder(b, 'INBOX')).toContain(ehboxId);

    const summary = await poll();
    expect(summary).toMatchObject({ ok: true, fetched: 1, stored: 1, flagged: 0, cleaned: 1 });

    const id = inboxIdFor(b.tenant.id, b.box.id, ehboxId);
    const rec = (await deps.inbox.get(b.tenant.id, id))!;
    expect(rec.meta.verdict).toMatchObject({ ok: true, flagged: false, status: 'verified', encrypted: true });
    expect(rec.meta.sender.id).toBe(gp.boxes[0]!.id);
    expect(rec.meta.fields.map((f) => f.field)).toEqual(['document', 'freeText', 'patientInss', 'annex[0].title', 'annex[0].content']);
    expect(rec.state).toBe('new');
    expect(rec.announcedAt).toBeDefined();
    expect(rec.cleanedAt).toBeDefined();

    const fields = await deps.inbox.content.fields(b.tenant.id, id);
    expect(fields).toMatchObject({ title: 'Referral letter a1', freeText: { text: 'Please see the patient this week (a1)' }, patientInss: '85073003328', annexTitles: ['Lab results a1'] });
    const doc = await deps.inbox.content.open(b.tenant.id, id, 'document');
    const chunks: Buffer[] = [];
    for await (const c of doc) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('%PDF-1.4 fictitious referral a1');
    // at rest in S3 the bytes are ciphertext
    const raw = await b.s3.store().getBuffer(`inbox/${b.tenant.id}/${id}/document`);
    expect(raw.includes(Buffer.from('fictitious referral'))).toBe(false);

    expect(await receivedWebhooks(b, id)).toHaveLength(1);
    expect(folder(b, 'INBOX')).not.toContain(ehboxId);
    expect(folder(b, 'BININBOX')).toContain(ehboxId);

    // a second poll finds nothing new and announces nothing again
    expect(await poll()).toMatchObject({ ok: true, fetched: 0, stored: 0 });
    expect(await receivedWebhooks(b, id)).toHaveLength(1);
  });

  it('records box health at each poll', async () => {
    await poll();
    const s = (await boxStatus(b.gw.redis, b.redis.prefix, b.tenant.id, b.box.id))!;
    expect(s.maxSize).toBeGreaterThan(0);
    expect(s.currentSize).toBeGreaterThan(0);
    expect(s.standBy).toBe(0);
    expect(s.full).toBe(false);
    expect(s.lastPoll).toMatchObject({ ok: true });
  });

  it('stores a tampered message flagged with an eHealth code, never dropped', async () => {
    const gp = providers(b.sandbox)[1]!;
    const ehboxId = sendTampered(b, gp, letter('t1'));
    const summary = await poll();
    expect(summary).toMatchObject({ stored: 1, flagged: 1 });
    const rec = (await deps.inbox.get(b.tenant.id, inboxIdFor(b.tenant.id, b.box.id, ehboxId)))!;
    expect(rec.meta.verdict.ok).toBe(false);
    expect(rec.meta.verdict.flagged).toBe(true);
    const problem = rec.meta.verdict.problems.find((p) => p.field === 'document')!;
    expect(problem.code).toMatch(/^(OUTER|INNER|MESSAGE|DECRYPTION|ENVELOPED)_[A-Z_]+$/);
    // the untouched fields still verify
    expect(rec.meta.fields.find((f) => f.field === 'freeText')!.ok).toBe(true);
    expect(await receivedWebhooks(b, rec.meta.id)).toHaveLength(1);
    expect(folder(b, 'BININBOX')).toContain(ehboxId);
  });

  it('loses and duplicates nothing when a poll crashes after storing, before the hand-over and the move', async () => {
    const gp = providers(b.sandbox)[2]!;
    const first = sendToHospital(b, gp, letter('c1'));
    const crashing = b.inboundDeps({
      observe: (e) => {
        if (e.step === 'stored') throw new Error('simulated crash after the Redis commit');
      },
    });
    await expect(poll(crashing)).rejects.toThrow(/simulated crash/);
    const id = inboxIdFor(b.tenant.id, b.box.id, first);
    expect((await deps.inbox.get(b.tenant.id, id))?.announcedAt).toBeUndefined();
    expect(await receivedWebhooks(b, id)).toHaveLength(0);
    expect(folder(b, 'INBOX')).toContain(first);

    const second = sendToHospital(b, gp, letter('c2'));
    const crashBeforeMove = b.inboundDeps({
      observe: (e) => {
        if (e.step === 'before-cleanup') throw new Error('simulated crash before the move');
      },
    });
    await expect(poll(crashBeforeMove)).rejects.toThrow(/before the move/);
    expect(folder(b, 'INBOX')).toEqual(expect.arrayContaining([first, second]));

    const summary = await poll();
    expect(summary).toMatchObject({ ok: true, stored: 0, cleaned: 2 });
    for (const ehboxId of [first, second]) {
      const inboxId = inboxIdFor(b.tenant.id, b.box.id, ehboxId);
      expect(await receivedWebhooks(b, inboxId)).toHaveLength(1);
      expect(folder(b, 'BININBOX').filter((x) => x === ehboxId)).toHaveLength(1);
    }
    expect(folder(b, 'INBOX')).toEqual([]);
    const all = await deps.inbox.list(b.tenant.id, { limit: 200 });
    const byEhbox = all.items.map((r) => r.meta.ehboxMessageId);
    expect(byEhbox.filter((x) => x === first || x === second)).toHaveLength(2);
  });

  it('never runs two polls of one box at once', async () => {
    const gp = providers(b.sandbox)[3]!;
    const ids = Array.from({ length: 12 }, (_, i) => sendToHospital(b, gp, letter(`l${i}`)));
    const [x, y] = await Promise.all([poll(), poll()]);
    // one of them held the lock; the other left a "poll again" mark and did nothing
    expect([x, y].filter((s) => s === undefined)).toHaveLength(1);
    expect((x ?? y)!.stored).toBe(12);
    const all = await deps.inbox.list(b.tenant.id, { box: b.box.id, limit: 200 });
    for (const e of ids) expect(all.items.filter((r) => r.meta.ehboxMessageId === e)).toHaveLength(1);
    expect(folder(b, 'INBOX')).toEqual([]);
  });

  it('deletes instead of moving under the delete policy', async () => {
    await b.gw.tenancy.tenants.update(b.tenant.id, { inboxPolicy: 'delete' });
    try {
      const gp = providers(b.sandbox)[4]!;
      const ehboxId = sendToHospital(b, gp, letter('d1'));
      expect(await poll()).toMatchObject({ stored: 1, cleaned: 1 });
      expect(folder(b, 'INBOX')).not.toContain(ehboxId);
      expect(folder(b, 'BININBOX')).not.toContain(ehboxId);
      expect((await deps.inbox.get(b.tenant.id, inboxIdFor(b.tenant.id, b.box.id, ehboxId)))?.meta.verdict.ok).toBe(true);
    } finally {
      await b.gw.tenancy.tenants.update(b.tenant.id, { inboxPolicy: 'bin' });
    }
  });

  it('keeps one job scheduler per configured box, with a deterministic id', async () => {
    const res = await syncPollSchedules({ queues: b.gw.deps.queues, tenancy: b.gw.tenancy, pollIntervalMs: 7000 });
    // every box of every tenant (the gateway's demo tenant has one too)
    const configured = (await Promise.all((await b.gw.tenancy.tenants.list()).map((t) => b.gw.tenancy.boxes.list(t.id)))).flat();
    expect(res.boxes).toBe(configured.length);
    const schedulers = await b.gw.deps.queues.queue('poll').getJobSchedulers();
    expect(schedulers.map((s) => [s.key, s.every]).sort()).toEqual(configured.map((x) => [pollSchedulerId(x.tenantId, x.id), 7000]).sort());
    expect(schedulers.map((s) => s.key)).toContain(pollSchedulerId(b.tenant.id, b.box.id));
    const other = await b.gw.tenancy.tenants.create({ name: 'gone soon' });
    const hospital = b.sandbox.directory.parties.filter((p) => p.quality === 'HOSPITAL')[1]!;
    const m = b.sandbox.material.parties.get(hospital.name)!;
    const extra = await b.gw.tenancy.boxes.create(other.id, {
      keystorePath: `${m.dir}/keystore.p12`,
      passwordRef: { file: `${m.dir}/password` },
      box: { id: hospital.boxes[0]!.id, type: 'NIHII', subType: 'HOSPITAL', quality: 'HOSPITAL' },
      quality: 'hospital',
      identityType: hospital.certIdentity.type,
      identityId: hospital.certIdentity.id,
    });
    expect((await syncPollSchedules({ queues: b.gw.deps.queues, tenancy: b.gw.tenancy, pollIntervalMs: 7000 })).boxes).toBe(configured.length + 1);
    expect((await b.gw.deps.queues.queue('poll').getJobSchedulers()).map((s) => s.key)).toContain(pollSchedulerId(other.id, extra.id));
    await b.gw.tenancy.boxes.delete(other.id, extra.id);
    expect(await syncPollSchedules({ queues: b.gw.deps.queues, tenancy: b.gw.tenancy, pollIntervalMs: 7000 })).toEqual({ boxes: configured.length, removed: 1 });
    for (const s of await b.gw.deps.queues.queue('poll').getJobSchedulers()) await b.gw.deps.queues.queue('poll').removeJobScheduler(s.key);
  });
});
