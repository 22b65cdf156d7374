/**
 * The one way tests build a configuration (CONVENTIONS §2.4): parsed through
 * the real schema from a hermetic environment (process.env is ignored), on
 * port 0, silent, with a Redis prefix and data directory of its own.
 */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, type Config, type Environment } from '../../src/config/config.ts';

/** A fresh configuration. `env` goes through the schema (as strings); `overrides` replace parsed values. */
export function testConfig(overrides: Partial<Config> = {}, env: Environment = {}): Config {
  const run = randomBytes(4).toString('hex');
  const base = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_PREFIX: `ehbox-test:${run}:`,
    EHBOX_DATA_DIR: path.join(tmpdir(), `ehbox-test-${run}`),
    ...env,
  });
  return Object.freeze({ ...base, ...overrides });
}
