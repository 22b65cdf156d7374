/**
 * The HTTP side of the sandbox's SOAP services: reads a request (plain
 * text/xml or multipart/related with attachments), finds the operation from
 * the path and the payload element, applies fault injection, validates the
 * payload against the official XSDs, calls the service and writes the
 * answer (a SOAP envelope, a multipart/related one when it has attachments,
 * or a SOAP fault with an eHealth BusinessError/SystemError detail).
 */
import type http from 'node:http';
import type { Element } from '@xmldom/xmldom';
import { buildEnvelope, parseEnvelope, type ParsedEnvelope } from '../../soap/envelope.ts';
import { buildFaultEnvelope, type FaultSpec } from '../../soap/fault.ts';
import { SOAP_OPERATIONS, operationForRequestElement, readSoapActionHeader, type SoapOperation } from '../../soap/soap-actions.ts';
import { serializeStandalone } from '../../soap/xml.ts';
import { validatePayload } from '../../soap/schema-validator.ts';
import { SoapError } from '../../soap/errors.ts';
import { decodeSoapBody, encodeSoapBody } from './soap-body.ts';
import type { FaultDecision, FaultInjector } from './faults.ts';
import type { TrafficRecorder } from './recorder.ts';

/** Largest request the sandbox reads: a 10 MB message plus base64/MIME overhead. */
export const MAX_REQUEST_BYTES = 32 * 1024 * 1024;

/** One decoded call handed to a service. */
export interface SoapCall {
  operation: SoapOperation;
  envelopeXml: string;
  envelope: ParsedEnvelope;
  payload: Element;
  attachments: ReadonlyMap<string, Uint8Array>;
}

/** A service's answer: a payload (with attachments) or a fault. */
export type SoapAnswer =
  | { payloadXml: string; attachments?: { cid: string; bytes: Uint8Array }[] }
  | { fault: FaultSpec; httpStatus?: number };

/** A SOAP service of the sandbox: the operations it accepts and their handler. */
export interface SoapService {
  operations: readonly SoapOperation[];
  handle(call: SoapCall): Promise<SoapAnswer> | SoapAnswer;
  /**
   * How the service answers an injected business code when its protocol
   * carries business outcomes in the response status (ehBox); services
   * without it answer a BusinessError fault.
   */
  statusAnswer?(call: SoapCall, code: string, message: string): SoapAnswer;
}

/** A fault the services throw to answer a SOAP fault instead of a payload. */
export class SoapFaultAnswer extends Error {
  constructor(
    readonly fault: FaultSpec,
    readonly httpStatus = 500,
  ) {
    super(fault.faultstring);
  }
}

/** Shortcut for a client-side eHealth BusinessError fault. */
export function businessFault(code: string, message: string): SoapFaultAnswer {
  return new SoapFaultAnswer({
    faultcode: 'Client',
    faultstring: message,
    detail: { kind: 'business', origin: 'Sandbox', code, messages: [{ lang: 'en', text: message }], environment: 'Simulation' },
  });
}

function systemFault(message: string, retry: boolean): FaultSpec {
  return {
    faultcode: 'Server',
    faultstring: message,
    detail: { kind: 'system', origin: 'Sandbox', code: 'SYSTEM_ERROR', messages: [{ lang: 'en', text: message }], retry, environment: 'Simulation' },
  };
}

