/**
 * The tenancy stores built together on one Redis connection and prefix, as
 * the composition root and the tests need them.
 */
import type { Redis } from 'ioredis';
import { ApiKeyStore } from './api-key-store.ts';
import { GroupStore } from './group-store.ts';
import { SenderBoxStore } from './sender-box-store.ts';
import { TenancyKeys } from './tenancy-keys.ts';
import { TenantStore } from './tenant-store.ts';

/** All tenancy stores. */
export interface TenancyStores {
  tenants: TenantStore;
  apiKeys: ApiKeyStore;
  boxes: SenderBoxStore;
  groups: GroupStore;
}

/** Builds the stores over `redis` (a `command` connection) with keys under `prefix` (REDIS_PREFIX). */
export function createTenancyStores(redis: Redis, prefix: string): TenancyStores {
  const keys = new TenancyKeys(prefix);
  return {
    tenants: new TenantStore(redis, keys),
    apiKeys: new ApiKeyStore(redis, keys),
    boxes: new SenderBoxStore(redis, keys),
    groups: new GroupStore(redis, keys),
  };
}
