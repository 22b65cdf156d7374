/**
 * Every setting of ehbox-bridge in one zod schema (CONVENTIONS §2.4): parsed
 * once from the environment at boot, frozen, each variable described (the
 * README's settings table is generated from `describeSettings()`). A bad value
 * stops the process with a ConfigError naming the variable.
 */
import { z } from 'zod';
import { ConfigError, type ConfigIssue } from './config-error.ts';
import { parseStagingKeys } from './staging-keys.ts';

const MAX_PORT = 65_535;
const TRUE_WORDS = ['true', '1', 'yes', 'on'];
const BOOL_WORDS = [...TRUE_WORDS, 'false', '0', 'no', 'off'] as const;

const port = () => z.coerce.number().int().min(0).max(MAX_PORT);
const count = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const bool = () =>
  z.string().trim().toLowerCase().pipe(z.enum(BOOL_WORDS)).transform((v) => TRUE_WORDS.includes(v));
const httpUrl = () => z.url({ protocol: /^https?$/ });

/** The eHealth platform environments the gateway can talk to. */
export const EHEALTH_ENVIRONMENTS = ['sandbox', 'acceptance', 'production'] as const;
/** Log levels (pino's). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The settings as an object schema: one entry per environment variable (used for docs). */
export const settingsSchema = z.object({
  PORT: port().default(8080).describe('HTTP port of the API (0 = any free port).'),
  HOST: z.string().trim().min(1).default('127.0.0.1').describe('Interface the HTTP servers listen on.'),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379')
    .describe('Redis holding queues, state and indexes (redis:// or rediss://).'),
  REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'use 1-64 characters of A-Z a-z 0-9 _ . : -').default('ehbox:')
    .describe('Prefix of every Redis key ehbox-bridge writes, so several installations can share one Redis.'),
  REDIS_COMMAND_TIMEOUT_MS: count(100, 600_000).default(5000)
    .describe('How long a Redis command may take before the request fails with STORE_UNAVAILABLE.'),
  EHBOX_DATA_DIR: z.string().trim().min(1).default('./.data')
    .describe('Local data directory: embedded S3 objects, generated staging key, sandbox data, caught e-mails.'),
  S3_ENDPOINT: httpUrl().optional()
    .describe('S3-compatible endpoint (MinIO, AWS). Unset: an embedded S3 server stores objects under $EHBOX_DATA_DIR/s3.'),
  S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'not a valid S3 bucket name').default('ehbox-bridge')
    .describe('Bucket for staged and received messages (created by the embedded server; must exist otherwise).'),
  S3_REGION: z.string().trim().min(1).default('us-east-1').describe('S3 region (any value for MinIO and the embedded server).'),
  S3_ACCESS_KEY_ID: z.string().trim().min(1).optional()
    .describe('S3 access key id. Unset with S3_ENDPOINT: the AWS default credential chain.'),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional().describe('S3 secret access key (set together with S3_ACCESS_KEY_ID).'),
  S3_FORCE_PATH_STYLE: bool().default(true).describe('Address buckets as http://host/bucket (MinIO, embedded S3) rather than as a virtual host.'),
  S3_TIMEOUT_MS: count(100, 600_000).default(15_000)
    .describe('Socket idle timeout of S3 requests; beyond it the request fails with STORE_UNAVAILABLE.'),
  STAGING_KEYS: z.string().transform((text, ctx) => {
    const parsed = parseStagingKeys(text);
    if (parsed.ok) return parsed.keyring;
    ctx.addIssue({ code: 'custom', message: parsed.reason });
    return z.NEVER;
  }).optional().describe(
    'Keys encrypting staged plaintext at rest (AES-256-GCM): keyId:base64(32 bytes), comma-separated, first = current, '
    + 'the others still decrypt. Unset: a key is generated into $EHBOX_DATA_DIR/staging.key (mode 0600).'),
  STAGING_RETENTION_HOURS: count(1, 24 * 365).default(24)
    .describe('Hours staged plaintext is kept after every recipient reached a final state.'),
  EHEALTH_ENV: z.enum(EHEALTH_ENVIRONMENTS).default('sandbox').describe('eHealth platform to use: sandbox, acceptance or production.'),
  EHEALTH_SANDBOX_URL: httpUrl().optional()
    .describe('Base URL of an external sandbox (EHEALTH_ENV=sandbox). Unset: an in-process sandbox listens on SANDBOX_PORT.'),
  SANDBOX_PORT: port().optional().describe('Port of the in-process sandbox.'),
  SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional()
    .describe('SMTP server for update-info e-mails (smtp:// or smtps://). Unset: an embedded catcher writes .eml files under $EHBOX_DATA_DIR/mail.'),
  MAIL_FROM: z.string().trim().regex(/@/, 'expected an e-mail address').default('ehbox-bridge <ehbox-bridge@localhost>')
    .describe('From address of the e-mails ehbox-bridge sends.'),
  POLL_INTERVAL_SECONDS: count(5, 86_400).default(60).describe('Interval between two polls of each eHealthBox.'),
  ETK_CACHE_TTL_SECONDS: count(0, 30 * 86_400).default(86_400).describe('How long a fetched ETK is cached.'),
  ETK_NEGATIVE_CACHE_TTL_SECONDS: count(0, 86_400).default(600).describe('How long "no ETK for this recipient" is cached.'),
  EHEALTH_TIMEOUT_MS: count(100, 600_000).default(30_000).describe('Timeout of one call to an eHealth service.'),
  EHEALTH_RATE_LIMIT_PER_SECOND: count(1, 10_000).default(50).describe('Global cap on calls per second toward eHealth, shared by all workers.'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info').describe('Log level: fatal, error, warn, info, debug, trace or silent.'),
  ADMIN_API_KEY: z.string().min(16, 'use at least 16 characters').optional()
    .describe('Key for the admin routes and the dashboard, besides tenant keys flagged admin.'),
  WEBHOOK_MAX_ATTEMPTS: count(1, 100).default(8).describe('Delivery attempts of a webhook before it is dead-lettered.'),
  EHBOX_WORKER_LOCK_MS: count(1000, 600_000).optional()
    .describe('Job lock and stall-check time of the workers: how soon a job of a crashed worker is taken over. Unset: BullMQ\'s 30 s.'),
  EHEALTH_TRUST_CHAIN: z.string().trim().min(1).optional()
    .describe('PEM bundle of the eHealth CA certificates ETKs must chain to (outside the sandbox). Unset: $EHBOX_DATA_DIR/trust/ehealth-ca.pem.'),
  EHEALTH_STS_CERT: z.string().trim().min(1).optional()
    .describe('PEM file with the eHealth STS signing certificate(s): assertions not signed by one of them are refused. Unset outside the sandbox: assertions are taken as received.'),
  MAIL_DIGEST_MINUTES: count(1, 1440).default(15).describe('Window during which update-info e-mails to one recipient are merged into one.'),
});