/** Shared by every endpoint: fault injection, recording, validation switch. */
export interface EndpointOptions {
  faults: FaultInjector;
  recorder?: TrafficRecorder | undefined;
  /** Validate every request payload against the XSDs (default true). */
  validateRequests: boolean;
  /** Called for connections the sandbox leaves hanging, so close() can end them. */
  onHang(res: http.ServerResponse): void;
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) throw new SoapError('XML_TOO_LARGE', `Request larger than ${MAX_REQUEST_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(res: http.ServerResponse, status: number, body: { contentType: string; data: Buffer }): void {
  res.writeHead(status, { 'content-type': body.contentType, 'content-length': body.data.length });
  res.end(body.data);
}

/** A request that could not be turned into a call, with its envelope when it got that far (for the recording). */
class UndecodedRequest extends Error {
  constructor(
    readonly reason: unknown,
    readonly envelopeXml: string | undefined,
  ) {
    super('undecoded request');
  }
}

/** Reads the HTTP request into a call of one of the service's operations. Throws UndecodedRequest. */
async function decodeCall(req: http.IncomingMessage, service: SoapService): Promise<SoapCall> {
  let xml: string | undefined;
  try {
    const raw = await readBody(req);
    const { envelopeXml, attachments } = decodeSoapBody(String(req.headers['content-type'] ?? ''), raw, MAX_REQUEST_BYTES);
    xml = envelopeXml;
    const envelope = parseEnvelope(envelopeXml, { maxBytes: MAX_REQUEST_BYTES });
    const op = operationForRequestElement(envelope.payload.namespaceURI ?? null, envelope.payload.localName ?? '');
    if (!op || !service.operations.includes(op)) throw businessFault('UNKNOWN_OPERATION', `This endpoint has no operation for <${envelope.payload.localName}>`);
    const action = readSoapActionHeader(req.headers.soapaction);
    const expected = SOAP_OPERATIONS[op].action;
    if (action && expected && action !== expected) throw businessFault('INVALID_SOAPACTION', `SOAPAction ${action} does not match ${op}`);
    return { operation: op, envelopeXml, envelope, payload: envelope.payload, attachments };
  } catch (err) {
    throw new UndecodedRequest(err, xml);
  }
}

/** Validates the payload, then lets the service answer (or answers the injected business code). */
async function answerCall(call: SoapCall, decision: FaultDecision, service: SoapService, opts: EndpointOptions): Promise<SoapAnswer> {
  if (opts.validateRequests) {
    const v = validatePayload(serializeStandalone(call.payload));
    if (!v.valid) throw businessFault('INVALID_REQUEST', `Request does not validate against the schema: ${v.errors.slice(0, 3).join('; ')}`);
  }
  if (decision.kind !== 'business') return service.handle(call);
  const message = `Business error ${decision.code} (sandbox fault injection)`;
  if (!service.statusAnswer) throw businessFault(decision.code, message);
  return service.statusAnswer(call, decision.code, message);
}

/** Handles one POST to a SOAP endpoint. */
export async function handleSoapRequest(req: http.IncomingMessage, res: http.ServerResponse, service: SoapService, opts: EndpointOptions): Promise<void> {
  let seq: number | undefined;
  let operation = 'unknown';
  const record = (xml: string) => {
    if (opts.recorder) seq = opts.recorder.writeRequest(operation, xml);
  };
  const reply = (status: number, envelopeXml: string, attachments?: { cid: string; bytes: Uint8Array }[]) => {
    if (seq !== undefined) opts.recorder?.writeResponse(seq, operation, envelopeXml);
    send(res, status, encodeSoapBody(envelopeXml, attachments ?? []));
  };
  const replyFault = (err: unknown) => {
    const f = toFault(err);
    reply(f.httpStatus, buildFaultEnvelope(f.fault));
  };
  let call: SoapCall;
  try {
    call = await decodeCall(req, service);
  } catch (err) {
    const u = err as UndecodedRequest;
    if (u.envelopeXml !== undefined) record(u.envelopeXml);
    return replyFault(u.reason);
  }
  operation = call.operation;
  record(call.envelopeXml);

  const decision = opts.faults.decide(call.operation);
  if (decision.latencyMs > 0) await new Promise((r) => setTimeout(r, decision.latencyMs));
  switch (decision.kind) {
    case 'hang':
      return opts.onHang(res);
    case 'drop':
      return void req.socket.destroy();
    case 'http-503':
      res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '1' });
      return void res.end('Service temporarily unavailable (sandbox fault injection)');
    case 'system-error':
      return reply(500, buildFaultEnvelope(systemFault('Temporary failure (sandbox fault injection)', true)));
    default:
      break;
  }
  try {
    const answer = await answerCall(call, decision, service, opts);
    if ('fault' in answer) return reply(answer.httpStatus ?? 500, buildFaultEnvelope(answer.fault));
    reply(200, buildEnvelope({ body: answer.payloadXml }), answer.attachments);
  } catch (err) {
    replyFault(err);
  }
}

function toFault(err: unknown): { fault: FaultSpec; httpStatus: number } {
  if (err instanceof SoapFaultAnswer) return { fault: err.fault, httpStatus: err.httpStatus };
  if (err instanceof SoapError) {
    return { fault: businessFault(err.code, err.message).fault, httpStatus: 500 };
  }
  // the request could not be decoded (schema break the validator let through, missing SwA part): the caller's fault
  const code = (err as { code?: unknown } | null)?.code;
  if (err instanceof Error && typeof code === 'string' && code.startsWith('WIRE_')) {
    return { fault: businessFault(code, `Invalid request: ${err.message}`).fault, httpStatus: 500 };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { fault: systemFault(`Internal sandbox error: ${message}`, false), httpStatus: 500 };
}
