/**
 * Refusals made by the HTTP layer itself (authentication, framing, content
 * type, size), with the stable codes and statuses the error middleware
 * answers as `{ requestId, code, message, details? }`.
 */

/** Stable codes of the HTTP layer. */
export type ApiErrorCode =
  | 'UNAUTHORIZED'
  | 'RATE_LIMITED'
  | 'MALFORMED_JSON'
  | 'MALFORMED_MULTIPART'
  | 'MALFORMED_REQUEST'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'PAYLOAD_TOO_LARGE'
  | 'VALIDATION_FAILED'
  | 'NOT_FOUND'
  | 'CLIENT_CLOSED'
  | 'NOT_READY';

const STATUS: Record<ApiErrorCode, number> = {
  UNAUTHORIZED: 401,
  RATE_LIMITED: 429,
  MALFORMED_JSON: 400,
  MALFORMED_MULTIPART: 400,
  MALFORMED_REQUEST: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PAYLOAD_TOO_LARGE: 413,
  VALIDATION_FAILED: 422,
  NOT_FOUND: 404,
  CLIENT_CLOSED: 400,
  NOT_READY: 503,
};

/** One field problem, as `details.issues` lists them (path dotted, e.g. `recipients.0.id`). */
export interface FieldIssue {
  path: string;
  message: string;
}

/** A refusal of the HTTP layer with its status and optional response headers. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: unknown,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.status = STATUS[code];
  }
}

/** A 422 naming the fields at fault, shaped like the answer to a zod error. */
export function validationError(issues: FieldIssue[]): ApiError {
  const first = issues[0];
  const message = first ? `${first.path || '(body)'}: ${first.message}` : 'invalid request';
  return new ApiError('VALIDATION_FAILED', message, { issues });
}

/** Dotted form of a zod issue path (`['recipients', 0, 'id']` → `recipients.0.id`). */
export function dottedPath(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'symbol' ? p.description ?? '' : String(p))).join('.');
}
