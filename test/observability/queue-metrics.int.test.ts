/**
 * Queue metrics against real BullMQ on real Redis: depth per state and the
 * oldest waiting age read at scrape time through the QueueRegistry, and job
 * durations and failures fed by `instrumentWorker` (retries counted apart
 * from final failures).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bullmqPrefix } from '../../src/storage/redis.ts';
import { QueueRegistry } from '../../src/workers/queues.ts';
import { GatewayMetrics } from '../../src/observability/metrics.ts';
import { createTestRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
let queues: QueueRegistry;

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function until(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  redis = await createTestRedis('queue-metrics');
  queues = new QueueRegistry(redis.connection('blocking'), bullmqPrefix(redis.settings));
});
afterAll(async () => {
  await queues.close(2000);
  await redis.cleanup();
});

describe('queue metrics on BullMQ', () => {
  it('reports waiting and delayed jobs and the age of the oldest waiting one', async () => {
    const metrics = new GatewayMetrics({ processMetrics: false });
    metrics.trackQueues(queues, ['resolve', 'cleanup']);
    const minuteAgo = Date.now() - 60_000;
    await queues.add('resolve', { messageId: 'm-old', round: 0 }, { jobId: 'm-old.resolve.0', timestamp: minuteAgo });
    await queues.add('resolve', { messageId: 'm-new', round: 0 }, { jobId: 'm-new.resolve.0' });
    await queues.add('resolve', { messageId: 'm-later', round: 0 }, { jobId: 'm-later.resolve.0', delay: 600_000 });
    const text = await metrics.text();
    expect(sample(text, 'ehbox_queue_metrics_up')).toBe(1);
    expect(sample(text, 'ehbox_queue_jobs{queue="resolve",state="waiting"}')).toBe(2);
    expect(sample(text, 'ehbox_queue_jobs{queue="resolve",state="delayed"}')).toBe(1);
    expect(sample(text, 'ehbox_queue_jobs{queue="cleanup",state="waiting"}')).toBe(0);
    const age = sample(text, 'ehbox_queue_oldest_waiting_seconds{queue="resolve"}')!;
    expect(age).toBeGreaterThanOrEqual(59);
    expect(age).toBeLessThan(120);
    expect(sample(text, 'ehbox_queue_oldest_waiting_seconds{queue="cleanup"}')).toBe(0);
    await queues.queue('resolve').obliterate({ force: true });
  });

  it('times completed jobs and counts retries apart from final failures', async () => {
    const metrics = new GatewayMetrics({ processMetrics: false });
    const worker = queues.work('cleanup', async (data) => {
      if (data.messageId.startsWith('bad')) throw new Error('transient failure');
      await new Promise((r) => setTimeout(r, 20));
    });
    metrics.instrumentWorker(worker, 'cleanup');
    await queues.add('cleanup', { messageId: 'good' }, { jobId: 'good.cleanup' });
    await queues.add('cleanup', { messageId: 'bad' }, { jobId: 'bad.cleanup', attempts: 2, backoff: { type: 'fixed', delay: 10 } });
    await until(async () => sample(await metrics.text(), 'ehbox_job_failures_total{queue="cleanup",final="true"}') === 1);
    const text = await metrics.text();
    expect(sample(text, 'ehbox_job_duration_seconds_count{queue="cleanup",outcome="completed"}')).toBe(1);
    expect(sample(text, 'ehbox_job_duration_seconds_sum{queue="cleanup",outcome="completed"}')).toBeGreaterThanOrEqual(0.015);
    expect(sample(text, 'ehbox_job_failures_total{queue="cleanup",final="false"}')).toBe(1);
    expect(sample(text, 'ehbox_job_duration_seconds_count{queue="cleanup",outcome="failed"}')).toBe(1);
    await worker.close();
  });
});
