/**
 * A whole gateway for the dashboard, CLI and demo tests: real Redis and S3,
 * the test sandbox injected (so the demo tenant exists), the API listening
 * on a free port, and a helper to capture what the in-process CLI prints.
 */
import { vi } from 'vitest';
import type { Config } from '../../src/config/config.ts';
import { isValidNihii } from '../../src/common/identifiers.ts';
import { startGateway, type Gateway } from '../../src/main/gateway.ts';
import type { Sandbox } from '../../src/sandbox/sandbox.ts';
import { main } from '../../src/cli/index.ts';
import { QUEUE_NAMES, type QueueName } from '../../src/workers/queues.ts';
import { testConfig } from '../helpers/config.ts';
import { createTestRedis, type TestRedis } from '../helpers/redis.ts';
import { startTestS3, type TestS3 } from '../helpers/s3.ts';
import { startTestSandbox } from '../helpers/sandbox.ts';

/** A running gateway with its test servers. */
export interface UiHarness {
  gw: Gateway & { apiUrl: string; demo: NonNullable<Gateway['demo']> };
  sandbox: Sandbox;
  redis: TestRedis;
  config: Config;
  close(): Promise<void>;
}

/** Starts sandbox, Redis namespace, S3 and the gateway with the API and `workers`. */
export async function startUiHarness(label: string, overrides: Partial<Config> = {}, workers: readonly QueueName[] = QUEUE_NAMES): Promise<UiHarness> {
  const sandbox = await startTestSandbox();
  const redis = await createTestRedis(label);
  const s3: TestS3 = await startTestS3();
  const config = testConfig({ ...s3.settings, REDIS_PREFIX: redis.prefix, ...overrides });
  const gw = await startGateway(config, { api: true, workers, sandbox: false }, () => {}, { sandbox });
  if (!gw.apiUrl || !gw.demo) throw new Error('gateway without API or demo tenant');
  return {
    gw: gw as UiHarness['gw'],
    sandbox,
    redis,
    config,
    async close() {
      await gw.close();
      await sandbox.close();
      await redis.cleanup();
      await s3.stop();
    },
  };
}

/** A NIHII with valid check digits that no seeded party has: ETK Depot does not know it. */
export function unknownNihii(sandbox: Sandbox): string {
  const taken = new Set(sandbox.directory.parties.map((p) => p.nihii).filter(Boolean));
  for (let base = 190_001; ; base++) {
    const id = `${base}${String(97 - (base % 97)).padStart(2, '0')}`;
    if (isValidNihii(id) && !taken.has(id)) return id;
  }
}

/** Runs the CLI in-process; resolves to its exit code and what it printed. */
export async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true));
  try {
    const code = await main(args);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}
