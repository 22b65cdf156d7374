/**
 * `send`, `status` and `inbox`: the CLI as an HTTP client of the gateway's
 * API (`--url`, `--api-key`), so an operator can send a letter from a shell
 * and watch each recipient reach a final state. Never prints content.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { CliError } from './cli-error.ts';
import { readInput, USAGE_EXIT_CODE } from './cli-io.ts';

/** Exit code of `send --wait` when a recipient ended in a non-delivered state (or the wait timed out). */
export const NOT_DELIVERED_EXIT_CODE = 4;
/** Exit code when the API refused the request or could not be reached. */
export const API_EXIT_CODE = 1;
/** How often `--wait` polls the message: fast enough to show each step, light on the API. */
const POLL_INTERVAL_MS = 300;
/** Default `--timeout` of `--wait`: covers retries with backoff toward a slow eHealth. */
const DEFAULT_WAIT_SECONDS = 300;

/** Recipient states after which nothing changes but receipts. */
export const FINAL_RECIPIENT_STATES: ReadonlySet<string> = new Set(['published', 'received', 'read', 'failed', 'ooo-forwarded']);
/** Final states that mean the recipient got the message. */
export const DELIVERED_STATES: ReadonlySet<string> = new Set(['published', 'received', 'read', 'ooo-forwarded']);

/** Where the API is and how to authenticate. */
export interface ApiTarget {
  url: string;
  apiKey: string;
}

/** A recipient row of `GET /v1/messages/:id`. */
export interface RecipientView {
  type?: string;
  id?: string;
  quality?: string;
  group?: string;
  state: string;
  code?: string;
  reason?: string;
}

/** The body of `GET /v1/messages/:id`. */
export interface MessageView {
  id: string;
  state: string;
  recipients: RecipientView[];
}

/** Resolves `--url` / `--api-key` against PORT, EHBOX_API_KEY and `$EHBOX_DATA_DIR/demo-api-key`. */
export function apiTarget(opts: { url?: string | undefined; apiKey?: string | undefined }, env: NodeJS.ProcessEnv = process.env): ApiTarget {
  const url = (opts.url ?? `http://127.0.0.1:${env.PORT || '8080'}`).replace(/\/+$/, '');
  let apiKey = opts.apiKey ?? env.EHBOX_API_KEY;
  if (!apiKey) {
    const file = path.join(env.EHBOX_DATA_DIR || './.data', 'demo-api-key');
    try {
      apiKey = fs.readFileSync(file, 'utf8').trim();
    } catch {
      throw new CliError(`no API key: pass --api-key, set EHBOX_API_KEY, or start the gateway once so ${file} exists`, USAGE_EXIT_CODE);
    }
  }
  return { url, apiKey };
}

/** Calls the API; non-2xx answers become a CliError with the API's code and message. */
export async function apiCall<T>(target: ApiTarget, method: string, route: string, body?: FormData | object): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = { authorization: `Bearer ${target.apiKey}` };
  let payload: FormData | string | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(target.url + route, { method, headers, body: payload ?? null });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    throw new CliError(`cannot reach ${target.url}${cause ? ` (${cause})` : ''}: is the gateway running?`, API_EXIT_CODE);
  }
  const text = await res.text();
  const parsed = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) {
    const e = (parsed ?? {}) as { code?: string; message?: string; details?: unknown };
    const details = e.details ? ` ${JSON.stringify(e.details)}` : '';
    throw Object.assign(new CliError(`${method} ${route}: ${res.status} ${e.code ?? ''} ${e.message ?? ''}${details}`.trim(), API_EXIT_CODE), { status: res.status });
  }
  return { status: res.status, body: parsed as T };
}

/** `TYPE:ID:QUALITY` → a recipient reference. */
export function parseRecipient(spec: string): { type: string; id: string; quality: string } {
  const parts = spec.split(':');
  if (parts.length !== 3 || parts.some((p) => p.trim() === '')) throw new CliError(`--to ${spec}: expected TYPE:ID:QUALITY, e.g. NIHII:12345678:DOCTOR`, USAGE_EXIT_CODE);
  const [type, id, quality] = parts.map((p) => p.trim()) as [string, string, string];
  return { type: type.toUpperCase(), id, quality: quality.toUpperCase() };
}

