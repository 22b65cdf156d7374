/**
 * Starts the HTTP API of a gateway on PORT (the app itself is built by
 * `createApp` from its dependencies).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/config.ts';
import { createApp } from '../api/app.ts';
import type { Gateway } from './gateway.ts';
import { pingRedis } from '../storage/redis.ts';
import { dashboardDeps } from '../ui/dashboard-deps.ts';
import { createInboxApiDeps } from '../inbound/inbound-deps.ts';
import { boxStatus } from '../inbound/box-health.ts';
import { reachable } from './reachability.ts';

/** Listens and returns the URL and a close function. */
export async function startApi(config: Config, gw: Gateway): Promise<{ url: string; close(): Promise<void> }> {
  const app = createApp({
    outbound: gw.outbound,
    tenancy: gw.tenancy,
    redis: gw.redis,
    redisPrefix: config.REDIS_PREFIX,
    logger: gw.logger,
    metrics: gw.metrics,
    inbox: createInboxApiDeps({ redis: gw.redis, prefix: config.REDIS_PREFIX, blobs: gw.deps.staging.blobs, queues: gw.deps.queues, tenancy: gw.tenancy }),
    queues: gw.deps.queues,
    adminKey: config.ADMIN_API_KEY,
    dashboard: dashboardDeps(gw),
    boxStatus: (tenantId, boxId) => boxStatus(gw.redis, config.REDIS_PREFIX, tenantId, boxId),
    health: async () => {
      const out: Record<string, string> = {};
      // readiness is unauthenticated: say what is down, never where it is
      out.redis = await pingRedis(gw.redis).then(() => 'ok', () => 'down');
      out.s3 = await gw.deps.staging.blobs.exists('health/probe').then(() => 'ok', () => 'down');
      out.ehealth = (await reachable(gw.endpoints.etkDepot)) ? 'ok' : 'down';
      return out;
    },
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(config.PORT, config.HOST, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${config.HOST}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
