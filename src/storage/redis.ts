/**
 * Redis connections for the gateway, and the mapping of "Redis is down" to
 * the typed STORE_UNAVAILABLE (the API answers 503, never 202, while Redis is
 * away). Two roles, because BullMQ needs both:
 * - `command` (API, stores, BullMQ Queue producers): a command fails after one
 *   reconnection attempt or REDIS_COMMAND_TIMEOUT_MS instead of waiting forever;
 * - `blocking` (BullMQ Worker / QueueEvents): `maxRetriesPerRequest: null`, as
 *   BullMQ requires for blocking commands, and no command timeout.
 * No ioredis `keyPrefix` (BullMQ refuses it): keys are built with `redisKey`
 * under REDIS_PREFIX, and BullMQ gets `bullmqPrefix(config)`.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { StorageError } from './storage-error.ts';

/** What a connection is used for (see the module comment). */
export type RedisRole = 'command' | 'blocking';

/** The Redis part of the configuration. */
export interface RedisSettings {
  readonly REDIS_URL: string;
  readonly REDIS_PREFIX: string;
  readonly REDIS_COMMAND_TIMEOUT_MS: number;
}

/** Options of `createRedis`. */
export interface CreateRedisOptions {
  role?: RedisRole | undefined;
  /** CLIENT SETNAME, to tell connections apart in `CLIENT LIST`. */
  name?: string | undefined;
  /** Connection errors (refused, reset); without it they are swallowed, since commands report them as STORE_UNAVAILABLE. */
  onError?: ((err: Error) => void) | undefined;
}

/** Reconnection back-off: 100 ms more per attempt, at most 2 s, forever (Redis restarts must heal). */
const RECONNECT_STEP_MS = 100;
const RECONNECT_MAX_MS = 2000;
/** Connection attempts that hang (firewall drops) give up after this long and retry. */
const CONNECT_TIMEOUT_MS = 5000;

/** A lazily connecting ioredis client for `role`. */
export function createRedis(config: RedisSettings, options: CreateRedisOptions = {}): Redis {
  const role = options.role ?? 'command';
  const common: RedisOptions = {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: (times) => Math.min(times * RECONNECT_STEP_MS, RECONNECT_MAX_MS),
    connectionName: options.name,
  };
  const roleOptions: RedisOptions = role === 'blocking'
    ? { maxRetriesPerRequest: null }
    : { maxRetriesPerRequest: 1, commandTimeout: config.REDIS_COMMAND_TIMEOUT_MS };
  const redis = new Redis(config.REDIS_URL, { ...common, ...roleOptions });
  redis.on('error', (err: Error) => options.onError?.(err));
  return redis;
}

/** BullMQ's `prefix` option: queues live under REDIS_PREFIX too (BullMQ adds its own `:`). */
export function bullmqPrefix(config: Pick<RedisSettings, 'REDIS_PREFIX'>): string {
  return `${config.REDIS_PREFIX}bull`;
}

/** Characters allowed in one key part: no glob characters, so SCAN patterns built from parts stay exact. */
const KEY_PART = /^[A-Za-z0-9_.@=+-]+$/;

/** `prefix` + parts joined by `:`; throws on parts that would break the key layout. */
export function redisKey(prefix: string, ...parts: string[]): string {
  for (const part of parts) {
    if (!KEY_PART.test(part)) throw new TypeError(`invalid Redis key part ${JSON.stringify(part)}`);
  }
  return prefix + parts.join(':');
}

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
const UNAVAILABLE_MESSAGES = [/Command timed out/, /Connection is closed/, /Stream isn't writeable/, /max retries per request/i, /LOADING/, /READONLY/];

/** True when `err` means Redis cannot be reached (as opposed to a bad command, which is a bug). */
export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'MaxRetriesPerRequestError') return true;
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== undefined && UNAVAILABLE_CODES.has(code)) return true;
  return UNAVAILABLE_MESSAGES.some((re) => re.test(err.message));
}

/** Turns an unavailability error into STORE_UNAVAILABLE; other errors are returned unchanged. */
export function mapRedisError(err: unknown): unknown {
  if (err instanceof StorageError || !isRedisUnavailable(err)) return err;
  return new StorageError('STORE_UNAVAILABLE', `Redis unavailable: ${(err as Error).message}`, { cause: err });
}

/** Runs `fn`, mapping Redis unavailability to STORE_UNAVAILABLE. */
export async function withRedis<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw mapRedisError(err);
  }
}

/** Readiness probe: resolves when Redis answers PING, else throws STORE_UNAVAILABLE. */
export async function pingRedis(redis: Redis): Promise<void> {
  const answer = await withRedis(() => redis.ping());
  if (answer !== 'PONG') throw new StorageError('STORE_UNAVAILABLE', 'Redis answered PING unexpectedly');
}

/** Keys per SCAN step: large enough to be quick, small enough not to stall Redis. */
const SCAN_BATCH = 500;

/**
 * Deletes every key under `pattern` (a prefix followed by `*`), in batches.
 * For clean-up of one tenant's or one test's keys; never FLUSHDB.
 */
export async function deleteByPattern(redis: Redis, pattern: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await withRedis(() => redis.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_BATCH));
    cursor = next;
    if (keys.length > 0) deleted += await withRedis(() => redis.unlink(...keys));
  } while (cursor !== '0');
  return deleted;
}
