/**
 * The notify queue end to end with real Redis, real BullMQ workers and a real
 * SMTP server on port 0: digest windows, languages, read-before-window,
 * SMTP 4xx/5xx handling and an SMTP outage.
 */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateNihii } from '../../src/common/identifiers.ts';
import { createDrbg } from '../../src/crypto/drbg.ts';
import { digestIdOf } from '../../src/mail/digest-store.ts';
import { getMailCounters } from '../../src/mail/mail-metrics.ts';
import type { NotificationRecord } from '../../src/mail/notification-log.ts';
import { MessageStore, type MessageMeta, type RecipientRow } from '../../src/outbound/message-store.ts';
import { bullmqPrefix } from '../../src/storage/redis.ts';
import { createTenancyStores, type TenancyStores } from '../../src/tenancy/tenancy.ts';
import { notifyInbound, notifyRowChange } from '../../src/workers/notify.ts';
import { startNotifyWorkers, type NotifyRole } from '../../src/workers/notify-workers.ts';
import { QueueRegistry } from '../../src/workers/queues.ts';
import { createTestRedis, type TestRedis } from '../helpers/redis.ts';
import { startTestSmtp, type TestSmtp } from './helpers/smtp.ts';

/** Short digest window for tests (production: MAIL_DIGEST_MINUTES). */
const WINDOW_MS = 800;
/** Long enough after a window for its digest job to have run. */
const SETTLE_MS = WINDOW_MS + 700;
/** Put everywhere a message's medical data could leak from; must never reach an e-mail. */
const MARKER = 'ZZMARKER-title-content-9c4e';
const rng = createDrbg('notify-int-tests');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Env {
  redis: TestRedis;
  tenancy: TenancyStores;
  store: MessageStore;
  queues: QueueRegistry;
  role: NotifyRole;
  tenantId: string;
  boxId: string;
}

async function setup(label: string, smtpUrl: string, retry = { attempts: 3, delayMs: 300 }): Promise<Env> {
  const redis = await createTestRedis(label);
  const tenancy = createTenancyStores(redis.redis, redis.prefix);
  const store = new MessageStore(redis.redis, redis.prefix);
  const queues = new QueueRegistry(redis.connection('blocking'), bullmqPrefix(redis.settings));
  const tenant = await tenancy.tenants.create({ name: 'AZ Fictief', staffEmails: ['Secretariaat@az-fictief.test', 'ict@az-fictief.test'] });
  const nihii = generateNihii(rng);
  const box = await tenancy.boxes.create(tenant.id, {
    label: 'AZ Fictief Cardiologie', keystorePath: '/secrets/hospital.p12', passwordRef: { env: 'HOSPITAL_KEYSTORE_PASSWORD' },
    box: { id: nihii, type: 'NIHII', subType: 'HOSPITAL', quality: 'HOSPITAL' }, quality: 'hospital', identityType: 'NIHII-HOSPITAL', identityId: nihii,
  });
  const config = { SMTP_URL: smtpUrl, MAIL_FROM: 'ehbox-bridge <noreply@bridge.test>', MAIL_DIGEST_MINUTES: 15, REDIS_PREFIX: redis.prefix };
  const dataDir = path.join(tmpdir(), `ehbox-notify-${randomBytes(4).toString('hex')}`);
  const role = await startNotifyWorkers(config, { redis: redis.redis, queues, store, tenancy, dataDir }, { windowMs: WINDOW_MS, retry });
  return { redis, tenancy, store, queues, role, tenantId: tenant.id, boxId: box.id };
}

async function teardown(env: Env | undefined): Promise<void> {
  await env?.role.close();
  await env?.queues.close();
  await env?.redis.cleanup();
}

let seq = 0;
/** Creates a message whose metadata carries the marker wherever it could, with one row per recipient. */
async function message(env: Env, to: { email?: string; language?: string }[], notifyRecipients = true): Promise<MessageMeta> {
  const id = `m${++seq}${randomBytes(3).toString('hex')}`;
  const now = new Date().toISOString();
  const meta: MessageMeta = {
    id, tenantId: env.tenantId, senderBoxId: env.boxId, createdAt: now, mode: 'individual', encrypted: true, important: false,
    receipts: { published: false, received: false, read: false }, notifyRecipients,
    customMetas: [{ key: 'title', value: MARKER }],
    parts: { document: { filename: `${MARKER}.pdf`, mimeType: 'application/pdf', size: 10 }, annexes: [{ filename: `${MARKER}-annex.pdf`, mimeType: 'application/pdf', size: 5 }], freeText: true, table: false, patient: true },
    recipientCount: to.length,
  };
  const rows: RecipientRow[] = to.map((r, idx) => ({
    idx, ref: { type: 'NIHII', id: generateNihii(rng), quality: 'DOCTOR' } as RecipientRow['ref'], state: 'sending',
    email: r.email, language: r.language, publicationId: `P${seq}x${idx}`, updatedAt: now,
  }));
  await env.store.create(meta, rows);
  return meta;
}

