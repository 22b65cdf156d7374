/**
 * Starts the outbound workers a process runs, with their concurrency, the
 * global rate limit toward eHealth on the delivering queue, and the
 * permanent/transient split (permanent failures skip remaining attempts).
 */
import type { OutboundDeps } from './outbound-deps.ts';
import type { QueueName } from './queues.ts';
import { processResolve, unrecoverableOnPermanent } from './resolve.ts';
import { processDeliver } from './deliver.ts';
import { processCleanup } from './cleanup.ts';
import { processWebhook, type WebhookDeps } from './webhook.ts';

/** Jobs in flight per worker process and queue: I/O-bound jobs overlap their eHealth calls. */
const CONCURRENCY: Record<'resolve' | 'deliver' | 'cleanup' | 'webhook', number> = { resolve: 4, deliver: 16, cleanup: 2, webhook: 8 };

/** Starts the workers of `queues` (those of the outbound pipeline). */
export function startOutboundWorkers(deps: OutboundDeps, queues: readonly QueueName[], opts: { ratePerSecond: number; log?: (line: string) => void; webhook: WebhookDeps }): void {
  const onFailed = (queue: string) => (job: { id?: string | undefined } | undefined, err: Error) => opts.log?.(`${queue} job ${job?.id ?? '?'} failed: ${err.name}`);
  if (queues.includes('resolve')) {
    deps.queues.work('resolve', unrecoverableOnPermanent((d) => processResolve(d, deps)), { concurrency: CONCURRENCY.resolve }).on('failed', onFailed('resolve'));
  }
  if (queues.includes('deliver')) {
    deps.queues
      .work('deliver', unrecoverableOnPermanent((d) => processDeliver(d, deps)), { concurrency: CONCURRENCY.deliver, limiter: { max: opts.ratePerSecond, duration: 1000 } })
      .on('failed', onFailed('deliver'));
  }
  if (queues.includes('webhook')) {
    deps.queues.work('webhook', (d, job) => processWebhook(d, opts.webhook, job), { concurrency: CONCURRENCY.webhook }).on('failed', onFailed('webhook'));
  }
  if (queues.includes('cleanup')) {
    deps.queues.work('cleanup', (d) => processCleanup(d, deps), { concurrency: CONCURRENCY.cleanup }).on('failed', onFailed('cleanup'));
  }
}
