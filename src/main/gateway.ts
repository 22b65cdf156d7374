/**
 * The composition root (CONVENTIONS §2.9): builds every adapter from the
 * configuration and starts the roles this process runs — the API, the
 * workers of some or all queues, and (in sandbox mode without an external
 * sandbox) the in-process eHealth sandbox. Nothing else constructs adapters.
 */
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { readCertificates } from '../crypto/certificates.ts';
import type { Redis } from 'ioredis';
import type { Config } from '../config/config.ts';
import { ehealthEndpoints, type EhealthEndpoints } from '../config/ehealth-endpoints.ts';
import { loadOrCreateStagingKeys } from '../config/staging-keys.ts';
import { createRedis, bullmqPrefix, pingRedis } from '../storage/redis.ts';
import { startEmbeddedS3, type EmbeddedS3 } from '../storage/embedded-s3.ts';
import { createS3BlobStore } from '../storage/s3-blob-store.ts';
import { EncryptedBlobStore } from '../storage/encrypted-blob-store.ts';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.ts';
import { StsClient } from '../sts/sts-client.ts';
import { EtkDepotClient } from '../etkdepot/etk-depot-client.ts';
import { createRedisCaches } from '../ehealth/redis-caches.ts';
import { createTenancyStores, type TenancyStores } from '../tenancy/tenancy.ts';
import { MessageStore } from '../outbound/message-store.ts';
import { Staging } from '../outbound/staging.ts';
import { SenderRegistry } from '../outbound/sender-registry.ts';
import { OutboundService } from '../outbound/outbound-service.ts';
import { QueueRegistry, type QueueName, QUEUE_NAMES } from '../workers/queues.ts';
import { startOutboundWorkers } from '../workers/outbound-workers.ts';
import { startInboundWorkers } from '../workers/inbound-workers.ts';
import { createInboundDeps } from '../inbound/inbound-deps.ts';
import { boxStatus } from '../inbound/box-health.ts';
import { emitStatus } from '../workers/webhook.ts';
import { notifyRowChange } from '../workers/notify.ts';
import { startNotifyWorkers } from '../workers/notify-workers.ts';
import type { OutboundDeps } from '../workers/outbound-deps.ts';
import { createRecipientResolution } from '../outbound/recipient-resolution.ts';
import { ensureDemoTenant, type DemoTenant } from './demo-tenant.ts';
import { readTrustAnchors } from './trust.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { GatewayMetrics } from '../observability/metrics.ts';
import { startMetricsServer } from '../observability/metrics-router.ts';

/** Which roles a process runs. */
export interface GatewayRoles {
  api: boolean;
  workers: readonly QueueName[];
  /** Start the in-process sandbox when EHEALTH_ENV=sandbox and no EHEALTH_SANDBOX_URL is set. */
  sandbox: boolean;
}

export const ALL_ROLES: GatewayRoles = { api: true, workers: QUEUE_NAMES, sandbox: true };

/** A running gateway. */
export interface Gateway {
  config: Config;
  redis: Redis;
  tenancy: TenancyStores;
  outbound: OutboundService;
  deps: OutboundDeps;
  sandbox?: Sandbox | undefined;
  s3?: EmbeddedS3 | undefined;
  demo?: DemoTenant | undefined;
  /** The eHealth services this gateway talks to. */
  endpoints: Readonly<EhealthEndpoints>;
  logger: Logger;
  metrics: GatewayMetrics;
  apiUrl?: string | undefined;
  close(): Promise<void>;
}

/** Concurrent resolutions inside one resolve job. */
const RESOLVE_CONCURRENCY = 16;

