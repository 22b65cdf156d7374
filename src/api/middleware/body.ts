/**
 * Request bodies: which content types a route takes (415 otherwise) and the
 * JSON parser with its size limit (413 beyond). Parsing runs after
 * authentication, so anonymous callers cannot make the gateway parse 16 MB.
 */
import express, { type Request, type RequestHandler } from 'express';
import { ApiError } from '../api-error.ts';

/**
 * JSON limit of `POST /v1/messages`: a 10 MB message in base64 is ~14 MB;
 * the rest covers metadata (up to 1,000 recipients, a 200-row table, 100 kB of
 * free text). Larger bodies cannot fit in ehBox anyway.
 */
export const MESSAGE_JSON_LIMIT_BYTES = 16 * 1024 * 1024;
/** JSON limit of the other routes (a 1,000-member group is ~300 kB). */
export const SMALL_JSON_LIMIT_BYTES = 1024 * 1024;

/** The body kinds routes accept. */
export type BodyKind = 'json' | 'multipart';

const MEDIA_TYPES: Record<BodyKind, string> = { json: 'application/json', multipart: 'multipart/form-data' };

/** Which of `accepted` the request body is; throws 415 for anything else (including a missing body). */
export function bodyKind(req: Request, accepted: readonly BodyKind[]): BodyKind {
  for (const kind of accepted) if (req.is(MEDIA_TYPES[kind])) return kind;
  const expected = accepted.map((k) => MEDIA_TYPES[k]).join(' or ');
  throw new ApiError('UNSUPPORTED_MEDIA_TYPE', `Content-Type must be ${expected}`, { expected: accepted.map((k) => MEDIA_TYPES[k]) });
}

/** Checks the content type is JSON, then parses it within `limit` bytes. */
export function jsonBody(limit: number): RequestHandler[] {
  return [
    (req, _res, next) => {
      bodyKind(req, ['json']);
      next();
    },
    jsonParser(limit),
  ];
}

/** The JSON parser alone (the content type was already checked). */
export function jsonParser(limit: number): RequestHandler {
  return express.json({ limit, strict: true, type: MEDIA_TYPES.json });
}
