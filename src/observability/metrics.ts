/**
 * The gateway's Prometheus metrics, on a registry of their own (never
 * prom-client's global one, so several gateways in one test process do not
 * collide): queue depth and age, job durations and failures, seal/unseal
 * time, eHealth calls by operation and status, e-mails, box usage, HTTP
 * requests. Labels are bounded (queue and operation names, status codes, box
 * ids) and never carry content or personal data.
 */
import { collectDefaultMetrics, Counter, Histogram, Gauge, Registry } from 'prom-client';
import type { Job, Worker } from 'bullmq';
import { EhealthSoapFault, SoapTransportError } from '../soap/fault.ts';
import { SOAP_OPERATIONS, type SoapOperation } from '../soap/soap-actions.ts';
import { QUEUE_NAMES, type QueueName } from '../workers/queues.ts';
import { registerQueueMetrics, withTimeout, type QueueLike, type QueueSource } from './queue-metrics.ts';
import { observeCryptoTimings } from './crypto-timing-hook.ts';
import { observeSoapCalls, type SoapCallRecord, type TimedCallOptions } from './soap-call-hook.ts';

/** Job durations: from a 10 ms cache hit to a 2-minute eHealth timeout chain. */
const JOB_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
/** Seal/unseal: sub-millisecond AES to seconds for a 10 MB message on a busy core. */
const CRYPTO_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** eHealth calls: tens of ms in the sandbox to the 30 s default timeout. */
const EHEALTH_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** API requests: the p99 target is 50 ms; uploads take longer. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];
/** Longest label value kept (ids are shorter; anything longer is not an id). */
const MAX_LABEL_CHARS = 64;

/** Box usage must be read within this at scrape time (as for the queue figures). */
const BOX_SCRAPE_TIMEOUT_MS = 2000;

/** Reads every box's usage (see `trackBoxUsage`). */
export type BoxUsageReader = () => Promise<{ box: string; current: number; max: number; standBy: number }[]>;

/** How a job attempt ended: done, failed for good, or failed and will be retried. */
export type JobOutcome = 'completed' | 'failed' | 'retry';

/** A label value that cannot carry content: id characters only, truncated. */
export function safeLabel(value: string): string {
  const s = value.replace(/[^A-Za-z0-9_.:-]/g, '_').slice(0, MAX_LABEL_CHARS);
  return s === '' ? '_' : s;
}

function elementIn(body: unknown, element: string): boolean {
  const first = typeof body === 'string' ? body : (body as { parts?: unknown[] } | undefined)?.parts?.[0];
  const text = typeof first === 'string' ? first : Buffer.isBuffer(first) ? first.toString('utf8', 0, Math.min(first.length, 64 * 1024)) : '';
  return new RegExp(`<(?:[\\w.-]+:)?${element}[\\s/>]`).test(text);
}

/** The operation of a SOAP call (a name of SOAP_OPERATIONS, or `other`), from its SOAPAction and request element. */
export function soapOperationOf(call: { soapAction?: string | null | undefined; body: unknown }): SoapOperation | 'other' {
  const ops = Object.keys(SOAP_OPERATIONS) as SoapOperation[];
  const byAction = ops.filter((op) => SOAP_OPERATIONS[op].action === (call.soapAction ?? null));
  if (byAction.length === 1) return byAction[0]!;
  const candidates = byAction.length > 0 ? byAction : ops;
  return candidates.find((op) => elementIn(call.body, SOAP_OPERATIONS[op].requestElement)) ?? 'other';
}

/** The status label of a call: the HTTP status when there is one, else the transport failure kind. */
export function soapStatusOf(record: Pick<SoapCallRecord, 'status' | 'error'>): string {
  if (record.status !== undefined) return String(record.status);
  const err = record.error;
  if (err instanceof EhealthSoapFault) return err.httpStatus !== undefined ? String(err.httpStatus) : 'fault';
  if (err instanceof SoapTransportError) return err.status !== undefined ? String(err.status) : err.kind;
  return 'error';
}

/** Options of the metrics. */
export interface MetricsOptions {
  /** Node process metrics (CPU, memory, event-loop lag, GC), prefixed `ehbox_` (`ehbox_process_*`, `ehbox_nodejs_*`); default true. */
  processMetrics?: boolean;
}

