/**
 * SOAP over HTTP, the transport core of every eHealth client (ehBox,
 * Addressbook, ETK Depot, STS) — the sandbox and the real platform are just
 * two URLs. Every call has a connect and a total timeout and a response size
 * limit; failures come out typed: SoapTransportError (no usable answer) or
 * EhealthSoapFault (the service said no), ready for `classifyError`.
 */
import { timedSoapCall } from '../observability/soap-call-hook.ts';
import http from 'node:http';
import https from 'node:https';
import { parseEnvelope, SOAP_CONTENT_TYPE, formatSoapActionHeader, type ParsedEnvelope } from './envelope.ts';
import { SoapError, describeError } from './errors.ts';
import { EhealthSoapFault, SoapTransportError, parseFault } from './fault.ts';
import { isMultipartRelated, parseMultipartRelated, type MultipartBody } from './swa.ts';

/** Default response limit: the XML limit plus room for attachments of a large ehBox message. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
/** Default TCP connect timeout: a healthy endpoint answers SYN in well under this. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** Sockets per origin in the shared agents: enough for a busy worker process without flooding eHealth. */
const MAX_SOCKETS_PER_ORIGIN = 16;
/** Idle keep-alive sockets are closed after this, below typical server/load-balancer idle limits. */
const KEEP_ALIVE_IDLE_MS = 30_000;

/** Keep-alive agents for http and https (one pair shared by default; pass your own for custom TLS trust). */
export function createKeepAliveAgents(tls: https.AgentOptions = {}): { http: http.Agent; https: https.Agent } {
  const common = { keepAlive: true, maxSockets: MAX_SOCKETS_PER_ORIGIN, timeout: KEEP_ALIVE_IDLE_MS };
  return { http: new http.Agent(common), https: new https.Agent({ ...common, ...tls }) };
}

const sharedAgents = createKeepAliveAgents();

/** One SOAP call. */
export interface PostSoapOptions {
  url: string | URL;
  /** Sent quoted; omitted when undefined or null (ETK Depot). */
  soapAction?: string | null;
  body: string | MultipartBody;
  /** Total time for the call, from connect to the last response byte. */
  timeoutMs: number;
  connectTimeoutMs?: number;
  maxResponseBytes?: number;
  agent?: http.Agent | https.Agent;
  headers?: Readonly<Record<string, string>>;
}

/** A successful (non-fault) answer. */
export interface SoapHttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  envelopeXml: string;
  envelope: ParsedEnvelope;
  /** SwA parts of a multipart/related answer, keyed by Content-ID (empty otherwise). */
  attachments: Map<string, Buffer>;
}

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function requestHeaders(opts: PostSoapOptions, length: number): http.OutgoingHttpHeaders {
  const contentType = typeof opts.body === 'string' ? SOAP_CONTENT_TYPE : opts.body.contentType;
  return {
    ...opts.headers,
    'Content-Type': contentType,
    'Content-Length': String(length),
    ...(opts.soapAction !== undefined && opts.soapAction !== null ? { SOAPAction: formatSoapActionHeader(opts.soapAction) } : {}),
  };
}

function networkError(err: unknown): SoapTransportError {
  if (err instanceof SoapTransportError) return err;
  return new SoapTransportError('connection', `SOAP call failed: ${describeError(err)}`, undefined, { cause: err });
}

