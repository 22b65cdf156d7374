/**
 * Starts the inbound workers a process runs (`poll`, `receipts`) with their
 * concurrency, and keeps the per-box poll schedules in line with the
 * configured boxes (at start and then periodically, since boxes are added
 * and removed by the admin CLI while the gateway runs).
 */
import type { Worker } from 'bullmq';
import type { InboundDeps } from '../inbound/inbound-deps.ts';
import type { Logger } from '../observability/logger.ts';
import { logJobEnds } from './job-log.ts';
import { processPoll, syncPollSchedules } from './poll.ts';
import type { QueueName } from './queues.ts';
import { processReceipts } from './receipts.ts';

/** Boxes polled at once per process (each poll is I/O-bound and holds its box's lock). */
const POLL_CONCURRENCY = 4;
/** Receipt rounds at once per process (one or a few SOAP calls each). */
const RECEIPTS_CONCURRENCY = 8;
/** How soon a box added with the admin CLI gets its schedule. */
export const SCHEDULE_SYNC_INTERVAL_MS = 15_000;

/** What was started. */
export interface InboundWorkers {
  /** Re-reads the configured boxes now (e.g. right after one was added). */
  syncSchedules(): Promise<void>;
}

/**
 * Starts the workers of `queues` that are inbound ones. With `logger`, every
 * job end is a structured line (job-log.ts); without, failures go to `deps.log`.
 */
export function startInboundWorkers(deps: InboundDeps, queues: readonly QueueName[], logger?: Logger): InboundWorkers {
  const log = deps.log;
  const onFailed = (queue: string) => (job: { id?: string | undefined } | undefined, err: Error) => log?.(`${queue} job ${job?.id ?? '?'} failed: ${err.name}${'code' in err ? ` ${String(err.code)}` : ''}`);
  const observe = (queue: string, worker: Worker): Worker => (logger ? logJobEnds(worker, logger) : worker.on('failed', onFailed(queue)));
  const sync = async () => {
    await syncPollSchedules({ queues: deps.outbound.queues, tenancy: deps.outbound.tenancy, pollIntervalMs: deps.pollIntervalMs }).catch((err: unknown) => log?.(`poll schedule sync failed: ${err instanceof Error ? err.name : 'error'}`));
  };
  if (queues.includes('poll')) {
    const worker = observe('poll', deps.outbound.queues.work('poll', async (d) => void (await processPoll(d, deps)), { concurrency: POLL_CONCURRENCY }));
    void sync();
    const timer = setInterval(() => void sync(), SCHEDULE_SYNC_INTERVAL_MS);
    timer.unref();
    worker.on('closing', () => clearInterval(timer));
  }
  if (queues.includes('receipts')) {
    observe('receipts', deps.outbound.queues.work('receipts', (d) => processReceipts(d, deps), { concurrency: RECEIPTS_CONCURRENCY }));
  }
  return { syncSchedules: sync };
}