/** Defaults that depend on other settings, as shown in the settings table. */
const DERIVED_DEFAULTS: Partial<Record<keyof typeof settingsSchema.shape, string>> = { SANDBOX_PORT: 'PORT + 1' };
/** Settings whose values must never be printed. */
export const SECRET_SETTINGS: ReadonlySet<string> = new Set(['S3_SECRET_ACCESS_KEY', 'STAGING_KEYS', 'ADMIN_API_KEY']);

type Settings = z.output<typeof settingsSchema>;

function defaultSandboxPort(p: number): number {
  return p === 0 ? 0 : p + 1;
}

function crossCheck(s: Settings, ctx: z.RefinementCtx): void {
  const issue = (variable: string, message: string) => ctx.addIssue({ code: 'custom', path: [variable], message });
  if ((s.S3_ACCESS_KEY_ID === undefined) !== (s.S3_SECRET_ACCESS_KEY === undefined)) {
    issue(s.S3_ACCESS_KEY_ID === undefined ? 'S3_ACCESS_KEY_ID' : 'S3_SECRET_ACCESS_KEY',
      'S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together');
  }
  if (s.EHEALTH_SANDBOX_URL !== undefined && s.EHEALTH_ENV !== 'sandbox') {
    issue('EHEALTH_SANDBOX_URL', `only used with EHEALTH_ENV=sandbox (EHEALTH_ENV is ${s.EHEALTH_ENV})`);
  }
  // Refinements also run after non-fatal field issues: judge the derived port only from a valid PORT.
  if (!Number.isInteger(s.PORT) || s.PORT < 0 || s.PORT > MAX_PORT) return;
  const sandboxPort = s.SANDBOX_PORT ?? defaultSandboxPort(s.PORT);
  if (sandboxPort > MAX_PORT) issue('SANDBOX_PORT', `PORT + 1 exceeds ${MAX_PORT}; set SANDBOX_PORT`);
  if (sandboxPort !== 0 && sandboxPort === s.PORT) issue('SANDBOX_PORT', 'must differ from PORT');
}

