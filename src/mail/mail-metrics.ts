/**
 * Process-local counters of update-info e-mails, for the metrics endpoint
 * (a prom-client counter can read them in its `collect`). Cluster-wide
 * totals and per-tenant figures live in Redis (`readNotifyStats`).
 */

/** E-mail outcomes counted since the process started. */
export interface MailCounters {
  /** E-mails accepted by the SMTP server. */
  sent: number;
  /** Attempts that failed transiently and will be retried. */
  retried: number;
  /** Notifications given up (permanent SMTP failure or attempts exhausted). */
  failed: number;
  /** Digest windows that ended with nothing to say (every message read first). */
  skipped: number;
}

const counters: MailCounters = { sent: 0, retried: 0, failed: 0, skipped: 0 };

/** Adds one to a counter (called by the notify worker). */
export function countMail(outcome: keyof MailCounters): void {
  counters[outcome] += 1;
}

/** A snapshot of this process's counters. */
export function getMailCounters(): Readonly<MailCounters> {
  return { ...counters };
}
