/**
 * Structured JSON logs (pino) for every role. One root logger per process,
 * level from LOG_LEVEL; child loggers carry the correlation ids
 * (`requestId`, `messageId`, `jobId`) so one message can be followed from
 * the API through every queue. Content never reaches a line: errors, jobs and
 * requests go through allow-list serializers, known content and credential
 * fields are censored, and free-text arguments are scrubbed (log-safety.ts).
 */
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { Config } from '../config/config.ts';
import { MAX_LOG_MESSAGE_CHARS, REDACTED, REDACTED_PATHS, scrubText, summarizeError, summarizeJob, summarizeRequest } from './log-safety.ts';

export type { Logger } from 'pino';

/** Name every line carries, so shared log stores can filter on it. */
export const SERVICE_NAME = 'ehbox-bridge';

/** Correlation ids a child logger may carry (values are ids, never content). */
export interface Correlation {
  requestId?: string;
  messageId?: string;
  jobId?: string;
  queue?: string;
  tenantId?: string;
}

/** Ids are logged only in this shape: anything else is not an id and is dropped. */
const ID_SHAPE = /^[A-Za-z0-9._:@/+=-]{1,200}$/;

function scrubArgs(args: unknown[]): unknown[] {
  return args.map((a) => (typeof a === 'string' ? scrubText(a, MAX_LOG_MESSAGE_CHARS) : a));
}

/** The pino options of every ehbox-bridge logger (exported so tests can assert the policy). */
export function loggerOptions(level: Config['LOG_LEVEL']): LoggerOptions {
  return {
    level,
    base: { service: SERVICE_NAME, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: [...REDACTED_PATHS], censor: REDACTED },
    serializers: { err: summarizeError, error: summarizeError, job: summarizeJob, req: summarizeRequest },
    hooks: {
      // Free text (the message and %s arguments) is scrubbed of XML and encoded blobs.
      logMethod(args, method) {
        method.apply(this, scrubArgs(args) as Parameters<typeof method>);
      },
    },
  };
}

/**
 * The process logger: JSON lines at LOG_LEVEL to stdout, or to `destination`
 * (a file descriptor stream, or `createMemoryDestination()` in tests).
 */
export function createLogger(config: Pick<Config, 'LOG_LEVEL'>, destination?: DestinationStream): Logger {
  const options = loggerOptions(config.LOG_LEVEL);
  return destination ? pino(options, destination) : pino(options);
}

/** Keeps only well-formed ids. */
function correlationBindings(ids: Correlation): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(ids)) {
    if (typeof v === 'string' && ID_SHAPE.test(v)) out[k] = v;
  }
  return out;
}

/** A child logger carrying correlation ids (malformed ids are left out rather than logged). */
export function withCorrelation(parent: Logger, ids: Correlation): Logger {
  return parent.child(correlationBindings(ids));
}

/** The logger of one HTTP request. */
export function requestLogger(parent: Logger, requestId: string): Logger {
  return withCorrelation(parent, { requestId });
}

/** The logger of one message's work outside a request (webhook, cleanup, CLI). */
export function messageLogger(parent: Logger, messageId: string): Logger {
  return withCorrelation(parent, { messageId });
}

/** What `jobLogger` reads from a BullMQ job: its id, queue and the `messageId` of its data when it has one. */
export interface JobLike {
  id?: string | undefined;
  queueName: string;
  data?: unknown;
}

/**
 * The logger of one job: `jobId`, `queue` and, when the payload names one,
 * `messageId`. Only that id is read from the payload; nothing else of it is logged.
 */
export function jobLogger(parent: Logger, job: JobLike): Logger {
  const data = job.data;
  const messageId = typeof data === 'object' && data !== null ? (data as Record<string, unknown>).messageId : undefined;
  return withCorrelation(parent, {
    ...(job.id !== undefined ? { jobId: job.id } : {}),
    queue: job.queueName,
    ...(typeof messageId === 'string' ? { messageId } : {}),
  });
}

/** A destination that keeps lines in memory (tests, and the CLI's captured output). */
export interface MemoryDestination extends DestinationStream {
  /** Raw lines as written. */
  readonly lines: string[];
  /** Lines parsed as JSON. */
  records(): Record<string, unknown>[];
  /** Everything written, as one string (for "never contains" assertions). */
  text(): string;
}

/** A synchronous in-memory destination for `createLogger`. */
export function createMemoryDestination(): MemoryDestination {
  const lines: string[] = [];
  return {
    lines,
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line.length > 0) lines.push(line);
    },
    records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    text: () => lines.join('\n'),
  };
}
