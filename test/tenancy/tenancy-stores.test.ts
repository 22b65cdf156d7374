import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { generateNihii, generateSsin } from '../../src/common/identifiers.ts';
import { createDrbg } from '../../src/crypto/drbg.ts';
import { createRedis } from '../../src/storage/redis.ts';
import { StorageError } from '../../src/storage/storage-error.ts';
import { generateApiKey, hashApiKey } from '../../src/tenancy/api-key-store.ts';
import { MAX_GROUP_MEMBERS } from '../../src/tenancy/group-store.ts';
import type { SenderBoxInput } from '../../src/tenancy/sender-box-store.ts';
import { createTenancyStores, type TenancyStores } from '../../src/tenancy/tenancy.ts';
import { TenancyError } from '../../src/tenancy/tenancy-error.ts';
import { createTestRedis, type TestRedis } from '../helpers/redis.ts';

const rng = createDrbg('tenancy-store-tests');
const hospitalNihii = generateNihii(rng);
const doctorNihii = generateNihii(rng);
const nurseSsin = generateSsin(rng);

let t: TestRedis;
let s: TenancyStores;

beforeAll(async () => {
  t = await createTestRedis('tenancy');
  s = createTenancyStores(t.redis, t.prefix);
});
afterAll(async () => { await t.cleanup(); });

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(TenancyError);
  return (err as TenancyError).code;
}

function boxInput(overrides: Partial<SenderBoxInput> = {}): SenderBoxInput {
  return {
    keystorePath: '/secrets/hospital.p12',
    passwordRef: { env: 'HOSPITAL_KEYSTORE_PASSWORD' },
    box: { id: hospitalNihii, type: 'NIHII', subType: 'HOSPITAL', quality: 'HOSPITAL' },
    quality: 'hospital',
    identityType: 'NIHII-HOSPITAL',
    identityId: hospitalNihii,
    ...overrides,
  };
}

const doctor = { type: 'NIHII', id: doctorNihii, quality: 'DOCTOR' };
const nurse = { type: 'SSIN', id: nurseSsin, quality: 'NURSE' };

