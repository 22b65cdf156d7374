/**
 * What the dashboard shows, read from the stores: queue depths and rates, the
 * latest messages of every tenant with their recipient rows, failures, the
 * latest received messages (inbox), box health,
 * and in sandbox mode the caught e-mails and the sandbox boxes. Ids, states,
 * codes and counts only — never a title or any content.
 */
import fs from 'node:fs/promises';
import type { Redis } from 'ioredis';
import { boxStatus, type BoxStatus } from '../inbound/box-health.ts';
import type { InboxStore } from '../inbound/inbox-store.ts';
import { listCaughtMail } from '../mail/mail-catcher.ts';
import type { messageView, OutboundService } from '../outbound/outbound-service.ts';
import type { TenancyStores } from '../tenancy/tenancy.ts';
import { QUEUE_NAMES, type QueueRegistry } from '../workers/queues.ts';

/** Messages shown in "recent messages" (newest first, all tenants). */
export const RECENT_MESSAGES = 50;
/** Caught e-mails listed (the newest). */
export const RECENT_MAILS = 20;
/** Bytes read from an .eml file to find its Subject header (headers come first). */
const MAIL_HEADER_BYTES = 16 * 1024;
/** Received messages shown per tenant in the inbox section (the newest). */
export const RECENT_INBOX = 20;
/** How far back the inbox section looks: older letters are the integration engine's business, not an operator's. */
export const INBOX_WINDOW_MS = 7 * 86_400_000;
/** Pages of the (oldest-first) inbox listing read per tenant at most, so a flooded box cannot stall the page. */
const INBOX_MAX_PAGES = 5;
/** Inbox listing page size (the store's largest). */
const INBOX_PAGE = 200;
/** Window of the per-queue rates: jobs finished in the last minute. */
export const RATE_WINDOW_MS = 60_000;
/** BullMQ job states shown per queue. */
export const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed', 'completed'] as const;

/** One sandbox party's box, counted. */
export interface SandboxBoxSummary {
  party: string;
  quality: string;
  folders: Record<string, number>;
  standBy: number;
  usedBytes: number;
}

/** What the dashboard reads from. */
export interface DashboardDeps {
  tenancy: TenancyStores;
  outbound: OutboundService;
  redis: Redis;
  redisPrefix: string;
  queues?: QueueRegistry | undefined;
  /** ADMIN_API_KEY (an admin API key of any tenant works too). */
  adminKey?: string | undefined;
  /** Folder of the SMTP catcher's .eml files (sandbox mode). */
  mailDir?: string | undefined;
  /** The inbox store (only its listing is used: the dashboard never reads content). */
  inbox?: Pick<InboxStore, 'list'> | undefined;
  /** Counts of the in-process sandbox's boxes (sandbox mode). */
  sandboxBoxes?: (() => SandboxBoxSummary[]) | undefined;
}

/** A message row of the dashboard. */
export type DashboardMessage = ReturnType<typeof messageView> & { tenantId: string; tenantName: string };

/** A received message as the dashboard lists it: ids, sender name, verdict and state — no title, no content. */
export interface DashboardInboxItem {
  id: string;
  tenantName: string;
  boxId: string;
  senderName: string;
  receivedAt: string;
  verdict: 'ok' | 'flagged';
  state: string;
}

/** Everything one page render needs. */
export interface DashboardSnapshot {
  /** Depths per job state, and jobs completed / failed within the last RATE_WINDOW_MS. */
  queues: { name: string; counts: Record<string, number>; rates: { completed: number; failed: number } }[];
  inbox: DashboardInboxItem[];
  messages: DashboardMessage[];
  failures: DashboardMessage[];
  boxes: { tenantName: string; boxId: string; address: string; status?: BoxStatus | undefined }[];
  mails?: { name: string; receivedAt: Date; subject: string }[] | undefined;
  sandboxBoxes?: SandboxBoxSummary[] | undefined;
}

/**
 * Jobs of a finished-set (`completed` or `failed`) that finished since
 * `sinceMs`: BullMQ scores those sorted sets by finishedOn, so one ZCOUNT
 * (on the gateway's Redis, which the queues share) answers without loading any job.
 */
async function finishedSince(redis: Redis, queue: ReturnType<QueueRegistry['queue']>, set: 'completed' | 'failed', sinceMs: number): Promise<number> {
  return redis.zcount(queue.toKey(set), sinceMs, '+inf');
}

async function queueDepths(redis: Redis, queues: QueueRegistry | undefined, now: number): Promise<DashboardSnapshot['queues']> {
  if (!queues) return [];
  const since = now - RATE_WINDOW_MS;
  return Promise.all(QUEUE_NAMES.map(async (name) => {
    const q = queues.queue(name);
    const [counts, completed, failed] = await Promise.all([q.getJobCounts(...JOB_STATES), finishedSince(redis, q, 'completed', since), finishedSince(redis, q, 'failed', since)]);
    return { name, counts, rates: { completed, failed } };
  }));
}

