/**
 * `admin tenant|key|box|group` on a real Redis namespace (REDIS_URL and
 * REDIS_PREFIX from the environment, as an operator runs it): what the
 * commands create is what the stores (and so the API) see.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenancyStores, type TenancyStores } from '../../src/tenancy/tenancy.ts';
import { createTestRedis, type TestRedis } from '../helpers/redis.ts';
import { runCli } from '../ui/gateway-harness.ts';

let redis: TestRedis;
let stores: TenancyStores;
const saved = { REDIS_URL: process.env.REDIS_URL, REDIS_PREFIX: process.env.REDIS_PREFIX };

beforeAll(async () => {
  redis = await createTestRedis('admin-cli');
  stores = createTenancyStores(redis.redis, redis.prefix);
  process.env.REDIS_URL = redis.settings.REDIS_URL;
  process.env.REDIS_PREFIX = redis.prefix;
});
afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) Reflect.deleteProperty(process.env, k);
    else process.env[k] = v;
  }
  await redis?.cleanup();
});

async function json<T>(args: string[]): Promise<T> {
  const r = await runCli(['admin', ...args, '--json']);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.out) as T;
}

describe('admin CLI', () => {
  it('creates and lists tenants', async () => {
    const t = await json<{ id: string; name: string; deliveryMode: string }>(['tenant', 'create', '--name', 'General Hospital (fictitious)', '--delivery-mode', 'shared']);
    expect(await stores.tenants.get(t.id)).toMatchObject({ name: 'General Hospital (fictitious)', deliveryMode: 'shared' });
    const list = await json<{ id: string }[]>(['tenant', 'list']);
    expect(list.map((x) => x.id)).toContain(t.id);
    const plain = await runCli(['admin', 'tenant', 'list']);
    expect(plain.out).toContain(`${t.id}  General Hospital (fictitious)`);
  });

  it('creates an admin key that authenticates, lists it without the secret, and revokes it', async () => {
    const t = await stores.tenants.create({ name: 'Key tenant' });
    const k = await json<{ apiKey: string; id: string; admin: boolean }>(['key', 'create', '--tenant', t.id, '--admin', '--label', 'dashboard']);
    expect(k.admin).toBe(true);
    expect(await stores.apiKeys.authenticate(k.apiKey)).toMatchObject({ id: k.id, tenantId: t.id, admin: true });
    const list = await runCli(['admin', 'key', 'list', '--tenant', t.id]);
    expect(list.out).toContain(k.id);
    expect(list.out).not.toContain(k.apiKey);
    const revoke = await runCli(['admin', 'key', 'revoke', k.id, '--tenant', t.id]);
    expect(revoke.code).toBe(0);
    expect(await stores.apiKeys.authenticate(k.apiKey)).toBeUndefined();
    const again = await runCli(['admin', 'key', 'revoke', k.id, '--tenant', t.id]);
    expect(again.code).toBe(1);
    expect(again.err).toContain('API_KEY_NOT_FOUND');
  });

  it('adds a sender box with a password reference (never a password) and refuses bad input', async () => {
    const t = await stores.tenants.create({ name: 'Box tenant' });
    const nihii = '71000436';
    const box = await json<{ id: string; passwordRef: unknown; box: { id: string } }>([
      'box', 'add', '--tenant', t.id, '--keystore', '/secrets/hospital.p12', '--password-env', 'HOSPITAL_P12_PASSWORD',
      '--box-id', nihii, '--box-type', 'NIHII', '--box-subtype', 'HOSPITAL', '--quality', 'HOSPITAL',
      '--identity-type', 'NIHII-HOSPITAL', '--identity-id', nihii,
    ]);
    expect(box.passwordRef).toEqual({ env: 'HOSPITAL_P12_PASSWORD' });
    expect((await stores.boxes.require(t.id, box.id)).box).toMatchObject({ id: nihii, type: 'NIHII', subType: 'HOSPITAL' });
    expect((await json<unknown[]>(['box', 'list', '--tenant', t.id])).length).toBe(1);

    const bad = await runCli(['admin', 'box', 'add', '--tenant', t.id, '--keystore', 'k.p12', '--password-file', 'pw',
      '--box-id', '71000437', '--box-type', 'NIHII', '--box-subtype', 'HOSPITAL', '--quality', 'HOSPITAL', '--identity-type', 'NIHII-HOSPITAL', '--identity-id', nihii]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('box.id');
    const both = await runCli(['admin', 'box', 'add', '--tenant', t.id, '--keystore', 'k.p12', '--password-file', 'pw', '--password-env', 'X',
      '--box-id', nihii, '--box-type', 'NIHII', '--quality', 'HOSPITAL', '--identity-type', 'NIHII-HOSPITAL', '--identity-id', nihii]);
    expect(both.code).toBe(2);
  });

  it('creates, lists and deletes groups; unknown tenants answer exit 1', async () => {
    const t = await stores.tenants.create({ name: 'Group tenant' });
    const g = await json<{ id: string; members: unknown[] }>(['group', 'create', '--tenant', t.id, '--name', 'Ward 3 nurses', '--member', 'NIHII:10000106:NURSE', '--member', 'NIHII:10000205:NURSE']);
    expect(g.members).toEqual([{ type: 'NIHII', id: '10000106', quality: 'NURSE' }, { type: 'NIHII', id: '10000205', quality: 'NURSE' }]);
    expect((await json<{ id: string }[]>(['group', 'list', '--tenant', t.id])).map((x) => x.id)).toEqual([g.id]);
    expect((await runCli(['admin', 'group', 'delete', g.id, '--tenant', t.id])).code).toBe(0);
    expect(await stores.groups.get(t.id, g.id)).toBeUndefined();
    const missing = await runCli(['admin', 'group', 'list', '--tenant', 'tnt_doesnotexist']);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('TENANT_NOT_FOUND');
  });
});