const MIME_BY_EXT: Readonly<Record<string, string>> = {
  '.pdf': 'application/pdf', '.txt': 'text/plain', '.xml': 'text/xml', '.html': 'text/html', '.json': 'application/json',
  '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.kmehr': 'text/xml', '.hl7': 'text/plain',
};

/** MIME type from the file extension (application/octet-stream when unknown). */
export function mimeTypeOf(file: string): string {
  return MIME_BY_EXT[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** What `send` posts. */
export interface SendSpec {
  title: string;
  file: string;
  annexes: string[];
  recipients: object[];
  text?: string | undefined;
  patient?: string | undefined;
}

/** Builds the multipart body of `POST /v1/messages` (metadata part, then the document and annex files). */
export async function messageForm(spec: SendSpec): Promise<FormData> {
  const doc = await readInput(spec.file, 'document');
  const annexes = await Promise.all(spec.annexes.map(async (f) => ({ file: f, data: await readInput(f, 'annex') })));
  const metadata = {
    title: spec.title,
    document: { filename: path.basename(spec.file), mimeType: mimeTypeOf(spec.file) },
    annexes: annexes.map((a) => ({ title: path.basename(a.file), filename: path.basename(a.file), mimeType: mimeTypeOf(a.file) })),
    recipients: spec.recipients,
    ...(spec.text ? { freeText: spec.text } : {}),
    ...(spec.patient ? { patientInss: spec.patient } : {}),
  };
  const form = new FormData();
  form.append('metadata', JSON.stringify(metadata));
  form.append('document', new Blob([doc], { type: metadata.document.mimeType }), metadata.document.filename);
  for (const [i, a] of annexes.entries()) form.append('annex', new Blob([a.data], { type: metadata.annexes[i]!.mimeType }), metadata.annexes[i]!.filename);
  return form;
}

/** How a recipient row is named in progress lines. */
export function recipientLabel(r: RecipientView, index: number): string {
  const who = r.type && r.id ? `${r.type}:${r.id}${r.quality ? ':' + r.quality : ''}` : `#${index}`;
  return r.group ? `${who} (group ${r.group})` : who;
}

function rowLine(r: RecipientView, index: number): string {
  const extra = [r.code, r.reason].filter(Boolean).join(' ');
  return `  ${recipientLabel(r, index).padEnd(34)} ${r.state}${extra ? `  ${extra}` : ''}`;
}

/**
 * Polls a message until every recipient is final, calling `print` once per
 * row state change; resolves to the last view (CliError on timeout).
 */
export async function waitForFinal(target: ApiTarget, id: string, print: (line: string) => void, timeoutMs: number): Promise<MessageView> {
  const seen = new Map<number, string>();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body: view } = await apiCall<MessageView>(target, 'GET', `/v1/messages/${encodeURIComponent(id)}`);
    view.recipients.forEach((r, i) => {
      const key = `${r.state}|${r.code ?? ''}`;
      if (seen.get(i) !== key) {
        seen.set(i, key);
        print(rowLine(r, i));
      }
    });
    if (view.recipients.length > 0 && view.recipients.every((r) => FINAL_RECIPIENT_STATES.has(r.state))) return view;
    if (Date.now() > deadline) throw new CliError(`message ${id} is still ${view.state} after ${Math.round(timeoutMs / 1000)} s`, NOT_DELIVERED_EXIT_CODE);
    await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
  }
}

/** True when every recipient of the view was delivered. */
export function allDelivered(view: MessageView): boolean {
  return view.recipients.length > 0 && view.recipients.every((r) => DELIVERED_STATES.has(r.state));
}

const say = (line: string): void => void process.stdout.write(line + '\n');
const collect = (v: string, acc: string[]) => [...acc, v];

interface SendOpts { url?: string; apiKey?: string; to: string[]; group: string[]; title: string; file: string; annex: string[]; text?: string; patient?: string; wait?: boolean; timeout: string; json?: boolean }

