/**
 * Inbound update-info e-mails end to end: a real poll stores letters for a
 * tenant with staff addresses (its hand-over enqueues the notification), the
 * notify worker (short digest window) sends through a real SMTP server, and
 * each staff address gets exactly one e-mail per window, carrying nothing of
 * the letters (no title, no content, no patient, no attachment).
 */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processPoll } from '../../src/workers/poll.ts';
import { startNotifyWorkers, type NotifyRole } from '../../src/workers/notify-workers.ts';
import type { InboundDeps } from '../../src/inbound/inbound-deps.ts';
import { startTestSmtp, type TestSmtp } from '../mail/helpers/smtp.ts';
import { letter, providers, sendToHospital, startInboundBench, type InboundBench } from './helpers.ts';

/** Short digest window for tests (production: MAIL_DIGEST_MINUTES). */
const WINDOW_MS = 800;
/** Long enough after a window for any further digest job to have run. */
const SETTLE_MS = WINDOW_MS + 1000;
/** Put in every field of the letters; must never reach an e-mail. */
const MARKER = 'ZZSTAFF-letter-7d21';
const STAFF = ['Secretariaat@az-fictief.test', 'ict@az-fictief.test'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let b: InboundBench;
let deps: InboundDeps;
let smtp: TestSmtp;
let notify: NotifyRole;

beforeAll(async () => {
  b = await startInboundBench('inbound-staff-mail');
  deps = b.inboundDeps();
  smtp = await startTestSmtp();
  await b.gw.tenancy.tenants.update(b.tenant.id, { staffEmails: STAFF });
  const config = { SMTP_URL: smtp.url, MAIL_FROM: 'ehbox-bridge <noreply@bridge.test>', MAIL_DIGEST_MINUTES: 15, REDIS_PREFIX: b.redis.prefix };
  const dataDir = path.join(tmpdir(), `ehbox-staff-mail-${randomBytes(4).toString('hex')}`);
  notify = await startNotifyWorkers(config, { redis: b.gw.redis, queues: b.gw.deps.queues, store: b.gw.deps.store, tenancy: b.gw.tenancy, dataDir }, { windowMs: WINDOW_MS, retry: { attempts: 3, delayMs: 300 } });
}, 120_000);

afterAll(async () => {
  await notify?.close();
  await smtp?.close();
  await b?.close();
});

const poll = () => processPoll({ tenantId: b.tenant.id, boxId: b.box.id }, deps);

describe('staff e-mails for inbound mail', () => {
  it('sends one content-free e-mail per staff address for the letters a poll stores', async () => {
    const gps = providers(b.sandbox);
    for (let i = 0; i < 3; i++) sendToHospital(b, gps[i]!, letter(`${MARKER}-${i}`));
    expect(await poll()).toMatchObject({ ok: true, stored: 3, flagged: 0 });

    for (const to of STAFF) {
      const [mail] = await smtp.waitFor(to, 1, WINDOW_MS + 8000);
      expect(mail!.mail.subject).toBe('3 new messages in an eHealthBox of your institution');
      expect(mail!.mail.text).toContain('received 3 new messages');
      expect(mail!.mail.html).toContain('3');
      for (const leak of [MARKER, 'Referral letter', 'Please see the patient', '85073003328', 'referral-', 'Lab results', 'lab values', '%PDF']) {
        expect(mail!.mail.decoded).not.toContain(leak);
        expect(mail!.raw).not.toContain(leak);
      }
      expect(mail!.raw).not.toMatch(/Content-Disposition:\s*attachment/i);
    }
    await sleep(SETTLE_MS);
    for (const to of STAFF) expect(smtp.to(to)).toHaveLength(1);
    // addresses outside the tenant's staff list got nothing
    expect(smtp.received.flatMap((m) => m.to).sort()).toEqual(STAFF.map((a) => a.toLowerCase()).sort());
  });

  it('opens a new window for a letter stored after the previous digest went out', async () => {
    sendToHospital(b, providers(b.sandbox)[3]!, letter(`${MARKER}-late`));
    expect(await poll()).toMatchObject({ ok: true, stored: 1 });
    // a poll that finds nothing new must not add to the count
    expect(await poll()).toMatchObject({ ok: true, stored: 0 });
    for (const to of STAFF) {
      const mails = await smtp.waitFor(to, 2, WINDOW_MS + 8000);
      expect(mails[1]!.mail.subject).toBe('New message in an eHealthBox of your institution');
      expect(mails[1]!.mail.decoded).not.toContain(MARKER);
    }
    await sleep(SETTLE_MS);
    for (const to of STAFF) expect(smtp.to(to)).toHaveLength(2);
  });
});
