/**
 * The one place errors become HTTP answers (CONVENTIONS §2.5):
 * `{ requestId, code, message, details? }` with a stable code. Typed errors
 * keep their code; zod errors are 422 with dotted field paths; an unreachable
 * Redis or S3 is 503 (never a 202); anything else is a generic 500, logged by
 * name, code and stack only — never with payloads or content.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { ZodError } from 'zod';
import { OutboundError } from '../../outbound/outbound-errors.ts';
import { isRedisUnavailable } from '../../storage/redis.ts';
import { StorageError } from '../../storage/storage-error.ts';
import { TenancyError, type TenancyErrorCode } from '../../tenancy/tenancy-error.ts';
import { ApiError, dottedPath } from '../api-error.ts';
import { loggedPath, requestIdOf } from '../request-context.ts';

/** Seconds a client should wait before retrying after a 503. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/** An error as the API answers it. */
export interface ErrorAnswer {
  status: number;
  code: string;
  message: string;
  details?: unknown;
  headers?: Readonly<Record<string, string>>;
}

const TENANCY_STATUS: Partial<Record<TenancyErrorCode, number>> = {
  TENANT_NOT_FOUND: 404,
  API_KEY_NOT_FOUND: 404,
  BOX_NOT_FOUND: 404,
  GROUP_NOT_FOUND: 404,
  TENANT_EXISTS: 409,
  BOX_EXISTS: 409,
};

const INTERNAL: ErrorAnswer = { status: 500, code: 'INTERNAL', message: 'Internal error; the request id identifies it in the logs' };
const UNAVAILABLE: ErrorAnswer = {
  status: 503,
  code: 'STORE_UNAVAILABLE',
  message: 'A backing store (Redis or S3) is unavailable; nothing was accepted, retry later',
  headers: { 'Retry-After': String(UNAVAILABLE_RETRY_AFTER_SECONDS) },
};

/** body-parser failures (they carry `type` and `status`). */
function bodyParserAnswer(err: { type: string; status?: unknown }): ErrorAnswer | undefined {
  switch (err.type) {
    case 'entity.too.large':
      return { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'The request body is larger than this route accepts' };
    case 'entity.parse.failed':
      return { status: 400, code: 'MALFORMED_JSON', message: 'The request body is not valid JSON (an object or array is expected)' };
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Unsupported charset or content encoding (use UTF-8, identity/gzip/deflate)' };
    case 'request.aborted':
      return { status: 400, code: 'CLIENT_CLOSED', message: 'The client closed the request before its body was complete' };
    default:
      return typeof err.status === 'number' && err.status >= 400 && err.status < 500
        ? { status: 400, code: 'MALFORMED_REQUEST', message: 'The request body could not be read' }
        : undefined;
  }
}

/** Maps any error to its answer (exported for tests and for routes that answer outside express). */
export function toErrorAnswer(err: unknown): ErrorAnswer {
  if (err instanceof ApiError) return { status: err.status, code: err.code, message: err.message, details: err.details, headers: err.headers };
  if (err instanceof ZodError) {
    const issues = err.issues.map((i) => ({ path: dottedPath(i.path), message: i.message }));
    const first = issues[0];
    return { status: 422, code: 'VALIDATION_FAILED', message: first ? `${first.path || '(body)'}: ${first.message}` : 'invalid request', details: { issues } };
  }
  if (err instanceof OutboundError) {
    if (err.code === 'STORE_UNAVAILABLE') return UNAVAILABLE;
    return { status: err.status, code: err.code, message: err.message, details: err.details };
  }
  if (err instanceof TenancyError) {
    const status = TENANCY_STATUS[err.code];
    return status === undefined ? INTERNAL : { status, code: err.code, message: err.message };
  }
  if (err instanceof StorageError) {
    if (err.code === 'STORE_UNAVAILABLE') return UNAVAILABLE;
    return INTERNAL;
  }
  if (isRedisUnavailable(err)) return UNAVAILABLE;
  const bodyError = err as { type?: unknown; status?: unknown } | undefined;
  if (bodyError && typeof bodyError.type === 'string') return bodyParserAnswer(bodyError as { type: string }) ?? INTERNAL;
  return INTERNAL;
}

/** What is logged about a failure: its name, code and stack frames — never its message's data nor the request. */
export function errorSummary(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { kind: typeof err };
  const typed = err instanceof ApiError || err instanceof OutboundError || err instanceof TenancyError || err instanceof StorageError;
  const frames = (err.stack ?? '').split('\n').slice(1).map((l) => l.trim()).slice(0, 10);
  return {
    name: err.name,
    code: (err as { code?: unknown }).code,
    // Our typed errors' messages never carry content; foreign ones might, so only their frames are kept.
    ...(typed ? { message: err.message } : {}),
    frames,
  };
}

/** The error middleware. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    const answer = toErrorAnswer(err);
    const requestId = requestIdOf(res);
    if (answer.status >= 500) {
      const level = answer.status === 503 ? 'warn' : 'error';
      logger[level]({ requestId, method: req.method, path: loggedPath(req), err: errorSummary(err) }, 'request failed');
    }
    if (res.headersSent) {
      next(err);
      return;
    }
    res.status(answer.status).set(answer.headers ?? {});
    res.json({ requestId, code: answer.code, message: answer.message, ...(answer.details === undefined ? {} : { details: answer.details }) });
  };
}

/** Unknown routes: 404 in the same shape. */
export function notFound(): RequestHandler {
  return () => {
    throw new ApiError('NOT_FOUND', 'No such route');
  };
}