async function send(o: SendOpts): Promise<void> {
  const recipients = [...o.to.map(parseRecipient), ...o.group.map((g) => ({ group: g }))];
  if (recipients.length === 0) throw new CliError('give at least one --to or --group', USAGE_EXIT_CODE);
  const target = apiTarget(o);
  const form = await messageForm({ title: o.title, file: o.file, annexes: o.annex, recipients, text: o.text, patient: o.patient });
  const { body } = await apiCall<{ id: string; state: string }>(target, 'POST', '/v1/messages', form);
  say(o.json ? JSON.stringify(body) : `accepted ${body.id}`);
  if (!o.wait) return;
  const timeout = Number(o.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0) throw new CliError('--timeout: a positive number of seconds', USAGE_EXIT_CODE);
  const view = await waitForFinal(target, body.id, o.json ? () => {} : say, timeout * 1000);
  say(o.json ? JSON.stringify(view) : `${view.id} ${view.state}`);
  if (!allDelivered(view)) throw new CliError(`message ${view.id} ${view.state}: not every recipient was delivered`, NOT_DELIVERED_EXIT_CODE);
}

async function status(id: string, o: { url?: string; apiKey?: string; json?: boolean }): Promise<void> {
  const { body } = await apiCall<MessageView>(apiTarget(o), 'GET', `/v1/messages/${encodeURIComponent(id)}`);
  if (o.json) return say(JSON.stringify(body, null, 2));
  say(`${body.id} ${body.state}`);
  body.recipients.forEach((r, i) => say(rowLine(r, i)));
}

interface InboxItem { id: string; title?: string; receivedAt?: string; sender?: Record<string, unknown>; verdict?: { ok?: boolean } }

async function inbox(o: { url?: string; apiKey?: string; json?: boolean; cursor?: string }): Promise<void> {
  const target = apiTarget(o);
  let page;
  try {
    page = await apiCall<{ items: InboxItem[]; cursor?: string }>(target, 'GET', `/v1/inbox${o.cursor ? `?cursor=${encodeURIComponent(o.cursor)}` : ''}`);
  } catch (err) {
    if ((err as { status?: number }).status === 404) throw new CliError('this gateway does not serve /v1/inbox', API_EXIT_CODE);
    throw err;
  }
  if (o.json) return say(JSON.stringify(page.body, null, 2));
  for (const m of page.body.items) {
    const from = m.sender ? Object.values(m.sender).filter((v) => typeof v === 'string').join(':') : '?';
    say(`${m.id}  ${m.receivedAt ?? ''}  from ${from}  ${m.verdict?.ok === false ? 'VERDICT-NOT-OK' : 'ok'}  ${m.title ?? ''}`);
  }
  if (page.body.cursor) say(`(more: --cursor ${page.body.cursor})`);
}

function apiOptions(cmd: Command): Command {
  return cmd
    .option('--url <url>', 'API base URL (default http://127.0.0.1:$PORT, PORT defaulting to 8080)')
    .option('--api-key <key>', 'API key (default $EHBOX_API_KEY, else $EHBOX_DATA_DIR/demo-api-key)')
    .option('--json', 'print JSON');
}

/** Registers `send`, `status` and `inbox`. */
export function registerSendCommands(program: Command): void {
  apiOptions(program.command('send'))
    .description('Send a document through the gateway API; with --wait, show each recipient until final')
    .option('--to <TYPE:ID:QUALITY>', 'recipient, e.g. NIHII:12345678:DOCTOR (repeatable)', collect, [])
    .option('--group <id>', 'group recipient (repeatable)', collect, [])
    .requiredOption('--title <title>', 'message title')
    .requiredOption('--file <path>', 'the document')
    .option('--annex <path>', 'annex file (repeatable)', collect, [])
    .option('--text <text>', 'free text')
    .option('--patient <inss>', 'patient INSS')
    .option('--wait', `wait until every recipient is final (exit ${NOT_DELIVERED_EXIT_CODE} unless all delivered)`)
    .option('--timeout <seconds>', 'how long --wait waits', String(DEFAULT_WAIT_SECONDS))
    .action((o: SendOpts) => send(o));
  apiOptions(program.command('status <id>'))
    .description('Show a sent message and the state of each recipient')
    .action((id: string, o: { url?: string; apiKey?: string; json?: boolean }) => status(id, o));
  apiOptions(program.command('inbox'))
    .description('List received messages (GET /v1/inbox)')
    .option('--cursor <cursor>', 'next page')
    .action((o: { url?: string; apiKey?: string; json?: boolean; cursor?: string }) => inbox(o));
}
