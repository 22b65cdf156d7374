/**
 * The HTTP API (`/v1`, express 5 + zod), built from its dependencies so the
 * composition root and the tests can hand it real Redis/S3 or doubles
 * (CONVENTIONS §2.9). Order: request id → access log → probes (open) →
 * authentication → routes → 404 → the one error middleware.
 */
import express, { type Express, type RequestHandler } from 'express';
import type { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import type { OutboundService } from '../outbound/outbound-service.ts';
import { pingRedis } from '../storage/redis.ts';
import type { TenancyStores } from '../tenancy/tenancy.ts';
import type { QueueRegistry } from '../workers/queues.ts';
import { authenticate } from './middleware/auth.ts';
import { errorHandler, notFound } from './middleware/error-handler.ts';
import { requestId } from './middleware/request-id.ts';
import { loggedPath, requestIdOf } from './request-context.ts';
import { boxesRouter, type BoxStatusReader } from './routes/boxes.ts';
import { groupsRouter } from './routes/groups.ts';
import { healthRouter, type HealthCheck } from './routes/health.ts';
import { messagesRouter } from './routes/messages.ts';
import { docsRouter } from './routes/docs.ts';
import { boxesPollRouter, inboxRouter, type BoxesPollDeps, type InboxApiDeps } from './routes/inbox.ts';
import { httpMetrics, metricsRouter } from '../observability/metrics-router.ts';
import type { GatewayMetrics } from '../observability/metrics.ts';
import { dashboardRouter } from '../ui/dashboard-router.ts';
import type { DashboardDeps } from '../ui/dashboard-data.ts';

/** REDIS_PREFIX's default, for callers that do not pass one. */
const DEFAULT_REDIS_PREFIX = 'ehbox:';

/** What the API needs. */
export interface ApiDeps {
  outbound: OutboundService;
  tenancy: TenancyStores;
  /** A `command` connection: authentication-failure counters and the default readiness check. */
  redis: Redis;
  /** REDIS_PREFIX (default `ehbox:`): the failure counters live under it. */
  redisPrefix?: string | undefined;
  /** When given, the default readiness check also reads the resolve queue (BullMQ's connection). */
  queues?: QueueRegistry | undefined;
  /** Access and error log (default: silent). Never given payloads. */
  logger?: Logger | undefined;
  /** ADMIN_API_KEY, for the admin routes; none are served by this module yet, so it is only carried. */
  adminKey?: string | undefined;
  /** The inbox (`/v1/inbox`) and poll-now (`POST /v1/boxes/:id/poll`) routes, when inbound runs. */
  inbox?: (InboxApiDeps & BoxesPollDeps) | undefined;
  /** Prometheus metrics (`/metrics`, HTTP request metrics). */
  metrics?: GatewayMetrics | undefined;
  /** Readiness check (`/readyz`); default: Redis (and the queues' connection) answer PING. */
  health?: HealthCheck | undefined;
  /** express `trust proxy` (default false: the socket address identifies the client for rate limiting). */
  trustProxy?: boolean | number | string | undefined;
  /** The operators' dashboard at `/ui` (served only when given). */
  dashboard?: DashboardDeps | undefined;
  /** Box health for `GET /v1/boxes` (shown when known). */
  boxStatus?: BoxStatusReader | undefined;
}

function defaultHealth(deps: ApiDeps): HealthCheck {
  return async () => {
    const down = (err: unknown) => (err instanceof Error ? err.message : 'down');
    const checks: Record<string, string> = { redis: await pingRedis(deps.redis).then(() => 'ok', down) };
    if (deps.queues) {
      checks.queues = await deps.queues.queue('resolve').count().then(() => 'ok', down);
    }
    return checks;
  };
}

/** One line per request: id, method, path, status, duration — no query, headers or body. */
function accessLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      logger.info({ requestId: requestIdOf(res), method: req.method, path: loggedPath(req), status: res.statusCode, ms: Math.round(ms * 10) / 10 }, 'request');
    });
    next();
  };
}

/** Builds the express app. */
export function createApp(deps: ApiDeps): Express {
  const logger = deps.logger ?? pino({ level: 'silent' });
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', deps.trustProxy ?? false);

  app.use(requestId());
  if (deps.metrics) app.use(httpMetrics(deps.metrics));
  app.use(accessLog(logger));
  app.use(healthRouter(deps.health ?? defaultHealth(deps)));
  if (deps.metrics) app.use(metricsRouter(deps.metrics.registry));
  app.use(docsRouter());

  const v1 = express.Router();
  v1.use(authenticate({ tenancy: deps.tenancy, redis: deps.redis, redisPrefix: deps.redisPrefix ?? DEFAULT_REDIS_PREFIX }));
  v1.use('/messages', messagesRouter(deps.outbound));
  v1.use('/groups', groupsRouter(deps.tenancy));
  if (deps.inbox) {
    v1.use('/inbox', inboxRouter(deps.inbox));
    v1.use('/boxes', boxesPollRouter(deps.inbox));
  }
  v1.use('/boxes', boxesRouter(deps.tenancy, deps.boxStatus));
  app.use('/v1', v1);
  if (deps.dashboard) app.use('/ui', dashboardRouter(deps.dashboard));

  app.use(notFound());
  app.use(errorHandler(logger));
  return app;
}
