/**
 * Starts the outbound workers a process runs, with their concurrency, the
 * global rate limit toward eHealth on the delivering queue, and the
 * permanent/transient split (permanent failures skip remaining attempts).
 * Every job end is logged with its correlation ids (job-log.ts).
 */
import type { Logger } from '../observability/logger.ts';
import { logJobEnds } from './job-log.ts';
import type { Worker } from 'bullmq';
import type { OutboundDeps } from './outbound-deps.ts';
import type { QueueName } from './queues.ts';
import { processResolve, unrecoverableOnPermanent } from './resolve.ts';
import { processDeliver } from './deliver.ts';
import { processCleanup } from './cleanup.ts';
import { processWebhook, type WebhookDeps } from './webhook.ts';

/** Jobs in flight per worker process and queue: I/O-bound jobs overlap their eHealth calls. */
const CONCURRENCY: Record<'resolve' | 'deliver' | 'cleanup' | 'webhook', number> = { resolve: 4, deliver: 16, cleanup: 2, webhook: 8 };

/** What the outbound workers are started with. */
export interface OutboundWorkerOptions {
  /** Global cap on deliveries per second toward eHealth (EHEALTH_RATE_LIMIT_PER_SECOND). */
  ratePerSecond: number;
  /** Receives one line per job end (queue, jobId, messageId, outcome, duration); none when absent. */
  logger?: Logger | undefined;
  webhook: WebhookDeps;
}

/** Starts the workers of `queues` (those of the outbound pipeline). */
export function startOutboundWorkers(deps: OutboundDeps, queues: readonly QueueName[], opts: OutboundWorkerOptions): void {
  const logged = (worker: Worker) => (opts.logger ? logJobEnds(worker, opts.logger) : worker);
  if (queues.includes('resolve')) {
    logged(deps.queues.work('resolve', unrecoverableOnPermanent((d) => processResolve(d, deps)), { concurrency: CONCURRENCY.resolve }));
  }
  if (queues.includes('deliver')) {
    logged(deps.queues.work('deliver', unrecoverableOnPermanent((d) => processDeliver(d, deps)), { concurrency: CONCURRENCY.deliver, limiter: { max: opts.ratePerSecond, duration: 1000 } }));
  }
  if (queues.includes('webhook')) {
    logged(deps.queues.work('webhook', (d, job) => processWebhook(d, opts.webhook, job), { concurrency: CONCURRENCY.webhook }));
  }
  if (queues.includes('cleanup')) {
    logged(deps.queues.work('cleanup', (d) => processCleanup(d, deps), { concurrency: CONCURRENCY.cleanup }));
  }
}
