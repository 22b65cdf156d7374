/**
 * A gateway for integration tests with its real dependencies: the cached
 * test sandbox, a Redis namespace of its own and an in-process S3 server.
 * `close` stops all of it in order (gateway first, its stores last).
 */
import type { Config } from '../../src/config/config.ts';
import { startGateway, type Gateway, type GatewayRoles } from '../../src/main/gateway.ts';
import type { Logger } from '../../src/observability/logger.ts';
import type { Sandbox } from '../../src/sandbox/sandbox.ts';
import { testConfig } from './config.ts';
import { createTestRedis, type TestRedis } from './redis.ts';
import { startTestS3, type TestS3 } from './s3.ts';
import { startTestSandbox } from './sandbox.ts';

export interface TestGateway {
  sandbox: Sandbox;
  redis: TestRedis;
  s3: TestS3;
  gw: Gateway;
  close(): Promise<void>;
}

/** Workers of the outbound pipeline, the most common set in tests. */
export const OUTBOUND_WORKERS: GatewayRoles = { api: false, workers: ['resolve', 'deliver', 'cleanup'], sandbox: false };

/** No API, no workers: tests that drive the services directly or spawn their own worker processes. */
export const NO_WORKERS: GatewayRoles = { api: false, workers: [], sandbox: false };

/** Starts sandbox, Redis namespace `label`, S3 and a gateway with `roles` (the in-process sandbox is always injected). */
export async function startTestGateway(
  label: string,
  opts: { config?: Partial<Config>; roles?: GatewayRoles; logger?: Logger } = {},
): Promise<TestGateway> {
  const sandbox = await startTestSandbox();
  const redis = await createTestRedis(label);
  const s3 = await startTestS3();
  const close = async (gw?: Gateway) => {
    await gw?.close();
    await sandbox.close();
    await redis.cleanup();
    await s3.stop();
  };
  let gw: Gateway;
  try {
    const config = testConfig({ ...s3.settings, REDIS_PREFIX: redis.prefix, ...opts.config });
    gw = await startGateway(config, opts.roles ?? OUTBOUND_WORKERS, () => {}, { sandbox, ...(opts.logger ? { logger: opts.logger } : {}) });
  } catch (err) {
    await close();
    throw err;
  }
  return { sandbox, redis, s3, gw, close: () => close(gw) };
}
