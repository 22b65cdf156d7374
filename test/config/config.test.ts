import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.ts';
import { describeSettings, loadConfig, redactConfig } from '../../src/config/config.ts';
import { ehealthEndpoints } from '../../src/config/ehealth-endpoints.ts';
import { testConfig } from '../helpers/config.ts';

const KEY_A = Buffer.alloc(32, 7).toString('base64');
const KEY_B = Buffer.alloc(32, 9).toString('base64');

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      PORT: 8080, HOST: '127.0.0.1', REDIS_URL: 'redis://127.0.0.1:6379', REDIS_PREFIX: 'ehbox:', EHBOX_DATA_DIR: './.data',
      S3_BUCKET: 'ehbox-bridge', S3_REGION: 'us-east-1', S3_FORCE_PATH_STYLE: true, STAGING_RETENTION_HOURS: 24,
      EHEALTH_ENV: 'sandbox', SANDBOX_PORT: 8081, POLL_INTERVAL_SECONDS: 60, ETK_CACHE_TTL_SECONDS: 86_400,
      ETK_NEGATIVE_CACHE_TTL_SECONDS: 600, EHEALTH_TIMEOUT_MS: 30_000, EHEALTH_RATE_LIMIT_PER_SECOND: 50, LOG_LEVEL: 'info',
      WEBHOOK_MAX_ATTEMPTS: 8, MAIL_DIGEST_MINUTES: 15,
    });
    for (const unset of ['S3_ENDPOINT', 'S3_ACCESS_KEY_ID', 'STAGING_KEYS', 'EHEALTH_SANDBOX_URL', 'SMTP_URL', 'ADMIN_API_KEY'] as const) {
      expect(c[unset]).toBeUndefined();
    }
  });

  it('is frozen', () => {
    const c = loadConfig({});
    expect(Object.isFrozen(c)).toBe(true);
    expect(() => { (c as { PORT: number }).PORT = 1; }).toThrow(TypeError);
  });

  it('parses values and treats empty strings as unset', () => {
    const c = loadConfig({ PORT: '9000', S3_FORCE_PATH_STYLE: 'false', S3_ENDPOINT: '', EHEALTH_ENV: 'acceptance', LOG_LEVEL: 'debug' });
    expect(c.PORT).toBe(9000);
    expect(c.SANDBOX_PORT).toBe(9001);
    expect(c.S3_FORCE_PATH_STYLE).toBe(false);
    expect(c.S3_ENDPOINT).toBeUndefined();
    expect(c.EHEALTH_ENV).toBe('acceptance');
  });

  it('keeps port 0 for the sandbox when PORT is 0 (tests listen on any free port)', () => {
    expect(loadConfig({ PORT: '0' }).SANDBOX_PORT).toBe(0);
    expect(loadConfig({ PORT: '0', SANDBOX_PORT: '7000' }).SANDBOX_PORT).toBe(7000);
  });

  it.each([
    ['PORT', 'abc'], ['PORT', '70000'], ['PORT', '80.5'], ['REDIS_URL', 'http://127.0.0.1:6379'], ['REDIS_PREFIX', 'a*b'],
    ['S3_ENDPOINT', 'ftp://x'], ['S3_BUCKET', 'Bad_Bucket'], ['S3_FORCE_PATH_STYLE', 'maybe'], ['EHEALTH_ENV', 'prod'],
    ['LOG_LEVEL', 'loud'], ['SMTP_URL', 'http://mail'], ['POLL_INTERVAL_SECONDS', '0'], ['ADMIN_API_KEY', 'short'],
    ['MAIL_FROM', 'nobody'], ['STAGING_KEYS', 'nocolon'],
  ])('names %s in the error for %j', (variable, value) => {
    const err = configError({ [variable]: value });
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.issues.map((i) => i.variable)).toEqual([variable]);
    expect(err.message).toContain(variable);
  });

  it('reports every bad variable at once', () => {
    const err = configError({ PORT: 'x', LOG_LEVEL: 'y', EHEALTH_ENV: 'z' });
    expect(err.issues.map((i) => i.variable).sort()).toEqual(['EHEALTH_ENV', 'LOG_LEVEL', 'PORT']);
  });

  it('checks settings that depend on each other', () => {
    expect(configError({ S3_ENDPOINT: 'http://minio:9000', S3_ACCESS_KEY_ID: 'id' }).issues[0]!.variable).toBe('S3_SECRET_ACCESS_KEY');
    expect(configError({ EHEALTH_ENV: 'production', EHEALTH_SANDBOX_URL: 'http://x:1' }).issues[0]!.variable).toBe('EHEALTH_SANDBOX_URL');
    expect(configError({ PORT: '65535' }).issues[0]!.variable).toBe('SANDBOX_PORT');
    expect(configError({ PORT: '8000', SANDBOX_PORT: '8000' }).issues[0]!.variable).toBe('SANDBOX_PORT');
  });

  it('parses STAGING_KEYS (first = current) and never echoes key material', () => {
    const c = loadConfig({ STAGING_KEYS: `k2:${KEY_B}, k1:${KEY_A}` });
    expect(c.STAGING_KEYS!.currentId).toBe('k2');
    expect(c.STAGING_KEYS!.ids).toEqual(['k2', 'k1']);
    expect(c.STAGING_KEYS!.find('k1')!.key.equals(Buffer.alloc(32, 7))).toBe(true);
    for (const text of [JSON.stringify(c), inspect(c, { depth: 5 }), JSON.stringify(redactConfig(c))]) {
      expect(text).not.toContain(KEY_A);
      expect(text).not.toContain(KEY_B);
      expect(text).toContain('k2');
    }
    const short = Buffer.alloc(16, 1).toString('base64');
    const err = configError({ STAGING_KEYS: `k1:${short}` });
    expect(err.message).toContain('32 bytes');
    expect(err.message).not.toContain(short);
    expect(configError({ STAGING_KEYS: `k1:${KEY_A},k1:${KEY_B}` }).message).toContain('twice');
  });

  it('redacts secrets and URL passwords for logging', () => {
    const c = loadConfig({
      ADMIN_API_KEY: 'admin-secret-0123456789', S3_ENDPOINT: 'http://minio:9000', S3_ACCESS_KEY_ID: 'id',
      S3_SECRET_ACCESS_KEY: 's3-secret-value', REDIS_URL: 'redis://:redis-pass@db:6379', SMTP_URL: 'smtp://u:mail-pass@mx:25',
    });
    const text = JSON.stringify(redactConfig(c));
    for (const secret of ['admin-secret-0123456789', 's3-secret-value', 'redis-pass', 'mail-pass']) expect(text).not.toContain(secret);
    expect(text).toContain('db:6379');
  });
});

