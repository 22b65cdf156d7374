/**
 * What the middleware chain attaches to a response (`res.locals`): the
 * request id and, behind authentication, the caller's tenant. Typed
 * accessors keep the untyped `res.locals` in one place.
 */
import type { Request, Response } from 'express';
import type { ApiKeyRecord } from '../tenancy/api-key-store.ts';
import type { Tenant } from '../tenancy/tenant-store.ts';

/** Records the request id. */
export function setRequestId(res: Response, id: string): void {
  res.locals.requestId = id;
}

/** The request id (set first thing by the request-id middleware). */
export function requestIdOf(res: Response): string {
  const id: unknown = res.locals.requestId;
  return typeof id === 'string' ? id : 'unknown';
}

/** Records the authenticated caller. */
export function setCaller(res: Response, tenant: Tenant, key: ApiKeyRecord): void {
  res.locals.tenant = tenant;
  res.locals.apiKey = key;
}

/** The authenticated tenant; throws when a route was mounted without the auth middleware (a bug). */
export function tenantOf(res: Response): Tenant {
  const tenant = res.locals.tenant as Tenant | undefined;
  if (!tenant) throw new Error('route reached without authentication');
  return tenant;
}

/** Longest path kept in logs. */
const MAX_LOGGED_PATH = 200;

/** The request path for logs: no query string (it may carry search terms), bounded length. */
export function loggedPath(req: Request): string {
  return req.originalUrl.split('?')[0]!.slice(0, MAX_LOGGED_PATH);
}
