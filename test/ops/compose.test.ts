/**
 * docker-compose.yml, Dockerfile and .dockerignore, checked without Docker:
 * the compose file is parsed and interpolated like Compose does, and its
 * services, images, environment, volumes, ports and commands are held
 * against what the code reads (the config schema, the CLI, the sandbox
 * layout). The environment of each ehbox-bridge service must parse with the
 * real configuration loader.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/index.ts';
import { describeSettings, loadConfig, SECRET_SETTINGS } from '../../src/config/config.ts';
import { generateStagingKeyEntry } from '../../src/config/staging-keys.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- walking parsed YAML
const root = new URL('../../', import.meta.url);
const read = (file: string) => fs.readFileSync(new URL(file, root), 'utf8');

/** Variables read outside the settings schema, each documented in docs/operations.md. */
const EXTRA_ENV = ['EHEALTH_TRUST_CHAIN'];
const SETTINGS = new Set(describeSettings().map((s) => s.name));
const OUR_SERVICES = ['sandbox', 'api', 'worker'];
const ENV = { STAGING_KEYS: generateStagingKeyEntry(), MINIO_ROOT_PASSWORD: 'fictitious-minio-password' };

/** Compose interpolation: $$, ${V}, ${V:-d}, ${V-d}, ${V:?e}, ${V?e}. */
function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g, (all, name: string | undefined, op: string | undefined, arg: string | undefined) => {
    if (all === '$$') return '$';
    const value = env[name!];
    const unset = op?.startsWith(':') ? !value : value === undefined;
    if (!unset) return value!;
    if (op?.endsWith('?')) throw new Error(`required variable ${name} is missing: ${arg}`);
    return op ? arg ?? '' : '';
  });
}

function interpolateTree(node: unknown, env: Record<string, string>): unknown {
  if (typeof node === 'string') return interpolate(node, env);
  if (Array.isArray(node)) return node.map((n) => interpolateTree(n, env));
  if (typeof node === 'object' && node !== null) return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, interpolateTree(v, env)]));
  return node;
}

const raw = parse(read('docker-compose.yml'), { merge: true }) as Json;
const compose = interpolateTree(raw, ENV) as Json;
const services = compose.services as Record<string, Json>;
const envOf = (name: string) => (services[name]!.environment ?? {}) as Record<string, string>;
const volumeSource = (v: string) => v.split(':')[0]!;

describe('docker-compose.yml services', () => {
  it('has Redis, MinIO with bucket creation, Mailpit, the sandbox, the API and the workers', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'mailpit', 'minio', 'minio-init', 'redis', 'sandbox', 'worker']);
    expect(services.redis!.image).toMatch(/^redis:7/);
    expect(services.minio!.image).toMatch(/^minio\/minio:/);
    expect(services['minio-init']!.image).toMatch(/^minio\/mc:/);
    expect(services.mailpit!.image).toMatch(/^axllent\/mailpit:/);
    for (const s of OUR_SERVICES) {
      expect(services[s]!.image, s).toBe(services.api!.image);
      expect(services[s]!.build?.context, s).toBe('.');
    }
  });

  it('runs Redis with AOF and noeviction on a volume', () => {
    const cmd = (services.redis!.command as string[]).join(' ');
    expect(cmd).toContain('--appendonly yes');
    expect(cmd).toContain('--maxmemory-policy noeviction');
    expect(services.redis!.volumes).toContain('redis-data:/data');
  });

  it('creates the configured bucket once MinIO is healthy, before api and worker start', () => {
    const init = services['minio-init']!;
    expect(init.depends_on.minio.condition).toBe('service_healthy');
    expect(init.command.join(' ')).toMatch(/mc mb --ignore-existing "local\/\$BUCKET"/);
    expect(init.environment.BUCKET).toBe(envOf('api').S3_BUCKET);
    for (const s of ['api', 'worker']) expect(services[s]!.depends_on['minio-init'].condition, s).toBe('service_completed_successfully');
  });

  it('has healthchecks wherever a dependant waits for health', () => {
    for (const s of ['redis', 'minio', 'mailpit', 'sandbox', 'api']) expect(services[s]!.healthcheck?.test, s).toBeDefined();
    for (const [name, s] of Object.entries(services)) {
      for (const [dep, cond] of Object.entries((s.depends_on ?? {}) as Record<string, { condition: string }>)) {
        expect(services[dep], `${name} depends on unknown ${dep}`).toBeDefined();
        if (cond.condition === 'service_healthy') expect(services[dep]!.healthcheck, `${name} waits for ${dep}`).toBeDefined();
      }
    }
  });

  it('keeps the worker scalable: no container name, no host ports', () => {
    expect(services.worker!.container_name).toBeUndefined();
    expect(services.worker!.ports).toBeUndefined();
    expect(services.worker!.command).toEqual(['worker']);
  });

  it('publishes the API, the sandbox admin and the Mailpit UI on loopback only, SMTP on 1025 inside', () => {
    const apiPort = String(envOf('api').PORT);
    expect(services.api!.ports).toEqual([`127.0.0.1:${apiPort}:${apiPort}`]);
    expect(services.mailpit!.ports).toEqual(['127.0.0.1:8025:8025']);
    expect(services.mailpit!.expose).toContain('1025');
    for (const s of Object.values(services)) for (const p of (s.ports ?? []) as string[]) expect(p).toMatch(/^127\.0\.0\.1:/);
  });

  it('declares every named volume it uses, and uses every one it declares', () => {
    const used = new Set(Object.values(services).flatMap((s) => ((s.volumes ?? []) as string[]).map(volumeSource)));
    expect([...used].sort()).toEqual(Object.keys(compose.volumes).sort());
  });
});

