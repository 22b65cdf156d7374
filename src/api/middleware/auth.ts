/**
 * `Authorization: Bearer <api key>` → the key's tenant (the key store looks
 * keys up by hash and compares in constant time). Failed attempts are counted
 * per client IP in Redis; past the limit every attempt from that IP — even
 * with a good key, so guessing cannot continue — answers 429 until the window
 * expires.
 */
import { createHash } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Redis } from 'ioredis';
import { withRedis } from '../../storage/redis.ts';
import type { TenancyStores } from '../../tenancy/tenancy.ts';
import { ApiError } from '../api-error.ts';
import { setCaller } from '../request-context.ts';

/** Failed authentications allowed per client IP and window: far above a misconfigured client's retries, far below guessing. */
export const AUTH_FAILURE_LIMIT = 20;
/** Window of the failure counter. */
export const AUTH_FAILURE_WINDOW_SECONDS = 60;

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;
const CHALLENGE = 'Bearer realm="ehbox-bridge"';

/** What the auth middleware needs. */
export interface AuthDeps {
  tenancy: Pick<TenancyStores, 'apiKeys' | 'tenants'>;
  redis: Redis;
  /** Redis key prefix (REDIS_PREFIX) for the failure counters. */
  redisPrefix: string;
}

function unauthorized(invalidToken: boolean): ApiError {
  const challenge = invalidToken ? `${CHALLENGE}, error="invalid_token"` : CHALLENGE;
  return new ApiError('UNAUTHORIZED', 'A valid API key is required (Authorization: Bearer <api key>)', undefined, { 'WWW-Authenticate': challenge });
}

/** Counter key of a client address (hashed: IPv6 colons and odd proxy values stay out of the key layout). */
function failureKey(prefix: string, req: Request): string {
  const ip = req.ip ?? req.socket.remoteAddress ?? 'unknown';
  return `${prefix}authfail:${createHash('sha256').update(ip).digest('hex').slice(0, 32)}`;
}

/** The authentication middleware for the `/v1` routes. */
export function authenticate(deps: AuthDeps): RequestHandler {
  const { redis } = deps;
  return async (req, res, next) => {
    const match = BEARER.exec(req.get('authorization') ?? '');
    if (!match) throw unauthorized(false);
    const key = failureKey(deps.redisPrefix, req);
    const failures = Number(await withRedis(() => redis.get(key)));
    if (failures >= AUTH_FAILURE_LIMIT) {
      const ttl = await withRedis(() => redis.ttl(key));
      const retryAfter = String(ttl > 0 ? ttl : AUTH_FAILURE_WINDOW_SECONDS);
      throw new ApiError('RATE_LIMITED', 'Too many failed authentications from this address; retry later', { retryAfterSeconds: Number(retryAfter) }, { 'Retry-After': retryAfter });
    }
    const record = await deps.tenancy.apiKeys.authenticate(match[1]!);
    const tenant = record ? await deps.tenancy.tenants.get(record.tenantId) : undefined;
    if (!record || !tenant) {
      await withRedis(() => redis.multi().set(key, '0', 'EX', AUTH_FAILURE_WINDOW_SECONDS, 'NX').incr(key).exec());
      throw unauthorized(true);
    }
    setCaller(res, tenant, record);
    next();
  };
}
