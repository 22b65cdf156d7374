/**
 * Who may see the dashboard: the holder of an admin API key (`admin: true`)
 * or of ADMIN_API_KEY, given as `Authorization: Bearer …` or once through
 * the login form (or `?key=`), which sets an HttpOnly, SameSite=Strict
 * cookie scoped to `/ui`. The cookie carries the key and is re-checked on
 * every request, so revoking the key ends the session at once.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import type { TenancyStores } from '../tenancy/tenancy.ts';

/** Cookie holding the admin key. */
export const SESSION_COOKIE = 'ehb_ui';
/** Session lifetime: one working day. */
const SESSION_MAX_AGE_SECONDS = 8 * 3600;
const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** The value of one cookie of the request. */
export function cookieOf(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** True when `raw` is ADMIN_API_KEY or an admin API key of some tenant. */
export async function isAdminKey(raw: string, tenancy: Pick<TenancyStores, 'apiKeys'>, adminKey: string | undefined): Promise<boolean> {
  if (adminKey && timingSafeEqual(sha256(raw), sha256(adminKey))) return true;
  const record = await tenancy.apiKeys.authenticate(raw);
  return record?.admin === true;
}

/** The key the request presents (header first, then the session cookie). */
export function presentedKey(req: Request): string | undefined {
  const bearer = BEARER.exec(req.get('authorization') ?? '');
  return bearer ? bearer[1] : cookieOf(req, SESSION_COOKIE);
}

/** Sets the session cookie (Secure when the request came over HTTPS). */
export function startSession(req: Request, res: Response, key: string): void {
  const secure = req.secure ? '; Secure' : '';
  res.set('Set-Cookie', `${SESSION_COOKIE}=${encodeURIComponent(key)}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=${SESSION_MAX_AGE_SECONDS}${secure}`);
}

/** Clears the session cookie. */
export function endSession(res: Response): void {
  res.set('Set-Cookie', `${SESSION_COOKIE}=; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=0`);
}

/**
 * Cross-site form posts: the SameSite cookie already keeps them out; a
 * present Origin header must also name this host.
 */
export function sameOrigin(req: Request): boolean {
  const origin = req.get('origin');
  if (!origin || origin === 'null') return origin === undefined;
  try {
    return new URL(origin).host === req.get('host');
  } catch {
    return false;
  }
}
