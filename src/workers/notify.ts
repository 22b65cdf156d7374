/**
 * Queue `notify`: update-info e-mails ("you have a new message in your
 * eHealthBox"), at most one per address per digest window.
 *
 * Three job kinds (see JOB_SCHEMAS.notify): `published` (an outbound row was
 * published to a provider with an e-mail in the directory) and `inbound` (new
 * mail in a tenant box, for its staff addresses) each add one entry to the
 * address's open window — the first entry opens it and schedules a delayed
 * `digest` job at its end; `digest` sends one e-mail counting the entries,
 * leaving out outbound messages read before the window closed (nothing left:
 * nothing sent). SMTP 4xx and connection failures are retried with backoff;
 * 5xx is recorded on the notification and not retried.
 *
 * Confidentiality: job data carries ids only; the e-mail is rendered from
 * institution names, dates and a count (src/mail/templates.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import { UnrecoverableError, type Job } from 'bullmq';
import { z } from 'zod';
import type { MessageMeta, MessageStore, RecipientRow } from '../outbound/message-store.ts';
import type { TenancyStores } from '../tenancy/tenancy.ts';
import type { DigestEntry, DigestKind, DigestStore } from '../mail/digest-store.ts';
import type { Mailer } from '../mail/mailer.ts';
import { classifySmtpError } from '../mail/mailer.ts';
import { countMail } from '../mail/mail-metrics.ts';
import type { NotificationLog, NotificationRecord } from '../mail/notification-log.ts';
import { pickLanguage, renderUpdateInfo } from '../mail/templates.ts';
import { jobId, type JobData, type QueueRegistry } from './queues.ts';

/** The queue's name. */
export const NOTIFY_QUEUE = 'notify' as const;

/** Retry policy of a digest e-mail. */
export interface NotifyRetry {
  attempts: number;
  /** First backoff; doubles each attempt (with jitter). */
  delayMs: number;
}

/**
 * 10 attempts from 30 s doubling: the last one about 4 h after the first
 * (≈ 8.5 h in all) — a relay outage of a working morning is covered, and an
 * update-info e-mail older than that has lost its point.
 */
export const DEFAULT_NOTIFY_RETRY: NotifyRetry = { attempts: 10, delayMs: 30_000 };
/** Jitter of the backoff, so that many digests failing together do not retry together. */
const BACKOFF_JITTER = 0.5;
/** Domain of the deterministic Message-IDs (a receiver may drop a duplicate of a re-sent digest). */
const MESSAGE_ID_DOMAIN = 'ehbox-bridge.invalid';

/** Everything the notify processor needs. */
export interface NotifyDeps {
  digests: DigestStore;
  records: NotificationLog;
  queues: QueueRegistry;
  store: Pick<MessageStore, 'row'>;
  tenancy: Pick<TenancyStores, 'tenants' | 'boxes'>;
  mailer: Mailer;
  retry: NotifyRetry;
}

/** Outbound rows that still count for a digest (a `read` row is left out). */
const UNREAD_DELIVERED = new Set(['published', 'received']);
/** References inside a job id and a Redis field. */
const SAFE_REF = /^[A-Za-z0-9_.-]{1,100}$/;
const emailSchema = z.email();

/**
 * `onRowChange` part for e-mails: enqueues a notification when a row was
 * published, the message asks for notifications and the directory gave an
 * address. Idempotent per message and row.
 */
export async function notifyRowChange(queues: QueueRegistry, meta: Pick<MessageMeta, 'id' | 'tenantId' | 'senderBoxId' | 'notifyRecipients'>, row: Pick<RecipientRow, 'idx' | 'state' | 'email'>): Promise<void> {
  if (row.state !== 'published' || !meta.notifyRecipients || !row.email) return;
  await queues.add(
    NOTIFY_QUEUE,
    { kind: 'published', tenantId: meta.tenantId, senderBoxId: meta.senderBoxId, messageId: meta.id, idx: row.idx },
    { jobId: jobId('notify', 'pub', meta.id, row.idx) },
  );
}

/**
 * For inbound polling: new mail arrived in `boxId` of `tenantId`; the
 * tenant's staff addresses get it in their digest. Give the ehBox
 * `messageId` when known so that a re-run poll does not count it twice.
 */
export async function notifyInbound(queues: QueueRegistry, tenantId: string, boxId: string, receivedAt: Date | string, messageId?: string): Promise<void> {
  const at = new Date(receivedAt);
  const when = Number.isNaN(at.getTime()) ? new Date() : at;
  const ref = messageId === undefined
    ? `${when.getTime()}-${randomBytes(4).toString('hex')}`
    : SAFE_REF.test(messageId) ? messageId : createHash('sha256').update(messageId).digest('hex').slice(0, 32);
  await queues.add(
    NOTIFY_QUEUE,
    { kind: 'inbound', tenantId, boxId, receivedAt: when.toISOString(), ref },
    { jobId: jobId('notify', 'in', tenantId, boxId, ref) },
  );
}

