/**
 * `admin tenant|key|box|group …`: tenancy administration straight on Redis
 * through the tenancy stores (the same validation as the API), so an
 * operator can set up a hospital before any API key exists. `--json` prints
 * machine-readable records; API keys are printed once, at creation.
 */
import type { Command } from 'commander';
import { ZodError } from 'zod';
import { loadConfig } from '../config/config.ts';
import { createRedis } from '../storage/redis.ts';
import { createTenancyStores, type TenancyStores } from '../tenancy/tenancy.ts';
import { TenancyError } from '../tenancy/tenancy-error.ts';
import { CliError } from './cli-error.ts';
import { USAGE_EXIT_CODE } from './cli-io.ts';
import { parseRecipient } from './send-commands.ts';

/** Exit code when a record is missing or already exists. */
export const NOT_FOUND_EXIT_CODE = 1;

const say = (line: string): void => void process.stdout.write(line + '\n');
const collect = (v: string, acc: string[]) => [...acc, v];

/** Opens the tenancy stores on REDIS_URL / REDIS_PREFIX, runs `fn`, closes the connection. */
export async function withTenancy<T>(fn: (stores: TenancyStores) => Promise<T>): Promise<T> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err), USAGE_EXIT_CODE);
  }
  const redis = createRedis(config, { name: 'ehbox-bridge-admin' });
  try {
    return await fn(createTenancyStores(redis, config.REDIS_PREFIX));
  } catch (err) {
    if (err instanceof ZodError) {
      const issues = err.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ');
      throw new CliError(`invalid input: ${issues}`, USAGE_EXIT_CODE);
    }
    if (err instanceof TenancyError) throw new CliError(`${err.code}: ${err.message}`, NOT_FOUND_EXIT_CODE);
    throw err;
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}

/** Prints records as JSON (`--json`) or one line each. */
function output<T>(json: boolean | undefined, value: T, lines: (v: T) => string[]): void {
  if (json) say(JSON.stringify(value, null, 2));
  else for (const l of lines(value)) say(l);
}

interface JsonOpt { json?: boolean }

function registerTenant(admin: Command): void {
  const tenant = admin.command('tenant').description('Tenants (hospitals or departments)');
  tenant.command('create')
    .requiredOption('--name <name>', 'display name')
    .option('--id <id>', 'choose the id (default: generated)')
    .option('--delivery-mode <mode>', 'individual | shared')
    .option('--ooo-policy <policy>', 'forward | keep | fail')
    .option('--json', 'print JSON')
    .action((o: JsonOpt & { name: string; id?: string; deliveryMode?: string; oooPolicy?: string }) => withTenancy(async (s) => {
      const t = await s.tenants.create({
        name: o.name,
        ...(o.id ? { id: o.id } : {}),
        ...(o.deliveryMode ? { deliveryMode: o.deliveryMode as 'individual' } : {}),
        ...(o.oooPolicy ? { oooPolicy: o.oooPolicy as 'forward' } : {}),
      });
      output(o.json, t, (v) => [`${v.id}  ${v.name}`]);
    }));
  tenant.command('list').option('--json', 'print JSON').action((o: JsonOpt) => withTenancy(async (s) => {
    output(o.json, await s.tenants.list(), (v) => v.map((t) => `${t.id}  ${t.name}  (${t.deliveryMode}, ooo ${t.oooPolicy})`));
  }));
}

function registerKey(admin: Command): void {
  const key = admin.command('key').description('API keys (shown once, stored hashed)');
  key.command('create')
    .requiredOption('--tenant <id>', 'tenant id')
    .option('--admin', 'also opens the dashboard and admin routes')
    .option('--label <label>', 'what the key is for')
    .option('--json', 'print JSON')
    .action((o: JsonOpt & { tenant: string; admin?: boolean; label?: string }) => withTenancy(async (s) => {
      const created = await s.apiKeys.create(o.tenant, { admin: o.admin === true, ...(o.label ? { label: o.label } : {}) });
      output(o.json, { apiKey: created.apiKey, ...created.record }, (v) => [v.apiKey, `(key ${v.id} of tenant ${v.tenantId}${v.admin ? ', admin' : ''}: store it now, it is not shown again)`]);
    }));
  key.command('list').requiredOption('--tenant <id>', 'tenant id').option('--json', 'print JSON')
    .action((o: JsonOpt & { tenant: string }) => withTenancy(async (s) => {
      await s.tenants.require(o.tenant);
      output(o.json, await s.apiKeys.list(o.tenant), (v) => v.map((k) => `${k.id}  ${k.admin ? 'admin' : 'api  '}  ${k.createdAt}  ${k.label ?? ''}`));
    }));
  key.command('revoke <keyId>').requiredOption('--tenant <id>', 'tenant id')
    .action((keyId: string, o: { tenant: string }) => withTenancy(async (s) => {
      await s.apiKeys.revoke(o.tenant, keyId);
      say(`revoked ${keyId}`);
    }));
}

