/**
 * A tenant-owned collection of JSON records in Redis (sender boxes, groups):
 * one key per record under the tenant, plus a sorted index by creation time.
 * Every operation takes the tenant id and only touches that tenant's keys, so
 * another tenant's record id is simply not found.
 */
import type { Redis } from 'ioredis';
import type { z } from 'zod';
import { withRedis } from '../storage/redis.ts';
import { TenancyError, type TenancyErrorCode } from './tenancy-error.ts';
import { isEntityId, parseRecord, parseRecords, type TenancyKeys } from './tenancy-keys.ts';

/**
 * Atomic "create if the tenant exists and the id is free":
 * KEYS = tenant, record, index; ARGV = json, score, id.
 * Returns -1 (no tenant), 0 (id taken) or 1.
 */
const CREATE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if not redis.call('SET', KEYS[2], ARGV[1], 'NX') then return 0 end
redis.call('ZADD', KEYS[3], 'NX', ARGV[2], ARGV[3])
return 1`;

/** How one kind of record is laid out and named in errors. */
export interface CollectionSpec<S extends z.ZodType> {
  /** Schema of the stored record (re-checked on every read). */
  schema: S;
  what: string;
  notFound: TenancyErrorCode;
  exists?: TenancyErrorCode;
  recordKey(keys: TenancyKeys, tid: string, id: string): string;
  indexKey(keys: TenancyKeys, tid: string): string;
}

/** CRUD of one kind of tenant-owned record. */
export class TenantCollection<S extends z.ZodType<{ id: string; tenantId: string; createdAt: string }>> {
  constructor(
    private readonly redis: Redis,
    private readonly keys: TenancyKeys,
    private readonly spec: CollectionSpec<S>,
  ) {}

  /** Stores a new record; TENANT_NOT_FOUND when the tenant does not exist, `spec.exists` when the id is taken. */
  async create(record: z.output<S>): Promise<z.output<S>> {
    const { tenantId: tid, id } = record;
    const result = await withRedis(() => this.redis.eval(
      CREATE_SCRIPT, 3, this.keys.tenant(tid), this.spec.recordKey(this.keys, tid, id), this.spec.indexKey(this.keys, tid),
      JSON.stringify(record), Date.parse(record.createdAt), id,
    ));
    if (result === -1) throw new TenancyError('TENANT_NOT_FOUND', 'tenant not found');
    if (result === 0) throw new TenancyError(this.spec.exists ?? 'RECORD_CORRUPT', `${this.spec.what} ${id} already exists`);
    return record;
  }

  /** The record, or undefined when it does not exist for this tenant. */
  async get(tid: string, id: string): Promise<z.output<S> | undefined> {
    if (!isEntityId(tid) || !isEntityId(id)) return undefined;
    const raw = await withRedis(() => this.redis.get(this.spec.recordKey(this.keys, tid, id)));
    if (raw === null) return undefined;
    const record = parseRecord(this.spec.schema, raw, this.spec.what);
    return record.tenantId === tid ? record : undefined;
  }

  /** Like get, but throws `spec.notFound`. */
  async require(tid: string, id: string): Promise<z.output<S>> {
    const record = await this.get(tid, id);
    if (!record) throw new TenancyError(this.spec.notFound, `${this.spec.what} not found`);
    return record;
  }

  /** Every record of the tenant, oldest first. */
  async list(tid: string): Promise<z.output<S>[]> {
    if (!isEntityId(tid)) return [];
    const ids = await withRedis(() => this.redis.zrange(this.spec.indexKey(this.keys, tid), '0', '-1'));
    if (ids.length === 0) return [];
    const raws = await withRedis(() => this.redis.mget(ids.map((id) => this.spec.recordKey(this.keys, tid, id))));
    return parseRecords(this.spec.schema, raws, this.spec.what).filter((r) => r.tenantId === tid);
  }

  /** Replaces an existing record (same tenant and id); `spec.notFound` when it does not exist. */
  async replace(record: z.output<S>): Promise<z.output<S>> {
    const { tenantId: tid, id } = record;
    if (!isEntityId(tid) || !isEntityId(id)) throw new TenancyError(this.spec.notFound, `${this.spec.what} not found`);
    const ok = await withRedis(() => this.redis.set(this.spec.recordKey(this.keys, tid, id), JSON.stringify(record), 'XX'));
    if (ok === null) throw new TenancyError(this.spec.notFound, `${this.spec.what} not found`);
    return record;
  }

  /** Removes the record; `spec.notFound` when it does not exist for this tenant. */
  async delete(tid: string, id: string): Promise<void> {
    if (!isEntityId(tid) || !isEntityId(id)) throw new TenancyError(this.spec.notFound, `${this.spec.what} not found`);
    const results = await withRedis(() => this.redis.multi()
      .del(this.spec.recordKey(this.keys, tid, id))
      .zrem(this.spec.indexKey(this.keys, tid), id)
      .exec());
    const removed = results?.[0]?.[1];
    if (removed !== 1) throw new TenancyError(this.spec.notFound, `${this.spec.what} not found`);
  }
}