describe('docker-compose.yml environment', () => {
  it('sets only real settings (or documented extras) on ehbox-bridge services', () => {
    const ops = read('docs/operations.md');
    for (const extra of EXTRA_ENV) expect(ops, `${extra} documented`).toContain(extra);
    for (const s of OUR_SERVICES) for (const name of Object.keys(envOf(s))) expect(SETTINGS.has(name) || EXTRA_ENV.includes(name), `${s}: ${name}`).toBe(true);
  });

  it('parses with the real configuration loader for api and worker, pointing at the compose services', () => {
    for (const s of ['api', 'worker']) {
      const config = loadConfig(envOf(s));
      expect(services[new URL(config.REDIS_URL).hostname], s).toBeDefined();
      expect(services[new URL(config.S3_ENDPOINT!).hostname], s).toBeDefined();
      expect(new URL(config.SMTP_URL!).host).toBe('mailpit:1025');
      expect(config.STAGING_KEYS).toBeDefined();
      const sandboxCmd = services.sandbox!.command as string[];
      const sandboxUrl = new URL(config.EHEALTH_SANDBOX_URL!);
      expect(sandboxUrl.hostname).toBe('sandbox');
      expect(sandboxUrl.port).toBe(sandboxCmd[sandboxCmd.indexOf('--port') + 1]);
      expect(config.HOST).toBe('0.0.0.0');
    }
    expect(envOf('api').STAGING_KEYS).toBe(envOf('worker').STAGING_KEYS);
  });

  it('takes secrets from .env, never literally, and refuses to start without STAGING_KEYS', () => {
    for (const s of ['api', 'worker']) {
      for (const name of SECRET_SETTINGS) expect(raw.services[s].environment[name], `${s}: ${name}`).toMatch(/^\$\{[A-Z_]+:[?-]/);
    }
    expect(() => interpolateTree(raw, { MINIO_ROOT_PASSWORD: 'x' })).toThrow(/STAGING_KEYS/);
  });

  it('gives api and worker the sandbox CA where the sandbox writes it', () => {
    const dataDirArg = services.sandbox!.command as string[];
    const dataDir = dataDirArg[dataDirArg.indexOf('--data-dir') + 1];
    expect(services.sandbox!.volumes).toContain(`sandbox-data:${dataDir}`);
    for (const s of ['api', 'worker']) {
      const mount = ((services[s]!.volumes ?? []) as string[]).find((v) => volumeSource(v) === 'sandbox-data')!;
      const target = mount.split(':')[1]!;
      expect(mount.endsWith(':ro'), s).toBe(true);
      expect(envOf(s).EHEALTH_TRUST_CHAIN, s).toBe(`${target}/ca/chain.pem`);
    }
    expect(read('src/sandbox/material.ts')).toContain("path.join(dir, 'ca', 'chain.pem')");
  });
});

describe('commands', () => {
  const program = buildProgram();
  const find = (name: string): Command | undefined => program.commands.find((c) => c.name() === name);

  it('uses only commands and options the CLI has', () => {
    for (const s of OUR_SERVICES) {
      const [name, ...args] = services[s]!.command as string[];
      const cmd = find(name!);
      expect(cmd, `${s}: command ${name}`).toBeDefined();
      const longs = cmd!.options.map((o) => o.long);
      for (const flag of args.filter((a) => a.startsWith('--'))) expect(longs, `${s}: ${name} ${flag}`).toContain(flag);
    }
    expect(find('all')).toBeDefined();
    expect(find('worker')!.options.map((o) => o.long)).toContain('--queues');
  });
});

describe('Dockerfile', () => {
  const lines = read('Dockerfile').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const froms = lines.map((l, i) => [l, i] as const).filter(([l]) => /^FROM /i.test(l));
  const lastFrom = froms.at(-1)![1];
  const runtime = lines.slice(lastFrom);

  it('is multi-stage: npm ci in a deps stage, a slim Node 20 runtime copying from it', () => {
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(froms[0]![0]).toMatch(/^FROM node:20-bookworm-slim AS deps$/i);
    expect(froms.at(-1)![0]).toMatch(/^FROM node:20-bookworm-slim AS runtime$/i);
    expect(lines.slice(0, lastFrom).join('\n')).toMatch(/npm ci --omit=dev/);
    expect(runtime.join('\n')).toMatch(/COPY --from=deps \/app\/node_modules/);
    expect(runtime.join('\n')).toMatch(/apt-get install[^\n]*\bopenssl\b[^\n]*\blibxml2-utils\b/);
  });

  it('runs as a non-root user, with the CLI as entrypoint and `all` by default', () => {
    const users = runtime.filter((l) => /^USER /i.test(l));
    expect(users.length).toBe(1);
    expect(users[0]).not.toMatch(/^USER (root|0)\b/i);
    expect(runtime.indexOf(users[0]!)).toBeLessThan(runtime.findIndex((l) => l.startsWith('ENTRYPOINT')));
    expect(runtime).toContain('ENTRYPOINT ["node", "bin/ehbox-bridge"]');
    expect(runtime).toContain('CMD ["all"]');
  });

  it('copies only paths that exist and that .dockerignore lets through', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    for (const needed of ['node_modules', '.data', '.git', '.env']) expect(ignored).toContain(needed);
    const sources = lines.filter((l) => /^COPY /i.test(l) && !/--from=/.test(l)).flatMap((l) => l.split(/\s+/).slice(1, -1));
    expect(sources.length).toBeGreaterThan(3);
    for (const src of sources) {
      expect(fs.existsSync(new URL(src, root)), src).toBe(true);
      expect(ignored, src).not.toContain(src);
    }
  });
});