describe('tenants', () => {
  it('creates with defaults, refuses a taken id, updates and lists', async () => {
    const created = await s.tenants.create({ id: 'az-fictief', name: 'AZ Fictief' });
    expect(created).toMatchObject({
      id: 'az-fictief', name: 'AZ Fictief', oooPolicy: 'forward', inboxPolicy: 'bin', deliveryMode: 'individual',
      notifyRecipients: false, staffEmails: [],
    });
    expect(created.webhook).toBeUndefined();
    expect(await codeOf(s.tenants.create({ id: 'az-fictief', name: 'Again' }))).toBe('TENANT_EXISTS');
    const updated = await s.tenants.update('az-fictief', {
      oooPolicy: 'keep', webhook: { url: 'https://engine.example.test/hook', secret: 'a-webhook-secret-of-32-chars-xxx' },
      staffEmails: ['ward3@hospital.example.test'],
    });
    expect(updated).toMatchObject({ oooPolicy: 'keep', name: 'AZ Fictief', staffEmails: ['ward3@hospital.example.test'] });
    expect((await s.tenants.get('az-fictief'))!.webhook?.url).toBe('https://engine.example.test/hook');
    expect((await s.tenants.update('az-fictief', { webhook: null })).webhook).toBeUndefined();
    const generated = await s.tenants.create({ name: 'Generated id' });
    expect(generated.id).toMatch(/^tnt_[0-9a-f]{20}$/);
    expect((await s.tenants.list()).map((x) => x.id)).toEqual(['az-fictief', generated.id]);
  });

  it('refuses invalid input with a ZodError naming the field', async () => {
    const err = await s.tenants.create({ name: 'X', oooPolicy: 'ignore' as 'keep' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ZodError);
    expect((err as ZodError).issues[0]!.path).toEqual(['oooPolicy']);
    await expect(s.tenants.create({ name: 'X', webhook: { url: 'https://x.test', secret: 'short' } })).rejects.toBeInstanceOf(ZodError);
    await expect(s.tenants.create({ name: 'X', id: 'bad:id' })).rejects.toBeInstanceOf(ZodError);
    expect(await codeOf(s.tenants.update('no-such-tenant', { name: 'Y' }))).toBe('TENANT_NOT_FOUND');
    expect(await s.tenants.get('bad:id*')).toBeUndefined();
  });

  it('reports a corrupted record as RECORD_CORRUPT', async () => {
    await s.tenants.create({ id: 'corrupt', name: 'Corrupt' });
    await t.redis.set(`${t.prefix}tenant:corrupt`, '{"id":"corrupt"}');
    expect(await codeOf(s.tenants.get('corrupt'))).toBe('RECORD_CORRUPT');
    await s.tenants.delete('corrupt');
  });
});

describe('API keys', () => {
  it('authenticates by hash and keeps the raw key out of Redis', async () => {
    await s.tenants.create({ id: 'keys-a', name: 'Keys A' });
    const { apiKey, record } = await s.apiKeys.create('keys-a', { label: 'integration engine' });
    expect(apiKey).toMatch(/^ehb_[A-Za-z0-9_-]{43}$/);
    expect(await s.apiKeys.authenticate(apiKey)).toEqual(record);
    expect(record).toMatchObject({ tenantId: 'keys-a', admin: false, label: 'integration engine' });
    expect(await s.apiKeys.authenticate(generateApiKey())).toBeUndefined();
    expect(await s.apiKeys.authenticate(apiKey.slice(0, -1))).toBeUndefined();
    expect(await s.apiKeys.authenticate('')).toBeUndefined();

    const secretPart = apiKey.slice(4);
    let sawHash = false;
    for (const key of await t.keys()) {
      expect(key).not.toContain(secretPart);
      const type = await t.redis.type(key);
      const values = type === 'string' ? [await t.redis.get(key)]
        : type === 'set' ? await t.redis.smembers(key) : await t.redis.zrange(key, '0', '-1');
      for (const v of values) expect(v ?? '').not.toContain(secretPart);
      sawHash ||= key.endsWith(hashApiKey(apiKey).toString('hex'));
    }
    expect(sawHash).toBe(true);
  });

  it('lists and revokes only the tenant\'s own keys', async () => {
    await s.tenants.create({ id: 'keys-b', name: 'Keys B' });
    const a2 = await s.apiKeys.create('keys-a', { admin: true });
    const b1 = await s.apiKeys.create('keys-b');
    expect(a2.record.admin).toBe(true);
    expect((await s.apiKeys.list('keys-a')).map((k) => k.id)).toContain(a2.record.id);
    expect((await s.apiKeys.list('keys-a')).map((k) => k.id)).not.toContain(b1.record.id);
    expect(await codeOf(s.apiKeys.revoke('keys-a', b1.record.id))).toBe('API_KEY_NOT_FOUND');
    expect(await s.apiKeys.authenticate(b1.apiKey)).toBeDefined();
    await s.apiKeys.revoke('keys-b', b1.record.id);
    expect(await s.apiKeys.authenticate(b1.apiKey)).toBeUndefined();
    expect(await s.apiKeys.list('keys-b')).toEqual([]);
    expect(await codeOf(s.apiKeys.create('no-such-tenant'))).toBe('TENANT_NOT_FOUND');
  });
});

describe('sender boxes', () => {
  it('stores the password reference only, and validates the box', async () => {
    await s.tenants.create({ id: 'boxes-a', name: 'Boxes A' });
    const box = await s.boxes.create('boxes-a', boxInput({ id: 'main', label: 'Main box' }));
    expect(box).toMatchObject({ id: 'main', tenantId: 'boxes-a', passwordRef: { env: 'HOSPITAL_KEYSTORE_PASSWORD' }, quality: 'hospital' });
    expect(await s.boxes.get('boxes-a', 'main')).toEqual(box);
    await expect(s.boxes.create('boxes-a', { ...boxInput(), password: 'plain' } as SenderBoxInput)).rejects.toBeInstanceOf(ZodError);
    const badId = generateNihii(rng).slice(0, 6) + '00';
    await expect(s.boxes.create('boxes-a', boxInput({ box: { id: badId, type: 'NIHII', subType: 'HOSPITAL', quality: 'HOSPITAL' } })))
      .rejects.toBeInstanceOf(ZodError);
    await expect(s.boxes.create('boxes-a', boxInput({ quality: 'astronaut' }))).rejects.toBeInstanceOf(ZodError);
    await expect(s.boxes.create('boxes-a', boxInput({ box: { id: hospitalNihii, type: 'NIHII', subType: 'HOSPITAL', quality: 'DOCTOR' } })))
      .rejects.toBeInstanceOf(ZodError);
    expect(await codeOf(s.boxes.create('boxes-a', boxInput({ id: 'main' })))).toBe('BOX_EXISTS');
    expect(await codeOf(s.boxes.create('no-such-tenant', boxInput()))).toBe('TENANT_NOT_FOUND');
    const replaced = await s.boxes.replace('boxes-a', 'main', boxInput({ passwordRef: { file: '/run/secrets/pw' } }));
    expect(replaced).toMatchObject({ id: 'main', createdAt: box.createdAt, passwordRef: { file: '/run/secrets/pw' } });
  });
});

describe('groups', () => {
  it('creates, lists, replaces and deletes, validating members', async () => {
    await s.tenants.create({ id: 'groups-a', name: 'Groups A' });
    const group = await s.groups.create('groups-a', {
      name: 'Ward 3 nurses', members: [nurse, doctor, { search: { kind: 'professional', lastName: 'Janssens', zipCode: '2000' } }],
    });
    expect(group.id).toMatch(/^grp_/);
    expect(group.members).toHaveLength(3);
    expect(await s.groups.require('groups-a', group.id)).toEqual(group);
    const replaced = await s.groups.replace('groups-a', group.id, { name: 'Ward 3', members: [nurse] });
    expect(replaced).toMatchObject({ name: 'Ward 3', members: [nurse], createdAt: group.createdAt });
    expect((await s.groups.list('groups-a')).map((g) => g.id)).toEqual([group.id]);
    await s.groups.delete('groups-a', group.id);
    expect(await s.groups.get('groups-a', group.id)).toBeUndefined();
    expect(await codeOf(s.groups.delete('groups-a', group.id))).toBe('GROUP_NOT_FOUND');
  });

  it('refuses bad check digits, duplicates and oversized groups', async () => {
    const bad = { ...doctor, id: doctorNihii.slice(0, 6) + String((Number(doctorNihii.slice(6)) + 1) % 100).padStart(2, '0') };
    const err = await s.groups.create('groups-a', { name: 'Bad', members: [nurse, bad] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ZodError);
    expect((err as ZodError).issues[0]!.path).toEqual(['members', 1, 'id']);
    const dup = await s.groups.create('groups-a', { name: 'Dup', members: [nurse, { ...nurse, quality: 'nurse' }] }).catch((e: unknown) => e);
    expect((dup as ZodError).issues[0]!.path).toEqual(['members', 1]);
    const many = Array.from({ length: MAX_GROUP_MEMBERS + 1 }, () => ({ type: 'NIHII', id: generateNihii(rng), quality: 'NURSE' }));
    await expect(s.groups.create('groups-a', { name: 'Too many', members: many })).rejects.toBeInstanceOf(ZodError);
  });
});

describe('tenant isolation', () => {
  it('never shows, changes or deletes another tenant\'s boxes and groups', async () => {
    await s.tenants.create({ id: 'iso-a', name: 'Iso A' });
    await s.tenants.create({ id: 'iso-b', name: 'Iso B' });
    const boxA = await s.boxes.create('iso-a', boxInput());
    const groupA = await s.groups.create('iso-a', { name: 'A only', members: [doctor] });
    expect(await s.boxes.get('iso-b', boxA.id)).toBeUndefined();
    expect(await s.groups.get('iso-b', groupA.id)).toBeUndefined();
    expect(await s.boxes.list('iso-b')).toEqual([]);
    expect(await s.groups.list('iso-b')).toEqual([]);
    expect(await codeOf(s.boxes.require('iso-b', boxA.id))).toBe('BOX_NOT_FOUND');
    expect(await codeOf(s.groups.require('iso-b', groupA.id))).toBe('GROUP_NOT_FOUND');
    expect(await codeOf(s.boxes.replace('iso-b', boxA.id, boxInput()))).toBe('BOX_NOT_FOUND');
    expect(await codeOf(s.groups.replace('iso-b', groupA.id, { name: 'hijack', members: [nurse] }))).toBe('GROUP_NOT_FOUND');
    expect(await codeOf(s.boxes.delete('iso-b', boxA.id))).toBe('BOX_NOT_FOUND');
    expect(await codeOf(s.groups.delete('iso-b', groupA.id))).toBe('GROUP_NOT_FOUND');
    expect(await s.groups.get('iso-a', groupA.id)).toEqual(groupA);
    expect(await s.boxes.get('iso-a', boxA.id)).toEqual(boxA);
  });

  it('deleting a tenant removes its keys, boxes and groups and nothing else', async () => {
    await s.tenants.create({ id: 'gone', name: 'Gone' });
    const key = await s.apiKeys.create('gone');
    await s.boxes.create('gone', boxInput());
    await s.groups.create('gone', { name: 'G', members: [doctor] });
    const before = await t.keys();
    expect(await s.tenants.delete('gone')).toBe(true);
    expect(await s.apiKeys.authenticate(key.apiKey)).toBeUndefined();
    const after = await t.keys();
    expect(after.filter((k) => k.includes(':gone'))).toEqual([]);
    expect(after.some((k) => k.includes(hashApiKey(key.apiKey).toString('hex')))).toBe(false);
    expect(before.filter((k) => !k.includes(':gone') && !k.includes(':apikey')).every((k) => after.includes(k))).toBe(true);
    expect(await s.tenants.get('gone')).toBeUndefined();
    expect(await s.tenants.delete('gone')).toBe(false);
    expect(await s.boxes.list('iso-a')).toHaveLength(1);
  });
});

describe('Redis down', () => {
  it('stores answer STORE_UNAVAILABLE', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const down = createRedis({ REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_PREFIX: 'x:', REDIS_COMMAND_TIMEOUT_MS: 1000 });
    try {
      const stores = createTenancyStores(down, 'x:');
      for (const attempt of [stores.tenants.get('a'), stores.apiKeys.authenticate(generateApiKey()), stores.groups.list('a')]) {
        const err = await attempt.then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(StorageError);
        expect((err as StorageError).code).toBe('STORE_UNAVAILABLE');
      }
    } finally {
      down.disconnect();
    }
  });
});
