/**
 * The one typed queue map (CONVENTIONS §2.2): queue name → job payload, so
 * enqueuing the wrong payload does not compile, plus the registry that opens
 * the queues and starts/stops workers (workers close before queues).
 * Job data crosses Redis and is untrusted: processors parse it with the zod
 * schema of their queue first. Job data never holds content.
 */
import { Queue, Worker, type ConnectionOptions, type JobsOptions, type Processor, type WorkerOptions } from 'bullmq';
import { z } from 'zod';

/** Payload schemas per queue. */
export const JOB_SCHEMAS = {
  resolve: z.strictObject({ messageId: z.string().min(1).max(64), round: z.number().int().min(0).default(0) }),
  deliver: z.strictObject({ messageId: z.string().min(1).max(64), rows: z.array(z.number().int().min(0)).min(1).max(1000), round: z.number().int().min(0).default(0) }),
  cleanup: z.strictObject({ messageId: z.string().min(1).max(64) }),
  webhook: z.strictObject({
    tenantId: z.string().min(1).max(64),
    event: z.enum(['message.status', 'message.received']),
    deliveryId: z.string().min(1).max(200),
    /** Metadata and links only — never content. */
    payload: z.record(z.string(), z.unknown()),
  }),
} as const;

export type QueueName = keyof typeof JOB_SCHEMAS;
export type JobData<Q extends QueueName> = z.output<(typeof JOB_SCHEMAS)[Q]>;
export type JobInput<Q extends QueueName> = z.input<(typeof JOB_SCHEMAS)[Q]>;
export const QUEUE_NAMES = Object.keys(JOB_SCHEMAS) as QueueName[];

/**
 * Retry policy: exponential backoff with jitter (BullMQ adds jitter when
 * `jitter` is set); permanent failures throw UnrecoverableError and skip it.
 */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 12,
  backoff: { type: 'exponential', delay: 500, jitter: 0.5 },
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: { age: 7 * 86_400 },
};

/** Deterministic job ids (BullMQ forbids `:` in custom ids, so parts are joined with `.`). */
export function jobId(...parts: (string | number)[]): string {
  return parts.join('.');
}

/** Opens queues and runs workers over one Redis connection configuration. */
export class QueueRegistry {
  private readonly queues = new Map<QueueName, Queue>();
  private readonly workers: Worker[] = [];

  constructor(
    private readonly connection: ConnectionOptions,
    private readonly prefix: string,
  ) {}

  queue<Q extends QueueName>(name: Q): Queue<JobData<Q>> {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.connection, prefix: this.prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
      this.queues.set(name, q);
    }
    return q as unknown as Queue<JobData<Q>>;
  }

  /** Adds a job; an existing job with the same id is left as it is (idempotent enqueue). */
  async add<Q extends QueueName>(name: Q, data: JobInput<Q>, opts: JobsOptions & { jobId: string }): Promise<void> {
    const parsed = JOB_SCHEMAS[name].parse(data);
    await (this.queue(name) as unknown as Queue).add(name, parsed, opts);
  }

  /** Starts a worker for `name`; the processor gets the parsed job data. */
  work<Q extends QueueName>(name: Q, processor: (data: JobData<Q>, job: Parameters<Processor>[0]) => Promise<void>, opts: Omit<WorkerOptions, 'connection' | 'prefix'> = {}): Worker {
    const worker = new Worker(
      name,
      async (job) => {
        const data = JOB_SCHEMAS[name].parse(job.data) as JobData<Q>;
        await processor(data, job);
      },
      { connection: this.connection, prefix: this.prefix, ...opts },
    );
    this.workers.push(worker);
    return worker;
  }

  /** Stops workers (letting active jobs finish up to `timeoutMs`), then queues. */
  async close(timeoutMs = 10_000): Promise<void> {
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref());
    await Promise.race([Promise.all(this.workers.map((w) => w.close())), timeout]);
    await Promise.all(this.workers.map((w) => w.close(true)));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
