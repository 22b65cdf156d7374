/**
 * Queue depth and age, read from BullMQ when Prometheus scrapes (not on a
 * timer): jobs per queue and state, and the age of the oldest job waiting in
 * each queue — the figure that says "workers are not keeping up". One Redis
 * round per queue per scrape, shared by the gauges that report it, and
 * bounded in time so a slow Redis cannot hang the scrape.
 */
import { Gauge, type Registry } from 'prom-client';

/** Job states reported per queue (BullMQ's names). */
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed', 'completed'] as const;
/** Redis must answer within this for one scrape (well below Prometheus' default 10 s scrape timeout). */
export const QUEUE_SCRAPE_TIMEOUT_MS = 2000;
/** The gauges of one scrape share one reading taken at most this long ago. */
const SNAPSHOT_TTL_MS = 1000;

/** What the collector reads of a BullMQ queue (a `Queue` satisfies it). */
export interface QueueLike {
  getJobCounts(...types: (typeof QUEUE_STATES)[number][]): Promise<Record<string, number>>;
  /** `getJobs(['wait'], 0, 0, true)`: the oldest waiting job. */
  getJobs(types: 'wait'[], start: number, end: number, asc: boolean): Promise<({ timestamp: number; delay?: number } | undefined)[]>;
}

/** The queues to watch: name → queue (QueueRegistry.queue fits). */
export interface QueueSource {
  names: readonly string[];
  queue(name: string): QueueLike;
}

interface QueueReading {
  counts: Record<string, number>;
  oldestWaitingSeconds: number;
}

interface Snapshot {
  at: number;
  ok: boolean;
  readings: Map<string, QueueReading>;
}

/** `p`, or a rejection after `ms` (a scrape must never hang on a backing store). */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

async function readQueue(q: QueueLike, now: number): Promise<QueueReading> {
  const [counts, oldest] = await Promise.all([q.getJobCounts(...QUEUE_STATES), q.getJobs(['wait'], 0, 0, true)]);
  const job = oldest[0];
  const waitingSince = job ? job.timestamp + (job.delay ?? 0) : undefined;
  return { counts, oldestWaitingSeconds: waitingSince === undefined ? 0 : Math.max(0, (now - waitingSince) / 1000) };
}

/**
 * Registers `ehbox_queue_jobs{queue,state}`, `ehbox_queue_oldest_waiting_seconds{queue}`
 * and `ehbox_queue_metrics_up` (0 when Redis did not answer the last scrape).
 */
export function registerQueueMetrics(registry: Registry, source: QueueSource, now: () => number = Date.now): void {
  let current: Promise<Snapshot> | undefined;
  let last: Snapshot | undefined;

  const take = async (): Promise<Snapshot> => {
    const at = now();
    try {
      const entries = await withTimeout(
        Promise.all(source.names.map(async (name) => [name, await readQueue(source.queue(name), at)] as const)),
        QUEUE_SCRAPE_TIMEOUT_MS,
      );
      return { at, ok: true, readings: new Map(entries) };
    } catch {
      return { at, ok: false, readings: new Map() };
    }
  };
  const snapshot = (): Promise<Snapshot> => {
    if (last && now() - last.at < SNAPSHOT_TTL_MS) return Promise.resolve(last);
    current ??= take().then((s) => {
      last = s;
      current = undefined;
      return s;
    });
    return current;
  };

  new Gauge({
    name: 'ehbox_queue_jobs',
    help: 'Jobs per queue and BullMQ state, read from Redis at scrape time',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      const s = await snapshot();
      this.reset();
      for (const [queue, r] of s.readings) {
        for (const state of QUEUE_STATES) this.set({ queue, state }, r.counts[state] ?? 0);
      }
    },
  });
  new Gauge({
    name: 'ehbox_queue_oldest_waiting_seconds',
    help: 'Age of the oldest job waiting in each queue (0 when none waits)',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      const s = await snapshot();
      this.reset();
      for (const [queue, r] of s.readings) this.set({ queue }, r.oldestWaitingSeconds);
    },
  });
  new Gauge({
    name: 'ehbox_queue_metrics_up',
    help: '1 when the queue figures of this scrape could be read from Redis, 0 otherwise',
    registers: [registry],
    async collect() {
      this.set((await snapshot()).ok ? 1 : 0);
    },
  });
}
