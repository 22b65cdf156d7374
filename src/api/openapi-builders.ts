/**
 * Small builders for the OpenAPI document (openapi.ts): one operation with
 * its standard error answers, JSON bodies and answers by component name, and
 * the shared error responses with the codes each status carries.
 */

/** A JSON object of the document. */
export type Doc = Record<string, unknown>;

/** A reference to a component schema. */
export function ref(name: string): { $ref: string } {
  return { $ref: `#/components/schemas/${name}` };
}

/** A required JSON request body of a component schema. */
export function jsonBody(schema: string): Doc {
  return { required: true, content: { 'application/json': { schema: ref(schema) } } };
}

/** A JSON answer of a component schema. */
export function jsonOk(description: string, schema: string): Doc {
  return { description, content: { 'application/json': { schema: ref(schema) } } };
}

/** The shared error responses: name → status, description and the codes it may carry. */
export const ERROR_RESPONSES = {
  BadRequest: { status: 400, codes: ['MALFORMED_JSON', 'MALFORMED_MULTIPART', 'MALFORMED_REQUEST', 'CLIENT_CLOSED'] },
  Unauthorized: { status: 401, codes: ['UNAUTHORIZED'] },
  NotFound: { status: 404, codes: ['NOT_FOUND', 'MESSAGE_NOT_FOUND', 'GROUP_NOT_FOUND', 'BOX_NOT_FOUND', 'TENANT_NOT_FOUND', 'API_KEY_NOT_FOUND'] },
  Conflict: { status: 409, codes: ['IDEMPOTENCY_CONFLICT', 'NOTHING_TO_RETRY', 'TENANT_EXISTS', 'BOX_EXISTS'] },
  PayloadTooLarge: { status: 413, codes: ['PAYLOAD_TOO_LARGE', 'ATTACHMENT_TOO_LARGE'] },
  UnsupportedMediaType: { status: 415, codes: ['UNSUPPORTED_MEDIA_TYPE'] },
  ValidationFailed: { status: 422, codes: ['VALIDATION_FAILED', 'GROUP_NOT_FOUND', 'SENDER_BOX_NOT_FOUND', 'ENCRYPTION_REQUIRED'] },
  RateLimited: { status: 429, codes: ['RATE_LIMITED'] },
  Internal: { status: 500, codes: ['INTERNAL'] },
  Unavailable: { status: 503, codes: ['STORE_UNAVAILABLE', 'NOT_READY'] },
} as const satisfies Record<string, { status: number; codes: readonly string[] }>;

/** Name of a shared error response. */
export type ErrorResponseName = keyof typeof ERROR_RESPONSES;

/** Every authenticated route may answer these. */
const AUTHENTICATED_ERRORS: readonly ErrorResponseName[] = ['Unauthorized', 'RateLimited', 'Internal', 'Unavailable'];

/** `components.responses`. */
export function errorResponses(): Doc {
  const out: Doc = {};
  for (const [name, r] of Object.entries(ERROR_RESPONSES)) {
    const headers = r.status === 429 || r.status === 503 ? { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds to wait before retrying' } } : undefined;
    out[name] = {
      description: `Codes: ${r.codes.join(', ')}`,
      ...(headers ? { headers } : {}),
      content: { 'application/json': { schema: ref('ErrorResponse') } },
    };
  }
  return out;
}

/** What an operation declares. */
export interface OperationSpec {
  id: string;
  tag: string;
  summary: string;
  description?: string;
  params?: Doc[];
  body?: Doc;
  ok: Record<number, Doc>;
  errors?: ErrorResponseName[];
  /** No API key (probes, metrics, docs). */
  open?: boolean;
}

/** One operation object, with the error answers every route of its kind may give. */
export function op(s: OperationSpec): Doc {
  const errors = new Set<ErrorResponseName>([...(s.errors ?? []), ...(s.open ? [] : AUTHENTICATED_ERRORS)]);
  const responses: Doc = { ...s.ok };
  for (const name of [...errors].sort((a, b) => ERROR_RESPONSES[a].status - ERROR_RESPONSES[b].status)) {
    responses[String(ERROR_RESPONSES[name].status)] = { $ref: `#/components/responses/${name}` };
  }
  return {
    operationId: s.id,
    tags: [s.tag],
    summary: s.summary,
    ...(s.description ? { description: s.description } : {}),
    ...(s.params?.length ? { parameters: s.params } : {}),
    ...(s.body ? { requestBody: s.body } : {}),
    responses,
    ...(s.open ? { security: [] } : {}),
  };
}
