/**
 * What an integration engine posts to `POST /v1/messages` (JSON, content in
 * base64; or multipart with the same metadata and file parts). One zod
 * schema validates both forms and documents the API (OpenAPI).
 */
import { z } from 'zod';
import { isValidSsin } from '../common/identifiers.ts';
import { entityIdSchema, messageRecipientSchema } from '../tenancy/recipient-ref.ts';

/** ehBox limits (PROTOCOL.md §4–§5): title 400, file names and MIME types 255, custom metas 100 × 250. */
const TITLE_MAX = 400;
const NAME_MAX = 255;
const META_MAX = 250;
/** Annexes per message: generous, the 10 MB total is the real limit. */
export const MAX_ANNEXES = 50;
/** Recipients per message (groups count after expansion, see MAX_GROUP_MEMBERS). */
export const MAX_RECIPIENTS = 1000;

const filename = z.string().trim().min(1).max(NAME_MAX).refine((s) => !/[\\/\0]/.test(s), 'no path separators');
const mimeType = z.string().trim().min(1).max(NAME_MAX).regex(/^[\w.+-]+\/[\w.+-]+(;.*)?$/, 'a MIME type such as application/pdf');
// Whitespace may follow each `=`, but never sits in two adjacent repeats: the old `[…\s]*={0,2}\s*$` backtracked quadratically (a 40 kB run of spaces took 2 s).
const base64 = z.string().regex(/^[A-Za-z0-9+/\s]*(?:=\s*){0,2}$/, 'base64');

/** A file: metadata plus, in JSON, its base64 content (multipart sends the content as a part). */
export const fileSchema = z.strictObject({
  filename,
  mimeType,
  content: base64.optional().describe('base64 content (JSON form only; multipart sends a file part)'),
});

export const annexSchema = fileSchema.extend({ title: z.string().trim().min(1).max(TITLE_MAX) });

/** The message metadata (and, in JSON, content). */
export const messageInputSchema = z
  .strictObject({
    title: z.string().trim().min(1).max(TITLE_MAX).describe('Document title (never encrypted by ehBox)'),
    document: fileSchema,
    freeText: z.string().min(1).max(100_000).optional(),
    table: z.strictObject({ title: z.string().max(NAME_MAX).optional(), rows: z.array(z.strictObject({ key: z.string().min(1).max(1000), value: z.string().max(10_000) })).min(1).max(200) }).optional(),
    annexes: z.array(annexSchema).max(MAX_ANNEXES).default([]),
    patientInss: z.string().trim().refine((s) => isValidSsin(s), 'an INSS/SSIN of 11 digits with valid check digits').optional(),
    recipients: z.array(messageRecipientSchema).min(1).max(MAX_RECIPIENTS),
    encrypted: z.boolean().default(true),
    important: z.boolean().default(false),
    receipts: z.strictObject({ published: z.boolean().default(false), received: z.boolean().default(false), read: z.boolean().default(false) }).default({ published: false, received: false, read: false }),
    customMetas: z.array(z.strictObject({ key: z.string().min(1).max(META_MAX), value: z.string().min(1).max(META_MAX) })).max(100).default([]),
    notifyRecipients: z.boolean().optional().describe('Send an update-info e-mail to recipients with an address in the directory'),
    senderBox: entityIdSchema.optional().describe('Sender box id (default: the tenant’s first box)'),
    publicationId: z.string().regex(/^[A-Za-z0-9]{1,13}$/).optional().describe('Base PublicationId (1–13 characters)'),
    deliveryMode: z.enum(['individual', 'shared']).optional(),
  })
  .check((ctx) => {
    if (ctx.value.freeText !== undefined && ctx.value.table !== undefined) {
      ctx.issues.push({ code: 'custom', input: ctx.value, path: ['table'], message: 'freeText and table are mutually exclusive (ehBox FreeInformations is one or the other)' });
    }
  });

export type MessageInput = z.output<typeof messageInputSchema>;

/** States of one recipient row (the API's contract). */
export const RECIPIENT_STATES = ['pending', 'resolving', 'sealing', 'sending', 'published', 'received', 'read', 'failed', 'ooo-forwarded'] as const;
export type RecipientState = (typeof RECIPIENT_STATES)[number];
/** States after which nothing more happens on our side (receipts may still move published → received → read). */
export const FINAL_STATES: ReadonlySet<RecipientState> = new Set(['published', 'received', 'read', 'failed', 'ooo-forwarded']);

/** Overall message states. */
export const MESSAGE_STATES = ['accepted', 'processing', 'delivered', 'partially-failed', 'failed'] as const;
export type MessageState = (typeof MESSAGE_STATES)[number];