/** Sends the request and collects the response within the limits. */
function exchange(opts: PostSoapOptions): Promise<RawResponse> {
  const url = new URL(opts.url);
  const isHttps = url.protocol === 'https:';
  if (!isHttps && url.protocol !== 'http:') throw new SoapError('INVALID_ARGUMENT', `Unsupported URL scheme ${url.protocol}`);
  const maxBytes = opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const payload = typeof opts.body === 'string' ? [Buffer.from(opts.body, 'utf8')] : opts.body.parts;
  const length = payload.reduce((n, b) => n + b.length, 0);
  const agent = opts.agent ?? (isHttps ? sharedAgents.https : sharedAgents.http);
  const transport = isHttps ? https : http;
  return new Promise<RawResponse>((resolve, reject) => {
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = (err: Error | undefined, value?: RawResponse): void => {
      if (settled) return;
      settled = true;
      timers.forEach(clearTimeout);
      if (err) reject(err);
      else resolve(value!);
    };
    const req = transport.request(url, { method: 'POST', agent, headers: requestHeaders(opts, length) });
    const abort = (err: SoapTransportError): void => {
      finish(err);
      // no error argument: a socket already handed back to the keep-alive pool has no 'error' listener
      req.destroy();
    };
    timers.push(setTimeout(() => abort(new SoapTransportError('timeout', `SOAP call to ${url.host} timed out after ${opts.timeoutMs} ms`)), opts.timeoutMs));
    req.on('socket', (socket) => {
      if (!socket.connecting) return;
      const t = setTimeout(
        () => abort(new SoapTransportError('timeout', `Connecting to ${url.host} timed out`)),
        opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      );
      timers.push(t);
      socket.once('connect', () => clearTimeout(t));
    });
    req.on('error', (err) => finish(networkError(err)));
    req.on('response', (res) => {
      // listeners first: aborting below destroys `res`, which then emits 'error'
      res.on('error', (err) => finish(networkError(err)));
      res.on('aborted', () => finish(new SoapTransportError('connection', 'The SOAP response was cut off')));
      const tooLarge = (): void => abort(new SoapTransportError('too-large', `SOAP response exceeds ${maxBytes} bytes`, res.statusCode));
      if (Number(res.headers['content-length'] ?? '0') > maxBytes) return tooLarge();
      const chunks: Buffer[] = [];
      let received = 0;
      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        received += chunk.length;
        if (received > maxBytes) return tooLarge();
        chunks.push(chunk);
      });
      res.on('end', () => finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    for (const part of payload) req.write(part);
    req.end();
  });
}

/** Turns the raw body into XML + attachments; multipart answers are split first. */
function decodeBody(raw: RawResponse, maxBytes: number): { xml: string; attachments: Map<string, Buffer> } {
  const contentType = raw.headers['content-type'];
  // XOP inlining turns every 3 attachment bytes into 4 characters of base64
  const maxXmlBytes = Math.ceil((maxBytes * 4) / 3) + 1024;
  if (isMultipartRelated(contentType)) {
    const parsed = parseMultipartRelated(raw.body, contentType!, { maxTotalBytes: maxBytes, maxBytes: maxXmlBytes });
    return { xml: parsed.envelopeXml, attachments: parsed.attachments };
  }
  return { xml: raw.body.toString('utf8'), attachments: new Map() };
}

/**
 * POSTs a SOAP message and returns the parsed answer. Throws
 * EhealthSoapFault for a SOAP fault (any status), SoapTransportError for
 * timeouts, connection failures, HTTP errors without fault, oversized or
 * malformed answers.
 */
async function postSoapUntimed(opts: PostSoapOptions): Promise<SoapHttpResponse> {
  const maxBytes = opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const raw = await exchange(opts);
  const ok = raw.status >= 200 && raw.status < 300;
  let decoded: { xml: string; attachments: Map<string, Buffer> };
  let envelope: ParsedEnvelope;
  try {
    decoded = decodeBody(raw, maxBytes);
    envelope = parseEnvelope(decoded.xml, { maxBytes: Math.ceil((maxBytes * 4) / 3) + 1024 });
  } catch (err) {
    if (!ok) throw new SoapTransportError('http', `HTTP ${raw.status} without a SOAP fault`, raw.status, { cause: err });
    throw new SoapTransportError('malformed', `Unreadable SOAP response: ${describeError(err)}`, raw.status, { cause: err });
  }
  if (envelope.fault) {
    let fault: EhealthSoapFault;
    try {
      fault = parseFault(envelope.fault, raw.status);
    } catch (err) {
      throw new SoapTransportError(ok ? 'malformed' : 'http', `Unreadable SOAP fault: ${describeError(err)}`, raw.status, { cause: err });
    }
    throw fault;
  }
  if (!ok) throw new SoapTransportError('http', `HTTP ${raw.status} with a non-fault SOAP body`, raw.status);
  return { status: raw.status, headers: raw.headers, envelopeXml: decoded.xml, envelope, attachments: decoded.attachments };
}

/** Posts a SOAP message (timed for the metrics when a metrics observer is subscribed). */
export const postSoap = (opts: PostSoapOptions): Promise<SoapHttpResponse> => timedSoapCall(opts, postSoapUntimed);
