/**
 * Queue `poll`: fetches every message of one tenant box's INBOX, stores it
 * (decrypted, verified, once) and hands it over, then moves it to BININBOX or
 * deletes it (tenant `inboxPolicy`). One repeatable job per configured box
 * (a BullMQ job scheduler with a deterministic id, every
 * POLL_INTERVAL_SECONDS), plus an immediate one on `POST /v1/boxes/:id/poll`.
 * Never two polls of one box at once: a per-box Redis lock (poll-lock.ts);
 * a poll asked for while another runs makes the running one go round again.
 * Every step can be repeated, so a crash anywhere loses and duplicates
 * nothing: the next poll finds the message again and finishes its steps.
 */
import type { Queue } from 'bullmq';
import { recordBoxInfo, recordPoll, type PollSummary } from '../inbound/box-health.ts';
import type { InboundDeps } from '../inbound/inbound-deps.ts';
import { drainInbox, type PollCounters } from '../inbound/poll-pass.ts';
import type { PollContext } from '../inbound/ingest.ts';
import type { QueueRegistry, JobData } from './queues.ts';
import { jobId } from './queues.ts';
import type { TenancyStores } from '../tenancy/tenancy.ts';

/** Attempts of a poll asked for now (a scheduled poll is not retried: the next tick is its retry). */
const POLL_NOW_ATTEMPTS = 3;
/** Finished scheduled poll jobs kept for inspection. */
const KEEP_FINISHED_POLLS = 100;
/** `poll again` rounds after the first, so that a steady stream of triggers cannot keep one job forever. */
const MAX_AGAIN_ROUNDS = 3;

/** The deterministic id of a box's job scheduler (and prefix of its jobs). */
export function pollSchedulerId(tenantId: string, boxId: string): string {
  return jobId('poll', tenantId, boxId);
}

/** The deterministic id of a box's "poll now" job. */
export function pollNowJobId(tenantId: string, boxId: string): string {
  return jobId('poll', tenantId, boxId, 'now');
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : err instanceof Error ? err.name : 'POLL_FAILED';
}

/** Processor of the poll queue; answers the summary (undefined when another poll held the box). */
export async function processPoll(data: JobData<'poll'>, deps: InboundDeps): Promise<PollSummary | undefined> {
  const { tenancy, senders } = deps.outbound;
  const [tenant, box] = await Promise.all([tenancy.tenants.get(data.tenantId), tenancy.boxes.get(data.tenantId, data.boxId)]);
  if (!tenant || !box) return undefined;
  const lock = await deps.locks.acquire(box.tenantId, box.id);
  if (!lock) return undefined;
  const c: PollCounters = { fetched: 0, stored: 0, flagged: 0, notices: 0, cleaned: 0, skipped: 0, deferred: 0 };
  const summary = (ok: boolean, error?: string): PollSummary => ({ at: new Date().toISOString(), ok, fetched: c.fetched, stored: c.stored, flagged: c.flagged, notices: c.notices, cleaned: c.cleaned, ...(error ? { error } : {}) });
  try {
    const sender = await senders.get(box);
    const info = await sender.ehbox.getBoxInfo({ boxId: box.box });
    if (info.boxInfo) await recordBoxInfo(deps.redis, deps.prefix, box.tenantId, box.id, info.boxInfo);
    const ctx: PollContext = { deps, box, sender };
    const seen = new Set<string>();
    // a trigger during a round makes another round (new mail is new to `seen`; what stays is not fetched again)
    for (let round = 0; round <= MAX_AGAIN_ROUNDS; round++) {
      await drainInbox(ctx, tenant.inboxPolicy, lock, c, seen);
      if (!(await lock.takeAgain())) break;
    }
    const done = summary(true);
    await recordPoll(deps.redis, deps.prefix, box.tenantId, box.id, done);
    if (c.fetched > 0) deps.log?.(`poll ${box.id}: ${c.fetched} new, ${c.stored} stored (${c.flagged} flagged), ${c.notices} notices, ${c.cleaned} cleaned, ${c.skipped} skipped, ${c.deferred} deferred`);
    return done;
  } catch (err) {
    await recordPoll(deps.redis, deps.prefix, box.tenantId, box.id, summary(false, errorCode(err))).catch(() => undefined);
    throw err;
  } finally {
    await lock.release().catch(() => undefined);
  }
}

/** Asks for a poll of a box now (the API's `POST /v1/boxes/:id/poll`). */
export async function requestPoll(deps: { queues: QueueRegistry; locks: InboundDeps['locks'] }, tenantId: string, boxId: string): Promise<void> {
  // a poll running now may already be past the newest mail: make it go round again
  if (await deps.locks.isHeld(tenantId, boxId)) await deps.locks.markAgain(tenantId, boxId);
  await deps.queues.add('poll', { tenantId, boxId }, { jobId: pollNowJobId(tenantId, boxId), attempts: POLL_NOW_ATTEMPTS, removeOnComplete: true, removeOnFail: true });
}

/**
 * Makes the job schedulers match the configured boxes: one per box of every
 * tenant (created or updated to `pollIntervalMs`), none for boxes that are
 * gone. Idempotent; every worker process may run it.
 */
export async function syncPollSchedules(deps: { queues: QueueRegistry; tenancy: TenancyStores; pollIntervalMs: number }): Promise<{ boxes: number; removed: number }> {
  const queue = deps.queues.queue('poll') as unknown as Queue<JobData<'poll'>>;
  const wanted = new Map<string, JobData<'poll'>>();
  for (const tenant of await deps.tenancy.tenants.list()) {
    for (const box of await deps.tenancy.boxes.list(tenant.id)) wanted.set(pollSchedulerId(tenant.id, box.id), { tenantId: tenant.id, boxId: box.id });
  }
  for (const [id, data] of wanted) {
    await queue.upsertJobScheduler(id, { every: deps.pollIntervalMs }, {
      name: 'poll',
      data,
      opts: { attempts: 1, removeOnComplete: { count: KEEP_FINISHED_POLLS }, removeOnFail: { count: KEEP_FINISHED_POLLS } },
    });
  }
  let removed = 0;
  for (const s of await queue.getJobSchedulers()) {
    const id = s.id ?? s.key;
    if (id.startsWith('poll.') && !wanted.has(id)) {
      await queue.removeJobScheduler(id);
      removed++;
    }
  }
  return { boxes: wanted.size, removed };
}
