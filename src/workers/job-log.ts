/**
 * One structured log line per job end (completed, failed for good, or
 * failed with a retry to come), carrying the correlation ids of the job —
 * queue, jobId and, when the job is about a message, its messageId — with
 * the outcome, the attempt and the duration. Never the payload: only
 * `jobLogger` reads the job data, and only its `messageId`.
 */
import type { Job, Worker } from 'bullmq';
import { jobLogger, type Logger } from '../observability/logger.ts';

/** How a job attempt ended, as logged. */
export type JobEndOutcome = 'completed' | 'retry' | 'failed';

/** What a job-end line carries besides the correlation ids. */
export interface JobEndFields {
  outcome: JobEndOutcome;
  /** Attempts made so far, this one included. */
  attempt: number;
  durationMs: number;
}

/** Milliseconds of the attempt that just ended (BullMQ stamps processedOn and finishedOn). */
function durationMs(job: Job): number {
  return Math.max(0, (job.finishedOn ?? Date.now()) - (job.processedOn ?? job.timestamp));
}

/** True when a failed attempt is the last one (no retry will follow). */
function isFinalFailure(job: Job, err: Error): boolean {
  return err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
}

/** Writes one line per job end of `worker` to a child of `logger` with the job's correlation ids. */
export function logJobEnds(worker: Worker, logger: Logger): Worker {
  worker.on('completed', (job) => {
    const fields: JobEndFields = { outcome: 'completed', attempt: job.attemptsMade, durationMs: durationMs(job) };
    jobLogger(logger, job).debug(fields, 'job completed'); // every poll completes a job: keep info readable
  });
  worker.on('failed', (job, err) => {
    if (!job) {
      logger.error({ queue: worker.name, err }, 'job failed');
      return;
    }
    const final = isFinalFailure(job, err);
    const fields: JobEndFields = { outcome: final ? 'failed' : 'retry', attempt: job.attemptsMade, durationMs: durationMs(job) };
    const log = jobLogger(logger, job);
    if (final) log.error({ ...fields, err }, 'job failed');
    else log.warn({ ...fields, err }, 'job failed, will retry');
  });
  return worker;
}
