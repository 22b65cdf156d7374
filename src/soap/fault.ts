/**
 * eHealth SOAP faults (PROTOCOL.md §1.5): the sandbox builds them, the
 * clients parse them into a typed EhealthSoapFault. Also home of the
 * transport error type and of `classifyError`, the one place that decides
 * whether a failed call is worth retrying (CONVENTIONS §2.3).
 */
import type { Element } from '@xmldom/xmldom';
import { CryptoError } from '../crypto/errors.ts';
import { SoapError } from './errors.ts';
import { buildEnvelope, SOAP_PREFIX } from './envelope.ts';
import { NS } from './namespaces.ts';
import { attr, children, isElement, text, xmlElement, xmlText } from './xml.ts';

/** BusinessError (the request is wrong) or SystemError (the platform failed). */
export type SoaErrorKind = 'business' | 'system';

/** `soa:EnvironmentType` values of the errors schema. */
export type EhealthEnvironment = 'Development' | 'Test' | 'Integration' | 'Acceptation' | 'Simulation' | 'Production';

/** A localised message of an eHealth error (`Message` with optional `xml:lang`). */
export interface LocalisedMessage {
  lang?: string;
  text: string;
}

/** Content of `soa:BusinessError` / `soa:SystemError` (errors-soa 1.1 + errors-core 1.1). */
export interface SoaErrorDetail {
  kind: SoaErrorKind;
  id?: string;
  origin: string;
  code: string;
  messages: LocalisedMessage[];
  retry?: boolean;
  contact?: string;
  /** Required by the schema: buildFault writes DEFAULT_FAULT_ENVIRONMENT when absent; parseFault leaves unknown values out. */
  environment?: EhealthEnvironment;
}

/** Environment written into faults that do not name one: the sandbox is a simulation. */
export const DEFAULT_FAULT_ENVIRONMENT: EhealthEnvironment = 'Simulation';

/** What a fault says: SOAP 1.1 fields plus the optional eHealth detail. */
export interface FaultSpec {
  faultcode: 'Client' | 'Server';
  faultstring: string;
  faultactor?: string;
  detail?: SoaErrorDetail;
}

/** Builds a `soap:Fault` element (self-contained namespace declarations), children in schema order. */
export function buildFault(spec: FaultSpec): string {
  const p = SOAP_PREFIX;
  const d = spec.detail;
  let detailXml = '';
  if (d) {
    if (d.messages.length === 0) throw new SoapError('INVALID_ARGUMENT', 'A SOA error needs at least one Message');
    const name = d.kind === 'business' ? 'soa:BusinessError' : 'soa:SystemError';
    detailXml = xmlElement(
      'detail',
      undefined,
      xmlElement(
        name,
        { 'xmlns:soa': NS.soaErrors, Id: d.id },
        xmlText('Origin', d.origin),
        xmlText('Code', d.code),
        ...d.messages.map((m) => xmlText('Message', m.text, { 'xml:lang': m.lang })),
        xmlText('Retry', d.retry),
        xmlText('Contact', d.contact),
        xmlText('soa:Environment', d.environment ?? DEFAULT_FAULT_ENVIRONMENT),
      ),
    );
  }
  return xmlElement(
    `${p}:Fault`,
    { [`xmlns:${p}`]: NS.soap },
    xmlText('faultcode', `${p}:${spec.faultcode}`),
    xmlText('faultstring', spec.faultstring),
    xmlText('faultactor', spec.faultactor),
    detailXml,
  );
}

/** A whole SOAP 1.1 envelope carrying the fault (the sandbox answers it with HTTP 500). */
export function buildFaultEnvelope(spec: FaultSpec): string {
  return buildEnvelope({ body: buildFault(spec) });
}