/** Builds everything and starts the requested roles; `inject` supplies a running sandbox or a logger (tests, tools). */
export async function startGateway(config: Config, roles: GatewayRoles, log: (line: string) => void = () => {}, inject: { sandbox?: Sandbox; logger?: Logger } = {}): Promise<Gateway> {
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  };
  try {
    const logger = inject.logger ?? createLogger(config);
    const metrics = new GatewayMetrics();
    const unobserve = [metrics.observeSoapCalls(), metrics.observeCryptoTimings()];
    closers.push(async () => unobserve.forEach((u) => u()));
    const redis = createRedis(config, { name: 'ehbox-bridge' });
    closers.push(async () => void redis.disconnect());
    await pingRedis(redis);
    const bull = createRedis(config, { role: 'blocking', name: 'ehbox-bridge-bull' });
    closers.push(async () => void bull.disconnect());

    const dataDir = path.resolve(config.EHBOX_DATA_DIR);
    let s3: EmbeddedS3 | undefined;
    if (!config.S3_ENDPOINT) {
      s3 = await startEmbeddedS3({ directory: path.join(dataDir, 's3'), buckets: [config.S3_BUCKET] });
      closers.push(() => s3!.stop());
    }
    const blobs = new EncryptedBlobStore(createS3BlobStore(config, s3), await loadOrCreateStagingKeys(config));

    let sandbox: Sandbox | undefined = inject.sandbox;
    if (!sandbox && roles.sandbox && config.EHEALTH_ENV === 'sandbox' && !config.EHEALTH_SANDBOX_URL) {
      log('starting the in-process eHealth sandbox…');
      sandbox = await startSandbox({ port: config.SANDBOX_PORT, host: config.HOST, dataDir: path.join(dataDir, 'sandbox'), log });
      closers.push(() => sandbox!.close());
    }
    const endpoints = ehealthEndpoints(config, sandbox?.url);
    const trustAnchorsDer = sandbox ? [sandbox.material.ca.issuing.der, sandbox.material.ca.root.der] : await readTrustAnchors(config, dataDir);

    const prefix = config.REDIS_PREFIX;
    const tenancy = createTenancyStores(redis, prefix);
    const caches = createRedisCaches(redis, prefix);
    const sts = new StsClient({
      url: endpoints.sts,
      timeoutMs: config.EHEALTH_TIMEOUT_MS,
      cache: caches.token,
      // with the in-process sandbox we know its STS certificate: refuse assertions it did not sign
      trustedSignersDer: sandbox ? [sandbox.material.sts.der] : config.EHEALTH_STS_CERT ? readCertificates(await readFile(config.EHEALTH_STS_CERT)) : undefined,
    });
    const etkDepot = new EtkDepotClient({
      url: endpoints.etkDepot,
      timeoutMs: config.EHEALTH_TIMEOUT_MS,
      trustAnchorsDer,
      cache: caches.etk,
      ttlMs: config.ETK_CACHE_TTL_SECONDS * 1000,
      negativeTtlMs: config.ETK_NEGATIVE_CACHE_TTL_SECONDS * 1000,
    });
    const queues = new QueueRegistry(redis, bullmqPrefix(config), bull, (w, q) => metrics.instrumentWorker(w, q), config.EHBOX_WORKER_LOCK_MS);
    metrics.trackQueues(queues);
    // box usage gauges at scrape time, from the health each poll records (whichever process polled)
    metrics.trackBoxUsage(async () => {
      const boxes = (await Promise.all((await tenancy.tenants.list()).map((t) => tenancy.boxes.list(t.id)))).flat();
      const known = await Promise.all(boxes.map((b) => boxStatus(redis, prefix, b.tenantId, b.id)));
      return known.flatMap((s) => (s?.maxSize === undefined ? [] : [{ box: s.boxId, current: s.currentSize ?? 0, max: s.maxSize, standBy: s.standBy ?? 0 }]));
    });
    closers.push(() => queues.close());
    const store = new MessageStore(redis, prefix);
    const staging = new Staging(blobs);
    const deps: OutboundDeps = {
      store,
      staging,
      tenancy,
      senders: new SenderRegistry({ sts, etkDepot, endpoints, timeoutMs: config.EHEALTH_TIMEOUT_MS }),
      etkDepot,
      resolveRecipient: createRecipientResolution(etkDepot),
      queues,
      resolveConcurrency: RESOLVE_CONCURRENCY,
      retentionHours: config.STAGING_RETENTION_HOURS,
      onRowChange: async (meta, row) => {
        await emitStatus(queues, meta.tenantId, meta.id, row, config.WEBHOOK_MAX_ATTEMPTS);
        await notifyRowChange(queues, meta, row);
      },
    };
    const outbound = new OutboundService({ redis, prefix, store, staging, tenancy, queues });
    if (roles.workers.length > 0) {
      startOutboundWorkers(deps, roles.workers, {
        ratePerSecond: config.EHEALTH_RATE_LIMIT_PER_SECOND,
        logger,
        webhook: { tenancy, redis, prefix, maxAttempts: config.WEBHOOK_MAX_ATTEMPTS },
      });
    }
    if (roles.workers.includes('notify')) {
      const notify = await startNotifyWorkers(config, { redis, queues, store, tenancy, dataDir, log, logger });
      closers.push(() => notify.close());
    }

    const demo = sandbox ? await ensureDemoTenant(dataDir, sandbox, tenancy) : undefined;
    if (roles.workers.length > 0) startInboundWorkers(createInboundDeps({ redis, prefix, blobs, outbound: deps, trustAnchorsDer, pollIntervalMs: config.POLL_INTERVAL_SECONDS * 1000, webhookMaxAttempts: config.WEBHOOK_MAX_ATTEMPTS, log }), roles.workers, logger);
    const gateway: Gateway = { config, redis, tenancy, outbound, deps, sandbox, s3, demo, endpoints, logger, metrics, close };
    if (!roles.api && roles.workers.length > 0 && config.PORT !== 0) {
      // worker-only processes still expose /metrics (on PORT, which they do not otherwise use)
      const ms = await startMetricsServer(metrics.registry, config.PORT, config.HOST);
      closers.push(() => ms.close());
    }
    if (roles.api) {
      const { startApi } = await import('./api-server.ts');
      const api = await startApi(config, gateway);
      gateway.apiUrl = api.url;
      closers.push(() => api.close());
    }
    return gateway;
  } catch (err) {
    await close();
    throw err;
  }
}
