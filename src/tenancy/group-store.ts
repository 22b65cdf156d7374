/**
 * Groups: a tenant's distribution lists (e.g. the nurses of a ward). Members
 * are recipient references, re-validated on every read; a message to a group
 * is expanded at send time, so edits apply to the next message.
 */
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { entityIdSchema, recipientKey, recipientRefSchema, type RecipientRef } from './recipient-ref.ts';
import { TenantCollection } from './tenant-collection.ts';
import { newId, type TenancyKeys } from './tenancy-keys.ts';

/** Bound on members: twice the 500-recipient mailing the gateway is sized for. */
export const MAX_GROUP_MEMBERS = 1000;

function memberKey(ref: RecipientRef): string {
  return 'search' in ref ? `search:${JSON.stringify(ref.search)}` : recipientKey(ref);
}

/** What creating or replacing a group takes; the same member twice is refused. */
export const groupInputSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  members: z.array(recipientRefSchema).min(1).max(MAX_GROUP_MEMBERS),
}).check((ctx) => {
  const seen = new Map<string, number>();
  ctx.value.members.forEach((member, index) => {
    const key = memberKey(member);
    const first = seen.get(key);
    if (first === undefined) seen.set(key, index);
    else ctx.issues.push({ code: 'custom', continue: true, path: ['members', index], input: member, message: `duplicate of member ${first}` });
  });
});
/** Input of GroupStore.create / replace. */
export type GroupInput = z.input<typeof groupInputSchema>;

/** A group as stored and returned. */
export const groupSchema = z.object({
  id: entityIdSchema,
  tenantId: entityIdSchema,
  name: z.string(),
  members: z.array(recipientRefSchema),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
/** A group. */
export type Group = z.output<typeof groupSchema>;

/** Groups in Redis, per tenant. */
export class GroupStore {
  private readonly collection: TenantCollection<typeof groupSchema>;

  constructor(redis: Redis, keys: TenancyKeys) {
    this.collection = new TenantCollection(redis, keys, {
      schema: groupSchema,
      what: 'group',
      notFound: 'GROUP_NOT_FOUND',
      recordKey: (k, tid, id) => k.group(tid, id),
      indexKey: (k, tid) => k.groups(tid),
    });
  }

  /** Creates a group (TENANT_NOT_FOUND). */
  async create(tenantId: string, input: GroupInput, now = new Date()): Promise<Group> {
    const { name, members } = groupInputSchema.parse(input);
    const at = now.toISOString();
    return this.collection.create({ id: newId('grp'), tenantId, name, members, createdAt: at, updatedAt: at });
  }

  /** The tenant's group, or undefined (also for another tenant's group). */
  get(tenantId: string, groupId: string): Promise<Group | undefined> {
    return this.collection.get(tenantId, groupId);
  }

  /** The tenant's group, or GROUP_NOT_FOUND (what a message to an unknown group answers). */
  require(tenantId: string, groupId: string): Promise<Group> {
    return this.collection.require(tenantId, groupId);
  }

  /** The tenant's groups, oldest first. */
  list(tenantId: string): Promise<Group[]> {
    return this.collection.list(tenantId);
  }

  /** Replaces name and members (PUT). */
  async replace(tenantId: string, groupId: string, input: GroupInput, now = new Date()): Promise<Group> {
    const { name, members } = groupInputSchema.parse(input);
    const current = await this.collection.require(tenantId, groupId);
    return this.collection.replace({ ...current, name, members, updatedAt: now.toISOString() });
  }

  /** Removes the group (GROUP_NOT_FOUND). */
  delete(tenantId: string, groupId: string): Promise<void> {
    return this.collection.delete(tenantId, groupId);
  }
}