/** A SOAP fault received from an eHealth service, typed. */
export class EhealthSoapFault extends Error {
  override readonly name = 'EhealthSoapFault';
  /** 'unknown' when the detail holds no soa:BusinessError / soa:SystemError. */
  readonly kind: SoaErrorKind | 'unknown';
  /** The eHealth error code of the detail, else the fault code's local part. */
  readonly code: string;
  readonly faultcode: string;
  readonly faultcodeNs: string | undefined;
  readonly faultstring: string;
  readonly detail: SoaErrorDetail | undefined;
  readonly httpStatus: number | undefined;

  constructor(fields: { faultcode: string; faultcodeNs?: string; faultstring: string; detail?: SoaErrorDetail; httpStatus?: number }) {
    const code = fields.detail?.code ?? fields.faultcode;
    super(`SOAP fault ${fields.faultcode}${fields.detail ? ` (${fields.detail.kind} error ${fields.detail.code})` : ''}: ${fields.faultstring}`);
    this.kind = fields.detail?.kind ?? 'unknown';
    this.code = code;
    this.faultcode = fields.faultcode;
    this.faultcodeNs = fields.faultcodeNs;
    this.faultstring = fields.faultstring;
    this.detail = fields.detail;
    this.httpStatus = fields.httpStatus;
  }

  /** Messages of the detail (empty without detail). */
  get messages(): LocalisedMessage[] {
    return this.detail?.messages ?? [];
  }

  /** Retry flag of the detail (false when absent). */
  get retry(): boolean {
    return this.detail?.retry === true;
  }

  /** True when a later attempt may succeed: SystemError, Retry=true, or a bare Server fault. */
  get retryable(): boolean {
    if (this.kind === 'system' || this.retry) return true;
    return this.kind === 'unknown' && this.faultcode.startsWith('Server');
  }
}

const ENVIRONMENTS: readonly string[] = ['Development', 'Test', 'Integration', 'Acceptation', 'Simulation', 'Production'];

/** Children of a SOA error by local name; the core fields are unqualified but we accept them qualified too. */
function soaField(el: Element, local: string): Element[] {
  return children(el).filter((c) => c.localName === local && (c.namespaceURI === null || c.namespaceURI === NS.soaErrors));
}

function parseSoaDetail(el: Element, kind: SoaErrorKind): SoaErrorDetail {
  const one = (local: string): string | undefined => text(soaField(el, local)[0])?.trim();
  const retryText = one('Retry');
  const environment = one('Environment');
  const id = attr(el, null, 'Id');
  const contact = one('Contact');
  return {
    kind,
    ...(id !== undefined ? { id } : {}),
    origin: one('Origin') ?? '',
    code: one('Code') ?? '',
    messages: soaField(el, 'Message').map((m) => {
      const lang = attr(m, NS.xml, 'lang');
      return { ...(lang !== undefined ? { lang } : {}), text: m.textContent ?? '' };
    }),
    ...(retryText !== undefined ? { retry: retryText === 'true' || retryText === '1' } : {}),
    ...(contact !== undefined ? { contact } : {}),
    ...(environment !== undefined && ENVIRONMENTS.includes(environment) ? { environment: environment as EhealthEnvironment } : {}),
  };
}