describe('describeSettings', () => {
  const rows = describeSettings();
  const byName = new Map(rows.map((r) => [r.name, r]));

  it('describes every setting the issues name', () => {
    const required = [
      'PORT', 'HOST', 'REDIS_URL', 'REDIS_PREFIX', 'EHBOX_DATA_DIR', 'S3_ENDPOINT', 'S3_BUCKET', 'S3_REGION', 'S3_ACCESS_KEY_ID',
      'S3_SECRET_ACCESS_KEY', 'S3_FORCE_PATH_STYLE', 'STAGING_KEYS', 'STAGING_RETENTION_HOURS', 'EHEALTH_ENV', 'EHEALTH_SANDBOX_URL',
      'SANDBOX_PORT', 'SMTP_URL', 'MAIL_FROM', 'POLL_INTERVAL_SECONDS', 'ETK_CACHE_TTL_SECONDS', 'ETK_NEGATIVE_CACHE_TTL_SECONDS',
      'EHEALTH_TIMEOUT_MS', 'EHEALTH_RATE_LIMIT_PER_SECOND', 'LOG_LEVEL', 'ADMIN_API_KEY', 'WEBHOOK_MAX_ATTEMPTS', 'MAIL_DIGEST_MINUTES',
    ];
    for (const name of required) expect(byName.get(name)?.description.length, name).toBeGreaterThan(10);
  });

  it('shows defaults as text, derived ones included, and flags secrets', () => {
    expect(byName.get('PORT')!.default).toBe('8080');
    expect(byName.get('S3_FORCE_PATH_STYLE')!.default).toBe('true');
    expect(byName.get('SANDBOX_PORT')!.default).toBe('PORT + 1');
    expect(byName.get('S3_ENDPOINT')!.default).toBeUndefined();
    expect(byName.get('ADMIN_API_KEY')!.secret).toBe(true);
    expect(byName.get('PORT')!.secret).toBe(false);
  });
});

