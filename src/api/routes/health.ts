/**
 * Probes, outside `/v1` and without authentication: `/healthz` (the process
 * serves HTTP) and `/readyz` (every backing part answers; 503 naming the
 * failing ones otherwise, so a load balancer stops sending traffic).
 */
import { Router } from 'express';
import { ApiError } from '../api-error.ts';

/** A readiness check: part name → 'ok' or what is wrong. */
export type HealthCheck = () => Promise<Record<string, string>>;

/** A check slower than this counts as failed (a probe must not hang). */
export const READINESS_TIMEOUT_MS = 3000;

async function runCheck(check: HealthCheck): Promise<Record<string, string>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Record<string, string>>((resolve) => {
    timer = setTimeout(() => resolve({ readiness: `no answer within ${READINESS_TIMEOUT_MS} ms` }), READINESS_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check().catch((err: unknown) => ({ readiness: err instanceof Error ? err.message : 'check failed' })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The probes router. */
export function healthRouter(check: HealthCheck): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const checks = await runCheck(check);
    const failing = Object.entries(checks).filter(([, v]) => v !== 'ok').map(([k]) => k);
    if (failing.length > 0) throw new ApiError('NOT_READY', `Not ready: ${failing.join(', ')}`, { checks });
    res.json({ status: 'ready', checks });
  });
  return router;
}