/** What finalRow does: record the state, then tell the listener. */
async function publish(env: Env, meta: MessageMeta, idx = 0): Promise<void> {
  const row = await env.store.updateRow(meta.id, idx, { state: 'published' });
  await notifyRowChange(env.queues, meta, row!);
}

/** Waits until the address's open window holds `count` messages (their notify jobs ran). */
async function waitForEntries(env: Env, to: string, count: number): Promise<void> {
  const key = `${env.redis.prefix}notify:entries:${digestIdOf('provider', to)}`;
  const end = Date.now() + 5000;
  while ((await env.redis.redis.hlen(key)) < count + 1) {
    if (Date.now() > end) throw new Error(`window of ${to} never reached ${count} entries`);
    await sleep(20);
  }
}

async function recordFor(env: Env, to: string): Promise<NotificationRecord | undefined> {
  return (await env.role.records.recent(env.tenantId, 100)).find((r) => r.to.toLowerCase() === to.toLowerCase());
}

// Independent addresses: the cases run side by side, sharing one SMTP server and worker.
describe.concurrent('update-info e-mails over SMTP', () => {
  let smtp: TestSmtp;
  let env: Env;

  beforeAll(async () => {
    smtp = await startTestSmtp();
    env = await setup('notify', smtp.url);
  });
  afterAll(async () => {
    await teardown(env);
    await smtp?.close();
  });

  it('sends one digest for a burst of 20 published messages, with nothing of their content', async () => {
    const to = 'dr.burst@huisarts.test';
    const metas = await Promise.all(Array.from({ length: 20 }, () => message(env, [{ email: to, language: 'NL' }])));
    const silent = await message(env, [{ email: to, language: 'NL' }], false);
    const failed = await message(env, [{ email: to, language: 'NL' }]);
    const noAddress = await message(env, [{}]);
    await env.store.updateRow(failed.id, 0, { state: 'failed', code: 'ETK_NOT_FOUND' });
    await notifyRowChange(env.queues, failed, (await env.store.row(failed.id, 0))!);
    await Promise.all([...metas.map((m) => publish(env, m)), publish(env, silent), publish(env, noAddress)]);
    for (const m of [silent, failed, noAddress]) expect(await env.queues.queue('notify').getJob(`notify.pub.${m.id}.0`)).toBeUndefined();
    const [mail] = await smtp.waitFor(to, 1, WINDOW_MS + 5000);
    await sleep(SETTLE_MS);
    expect(smtp.to(to)).toHaveLength(1); // 20 counted; the failed, the unasked and the address-less ones not
    expect(mail!.mail.subject).toBe('20 nieuwe berichten in uw eHealthBox');
    expect(mail!.mail.text).toContain('U hebt 20 nieuwe berichten in uw eHealthBox');
    expect(mail!.mail.text).toContain('AZ Fictief Cardiologie');
    expect(mail!.mail.html).toContain('AZ Fictief Cardiologie');
    expect(mail!.raw).not.toContain(MARKER);
    expect(mail!.mail.decoded).not.toContain(MARKER);
    expect(mail!.raw).not.toMatch(/Content-Disposition: attachment/i);
    expect(mail!.mail.headers.get('from')).toContain('noreply@bridge.test');
    const rec = await recordFor(env, to);
    expect(rec).toMatchObject({ status: 'sent', count: 20, kind: 'provider', tenants: [env.tenantId] });
  });

  it('writes in the provider language (fr, nl, de), English otherwise', async () => {
    const cases = [
      ['dr.fr@medecin.test', 'FR', 'Nouveau message dans votre eHealthBox', 'vous a envoyé un nouveau message'],
      ['dr.nl@arts.test', 'nl', 'Nieuw bericht in uw eHealthBox', 'heeft u op'],
      ['dr.de@arzt.test', 'DE', 'Neue Nachricht in Ihrer eHealthBox', 'hat Ihnen am'],
      ['dr.en@doctor.test', undefined, 'New message in your eHealthBox', 'sent you a new message'],
    ] as const;
    const meta = await message(env, cases.map(([email, language]) => ({ email, language })));
    await Promise.all(cases.map((_c, idx) => publish(env, meta, idx)));
    for (const [email, , subject, phrase] of cases) {
      const [mail] = await smtp.waitFor(email, 1, WINDOW_MS + 5000);
      expect(mail!.mail.subject).toBe(subject);
      expect(mail!.mail.text).toContain(phrase);
      expect(mail!.mail.decoded).not.toContain(MARKER);
    }
  });

  it('sends nothing when the messages were read before the window closed, and leaves read ones out of the count', async () => {
    const allRead = 'dr.quick@reader.test';
    const someRead = 'dr.some@reader.test';
    const a = await Promise.all([1, 2].map(() => message(env, [{ email: allRead, language: 'fr' }])));
    const b = await Promise.all([1, 2, 3].map(() => message(env, [{ email: someRead, language: 'en' }])));
    await Promise.all([...a, ...b].map((m) => publish(env, m)));
    await waitForEntries(env, allRead, 2);
    await waitForEntries(env, someRead, 3);
    for (const m of [...a, b[0]!]) await env.store.updateRow(m.id, 0, { state: 'read' });
    await smtp.waitFor(someRead, 1, WINDOW_MS + 5000);
    await sleep(SETTLE_MS);
    expect(smtp.to(allRead)).toHaveLength(0);
    expect(await recordFor(env, allRead)).toMatchObject({ status: 'skipped', count: 0 });
    expect(smtp.to(someRead)[0]!.mail.subject).toBe('2 new messages in your eHealthBox');
  });

  it('retries an SMTP 4xx later, then sends', async () => {
    const to = 'dr.greylisted@busy.test';
    smtp.refuse(to, 451, 451);
    await publish(env, await message(env, [{ email: to }]));
    await smtp.waitFor(to, 1, WINDOW_MS + 8000);
    expect(smtp.attempts.get(to)).toBe(3);
    const rec = await recordFor(env, to);
    expect(rec).toMatchObject({ status: 'sent', attempts: 3, count: 1 });
    const stats = await env.role.records.stats(env.tenantId);
    expect(stats.retried).toBeGreaterThanOrEqual(2);
  });

  it('records an SMTP 5xx on the notification and does not retry', async () => {
    const to = 'dr.gone@closed.test';
    smtp.refuse(to, 550, 550, 550);
    const before = await env.role.records.stats(env.tenantId);
    await publish(env, await message(env, [{ email: to }]));
    const end = Date.now() + WINDOW_MS + 5000;
    while ((await recordFor(env, to))?.status !== 'failed' && Date.now() < end) await sleep(50);
    await sleep(1500); // longer than the retry backoff: a retry would show up as a second attempt
    expect(smtp.to(to)).toHaveLength(0);
    expect(smtp.attempts.get(to)).toBe(1);
    const rec = await recordFor(env, to);
    expect(rec).toMatchObject({ status: 'failed', attempts: 1 });
    expect(rec!.error).toMatch(/550/);
    const stats = await env.role.records.stats(env.tenantId);
    expect(stats.failed).toBe(before.failed + 1);
  });

  it('tells the staff addresses of new inbound mail, one digest per address', async () => {
    const receivedAt = new Date();
    await Promise.all(['ehbox-msg-1', 'ehbox-msg-2', 'ehbox-msg-3'].map((id) => notifyInbound(env.queues, env.tenantId, env.boxId, receivedAt, id)));
    await notifyInbound(env.queues, env.tenantId, env.boxId, receivedAt, 'ehbox-msg-1'); // the same message again: counted once
    for (const to of ['secretariaat@az-fictief.test', 'ict@az-fictief.test']) {
      const [mail] = await smtp.waitFor(to, 1, WINDOW_MS + 5000);
      expect(mail!.mail.subject).toBe('3 new messages in an eHealthBox of your institution');
      expect(mail!.mail.text).toContain('The eHealthBox of AZ Fictief Cardiologie received 3 new messages');
    }
    await sleep(SETTLE_MS);
    expect(smtp.to('ict@az-fictief.test')).toHaveLength(1);
  });
});