describe('ehealthEndpoints', () => {
  it('points at the sandbox with the real service paths', () => {
    const e = ehealthEndpoints(loadConfig({ PORT: '8080' }));
    expect(e).toEqual({
      sts: 'http://127.0.0.1:8081/IAM/Saml11TokenService/Legacy/v1',
      ehboxPublication: 'http://127.0.0.1:8081/ehBoxPublication/v3',
      ehboxConsultation: 'http://127.0.0.1:8081/ehBoxConsultation/v3',
      etkDepot: 'http://127.0.0.1:8081/EtkDepot/v1',
      addressbook: 'http://127.0.0.1:8081/AddressBook/v1',
    });
    expect(ehealthEndpoints(loadConfig({ HOST: '0.0.0.0' })).sts).toBe('http://127.0.0.1:8081/IAM/Saml11TokenService/Legacy/v1');
    expect(ehealthEndpoints(loadConfig({ EHEALTH_SANDBOX_URL: 'http://sandbox:9000/' })).etkDepot).toBe('http://sandbox:9000/EtkDepot/v1');
  });

  it('uses the URL of a sandbox started on port 0', () => {
    const c = testConfig();
    expect(() => ehealthEndpoints(c)).toThrow(ConfigError);
    expect(ehealthEndpoints(c, 'http://127.0.0.1:41234').ehboxConsultation).toBe('http://127.0.0.1:41234/ehBoxConsultation/v3');
  });

  it('knows the acceptance and production hosts', () => {
    expect(ehealthEndpoints(loadConfig({ EHEALTH_ENV: 'acceptance' }))).toEqual({
      sts: 'https://services-acpt.ehealth.fgov.be/IAM/Saml11TokenService/Legacy/v1',
      ehboxPublication: 'https://services-acpt.ehealth.fgov.be/ehBoxPublication/v3',
      ehboxConsultation: 'https://services-acpt.ehealth.fgov.be/ehBoxConsultation/v3',
      etkDepot: 'https://services-acpt.ehealth.fgov.be/EtkDepot/v1',
      addressbook: 'https://services-acpt.ehealth.fgov.be/AddressBook/v1',
    });
    const prod = ehealthEndpoints(loadConfig({ EHEALTH_ENV: 'production' }));
    expect(prod.ehboxPublication).toBe('https://services.ehealth.fgov.be/ehBoxPublication/v3');
    expect(prod.sts).toBe('https://services.ehealth.fgov.be/IAM/Saml11TokenService/Legacy/v1');
  });
});

describe('testConfig', () => {
  it('is hermetic: port 0, its own prefix, overrides applied', () => {
    const a = testConfig();
    const b = testConfig({ POLL_INTERVAL_SECONDS: 5 });
    expect(a.PORT).toBe(0);
    expect(a.REDIS_PREFIX).not.toBe(b.REDIS_PREFIX);
    expect(a.REDIS_PREFIX.startsWith('ehbox-test:')).toBe(true);
    expect(b.POLL_INTERVAL_SECONDS).toBe(5);
    expect(Object.isFrozen(b)).toBe(true);
  });
});