/** The newest RECENT_INBOX letters of a tenant within INBOX_WINDOW_MS (the store lists oldest first). */
async function tenantInbox(inbox: Pick<InboxStore, 'list'>, tenant: { id: string; name: string }, now: number): Promise<DashboardInboxItem[]> {
  let kept: DashboardInboxItem[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < INBOX_MAX_PAGES; i++) {
    const res = await inbox.list(tenant.id, { sinceMs: now - INBOX_WINDOW_MS, limit: INBOX_PAGE, cursor });
    const items = res.items.map((r): DashboardInboxItem => ({
      id: r.meta.id, tenantName: tenant.name, boxId: r.meta.boxId, senderName: [r.meta.sender.firstName, r.meta.sender.name].filter(Boolean).join(' '),
      receivedAt: r.meta.receivedAt, verdict: r.meta.verdict.ok && !r.meta.verdict.flagged ? 'ok' : 'flagged', state: r.state,
    }));
    kept = [...kept, ...items].slice(-RECENT_INBOX);
    cursor = res.cursor;
    if (!cursor) break;
  }
  return kept;
}

async function recentInbox(deps: DashboardDeps, now: number): Promise<DashboardInboxItem[]> {
  const inbox = deps.inbox;
  if (!inbox) return [];
  const tenants = await deps.tenancy.tenants.list();
  const perTenant = await Promise.all(tenants.map((t) => tenantInbox(inbox, t, now)));
  return perTenant.flatMap((items) => items.reverse());
}

async function recentMessages(deps: DashboardDeps): Promise<DashboardMessage[]> {
  const tenants = await deps.tenancy.tenants.list();
  const pages = await Promise.all(tenants.map(async (t) => {
    const page = await deps.outbound.list(t.id, { limit: RECENT_MESSAGES });
    return page.items.map((m) => ({ ...m, tenantId: t.id, tenantName: t.name }));
  }));
  return pages.flat().sort((a, b) => b.createdAt.localeCompare(a.createdAt)).slice(0, RECENT_MESSAGES);
}

async function boxes(deps: DashboardDeps): Promise<DashboardSnapshot['boxes']> {
  const out: DashboardSnapshot['boxes'] = [];
  for (const t of await deps.tenancy.tenants.list()) {
    for (const b of await deps.tenancy.boxes.list(t.id)) {
      const address = `${b.box.type}${b.box.subType ? '/' + b.box.subType : ''}:${b.box.id}:${b.box.quality}`;
      out.push({ tenantName: t.name, boxId: b.id, address, status: await boxStatus(deps.redis, deps.redisPrefix, t.id, b.id) });
    }
  }
  return out;
}

/** Decodes RFC 2047 encoded words (`=?utf-8?B?…?=`, `=?utf-8?Q?…?=`) of a header value. */
export function decodeHeader(value: string): string {
  return value.replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=\s*/g, (_m, _charset: string, enc: string, text: string) => {
    if (enc.toUpperCase() === 'B') return Buffer.from(text, 'base64').toString('utf8');
    const bytes = text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }).trim();
}

/** The Subject header of an .eml file (folded lines joined). */
export async function mailSubject(file: string): Promise<string> {
  const fh = await fs.open(file, 'r');
  try {
    const buf = Buffer.alloc(MAIL_HEADER_BYTES);
    const { bytesRead } = await fh.read(buf, 0, MAIL_HEADER_BYTES, 0);
    const headers = buf.subarray(0, bytesRead).toString('utf8').split(/\r?\n\r?\n/)[0] ?? '';
    const m = /^Subject:[ \t]*(.*(?:\r?\n[ \t].*)*)/im.exec(headers);
    return m ? decodeHeader(m[1]!.replace(/\r?\n[ \t]/g, ' ')) : '';
  } finally {
    await fh.close();
  }
}

async function caughtMails(dir: string): Promise<NonNullable<DashboardSnapshot['mails']>> {
  const all = await listCaughtMail(dir);
  const latest = all.slice(-RECENT_MAILS).reverse();
  return Promise.all(latest.map(async (m) => ({ name: m.name, receivedAt: m.receivedAt, subject: await mailSubject(m.path).catch(() => '') })));
}

/** Reads everything the dashboard shows. */
export async function dashboardSnapshot(deps: DashboardDeps): Promise<DashboardSnapshot> {
  const now = Date.now();
  const [queues, messages, boxList, mails, inbox] = await Promise.all([
    queueDepths(deps.redis, deps.queues, now),
    recentMessages(deps),
    boxes(deps),
    deps.mailDir ? caughtMails(deps.mailDir) : Promise.resolve(undefined),
    recentInbox(deps, now),
  ]);
  const failures = messages.filter((m) => m.recipients.some((r) => r.state === 'failed'));
  return { queues, inbox, messages, failures, boxes: boxList, mails, sandboxBoxes: deps.sandboxBoxes?.() };
}