/** Parses a `soap:Fault` element into an EhealthSoapFault. Throws SoapError FAULT_INVALID without faultcode. */
export function parseFault(fault: Element, httpStatus?: number): EhealthSoapFault {
  if (!isElement(fault, NS.soap, 'Fault')) throw new SoapError('FAULT_INVALID', 'Not a SOAP 1.1 Fault element');
  const codeEl = children(fault, null, 'faultcode')[0];
  const qname = text(codeEl)?.trim();
  if (!codeEl || !qname) throw new SoapError('FAULT_INVALID', 'SOAP Fault without faultcode');
  const colon = qname.indexOf(':');
  const prefix = colon >= 0 ? qname.slice(0, colon) : null;
  const faultcode = colon >= 0 ? qname.slice(colon + 1) : qname;
  const faultcodeNs = codeEl.lookupNamespaceURI(prefix) ?? undefined;
  const faultstring = text(children(fault, null, 'faultstring')[0]) ?? '';
  const detailEl = children(fault, null, 'detail')[0];
  let detail: SoaErrorDetail | undefined;
  if (detailEl) {
    const business = children(detailEl, NS.soaErrors, 'BusinessError')[0];
    const system = children(detailEl, NS.soaErrors, 'SystemError')[0];
    if (business) detail = parseSoaDetail(business, 'business');
    else if (system) detail = parseSoaDetail(system, 'system');
  }
  return new EhealthSoapFault({
    faultcode,
    ...(faultcodeNs !== undefined ? { faultcodeNs } : {}),
    faultstring,
    ...(detail ? { detail } : {}),
    ...(httpStatus !== undefined ? { httpStatus } : {}),
  });
}

/** How a SOAP call failed below the SOAP level. */
export type SoapTransportErrorKind = 'timeout' | 'connection' | 'http' | 'too-large' | 'malformed';

/** A SOAP call that failed in transport: no answer, an HTTP error without fault, an oversized or unreadable answer. */
export class SoapTransportError extends Error {
  override readonly name = 'SoapTransportError';
  /** Stable code, e.g. SOAP_TIMEOUT, SOAP_HTTP_ERROR. */
  readonly code: string;
  constructor(
    readonly kind: SoapTransportErrorKind,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = TRANSPORT_CODES[kind];
  }
}

const TRANSPORT_CODES: Record<SoapTransportErrorKind, string> = {
  timeout: 'SOAP_TIMEOUT',
  connection: 'SOAP_CONNECTION_FAILED',
  http: 'SOAP_HTTP_ERROR',
  'too-large': 'SOAP_RESPONSE_TOO_LARGE',
  malformed: 'SOAP_RESPONSE_MALFORMED',
};

/** Node network error codes after which the same call may well succeed. */
const TRANSIENT_NET_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH',
  'ENETDOWN', 'EAI_AGAIN', 'ENOTFOUND', 'ESOCKETTIMEDOUT', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT',
]);

/** HTTP statuses without SOAP fault that are worth another attempt (besides every 5xx). */
const TRANSIENT_HTTP = new Set([408, 425, 429]);

/** Whether a failed call should be retried ('transient') or given up ('permanent'). */
export type ErrorClass = 'transient' | 'permanent';

/**
 * The retry decision every worker uses. Transient: timeouts, connection
 * failures, HTTP 5xx/408/429, SystemError faults or Retry=true. Permanent:
 * BusinessError faults, other 4xx, oversized or malformed answers, schema-
 * invalid XML, crypto errors. Unknown errors count as transient: workers
 * bound their attempts, and giving up on a glitch loses a message.
 */
export function classifyError(err: unknown): ErrorClass {
  if (err instanceof EhealthSoapFault) return err.retryable ? 'transient' : 'permanent';
  if (err instanceof SoapTransportError) {
    switch (err.kind) {
      case 'timeout':
      case 'connection':
        return 'transient';
      case 'http':
        return err.status !== undefined && (err.status >= 500 || TRANSIENT_HTTP.has(err.status)) ? 'transient' : 'permanent';
      default:
        return 'permanent';
    }
  }
  if (err instanceof SoapError || err instanceof CryptoError) return 'permanent';
  // errors that know they are final (ehBox business statuses, wire decoding errors)
  if ((err as { permanent?: unknown } | null)?.permanent === true) return 'permanent';
  const wireCode = err instanceof Error ? (err as Error & { code?: unknown }).code : undefined;
  if (typeof wireCode === 'string' && wireCode.startsWith('WIRE_')) return 'permanent';
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && TRANSIENT_NET_CODES.has(code)) return 'transient';
    if (err.name === 'AbortError' || err.name === 'TimeoutError') return 'transient';
  }
  return 'transient';
}
