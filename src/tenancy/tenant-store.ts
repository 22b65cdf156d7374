/**
 * Tenants: the hospitals (or departments) sharing one gateway. A tenant owns
 * API keys, sender boxes, groups and messages, and carries the policies the
 * workers follow (Out-of-Office handling, inbox clean-up, delivery mode,
 * webhook, e-mail notification).
 */
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { withRedis } from '../storage/redis.ts';
import { entityIdSchema } from './recipient-ref.ts';
import { TenancyError } from './tenancy-error.ts';
import { isEntityId, newId, parseRecord, parseRecords, type TenancyKeys } from './tenancy-keys.ts';

/** What to do when a recipient answers with Out-of-Office (ehBox 826). */
export const OOO_POLICIES = ['forward', 'keep', 'fail'] as const;
/** What to do with an inbound message once it is stored: move it to BININBOX or delete it. */
export const INBOX_POLICIES = ['bin', 'delete'] as const;
/** One publication per recipient, or one for all. */
export const DELIVERY_MODES = ['individual', 'shared'] as const;
/** Staff addresses notified of new inbound mail, per tenant. */
const MAX_STAFF_EMAILS = 100;
/** HMAC keys shorter than this are guessable. */
const MIN_WEBHOOK_SECRET = 16;

/** A tenant's webhook: where status events go, and the HMAC-SHA256 key that signs them. */
export const webhookSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/ }),
  secret: z.string().min(MIN_WEBHOOK_SECRET).max(256),
});

const policyFields = {
  oooPolicy: z.enum(OOO_POLICIES),
  inboxPolicy: z.enum(INBOX_POLICIES),
  deliveryMode: z.enum(DELIVERY_MODES),
  webhook: webhookSchema.optional(),
  notifyRecipients: z.boolean(),
  staffEmails: z.array(z.email()).max(MAX_STAFF_EMAILS),
};

/** A tenant as stored and returned. */
export const tenantSchema = z.object({
  id: entityIdSchema,
  name: z.string(),
  createdAt: z.iso.datetime(),
  ...policyFields,
});
/** A tenant. */
export type Tenant = z.output<typeof tenantSchema>;

/** What creating a tenant takes (policies default to forward / bin / individual / no notification). */
export const tenantInputSchema = z.strictObject({
  id: entityIdSchema.optional(),
  name: z.string().trim().min(1).max(200),
  oooPolicy: policyFields.oooPolicy.default('forward'),
  inboxPolicy: policyFields.inboxPolicy.default('bin'),
  deliveryMode: policyFields.deliveryMode.default('individual'),
  webhook: webhookSchema.optional(),
  notifyRecipients: policyFields.notifyRecipients.default(false),
  staffEmails: policyFields.staffEmails.default([]),
});
/** Input of TenantStore.create. */
export type TenantInput = z.input<typeof tenantInputSchema>;

/** A partial update; `webhook: null` removes the webhook. */
export const tenantPatchSchema = z.strictObject({
  name: tenantInputSchema.shape.name.optional(),
  oooPolicy: policyFields.oooPolicy.optional(),
  inboxPolicy: policyFields.inboxPolicy.optional(),
  deliveryMode: policyFields.deliveryMode.optional(),
  webhook: webhookSchema.nullable().optional(),
  notifyRecipients: policyFields.notifyRecipients.optional(),
  staffEmails: policyFields.staffEmails.optional(),
});
/** Input of TenantStore.update. */
export type TenantPatch = z.input<typeof tenantPatchSchema>;

/** Tenants in Redis. Invalid input raises a ZodError (the API answers 422). */
export class TenantStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: TenancyKeys,
  ) {}

  /** Creates a tenant (TENANT_EXISTS when the chosen id is taken). */
  async create(input: TenantInput, now = new Date()): Promise<Tenant> {
    const { id, ...fields } = tenantInputSchema.parse(input);
    const tenant: Tenant = { id: id ?? newId('tnt'), createdAt: now.toISOString(), ...fields };
    const results = await withRedis(() => this.redis.multi()
      .set(this.keys.tenant(tenant.id), JSON.stringify(tenant), 'NX')
      .zadd(this.keys.tenants(), 'NX', now.getTime(), tenant.id)
      .exec());
    if (results?.[0]?.[1] !== 'OK') throw new TenancyError('TENANT_EXISTS', `tenant ${tenant.id} already exists`);
    return tenant;
  }

  /** The tenant, or undefined. */
  async get(id: string): Promise<Tenant | undefined> {
    if (!isEntityId(id)) return undefined;
    const raw = await withRedis(() => this.redis.get(this.keys.tenant(id)));
    return raw === null ? undefined : parseRecord(tenantSchema, raw, 'tenant');
  }

  /** The tenant, or TENANT_NOT_FOUND. */
  async require(id: string): Promise<Tenant> {
    const tenant = await this.get(id);
    if (!tenant) throw new TenancyError('TENANT_NOT_FOUND', 'tenant not found');
    return tenant;
  }

  /** Every tenant, oldest first (admin and schedulers). */
  async list(): Promise<Tenant[]> {
    const ids = await withRedis(() => this.redis.zrange(this.keys.tenants(), '0', '-1'));
    if (ids.length === 0) return [];
    const raws = await withRedis(() => this.redis.mget(ids.map((id) => this.keys.tenant(id))));
    return parseRecords(tenantSchema, raws, 'tenant');
  }

  /** Applies a partial update (last write wins: tenant settings are changed by administrators, rarely). */
  async update(id: string, patch: TenantPatch): Promise<Tenant> {
    const changes = tenantPatchSchema.parse(patch);
    const current = await this.require(id);
    const { webhook, ...rest } = changes;
    const next: Tenant = { ...current, ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) };
    if (webhook === null) delete next.webhook;
    else if (webhook !== undefined) next.webhook = webhook;
    const ok = await withRedis(() => this.redis.set(this.keys.tenant(id), JSON.stringify(next), 'XX'));
    if (ok === null) throw new TenancyError('TENANT_NOT_FOUND', 'tenant not found');
    return next;
  }

  /** Deletes the tenant with its API keys, sender boxes and groups; false when it did not exist. */
  async delete(id: string): Promise<boolean> {
    if (!isEntityId(id)) return false;
    const [keyIds, boxIds, groupIds] = await withRedis(() => Promise.all([
      this.redis.smembers(this.keys.tenantKeys(id)),
      this.redis.zrange(this.keys.boxes(id), '0', '-1'),
      this.redis.zrange(this.keys.groups(id), '0', '-1'),
    ]));
    const hashes = keyIds.length === 0 ? [] : await withRedis(() => this.redis.mget(keyIds.map((k) => this.keys.apiKeyById(k))));
    const doomed = [
      this.keys.tenantKeys(id), this.keys.boxes(id), this.keys.groups(id),
      ...keyIds.map((k) => this.keys.apiKeyById(k)),
      ...hashes.filter((h): h is string => h !== null).map((h) => this.keys.apiKeyByHash(h)),
      ...boxIds.map((b) => this.keys.box(id, b)),
      ...groupIds.map((g) => this.keys.group(id, g)),
    ];
    const results = await withRedis(() => this.redis.multi()
      .del(this.keys.tenant(id))
      .zrem(this.keys.tenants(), id)
      .del(...doomed)
      .exec());
    return results?.[0]?.[1] === 1;
  }
}