interface BoxOpts extends JsonOpt {
  tenant: string; keystore: string; passwordEnv?: string; passwordFile?: string; boxId: string; boxType: string; boxSubtype?: string;
  quality: string; stsQuality?: string; identityType: string; identityId: string; label?: string;
}

function registerBox(admin: Command): void {
  const box = admin.command('box').description("Sender boxes (keystore + password reference + ehBox address)");
  box.command('add')
    .requiredOption('--tenant <id>', 'tenant id')
    .requiredOption('--keystore <path>', 'eHealth PKCS#12 keystore')
    .option('--password-env <VAR>', 'environment variable holding the keystore password')
    .option('--password-file <file>', 'file holding the keystore password')
    .requiredOption('--box-id <id>', 'ehBox id (digits)')
    .requiredOption('--box-type <type>', 'INSS | NIHII | CBE | EHP')
    .option('--box-subtype <subtype>', 'e.g. HOSPITAL')
    .requiredOption('--quality <quality>', 'ehBox quality, e.g. HOSPITAL or DOCTOR')
    .option('--sts-quality <quality>', 'STS quality (default: the ehBox quality in lower case)')
    .requiredOption('--identity-type <type>', 'certificate identity, ETK Depot spelling (e.g. NIHII-HOSPITAL)')
    .requiredOption('--identity-id <id>', 'certificate identity value')
    .option('--label <label>', 'display name')
    .option('--json', 'print JSON')
    .action((o: BoxOpts) => withTenancy(async (s) => {
      if ((o.passwordEnv === undefined) === (o.passwordFile === undefined)) throw new CliError('give exactly one of --password-env and --password-file', USAGE_EXIT_CODE);
      const created = await s.boxes.create(o.tenant, {
        keystorePath: o.keystore,
        passwordRef: o.passwordEnv !== undefined ? { env: o.passwordEnv } : { file: o.passwordFile! },
        box: { id: o.boxId, type: o.boxType.toUpperCase() as 'NIHII', quality: o.quality, ...(o.boxSubtype ? { subType: o.boxSubtype.toUpperCase() } : {}) },
        quality: o.stsQuality ?? o.quality.toLowerCase(),
        identityType: o.identityType,
        identityId: o.identityId,
        ...(o.label ? { label: o.label } : {}),
      });
      output(o.json, created, (v) => [`${v.id}  ${v.box.type}${v.box.subType ? '/' + v.box.subType : ''}:${v.box.id}:${v.box.quality}`]);
    }));
  box.command('list').requiredOption('--tenant <id>', 'tenant id').option('--json', 'print JSON')
    .action((o: JsonOpt & { tenant: string }) => withTenancy(async (s) => {
      await s.tenants.require(o.tenant);
      output(o.json, await s.boxes.list(o.tenant), (v) => v.map((b) => `${b.id}  ${b.box.type}${b.box.subType ? '/' + b.box.subType : ''}:${b.box.id}:${b.box.quality}  ${b.label ?? ''}`));
    }));
}

function registerGroup(admin: Command): void {
  const group = admin.command('group').description('Groups (distribution lists)');
  group.command('create')
    .requiredOption('--tenant <id>', 'tenant id')
    .requiredOption('--name <name>', 'group name')
    .option('--member <TYPE:ID:QUALITY>', 'member (repeatable)', collect, [])
    .option('--json', 'print JSON')
    .action((o: JsonOpt & { tenant: string; name: string; member: string[] }) => withTenancy(async (s) => {
      const g = await s.groups.create(o.tenant, { name: o.name, members: o.member.map(parseRecipient) });
      output(o.json, g, (v) => [`${v.id}  ${v.name}  (${v.members.length} members)`]);
    }));
  group.command('list').requiredOption('--tenant <id>', 'tenant id').option('--json', 'print JSON')
    .action((o: JsonOpt & { tenant: string }) => withTenancy(async (s) => {
      await s.tenants.require(o.tenant);
      output(o.json, await s.groups.list(o.tenant), (v) => v.map((g) => `${g.id}  ${g.name}  (${g.members.length} members)`));
    }));
  group.command('delete <groupId>').requiredOption('--tenant <id>', 'tenant id')
    .action((groupId: string, o: { tenant: string }) => withTenancy(async (s) => {
      await s.groups.delete(o.tenant, groupId);
      say(`deleted ${groupId}`);
    }));
}

/** Registers `admin tenant|key|box|group`. */
export function registerAdminCommands(program: Command): void {
  const admin = program.command('admin').description('Manage tenants, API keys, sender boxes and groups (direct on Redis: REDIS_URL, REDIS_PREFIX)');
  registerTenant(admin);
  registerKey(admin);
  registerBox(admin);
  registerGroup(admin);
}
