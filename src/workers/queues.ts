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
  /** One poll of one tenant box (scheduled per box, or asked for with POST /v1/boxes/:id/poll). */
  poll: z.strictObject({ tenantId: z.string().min(1).max(64), boxId: z.string().min(1).max(64) }),
  /** Receipt tracking of one outbound message: round 0 indexes its ehBox ids, later rounds poll the receipts. */
  receipts: z.strictObject({ messageId: z.string().min(1).max(64), round: z.number().int().min(0).default(0) }),
  /** Update-info e-mails (src/workers/notify.ts): ids and references only — no address, no content. */
  notify: z.discriminatedUnion('kind', [
    /** An outbound row was published: add it to its recipient's digest window. */
    z.strictObject({ kind: z.literal('published'), tenantId: z.string().min(1).max(64), senderBoxId: z.string().min(1).max(64), messageId: z.string().min(1).max(64), idx: z.number().int().min(0) }),
    /** New mail in a tenant's box: add it to the digest of each staff address. */
    z.strictObject({ kind: z.literal('inbound'), tenantId: z.string().min(1).max(64), boxId: z.string().min(1).max(64), receivedAt: z.iso.datetime({ offset: true }), ref: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/) }),
    /** A digest window closed: send its one e-mail. */
    z.strictObject({ kind: z.literal('digest'), digest: z.string().regex(/^(provider|staff)\.[0-9a-f]{32}$/), windowId: z.string().regex(/^[a-z0-9]{1,64}$/) }),
  ]),
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

  /**
   * `connection` serves the producer side (fails fast when Redis is down, so
   * the API answers 503); `workerConnection` (maxRetriesPerRequest: null, as
   * BullMQ requires for blocking commands) serves the workers.
   */
  constructor(
    private readonly connection: ConnectionOptions,
    private readonly prefix: string,
    private readonly workerConnection: ConnectionOptions = connection,
    private readonly onWorker?: (worker: Worker, queue: QueueName) => void,
    /** Job lock and stall-check time (EHBOX_WORKER_LOCK_MS); undefined keeps BullMQ's defaults. */
    private readonly lockMs?: number,
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
      { connection: this.workerConnection, prefix: this.prefix, ...(this.lockMs ? { lockDuration: this.lockMs, stalledInterval: this.lockMs } : {}), ...opts },
    );
    this.workers.push(worker);
    this.onWorker?.(worker, name);
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
