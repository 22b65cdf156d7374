/**
 * What may reach a log line. Logs leave the gateway (log shippers, support
 * tickets), so they must never carry medical content: this module keeps an
 * allow-list for errors and jobs, a deny-list of redacted paths for anything
 * else, and scrubs free text of XML and long encoded blobs (sealed messages,
 * base64 documents) before it is written.
 */

/** Longest error message kept: enough for our typed messages, too short to carry a document. */
export const MAX_ERROR_MESSAGE_CHARS = 200;
/** Longest log message (`msg`) kept. */
export const MAX_LOG_MESSAGE_CHARS = 500;
/** Stack frames kept per error: the top of the stack locates a bug; deeper frames are framework noise. */
export const MAX_STACK_FRAMES = 10;
/** A run of base64/hex characters at least this long is treated as an encoded blob (a key id or UUID is shorter). */
const BLOB_RUN_CHARS = 48;
/** Nesting of `cause` chains kept in error summaries. */
const MAX_CAUSE_DEPTH = 3;

const BLOB_RUN = new RegExp(`[A-Za-z0-9+/=_-]{${BLOB_RUN_CHARS},}`, 'g');
// eslint-disable-next-line no-control-regex -- control characters are exactly what this strips
const CONTROL = /[\u0000-\u001f\u007f]+/g;

/**
 * Paths pino censors wherever they appear at the top level or one level
 * down: credentials (headers, keys, passwords) and every field name the code
 * base uses for content (bodies, job data, XML, documents, sealed blobs).
 */
export const REDACTED_PATHS: readonly string[] = (() => {
  const secretOrContent = [
    'authorization', 'cookie', 'password', 'apiKey', 'api_key', 'token', 'assertionXml', 'privateKey', 'key',
    'body', 'payload', 'data', 'xml', 'envelopeXml', 'content', 'document', 'annexes', 'plaintext', 'sealed',
    'freeText', 'table', 'title', 'patientInss', 'attachments',
  ];
  const paths = new Set<string>();
  for (const name of secretOrContent) {
    paths.add(name);
    paths.add(`*.${name}`);
  }
  for (const header of ['authorization', 'cookie', 'x-api-key', 'proxy-authorization']) {
    paths.add(`headers["${header}"]`);
    paths.add(`req.headers["${header}"]`);
  }
  return [...paths];
})();

/** What pino writes in place of a redacted value. */
export const REDACTED = '[redacted]';

/**
 * Free text made safe to log: control characters flattened, everything from
 * the first `<` dropped (an XML fragment is never worth its risk), long
 * encoded runs replaced, and the result truncated.
 */
export function scrubText(text: string, max: number): string {
  let s = text.replace(CONTROL, ' ');
  const xml = s.indexOf('<');
  if (xml >= 0) s = `${s.slice(0, xml)}[xml omitted]`;
  s = s.replace(BLOB_RUN, '[blob omitted]');
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** The fields of an error that are logged (see `summarizeError`). */
export interface ErrorSummary {
  name: string;
  code?: string | number;
  message?: string;
  kind?: string;
  status?: number;
  frames?: string[];
  cause?: ErrorSummary;
}

function pickStatus(err: Record<string, unknown>): number | undefined {
  for (const key of ['status', 'httpStatus', 'statusCode']) {
    const v = err[key];
    if (typeof v === 'number' && Number.isInteger(v)) return v;
  }
  return undefined;
}

/**
 * The allow-listed summary of an error: name, code, kind, HTTP status, a
 * scrubbed and truncated message and the top stack frames. Nothing else of
 * the error object (request, response body, XML, job data) is ever copied.
 */
export function summarizeError(err: unknown, depth = 0): ErrorSummary {
  if (!(err instanceof Error)) return { name: typeof err === 'object' && err !== null ? 'NonErrorObject' : `NonError(${typeof err})` };
  const fields = err as unknown as Record<string, unknown>;
  const out: ErrorSummary = { name: scrubText(err.name, 64) };
  const code = fields.code;
  if (typeof code === 'string') out.code = scrubText(code, 64);
  else if (typeof code === 'number') out.code = code;
  if (typeof fields.kind === 'string') out.kind = scrubText(fields.kind, 32);
  const status = pickStatus(fields);
  if (status !== undefined) out.status = status;
  if (err.message) out.message = scrubText(err.message, MAX_ERROR_MESSAGE_CHARS);
  const frames = (err.stack ?? '').split('\n').map((l) => l.trim()).filter((l) => l.startsWith('at ')).slice(0, MAX_STACK_FRAMES);
  if (frames.length > 0) out.frames = frames.map((f) => scrubText(f, MAX_LOG_MESSAGE_CHARS));
  if (err.cause !== undefined && depth < MAX_CAUSE_DEPTH) out.cause = summarizeError(err.cause, depth + 1);
  return out;
}

/** A BullMQ job as it may be logged: identity and attempt counters, never its data. */
export interface JobSummary {
  id?: string;
  queue?: string;
  name?: string;
  attemptsMade?: number;
}

/** The allow-listed summary of a job-like object. */
export function summarizeJob(job: unknown): JobSummary {
  if (typeof job !== 'object' || job === null) return {};
  const j = job as Record<string, unknown>;
  const out: JobSummary = {};
  if (typeof j.id === 'string') out.id = scrubText(j.id, 200);
  if (typeof j.queueName === 'string') out.queue = scrubText(j.queueName, 64);
  if (typeof j.name === 'string') out.name = scrubText(j.name, 64);
  if (typeof j.attemptsMade === 'number') out.attemptsMade = j.attemptsMade;
  return out;
}

/** An HTTP request as it may be logged: method and path, without query string, headers or body. */
export function summarizeRequest(req: unknown): { method?: string; path?: string } {
  if (typeof req !== 'object' || req === null) return {};
  const r = req as Record<string, unknown>;
  const url = typeof r.originalUrl === 'string' ? r.originalUrl : typeof r.url === 'string' ? r.url : undefined;
  return {
    ...(typeof r.method === 'string' ? { method: scrubText(r.method, 16) } : {}),
    ...(url !== undefined ? { path: scrubText(url.split('?')[0] ?? '', 200) } : {}),
  };
}
