/**
 * The embedded SMTP catcher of the all-in-one process when `SMTP_URL` is
 * unset: an SMTP server on 127.0.0.1 (port 0 by default) that accepts every
 * e-mail and writes it, as received, to `$EHBOX_DATA_DIR/mail/<name>.eml`
 * (a contract: demos and the dashboard read that folder). Files are written
 * under a temporary name and renamed, so a listing never shows half an e-mail.
 */
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { SMTPServer } from 'smtp-server';

/** The catcher only ever receives our update-info e-mails: anything larger is refused. */
const MAX_MAIL_BYTES = 1024 * 1024;
/** How long close() lets a client finish before its connection is dropped. */
const CLOSE_TIMEOUT_MS = 2000;
/** File names the catcher writes (and the only ones `readCaughtMail` opens). */
const EML_NAME = /^\d{8}T\d{9}Z-[0-9a-f]{8}\.eml$/;

/** One caught e-mail file. */
export interface CaughtMail {
  /** File name inside the mail folder. */
  name: string;
  path: string;
  size: number;
  receivedAt: Date;
}

/** A running catcher. */
export interface MailCatcher {
  /** SMTP URL to give the mailer. */
  url: string;
  port: number;
  /** Folder holding the `.eml` files. */
  dir: string;
  list(): Promise<CaughtMail[]>;
  close(): Promise<void>;
}

/** The mail folder of a data directory (`$EHBOX_DATA_DIR/mail`). */
export function mailDir(dataDir: string): string {
  return path.join(dataDir, 'mail');
}

function fileName(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('.', '');
  return `${stamp}-${randomBytes(4).toString('hex')}.eml`;
}

/** The `.eml` files in `dir`, oldest first (usable from another process, e.g. the dashboard). */
export async function listCaughtMail(dir: string): Promise<CaughtMail[]> {
  let names: string[];
  try {
    names = await fs.promises.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: CaughtMail[] = [];
  for (const name of names.filter((n) => EML_NAME.test(n)).sort()) {
    const file = path.join(dir, name);
    const st = await fs.promises.stat(file).catch(() => undefined);
    if (st) out.push({ name, path: file, size: st.size, receivedAt: st.mtime });
  }
  return out;
}

/** The raw bytes of one caught e-mail by its listed name; undefined for any other name. */
export async function readCaughtMail(dir: string, name: string): Promise<Buffer | undefined> {
  if (!EML_NAME.test(name)) return undefined;
  return fs.promises.readFile(path.join(dir, name)).catch(() => undefined);
}

async function store(dir: string, stream: NodeJS.ReadableStream & { sizeExceeded: boolean }): Promise<void> {
  const name = fileName(new Date());
  const tmp = path.join(dir, `.${name}.tmp`);
  try {
    await pipeline(stream, fs.createWriteStream(tmp, { mode: 0o600 }));
    if (stream.sizeExceeded) throw Object.assign(new Error('message too large'), { responseCode: 552 });
    await fs.promises.rename(tmp, path.join(dir, name));
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
}

/** Options of `startMailCatcher`. */
export interface MailCatcherOptions {
  /** Where to write `.eml` files (created if missing). */
  dir: string;
  host?: string | undefined;
  port?: number | undefined;
}

/** Starts the catcher; resolves once it listens. */
export async function startMailCatcher(opts: MailCatcherOptions): Promise<MailCatcher> {
  const dir = path.resolve(opts.dir);
  await fs.promises.mkdir(dir, { recursive: true });
  const host = opts.host ?? '127.0.0.1';
  const server = new SMTPServer({
    logger: false,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: MAX_MAIL_BYTES,
    closeTimeout: CLOSE_TIMEOUT_MS,
    onData(stream, _session, callback) {
      store(dir, stream).then(() => callback(), (err: Error) => callback(err));
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://${host}:${port}`,
    port,
    dir,
    list: () => listCaughtMail(dir),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
