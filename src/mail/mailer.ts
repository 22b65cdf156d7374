/**
 * The narrow `Mailer` interface the notify worker sends through
 * (CONVENTIONS §2.6), and its SMTP implementation over a nodemailer pool
 * built from `SMTP_URL`. SMTP failures become a `MailError` that says
 * whether retrying can help: 4xx replies and connection trouble are
 * transient, 5xx replies (and configuration errors) are permanent.
 */
import nodemailer from 'nodemailer';
import type { NodemailerError } from 'nodemailer';

/** One e-mail: a single recipient, text and HTML alternatives, nothing attached. */
export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Message-ID without brackets, deterministic per notification so receivers can drop a duplicate. */
  messageId?: string | undefined;
}

/** What the notify worker needs from an e-mail transport. */
export interface Mailer {
  send(mail: OutgoingMail): Promise<void>;
  /** Closes pooled connections (waits for none: in-flight sends fail and are retried). */
  close(): Promise<void>;
}

/** Stable codes of mail failures. */
export type MailErrorCode = 'SMTP_TRANSIENT' | 'SMTP_PERMANENT';

/** A failed send, with whether a later attempt can succeed. */
export class MailError extends Error {
  override readonly name = 'MailError';
  readonly permanent: boolean;

  constructor(
    readonly code: MailErrorCode,
    message: string,
    readonly responseCode?: number | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.permanent = code === 'SMTP_PERMANENT';
  }
}

/** Nodemailer codes without an SMTP reply that no retry of the same e-mail fixes (bad address, bad settings). */
const PERMANENT_CODES = new Set(['EENVELOPE', 'EMESSAGE', 'ECONFIG', 'ENOAUTH', 'EMAXRECIPIENTS', 'EREQUIRETLS']);
/** Longest SMTP reply kept in a recorded error. */
const MAX_REPLY_LENGTH = 300;

/**
 * Classifies a nodemailer error: an SMTP reply 5xx (except 503, a sequencing
 * error) is permanent, 4xx transient; without a reply, connection and timeout
 * errors are transient and envelope/configuration errors permanent.
 */
export function classifySmtpError(err: unknown): MailError {
  if (err instanceof MailError) return err;
  const e = (err ?? {}) as NodemailerError;
  const reply = typeof e.response === 'string' ? e.response.replace(/\s+/g, ' ').slice(0, MAX_REPLY_LENGTH) : undefined;
  const rc = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  if (rc !== undefined) {
    const permanent = rc >= 500 && rc < 600 && rc !== 503;
    return new MailError(permanent ? 'SMTP_PERMANENT' : 'SMTP_TRANSIENT', `SMTP ${reply ?? rc}`, rc, { cause: err });
  }
  const code = typeof e.code === 'string' ? e.code : 'ERROR';
  const detail = typeof e.originalCode === 'string' ? `${code}/${e.originalCode}` : code;
  return new MailError(PERMANENT_CODES.has(code) ? 'SMTP_PERMANENT' : 'SMTP_TRANSIENT', `SMTP ${detail}`, undefined, { cause: err });
}

/** Connections kept open to the relay: a digest burst sends in parallel, a relay limits per-client sessions. */
const MAX_CONNECTIONS = 4;
/** A relay that does not accept the TCP connection within this long is treated as down (the job retries). */
const CONNECTION_TIMEOUT_MS = 10_000;
/** Time allowed for the 220 greeting. */
const GREETING_TIMEOUT_MS = 10_000;
/** Inactivity during a session after which the send fails (transient). */
const SOCKET_TIMEOUT_MS = 30_000;

/** Options of `createSmtpMailer`. */
export interface SmtpMailerOptions {
  /** `smtp://` or `smtps://` URL, with credentials and nodemailer options as query parameters. */
  url: string;
  /** From header (MAIL_FROM). */
  from: string;
}

/** A pooled SMTP mailer from `SMTP_URL`. */
export function createSmtpMailer(opts: SmtpMailerOptions): Mailer {
  const transport = nodemailer.createTransport({
    pool: true,
    url: opts.url,
    maxConnections: MAX_CONNECTIONS,
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    greetingTimeout: GREETING_TIMEOUT_MS,
    socketTimeout: SOCKET_TIMEOUT_MS,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  return {
    async send(mail) {
      try {
        await transport.sendMail({
          from: opts.from,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          ...(mail.messageId ? { messageId: `<${mail.messageId}>` } : {}),
          headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All' },
        });
      } catch (err) {
        throw classifySmtpError(err);
      }
    },
    async close() {
      transport.close();
    },
  };
}
