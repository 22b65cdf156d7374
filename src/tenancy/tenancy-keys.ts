/**
 * The Redis layout of the tenancy stores, in one place (all under REDIS_PREFIX):
 *
 *   tenants                      zset  tenant id → created (ms)
 *   tenant:<tid>                 JSON  Tenant
 *   tenant:<tid>:keys            set   API key ids of the tenant
 *   tenant:<tid>:boxes           zset  box id → created (ms)
 *   tenant:<tid>:box:<bid>       JSON  SenderBox
 *   tenant:<tid>:groups          zset  group id → created (ms)
 *   tenant:<tid>:group:<gid>     JSON  Group
 *   apikey:<sha256 hex>          JSON  stored API key (looked up by hash: O(1))
 *   apikey-id:<key id>           string  sha256 hex (revocation by id)
 */
import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { redisKey } from '../storage/redis.ts';
import { entityIdSchema } from './recipient-ref.ts';
import { TenancyError } from './tenancy-error.ts';

/** Bytes of randomness in generated ids (80 bits: unguessable and short). */
const ID_RANDOM_BYTES = 10;

/** A fresh id such as `grp_3f9c…`. */
export function newId(kind: 'tnt' | 'box' | 'grp' | 'key'): string {
  return `${kind}_${randomBytes(ID_RANDOM_BYTES).toString('hex')}`;
}

/** True when `id` can be an entity id (anything else is simply not found). */
export function isEntityId(id: string): boolean {
  return entityIdSchema.safeParse(id).success;
}

/** Key builder bound to one prefix. */
export class TenancyKeys {
  constructor(readonly prefix: string) {}

  tenants(): string { return redisKey(this.prefix, 'tenants'); }
  tenant(tid: string): string { return redisKey(this.prefix, 'tenant', tid); }
  tenantKeys(tid: string): string { return redisKey(this.prefix, 'tenant', tid, 'keys'); }
  boxes(tid: string): string { return redisKey(this.prefix, 'tenant', tid, 'boxes'); }
  box(tid: string, bid: string): string { return redisKey(this.prefix, 'tenant', tid, 'box', bid); }
  groups(tid: string): string { return redisKey(this.prefix, 'tenant', tid, 'groups'); }
  group(tid: string, gid: string): string { return redisKey(this.prefix, 'tenant', tid, 'group', gid); }
  apiKeyByHash(hashHex: string): string { return redisKey(this.prefix, 'apikey', hashHex); }
  apiKeyById(kid: string): string { return redisKey(this.prefix, 'apikey-id', kid); }
}

/** Parses a JSON record read back from Redis (data that crossed Redis is untrusted). */
export function parseRecord<T extends z.ZodType>(schema: T, raw: string, what: string): z.output<T> {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    throw new TenancyError('RECORD_CORRUPT', `stored ${what} is not JSON`, { cause: err });
  }
  const result = schema.safeParse(value);
  if (!result.success) throw new TenancyError('RECORD_CORRUPT', `stored ${what} does not match its schema`, { cause: result.error });
  return result.data;
}

/** Parses every non-null record of an MGET, in order. */
export function parseRecords<T extends z.ZodType>(schema: T, raws: (string | null)[], what: string): z.output<T>[] {
  return raws.filter((r): r is string => r !== null).map((r) => parseRecord(schema, r, what));
}
