/**
 * Starts the notify worker of a process with its mailer: SMTP from
 * `SMTP_URL`, or — when unset — the embedded catcher writing `.eml` files
 * under `$EHBOX_DATA_DIR/mail/` (all-in-one and demos). One call from the
 * composition root; the returned handle stops worker, mailer and catcher.
 */
import type { Redis } from 'ioredis';
import type { Config } from '../config/config.ts';
import type { Logger } from '../observability/logger.ts';
import type { MessageStore } from '../outbound/message-store.ts';
import type { TenancyStores } from '../tenancy/tenancy.ts';
import { DigestStore } from '../mail/digest-store.ts';
import { startMailCatcher, mailDir, type MailCatcher } from '../mail/mail-catcher.ts';
import { createSmtpMailer, type Mailer } from '../mail/mailer.ts';
import { NotificationLog } from '../mail/notification-log.ts';
import { DEFAULT_NOTIFY_RETRY, NOTIFY_QUEUE, processNotify, type NotifyDeps, type NotifyRetry } from './notify.ts';
import type { QueueRegistry } from './queues.ts';
import { logJobEnds } from './job-log.ts';

/** Jobs in flight per process: SMTP sends are I/O-bound, and a slow relay must not hold up other digests. */
const NOTIFY_CONCURRENCY = 8;

/** What the notify worker is built from. */
export interface NotifyWorkerDeps {
  /** A `command` connection (digest windows, records). */
  redis: Redis;
  queues: QueueRegistry;
  store: Pick<MessageStore, 'row'>;
  tenancy: Pick<TenancyStores, 'tenants' | 'boxes'>;
  /** Absolute data directory ($EHBOX_DATA_DIR): the catcher writes to its `mail/` folder. */
  dataDir: string;
  log?: ((line: string) => void) | undefined;
  /** Receives one structured line per job end (job-log.ts); without it, failures go to `log`. */
  logger?: Logger | undefined;
}

/** Overrides for tests and tools. */
export interface NotifyWorkerOptions {
  /** Window length instead of MAIL_DIGEST_MINUTES. */
  windowMs?: number | undefined;
  retry?: NotifyRetry | undefined;
  /** A mailer to use instead of SMTP_URL / the catcher. */
  mailer?: Mailer | undefined;
}

/** A running notify worker. */
export interface NotifyRole {
  mailer: Mailer;
  /** The embedded catcher, when SMTP_URL is unset. */
  catcher?: MailCatcher | undefined;
  /** Redis records of sent/failed notifications (admin, dashboard, metrics). */
  records: NotificationLog;
  close(): Promise<void>;
}

/** Starts the `notify` worker (and the catcher when SMTP_URL is unset). */
export async function startNotifyWorkers(
  config: Pick<Config, 'SMTP_URL' | 'MAIL_FROM' | 'MAIL_DIGEST_MINUTES' | 'REDIS_PREFIX'>,
  deps: NotifyWorkerDeps,
  opts: NotifyWorkerOptions = {},
): Promise<NotifyRole> {
  let catcher: MailCatcher | undefined;
  let mailer = opts.mailer;
  if (!mailer) {
    if (!config.SMTP_URL) {
      catcher = await startMailCatcher({ dir: mailDir(deps.dataDir) });
      deps.log?.(`no SMTP_URL: update-info e-mails are written to ${catcher.dir}`);
    }
    mailer = createSmtpMailer({ url: config.SMTP_URL ?? catcher!.url, from: config.MAIL_FROM });
  }
  const records = new NotificationLog(deps.redis, config.REDIS_PREFIX);
  const notifyDeps: NotifyDeps = {
    digests: new DigestStore(deps.redis, config.REDIS_PREFIX, opts.windowMs ?? config.MAIL_DIGEST_MINUTES * 60_000),
    records,
    queues: deps.queues,
    store: deps.store,
    tenancy: deps.tenancy,
    mailer,
    retry: opts.retry ?? DEFAULT_NOTIFY_RETRY,
  };
  const worker = deps.queues.work(NOTIFY_QUEUE, (data, job) => processNotify(data, notifyDeps, job), { concurrency: NOTIFY_CONCURRENCY });
  if (deps.logger) logJobEnds(worker, deps.logger);
  else worker.on('failed', (job, err) => deps.log?.(`notify job ${job?.id ?? '?'} failed: ${err.name}`));
  const used = mailer;
  return {
    mailer: used,
    catcher,
    records,
    async close() {
      await worker.close();
      await used.close();
      await catcher?.close();
    },
  };
}