async function addToDigest(deps: NotifyDeps, kind: DigestKind, to: string, ref: string, entry: DigestEntry): Promise<void> {
  const w = await deps.digests.add(kind, to, ref, entry);
  await deps.queues.add(
    NOTIFY_QUEUE,
    { kind: 'digest', digest: w.digest, windowId: w.windowId },
    {
      jobId: jobId('notify', 'digest', w.digest, w.windowId),
      delay: w.delayMs,
      attempts: deps.retry.attempts,
      backoff: { type: 'exponential', delay: deps.retry.delayMs, jitter: BACKOFF_JITTER },
    },
  );
}

async function institutionOf(deps: NotifyDeps, tenantId: string, boxId: string): Promise<string | undefined> {
  const tenant = await deps.tenancy.tenants.get(tenantId);
  if (!tenant) return undefined;
  const box = await deps.tenancy.boxes.get(tenantId, boxId);
  return box?.label ?? tenant.name;
}

async function processPublished(d: Extract<JobData<'notify'>, { kind: 'published' }>, deps: NotifyDeps): Promise<void> {
  const row = await deps.store.row(d.messageId, d.idx);
  if (!row?.email || !UNREAD_DELIVERED.has(row.state) || !emailSchema.safeParse(row.email).success) return;
  const institution = await institutionOf(deps, d.tenantId, d.senderBoxId);
  if (institution === undefined) return;
  await addToDigest(deps, 'provider', row.email, `pub.${d.messageId}.${d.idx}`, {
    tenantId: d.tenantId, institution, at: row.updatedAt, language: row.language, messageId: d.messageId, idx: d.idx,
  });
}

async function processInbound(d: Extract<JobData<'notify'>, { kind: 'inbound' }>, deps: NotifyDeps): Promise<void> {
  const tenant = await deps.tenancy.tenants.get(d.tenantId);
  if (!tenant || tenant.staffEmails.length === 0) return;
  const institution = (await deps.tenancy.boxes.get(d.tenantId, d.boxId))?.label ?? tenant.name;
  const addresses = new Set(tenant.staffEmails.map((a) => a.trim().toLowerCase()));
  for (const to of addresses) {
    await addToDigest(deps, 'staff', to, `in.${d.boxId}.${d.ref}`, { tenantId: d.tenantId, institution, at: d.receivedAt });
  }
}

/** The entries that still count: outbound ones read before the window closed are left out. */
async function unreadEntries(deps: NotifyDeps, entries: Iterable<DigestEntry>): Promise<DigestEntry[]> {
  const out: DigestEntry[] = [];
  for (const e of entries) {
    if (e.messageId !== undefined && e.idx !== undefined) {
      const row = await deps.store.row(e.messageId, e.idx);
      if (!row || row.state === 'read') continue;
    }
    out.push(e);
  }
  return out.sort((a, b) => a.at.localeCompare(b.at));
}

async function processDigest(d: Extract<JobData<'notify'>, { kind: 'digest' }>, deps: NotifyDeps, job?: Pick<Job, 'attemptsMade' | 'opts'>): Promise<void> {
  const claimed = await deps.digests.claim(d.digest, d.windowId);
  if (!claimed) return;
  const kind: DigestKind = d.digest.startsWith('staff.') ? 'staff' : 'provider';
  const counted = await unreadEntries(deps, claimed.entries.values());
  const attempt = (job?.attemptsMade ?? 0) + 1;
  const record = (status: NotificationRecord['status'], error?: string): Promise<void> => deps.records.record({
    id: d.windowId, kind, to: claimed.to, tenants: [...new Set((counted.length > 0 ? counted : [...claimed.entries.values()]).map((e) => e.tenantId))],
    count: counted.length, status, attempts: attempt, ...(error !== undefined ? { error } : {}), updatedAt: new Date().toISOString(),
  });
  const done = () => deps.digests.finish(d.digest, d.windowId, claimed.entries.keys());
  if (counted.length === 0) {
    await record('skipped');
    countMail('skipped');
    return done();
  }
  const mail = renderUpdateInfo({
    kind: kind === 'staff' ? 'staff' : 'recipient',
    language: pickLanguage(...counted.map((e) => e.language).reverse()),
    institutions: counted.map((e) => e.institution),
    count: counted.length,
    first: new Date(counted[0]!.at),
    last: new Date(counted.at(-1)!.at),
  });
  try {
    await deps.mailer.send({ to: claimed.to, ...mail, messageId: `${d.windowId}.${d.digest}@${MESSAGE_ID_DOMAIN}` });
  } catch (err) {
    const e = classifySmtpError(err);
    const lastAttempt = attempt >= (job?.opts.attempts ?? 1);
    if (e.permanent || lastAttempt) {
      await record('failed', e.message);
      countMail('failed');
      await done();
      throw new UnrecoverableError(`update-info e-mail not sent: ${e.code}`);
    }
    await record('retrying', e.message);
    countMail('retried');
    throw e;
  }
  await record('sent');
  countMail('sent');
  await done();
}

/** Processor of the notify queue (job data already parsed by the registry). */
export async function processNotify(data: JobData<'notify'>, deps: NotifyDeps, job?: Pick<Job, 'attemptsMade' | 'opts'>): Promise<void> {
  switch (data.kind) {
    case 'published':
      return processPublished(data, deps);
    case 'inbound':
      return processInbound(data, deps);
    case 'digest':
      return processDigest(data, deps, job);
  }
}
