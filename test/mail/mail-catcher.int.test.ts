/**
 * The embedded catcher of the all-in-one process: without SMTP_URL the notify
 * worker sends to it, and each e-mail becomes one `.eml` file under
 * `$EHBOX_DATA_DIR/mail/`.
 */
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listCaughtMail, readCaughtMail, startMailCatcher } from '../../src/mail/mail-catcher.ts';
import { createSmtpMailer, MailError } from '../../src/mail/mailer.ts';
import { MessageStore, type MessageMeta } from '../../src/outbound/message-store.ts';
import { bullmqPrefix } from '../../src/storage/redis.ts';
import { createTenancyStores } from '../../src/tenancy/tenancy.ts';
import { notifyRowChange } from '../../src/workers/notify.ts';
import { startNotifyWorkers, type NotifyRole } from '../../src/workers/notify-workers.ts';
import { QueueRegistry } from '../../src/workers/queues.ts';
import { createTestRedis, type TestRedis } from '../helpers/redis.ts';
import { parseMail } from './helpers/mime.ts';

const WINDOW_MS = 500;
let redis: TestRedis;
let queues: QueueRegistry;
let role: NotifyRole;
let store: MessageStore;
let dataDir: string;
let tenantId: string;

beforeAll(async () => {
  redis = await createTestRedis('mail-catcher');
  dataDir = path.join(tmpdir(), `ehbox-catcher-${randomBytes(4).toString('hex')}`);
  const tenancy = createTenancyStores(redis.redis, redis.prefix);
  store = new MessageStore(redis.redis, redis.prefix);
  queues = new QueueRegistry(redis.connection('blocking'), bullmqPrefix(redis.settings));
  tenantId = (await tenancy.tenants.create({ name: 'Clinique Fictive' })).id;
  const config = { SMTP_URL: undefined, MAIL_FROM: 'ehbox-bridge <noreply@bridge.test>', MAIL_DIGEST_MINUTES: 15, REDIS_PREFIX: redis.prefix };
  role = await startNotifyWorkers(config, { redis: redis.redis, queues, store, tenancy, dataDir }, { windowMs: WINDOW_MS });
});

afterAll(async () => {
  await role?.close();
  await queues?.close();
  await redis?.cleanup();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function published(email: string, language: string): Promise<void> {
  const id = `c${randomBytes(4).toString('hex')}`;
  const now = new Date().toISOString();
  const meta: MessageMeta = {
    id, tenantId, senderBoxId: 'no-box', createdAt: now, mode: 'individual', encrypted: true, important: false,
    receipts: { published: false, received: false, read: false }, notifyRecipients: true, customMetas: [],
    parts: { document: { filename: 'd.pdf', mimeType: 'application/pdf', size: 1 }, annexes: [], freeText: false, table: false, patient: false }, recipientCount: 1,
  };
  await store.create(meta, [{ idx: 0, ref: { group: 'g1' }, state: 'sending', email, language, publicationId: 'P1', updatedAt: now }]);
  const row = await store.updateRow(id, 0, { state: 'published' });
  await notifyRowChange(queues, meta, row!);
}

describe('embedded mail catcher', () => {
  it('writes each e-mail the worker sends as one .eml file under $EHBOX_DATA_DIR/mail', async () => {
    expect(role.catcher?.dir).toBe(path.join(dataDir, 'mail'));
    expect(role.catcher?.url).toMatch(/^smtp:\/\/127\.0\.0\.1:\d+$/);
    await published('dr.one@catcher.test', 'fr');
    await published('dr.two@catcher.test', 'de');
    const dir = path.join(dataDir, 'mail');
    const end = Date.now() + 8000;
    while ((await listCaughtMail(dir)).length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    const files = await role.catcher!.list();
    expect(files).toHaveLength(2);
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.eml'))).toHaveLength(2);
    expect(fs.readdirSync(dir).some((n) => n.endsWith('.tmp'))).toBe(false);
    const mails = await Promise.all(files.map(async (f) => parseMail((await readCaughtMail(dir, f.name))!.toString('utf8'))));
    const byTo = new Map(mails.map((m) => [m.headers.get('to'), m]));
    expect(byTo.get('dr.one@catcher.test')?.subject).toBe('Nouveau message dans votre eHealthBox');
    expect(byTo.get('dr.two@catcher.test')?.text).toContain('Clinique Fictive hat Ihnen am');
    expect(await readCaughtMail(dir, '../../etc/passwd')).toBeUndefined();
  });

  it('refuses an oversized e-mail (permanent 552) without leaving a file', async () => {
    const dir = path.join(tmpdir(), `ehbox-catcher-big-${randomBytes(4).toString('hex')}`);
    const catcher = await startMailCatcher({ dir });
    const mailer = createSmtpMailer({ url: catcher.url, from: 'noreply@bridge.test' });
    try {
      const err = await mailer.send({ to: 'x@catcher.test', subject: 's', text: 'x'.repeat(2 * 1024 * 1024), html: '<p>x</p>' }).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(MailError);
      expect(err).toMatchObject({ code: 'SMTP_PERMANENT', responseCode: 552 });
      await mailer.send({ to: 'y@catcher.test', subject: 'small', text: 'ok', html: '<p>ok</p>' });
      const files = await catcher.list();
      expect(files).toHaveLength(1);
      expect(fs.readdirSync(dir)).toHaveLength(1);
    } finally {
      await mailer.close();
      await catcher.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
