/**
 * A real SMTP server for tests (smtp-server on 127.0.0.1, port 0) that keeps
 * what it receives and can refuse chosen recipients with given reply codes,
 * to exercise transient (4xx) and permanent (5xx) failures.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { parseMail, type ParsedMail } from './mime.ts';

/** One received e-mail. */
export interface ReceivedMail {
  to: string[];
  raw: string;
  mail: ParsedMail;
}

/** A running test SMTP server. */
export interface TestSmtp {
  port: number;
  url: string;
  received: ReceivedMail[];
  /** RCPT TO attempts per address (lower-case), including refused ones. */
  attempts: Map<string, number>;
  /** Reply codes to answer the next RCPT TO of `address` with, in order (then accept). */
  refuse(address: string, ...codes: number[]): void;
  /** E-mails received for `address`. */
  to(address: string): ReceivedMail[];
  /** Waits until `address` has `count` e-mails (or throws after `timeoutMs`). */
  waitFor(address: string, count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

/** Starts the server; `port` 0 (default) picks a free one. */
export async function startTestSmtp(port = 0): Promise<TestSmtp> {
  const received: ReceivedMail[] = [];
  const attempts = new Map<string, number>();
  const refusals = new Map<string, number[]>();
  const server = new SMTPServer({
    logger: false,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    closeTimeout: 500,
    onRcptTo(address, _session, callback) {
      const who = address.address.toLowerCase();
      attempts.set(who, (attempts.get(who) ?? 0) + 1);
      const code = refusals.get(who)?.shift();
      if (code === undefined) return callback();
      callback(Object.assign(new Error(code >= 500 ? 'mailbox unavailable' : 'try again later'), { responseCode: code }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        received.push({ to: session.envelope.rcptTo.map((a) => a.address.toLowerCase()), raw, mail: parseMail(raw) });
        callback();
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (server.server.address() as AddressInfo).port;
  const to = (address: string) => received.filter((m) => m.to.includes(address.toLowerCase()));
  return {
    port: actual,
    url: `smtp://127.0.0.1:${actual}`,
    received,
    attempts,
    refuse(address, ...codes) {
      refusals.set(address.toLowerCase(), codes);
    },
    to,
    async waitFor(address, count, timeoutMs = 10_000) {
      const end = Date.now() + timeoutMs;
      while (to(address).length < count) {
        if (Date.now() > end) throw new Error(`expected ${count} e-mail(s) for ${address}, got ${to(address).length}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return to(address);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