describe('SMTP outage', () => {
  let env: Env;
  let smtp: TestSmtp | undefined;

  afterAll(async () => {
    await teardown(env);
    await smtp?.close();
  });

  it('retries while SMTP is down without holding up other notifications, then sends', async () => {
    const probe = await startTestSmtp();
    const port = probe.port;
    await probe.close();
    env = await setup('notify-down', `smtp://127.0.0.1:${port}`, { attempts: 6, delayMs: 400 });
    const first = 'dr.first@outage.test';
    const second = 'dr.second@outage.test';
    const counters = getMailCounters();
    const t0 = Date.now();
    await publish(env, await message(env, [{ email: first }]));
    expect(Date.now() - t0).toBeLessThan(1000); // publishing only enqueues
    const end = Date.now() + WINDOW_MS + 5000;
    while ((await recordFor(env, first))?.status !== 'retrying' && Date.now() < end) await sleep(50);
    expect(await recordFor(env, first)).toMatchObject({ status: 'retrying' });
    expect((await recordFor(env, first))!.error).toMatch(/ECONNREFUSED|ESOCKET|ECONNECTION/);
    // While the first digest waits for its retry, the worker still takes new work.
    await publish(env, await message(env, [{ email: second }]));
    const winKeys = async () => (await env.redis.keys()).filter((k) => k.includes(':notify:win:'));
    const until = Date.now() + 3000;
    while ((await winKeys()).length === 0 && Date.now() < until) await sleep(25);
    expect((await winKeys()).length).toBeGreaterThan(0);
    smtp = await startTestSmtp(port);
    await smtp.waitFor(first, 1, 10_000);
    await smtp.waitFor(second, 1, 10_000);
    expect(await recordFor(env, first)).toMatchObject({ status: 'sent' });
    const stats = await env.role.records.stats(env.tenantId);
    expect(stats).toMatchObject({ sent: 2, failed: 0 });
    expect(stats.retried).toBeGreaterThanOrEqual(1);
    expect(stats.lastError).toMatch(/ECONNREFUSED|ESOCKET|ECONNECTION/);
    expect(getMailCounters().sent - counters.sent).toBe(2);
    expect(getMailCounters().retried - counters.retried).toBeGreaterThanOrEqual(1);
  });
});
