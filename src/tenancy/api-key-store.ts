/**
 * API keys: `ehb_<base64url of 32 random bytes>`, shown once at creation and
 * stored only as their SHA-256 hash, which is also the lookup key (one GET per
 * request). A key belongs to one tenant; an `admin` key also opens the admin
 * routes. Keys have 256 bits of entropy, so an unsalted hash is enough.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { withRedis } from '../storage/redis.ts';
import { entityIdSchema } from './recipient-ref.ts';
import { TenancyError } from './tenancy-error.ts';
import { isEntityId, newId, parseRecord, parseRecords, type TenancyKeys } from './tenancy-keys.ts';

/** Marks the string as an ehbox-bridge key (secret scanners, humans). */
export const API_KEY_PREFIX = 'ehb_';
/** 256 bits of entropy. */
const API_KEY_BYTES = 32;
/** `ehb_` + 43 base64url characters (32 bytes without padding). */
const API_KEY_PATTERN = /^ehb_[A-Za-z0-9_-]{43}$/;

/** An API key as returned to callers (never the key itself, never its hash). */
export const apiKeyRecordSchema = z.object({
  id: entityIdSchema,
  tenantId: entityIdSchema,
  admin: z.boolean(),
  label: z.string().optional(),
  createdAt: z.iso.datetime(),
});
/** Public data of an API key. */
export type ApiKeyRecord = z.output<typeof apiKeyRecordSchema>;

const storedKeySchema = apiKeyRecordSchema.extend({ hash: z.string().regex(/^[0-9a-f]{64}$/) });

/** Options of a new key. */
export const apiKeyInputSchema = z.strictObject({
  admin: z.boolean().default(false),
  label: z.string().trim().min(1).max(100).optional(),
});
/** Input of ApiKeyStore.create. */
export type ApiKeyInput = z.input<typeof apiKeyInputSchema>;

/** A fresh random API key. */
export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBytes(API_KEY_BYTES).toString('base64url');
}

/** True when `raw` has the shape of an API key (checked before any Redis call). */
export function looksLikeApiKey(raw: string): boolean {
  return API_KEY_PATTERN.test(raw);
}

/** SHA-256 of the key. */
export function hashApiKey(raw: string): Buffer {
  return createHash('sha256').update(raw, 'utf8').digest();
}

function publicRecord(stored: z.output<typeof storedKeySchema>): ApiKeyRecord {
  const { hash: _hash, ...record } = stored;
  return record;
}

/** API keys in Redis. */
export class ApiKeyStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: TenancyKeys,
  ) {}

  /** Creates a key for the tenant; the returned `apiKey` is the only copy of the secret. */
  async create(tenantId: string, input: ApiKeyInput = {}, now = new Date()): Promise<{ apiKey: string; record: ApiKeyRecord }> {
    const options = apiKeyInputSchema.parse(input);
    if (!isEntityId(tenantId) || (await withRedis(() => this.redis.exists(this.keys.tenant(tenantId)))) === 0) {
      throw new TenancyError('TENANT_NOT_FOUND', 'tenant not found');
    }
    const apiKey = generateApiKey();
    const hash = hashApiKey(apiKey).toString('hex');
    const record: ApiKeyRecord = { id: newId('key'), tenantId, admin: options.admin, createdAt: now.toISOString() };
    if (options.label !== undefined) record.label = options.label;
    await withRedis(() => this.redis.multi()
      .set(this.keys.apiKeyByHash(hash), JSON.stringify({ ...record, hash }), 'NX')
      .set(this.keys.apiKeyById(record.id), hash, 'NX')
      .sadd(this.keys.tenantKeys(tenantId), record.id)
      .exec());
    return { apiKey, record };
  }

  /** The key's record when `raw` is a valid, unrevoked key; undefined otherwise. */
  async authenticate(raw: string): Promise<ApiKeyRecord | undefined> {
    if (!looksLikeApiKey(raw)) return undefined;
    const hash = hashApiKey(raw);
    const stored = await withRedis(() => this.redis.get(this.keys.apiKeyByHash(hash.toString('hex'))));
    if (stored === null) return undefined;
    const record = parseRecord(storedKeySchema, stored, 'API key');
    // The lookup already matched the hash; compare again in constant time so a corrupted index cannot grant access.
    return timingSafeEqual(Buffer.from(record.hash, 'hex'), hash) ? publicRecord(record) : undefined;
  }

  /** The tenant's keys, oldest first. */
  async list(tenantId: string): Promise<ApiKeyRecord[]> {
    const stored = await this.storedKeys(tenantId);
    return stored.map(publicRecord).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Revokes one of the tenant's keys; API_KEY_NOT_FOUND for unknown ids and other tenants' keys. */
  async revoke(tenantId: string, keyId: string): Promise<void> {
    const hash = isEntityId(tenantId) && isEntityId(keyId) ? await withRedis(() => this.redis.get(this.keys.apiKeyById(keyId))) : null;
    const raw = hash === null ? null : await withRedis(() => this.redis.get(this.keys.apiKeyByHash(hash)));
    const record = raw === null ? undefined : parseRecord(storedKeySchema, raw, 'API key');
    if (!record || record.tenantId !== tenantId || hash === null) throw new TenancyError('API_KEY_NOT_FOUND', 'API key not found');
    await withRedis(() => this.redis.multi()
      .del(this.keys.apiKeyByHash(hash), this.keys.apiKeyById(keyId))
      .srem(this.keys.tenantKeys(tenantId), keyId)
      .exec());
  }

  private async storedKeys(tenantId: string): Promise<z.output<typeof storedKeySchema>[]> {
    if (!isEntityId(tenantId)) return [];
    const ids = await withRedis(() => this.redis.smembers(this.keys.tenantKeys(tenantId)));
    if (ids.length === 0) return [];
    const hashes = await withRedis(() => this.redis.mget(ids.map((id) => this.keys.apiKeyById(id))));
    const present = hashes.filter((h): h is string => h !== null);
    if (present.length === 0) return [];
    const raws = await withRedis(() => this.redis.mget(present.map((h) => this.keys.apiKeyByHash(h))));
    return parseRecords(storedKeySchema, raws, 'API key').filter((r) => r.tenantId === tenantId);
  }
}