/** Every metric of a gateway process and the functions the code calls to feed them. */
export class GatewayMetrics {
  /** The registry `metricsRouter` serves. */
  readonly registry = new Registry();
  private readonly jobDuration: Histogram<'queue' | 'outcome'>;
  private readonly jobFailures: Counter<'queue' | 'final'>;
  private readonly sealDuration: Histogram<'outcome'>;
  private readonly unsealDuration: Histogram<'outcome'>;
  private readonly ehealthCalls: Counter<'operation' | 'status'>;
  private readonly ehealthDuration: Histogram<'operation'>;
  private readonly emailsSent: Counter<'kind'>;
  private readonly emailFailures: Counter<'kind'>;
  private readonly boxUsed: Gauge<'box'>;
  private readonly boxMax: Gauge<'box'>;
  private readonly boxStandBy: Gauge<'box'>;
  private readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  private boxReader: BoxUsageReader | undefined;
  private boxReading: Promise<void> | undefined;

  constructor(options: MetricsOptions = {}) {
    const registers = [this.registry];
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'ehbox_' });
    this.jobDuration = new Histogram({ name: 'ehbox_job_duration_seconds', help: 'Duration of job attempts by queue and outcome (completed, retry, failed)', labelNames: ['queue', 'outcome'], buckets: JOB_BUCKETS, registers });
    this.jobFailures = new Counter({ name: 'ehbox_job_failures_total', help: 'Failed job attempts by queue; final="true" when the job will not be retried', labelNames: ['queue', 'final'], registers });
    this.sealDuration = new Histogram({ name: 'ehbox_seal_duration_seconds', help: 'Time to seal (sign + encrypt) one message part', labelNames: ['outcome'], buckets: CRYPTO_BUCKETS, registers });
    this.unsealDuration = new Histogram({ name: 'ehbox_unseal_duration_seconds', help: 'Time to unseal (decrypt + verify) one message part', labelNames: ['outcome'], buckets: CRYPTO_BUCKETS, registers });
    this.ehealthCalls = new Counter({ name: 'ehbox_ehealth_calls_total', help: 'Calls to eHealth services by operation and HTTP status (or transport failure kind)', labelNames: ['operation', 'status'], registers });
    this.ehealthDuration = new Histogram({ name: 'ehbox_ehealth_call_duration_seconds', help: 'Duration of calls to eHealth services by operation', labelNames: ['operation'], buckets: EHEALTH_BUCKETS, registers });
    this.emailsSent = new Counter({ name: 'ehbox_emails_sent_total', help: 'E-mails accepted by the SMTP server, by kind', labelNames: ['kind'], registers });
    this.emailFailures = new Counter({ name: 'ehbox_email_failures_total', help: 'E-mails the SMTP server refused or could not take, by kind', labelNames: ['kind'], registers });
    const collect = () => this.readBoxes();
    this.boxUsed = new Gauge({ name: 'ehbox_box_used_bytes', help: 'Bytes used in each eHealthBox (getBoxInfo CurrentSize)', labelNames: ['box'], registers, collect });
    this.boxMax = new Gauge({ name: 'ehbox_box_max_bytes', help: 'Capacity of each eHealthBox (getBoxInfo MaxSize)', labelNames: ['box'], registers, collect });
    this.boxStandBy = new Gauge({ name: 'ehbox_box_standby_messages', help: 'Messages waiting in stand-by because the box is full (getBoxInfo NbrMessagesInStandBy)', labelNames: ['box'], registers, collect });
    this.httpDuration = new Histogram({ name: 'ehbox_http_request_duration_seconds', help: 'API requests by method, route template and status', labelNames: ['method', 'route', 'status'], buckets: HTTP_BUCKETS, registers });
  }

  /** Adds queue depth and oldest-waiting-age gauges, read from `queues` at every scrape. */
  trackQueues(queues: { queue(name: QueueName): QueueLike }, names: readonly QueueName[] = QUEUE_NAMES): void {
    const source: QueueSource = { names, queue: (name) => queues.queue(name as QueueName) };
    registerQueueMetrics(this.registry, source);
  }

  /** Records one job attempt. */
  observeJob(queue: string, seconds: number, outcome: JobOutcome): void {
    const q = safeLabel(queue);
    this.jobDuration.observe({ queue: q, outcome }, Math.max(0, seconds));
    if (outcome !== 'completed') this.jobFailures.inc({ queue: q, final: String(outcome === 'failed') });
  }

  /** Feeds `observeJob` from a BullMQ worker's `completed` and `failed` events. */
  instrumentWorker(worker: Worker, queue: string = worker.name): void {
    const seconds = (job: Job) => ((job.finishedOn ?? Date.now()) - (job.processedOn ?? job.timestamp)) / 1000;
    worker.on('completed', (job) => this.observeJob(queue, seconds(job), 'completed'));
    worker.on('failed', (job, err) => {
      if (!job) return;
      const final = err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
      this.observeJob(queue, seconds(job), final ? 'failed' : 'retry');
    });
  }

  /** Times a seal (sync or async); failures are timed too, with outcome="error". */
  timeSeal<T>(fn: () => T): T {
    return timeCall(this.sealDuration, fn);
  }

  /** Times an unseal (sync or async). */
  timeUnseal<T>(fn: () => T): T {
    return timeCall(this.unsealDuration, fn);
  }

  /** Records one seal or unseal of known duration (what `timeSeal`/`timeUnseal` and the crypto hook feed). */
  recordCrypto(operation: 'seal' | 'unseal', seconds: number, ok: boolean): void {
    (operation === 'seal' ? this.sealDuration : this.unsealDuration).observe({ outcome: ok ? 'ok' : 'error' }, Math.max(0, seconds));
  }

  /** Subscribes to every `timedCrypto` call of the process (see crypto-timing-hook.ts); returns the unsubscribe function. */
  observeCryptoTimings(): () => void {
    return observeCryptoTimings((operation, seconds, ok) => this.recordCrypto(operation, seconds, ok));
  }

  /** Records one eHealth call. */
  recordEhealthCall(operation: string, status: number | string, seconds: number): void {
    const op = safeLabel(operation);
    this.ehealthCalls.inc({ operation: op, status: safeLabel(String(status)) });
    this.ehealthDuration.observe({ operation: op }, Math.max(0, seconds));
  }

  /** Records a call reported by the SOAP transport hook. */
  recordSoapCall(record: SoapCallRecord): void {
    this.recordEhealthCall(soapOperationOf(record), soapStatusOf(record), record.seconds);
  }

  /** Subscribes to every SOAP call of the process (see soap-call-hook.ts); returns the unsubscribe function. */
  observeSoapCalls(): () => void {
    return observeSoapCalls((record) => this.recordSoapCall(record));
  }

  /** Wraps a SOAP-calling function (postSoap or a double) so each call is recorded. */
  wrapSoapCall<O extends TimedCallOptions, R extends { status: number }>(call: (opts: O) => Promise<R>): (opts: O) => Promise<R> {
    return async (opts) => {
      const started = performance.now();
      try {
        const res = await call(opts);
        this.recordSoapCall({ soapAction: opts.soapAction, body: opts.body, seconds: (performance.now() - started) / 1000, status: res.status, error: undefined });
        return res;
      } catch (err) {
        this.recordSoapCall({ soapAction: opts.soapAction, body: opts.body, seconds: (performance.now() - started) / 1000, status: undefined, error: err });
        throw err;
      }
    };
  }

  /** Records an e-mail handed to SMTP (`sent`) or refused (`failed`); kind e.g. `update-info`, `inbound-staff`. */
  recordEmail(kind: string, outcome: 'sent' | 'failed' = 'sent'): void {
    (outcome === 'sent' ? this.emailsSent : this.emailFailures).inc({ kind: safeLabel(kind) });
  }

  /** Sets a box's usage from getBoxInfo (bytes used, capacity, messages in stand-by). */
  setBoxUsage(boxId: string, current: number, max: number, standBy: number): void {
    const box = safeLabel(boxId);
    this.boxUsed.set({ box }, current);
    this.boxMax.set({ box }, max);
    this.boxStandBy.set({ box }, standBy);
  }

  /**
   * Reads box usage at every scrape (e.g. the box health the poll worker
   * records in Redis), so the API process reports boxes polled elsewhere.
   * A reader that fails or is slow leaves the last values in place.
   */
  trackBoxUsage(read: BoxUsageReader): void {
    this.boxReader = read;
  }

  private readBoxes(): Promise<void> {
    const read = this.boxReader;
    if (!read) return Promise.resolve();
    this.boxReading ??= withTimeout(read(), BOX_SCRAPE_TIMEOUT_MS)
      .then((boxes) => {
        for (const b of boxes) this.setBoxUsage(b.box, b.current, b.max, b.standBy);
      }, () => undefined)
      .finally(() => {
        this.boxReading = undefined;
      });
    return this.boxReading;
  }

  /** Records one API request (route is the template, e.g. `/v1/messages/:id`, never the concrete path). */
  observeHttpRequest(method: string, route: string, status: number, seconds: number): void {
    this.httpDuration.observe({ method: safeLabel(method), route: route.slice(0, 128), status: String(status) }, Math.max(0, seconds));
  }

  /** The Prometheus text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}

function timeCall<T>(histogram: Histogram<'outcome'>, fn: () => T): T {
  const end = histogram.startTimer();
  let result: T;
  try {
    result = fn();
  } catch (err) {
    end({ outcome: 'error' });
    throw err;
  }
  if (result instanceof Promise) {
    return result.then(
      (v: unknown) => {
        end({ outcome: 'ok' });
        return v;
      },
      (err: unknown) => {
        end({ outcome: 'error' });
        throw err;
      },
    ) as T;
  }
  end({ outcome: 'ok' });
  return result;
}
