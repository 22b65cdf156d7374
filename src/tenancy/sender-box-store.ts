/**
 * Sender boxes: the eHealthBoxes a tenant sends from and polls. Each names the
 * eHealth keystore that authenticates (STS) and signs, a reference to its
 * password (never the password), the ehBox address and the STS quality.
 */
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { fromEhboxType, findIdentifierType } from '../common/identifiers.ts';
import { qualityProfile } from '../sts/attributes.ts';
import { entityIdSchema, isValidRecipientId, qualitiesFor } from './recipient-ref.ts';
import { passwordRefSchema } from './password-ref.ts';
import { TenantCollection } from './tenant-collection.ts';
import { newId, type TenancyKeys } from './tenancy-keys.ts';

/** ehBox identifier types (PROTOCOL.md §3.1). */
const EHBOX_TYPES = ['INSS', 'NIHII', 'CBE', 'EHP'] as const;

function etkTypeOf(type: string, subType: string | undefined, id: string): string | undefined {
  try {
    const etk = fromEhboxType(type, subType);
    return etk === 'NIHII' && id.length === 11 ? 'NIHII11' : etk;
  } catch {
    return undefined;
  }
}

/** An ehBox address (BoxId): id, Type, SubType, Quality. */
export const boxAddressSchema = z.strictObject({
  id: z.string().trim().regex(/^\d+$/, 'digits only'),
  type: z.enum(EHBOX_TYPES),
  subType: z.string().trim().regex(/^[A-Z_]+$/, 'upper-case sub-type such as HOSPITAL').optional(),
  quality: z.string().trim().toUpperCase().min(1).max(64),
}).check((ctx) => {
  const { id, type, subType, quality } = ctx.value;
  const etk = etkTypeOf(type, subType, id);
  const issue = (path: string, message: string): void => {
    ctx.issues.push({ code: 'custom', continue: true, path: [path], input: ctx.value, message });
  };
  if (etk === undefined) return issue('subType', `unknown ehBox type ${type}${subType ? '/' + subType : ''}`);
  if (!isValidRecipientId(etk === 'NIHII11' ? 'NIHII' : etk, id)) issue('id', `not a valid ${etk} (check digits)`);
  if (!qualitiesFor(etk).includes(quality)) issue('quality', `quality ${quality} does not fit ${type}${subType ? '/' + subType : ''}`);
});

const senderBoxFields = {
  label: z.string().trim().min(1).max(200).optional(),
  /** Path of the eHealth PKCS#12 keystore. */
  keystorePath: z.string().min(1).max(4096),
  passwordRef: passwordRefSchema,
  box: boxAddressSchema,
  /** STS quality as the connector spells it: doctor, nurse, hospital, … */
  quality: z.string().trim().toLowerCase().refine((q) => qualityProfile(q) !== undefined, 'unknown STS quality (e.g. doctor, nurse, hospital)'),
  /** Identity in the keystore's certificate, ETK Depot spelling (e.g. NIHII-HOSPITAL) — whose ETK seals replies to us. */
  identityType: z.string().trim().toUpperCase().refine((t) => findIdentifierType(t) !== undefined, 'unknown identifier type'),
  identityId: z.string().trim(),
};

function checkIdentity(ctx: { value: { identityType: string; identityId: string }; issues: z.core.$ZodRawIssue[] }): void {
  const { identityType, identityId } = ctx.value;
  if (findIdentifierType(identityType) && !isValidRecipientId(identityType, identityId)) {
    ctx.issues.push({ code: 'custom', continue: true, path: ['identityId'], input: identityId, message: `not a valid ${identityType}` });
  }
}

/** What creating or replacing a sender box takes. Unknown fields (such as a `password`) are refused. */
export const senderBoxInputSchema = z.strictObject({ id: entityIdSchema.optional(), ...senderBoxFields }).check(checkIdentity);
/** Input of SenderBoxStore.create / replace. */
export type SenderBoxInput = z.input<typeof senderBoxInputSchema>;

/** A sender box as stored and returned. */
export const senderBoxSchema = z.object({
  id: entityIdSchema,
  tenantId: entityIdSchema,
  createdAt: z.iso.datetime(),
  ...senderBoxFields,
});
/** A sender box. */
export type SenderBox = z.output<typeof senderBoxSchema>;

/** Sender boxes in Redis, per tenant. */
export class SenderBoxStore {
  private readonly collection: TenantCollection<typeof senderBoxSchema>;

  constructor(redis: Redis, keys: TenancyKeys) {
    this.collection = new TenantCollection(redis, keys, {
      schema: senderBoxSchema,
      what: 'sender box',
      notFound: 'BOX_NOT_FOUND',
      exists: 'BOX_EXISTS',
      recordKey: (k, tid, id) => k.box(tid, id),
      indexKey: (k, tid) => k.boxes(tid),
    });
  }

  /** Adds a box to the tenant (TENANT_NOT_FOUND, BOX_EXISTS). */
  async create(tenantId: string, input: SenderBoxInput, now = new Date()): Promise<SenderBox> {
    const { id, ...fields } = senderBoxInputSchema.parse(input);
    return this.collection.create({ id: id ?? newId('box'), tenantId, createdAt: now.toISOString(), ...fields });
  }

  /** The tenant's box, or undefined (also for another tenant's box). */
  get(tenantId: string, boxId: string): Promise<SenderBox | undefined> {
    return this.collection.get(tenantId, boxId);
  }

  /** The tenant's box, or BOX_NOT_FOUND. */
  require(tenantId: string, boxId: string): Promise<SenderBox> {
    return this.collection.require(tenantId, boxId);
  }

  /** The tenant's boxes, oldest first. */
  list(tenantId: string): Promise<SenderBox[]> {
    return this.collection.list(tenantId);
  }

  /** Replaces the box's settings (keeps id and creation time). */
  async replace(tenantId: string, boxId: string, input: SenderBoxInput): Promise<SenderBox> {
    const { id: _ignored, ...fields } = senderBoxInputSchema.parse(input);
    const current = await this.collection.require(tenantId, boxId);
    return this.collection.replace({ id: current.id, tenantId, createdAt: current.createdAt, ...fields });
  }

  /** Removes the box (BOX_NOT_FOUND). */
  delete(tenantId: string, boxId: string): Promise<void> {
    return this.collection.delete(tenantId, boxId);
  }
}
