/**
 * The inbox part of the OpenAPI document (`/v1/inbox…`): received messages
 * handed over to the integration engine. The shapes follow the inbox record
 * (src/inbound/inbox-record.ts) and the contract; objects are open
 * (`additionalProperties` allowed) where the inbox API may add fields.
 */
import { z } from 'zod';
import { entityIdSchema } from '../tenancy/recipient-ref.ts';
import { INBOX_ID_PATTERN, INBOX_STATES } from '../inbound/inbox-record.ts';
import { op, type Doc, jsonOk } from './openapi-builders.ts';

/** Largest inbox page (the inbox store's MAX_INBOX_PAGE). */
const MAX_INBOX_PAGE = 200;

const verdictSchema = z.looseObject({
  ok: z.boolean().describe('false: the message failed to unseal or verify and is flagged — never treat it as valid'),
});
const partSchema = z.looseObject({ filename: z.string(), mimeType: z.string(), size: z.number().int(), available: z.boolean() });

const inboxItemSchema = z.looseObject({
  id: z.string().regex(INBOX_ID_PATTERN),
  title: z.string().optional().describe('Absent when it could not be decrypted'),
  sender: z.looseObject({}).describe('The sender as ehBox names it (identifier, quality, name)'),
  receivedAt: z.string(),
  state: z.enum(INBOX_STATES).optional(),
  verdict: verdictSchema,
});

/** The inbox response schemas, registered by openapi.ts under these names. */
export const inboxResponseSchemas = {
  InboxItem: inboxItemSchema,
  InboxList: z.object({ items: z.array(inboxItemSchema), cursor: z.string().optional() }),
  InboxMessage: inboxItemSchema.extend({
    freeText: z.unknown().optional(),
    table: z.unknown().optional(),
    patientInss: z.string().optional(),
    document: partSchema.optional(),
    annexes: z.array(partSchema.extend({ title: z.string().optional() })).optional(),
  }),
} as const;

/** `/v1/inbox` paths. */
export function inboxPaths(): Doc {
  const id = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: INBOX_ID_PATTERN.source } };
  const { $schema: _dialect, ...boxIdSchema } = z.toJSONSchema(entityIdSchema, { target: 'draft-2020-12' });
  const query = [
    { name: 'box', in: 'query', required: false, schema: boxIdSchema, description: 'Only this sender box' },
    { name: 'cursor', in: 'query', required: false, schema: { type: 'string' }, description: 'The `cursor` of the previous page' },
    { name: 'since', in: 'query', required: false, schema: { type: 'string', format: 'date-time' }, description: 'Received at or after this time' },
    { name: 'state', in: 'query', required: false, schema: { type: 'string', enum: [...INBOX_STATES] } },
    { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: MAX_INBOX_PAGE } },
  ];
  const binary = {
    description: 'The decrypted bytes, with the original MIME type and file name (Content-Disposition)',
    headers: { 'Content-Disposition': { schema: { type: 'string' } } },
    content: { '*/*': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } },
  };
  const n = { name: 'n', in: 'path', required: true, schema: { type: 'integer', minimum: 0 }, description: 'Annex index, from 0' };
  return {
    '/v1/inbox': { get: op({ id: 'listInbox', tag: 'inbox', summary: 'Received messages, newest first', params: query, ok: { 200: jsonOk('A page', 'InboxList') }, errors: ['ValidationFailed'] }) },
    '/v1/inbox/{id}': { get: op({ id: 'getInboxMessage', tag: 'inbox', summary: 'Metadata, decrypted small fields, verdict and annex list', params: [id], ok: { 200: jsonOk('The message', 'InboxMessage') }, errors: ['NotFound'] }) },
    '/v1/inbox/{id}/document': { get: op({ id: 'getInboxDocument', tag: 'inbox', summary: 'The decrypted document, streamed', params: [id], ok: { 200: binary }, errors: ['NotFound'] }) },
    '/v1/inbox/{id}/annexes/{n}': { get: op({ id: 'getInboxAnnex', tag: 'inbox', summary: 'One decrypted annex, streamed', params: [id, n], ok: { 200: binary }, errors: ['NotFound'] }) },
    '/v1/inbox/{id}/ack': { post: op({ id: 'ackInboxMessage', tag: 'inbox', summary: 'The integration engine has stored the message', params: [id], ok: { 200: { description: 'Acknowledged' }, 204: { description: 'Acknowledged' } }, errors: ['NotFound'] }) },
  };
}
