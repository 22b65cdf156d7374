/**
 * Gives every request an id: the caller's `X-Request-Id` when it is a sane
 * token (so ids can be followed across systems), a fresh UUID otherwise;
 * echoed in the response header and in every error body and log line.
 */
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { setRequestId } from '../request-context.ts';

/** Header carrying the id both ways. */
export const REQUEST_ID_HEADER = 'X-Request-Id';
/** Caller ids are accepted only in this shape: no spaces or control characters reach logs or headers. */
const CALLER_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** The request-id middleware. */
export function requestId(): RequestHandler {
  return (req, res, next) => {
    const given = req.get(REQUEST_ID_HEADER);
    const id = given !== undefined && CALLER_ID.test(given) ? given : randomUUID();
    setRequestId(res, id);
    res.set(REQUEST_ID_HEADER, id);
    next();
  };
}