/** The full schema: settings, cross-checks, derived defaults. */
export const configSchema = settingsSchema
  .superRefine(crossCheck)
  .transform((s) => ({ ...s, SANDBOX_PORT: s.SANDBOX_PORT ?? defaultSandboxPort(s.PORT) }));

/** The parsed, frozen configuration. */
export type Config = Readonly<z.output<typeof configSchema>>;

/** Environment variables as strings (process.env or a test's own table). */
export type Environment = Readonly<Record<string, string | undefined>>;

/** Only our variables, with empty values treated as unset (docker-compose writes `X=`). */
function pickSettings(env: Environment): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of Object.keys(settingsSchema.shape)) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') picked[name] = value;
  }
  return picked;
}

/** Parses and freezes the configuration; throws ConfigError naming each bad variable. */
export function loadConfig(env: Environment = process.env): Config {
  const result = configSchema.safeParse(pickSettings(env));
  if (!result.success) {
    const issues: ConfigIssue[] = result.error.issues.map((i) => ({
      variable: typeof i.path[0] === 'string' ? i.path[0] : '(configuration)',
      message: i.message,
    }));
    throw new ConfigError(issues);
  }
  return Object.freeze(result.data);
}

/** One row of the settings table. */
export interface SettingDescription {
  name: string;
  description: string;
  /** The default as text, or undefined when unset by default. */
  default: string | undefined;
  /** True when the value is a secret (never print it). */
  secret: boolean;
}

/** Every setting with its description and default, in schema order (for the README and `--help`). */
export function describeSettings(): SettingDescription[] {
  return Object.entries(settingsSchema.shape).map(([name, schema]) => {
    const derived = DERIVED_DEFAULTS[name as keyof typeof settingsSchema.shape];
    const value: unknown = schema instanceof z.ZodDefault ? schema.def.defaultValue : undefined;
    return {
      name,
      description: schema.description ?? '',
      default: derived ?? (value === undefined ? undefined : String(value)),
      secret: SECRET_SETTINGS.has(name),
    };
  });
}

function redactUrl(url: string): string {
  const u = new URL(url);
  if (u.password !== '') u.password = 'redacted';
  return u.toString();
}

/** The configuration with secrets and URL passwords hidden, fit for a startup log line. */
export function redactConfig(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(config)) {
    if (value === undefined) continue;
    if (SECRET_SETTINGS.has(name)) out[name] = name === 'STAGING_KEYS' ? config.STAGING_KEYS?.toJSON() : '[redacted]';
    else if (name === 'REDIS_URL' || name === 'SMTP_URL') out[name] = redactUrl(String(value));
    else out[name] = value;
  }
  return out;
}
