/**
 * The OpenAPI 3.1 description of the HTTP API, generated from the same zod
 * schemas that validate requests (`z.toJSONSchema`, JSON Schema 2020-12 —
 * the dialect of OpenAPI 3.1), so the document cannot drift from what the
 * API accepts. Response shapes that have no validating schema yet are
 * described here with zod too, and tests check the real views against them.
 */
import { z } from 'zod';
import type { ApiErrorCode } from './api-error.ts';
import type { OutboundErrorCode } from '../outbound/outbound-errors.ts';
import type { TenancyErrorCode } from '../tenancy/tenancy-error.ts';
import { annexSchema, fileSchema, MESSAGE_STATES, messageInputSchema, RECIPIENT_STATES } from '../outbound/message-input.ts';
import { MESSAGE_ID_PATTERN } from '../outbound/outbound-service.ts';
import { groupInputSchema, groupSchema } from '../tenancy/group-store.ts';
import { explicitRecipientSchema, groupRecipientSchema, messageRecipientSchema, RECIPIENT_TYPES, recipientRefSchema, searchRecipientSchema } from '../tenancy/recipient-ref.ts';
import { senderBoxSchema } from '../tenancy/sender-box-store.ts';
import { inboxPaths, inboxResponseSchemas } from './openapi-inbox.ts';
import { errorResponses, op, type Doc, jsonBody, jsonOk, ref } from './openapi-builders.ts';

/** The OpenAPI version the document declares. */
export const OPENAPI_VERSION = '3.1.0';

/** Codes the API answers (the error middleware's stable codes); the type check below fails when a code is added and not listed. */
export const API_ERROR_CODES = [
  'UNAUTHORIZED', 'RATE_LIMITED', 'MALFORMED_JSON', 'MALFORMED_MULTIPART', 'MALFORMED_REQUEST', 'UNSUPPORTED_MEDIA_TYPE',
  'PAYLOAD_TOO_LARGE', 'VALIDATION_FAILED', 'NOT_FOUND', 'CLIENT_CLOSED', 'NOT_READY',
  'ATTACHMENT_TOO_LARGE', 'IDEMPOTENCY_CONFLICT', 'GROUP_NOT_FOUND', 'SENDER_BOX_NOT_FOUND', 'MESSAGE_NOT_FOUND',
  'NOTHING_TO_RETRY', 'STORE_UNAVAILABLE', 'ENCRYPTION_REQUIRED',
  'TENANT_NOT_FOUND', 'TENANT_EXISTS', 'API_KEY_NOT_FOUND', 'BOX_NOT_FOUND', 'BOX_EXISTS', 'INTERNAL',
] as const;
/** Tenancy codes the error middleware turns into INTERNAL: never answered as such. */
type InternalOnlyCodes = 'BOX_PASSWORD_UNAVAILABLE' | 'RECORD_CORRUPT';
type AnsweredCode = ApiErrorCode | OutboundErrorCode | Exclude<TenancyErrorCode, InternalOnlyCodes> | 'INTERNAL';
type Unlisted = Exclude<AnsweredCode, (typeof API_ERROR_CODES)[number]>;
type Unknown = Exclude<(typeof API_ERROR_CODES)[number], AnsweredCode>;
/** Compile-time completeness check of API_ERROR_CODES (both ways). */
export const ERROR_CODES_COMPLETE: [Unlisted, Unknown] extends [never, never] ? true : { unlisted: Unlisted; unknown: Unknown } = true;

/** The error answer of every route. */
export const errorResponseSchema = z.object({
  requestId: z.string().describe('Also in the X-Request-Id response header and in every log line of the request'),
  code: z.enum(API_ERROR_CODES).describe('Stable, machine-readable code'),
  message: z.string().describe('Human-readable explanation (never contains message content)'),
  details: z.unknown().optional().describe('Code-specific data, e.g. `{ issues: [{ path, message }] }` for VALIDATION_FAILED'),
});

const destinationSchema = z.object({ id: z.string(), type: z.string(), subType: z.string().optional(), quality: z.string() });

/** One recipient row of `GET /v1/messages/{id}` (see `messageView`). */
export const recipientStatusSchema = z.object({
  type: z.string().optional().describe('ETK Depot identifier type, once known'),
  id: z.string().optional(),
  quality: z.string().optional(),
  group: z.string().optional().describe('The group this row was expanded from'),
  search: z.record(z.string(), z.unknown()).optional().describe('The Addressbook criteria of a search recipient'),
  state: z.enum(RECIPIENT_STATES),
  code: z.string().optional().describe('Stable failure code when state is failed'),
  reason: z.string().optional(),
  ehboxMessageId: z.string().optional(),
  substitutes: z.array(destinationSchema).optional().describe('Out-of-office substitutes the message was forwarded to'),
  updatedAt: z.string(),
});

/** `GET /v1/messages/{id}`. */
export const messageViewSchema = z.object({
  id: z.string(),
  state: z.enum(MESSAGE_STATES),
  createdAt: z.string(),
  mode: z.enum(['individual', 'shared']),
  recipients: z.array(recipientStatusSchema),
});

/** Query of `GET /v1/messages` (mirrors the router's; see the report on exporting it). */
export const messageListQuerySchema = z.strictObject({
  state: z.enum(MESSAGE_STATES).optional().describe('Only messages in this overall state'),
  cursor: z.string().max(200).optional().describe('The `cursor` of the previous page'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** Schemas of request bodies: generated with io=input (what clients may send). */
function requestSchemas(): Record<string, unknown> {
  const reg = z.registry<{ id: string; description?: string }>();
  reg.add(messageInputSchema, { id: 'MessageInput', description: 'A message (JSON form: contents in base64; multipart form: the `metadata` part, without contents)' });
  reg.add(fileSchema, { id: 'File' });
  reg.add(annexSchema, { id: 'Annex' });
  reg.add(messageRecipientSchema, { id: 'MessageRecipient', description: 'An explicit recipient, Addressbook search criteria, or a group' });
  reg.add(recipientRefSchema, { id: 'RecipientRef', description: 'An explicit recipient or Addressbook search criteria' });
  reg.add(explicitRecipientSchema, {
    id: 'ExplicitRecipient',
    description: `type in ETK Depot spelling (${RECIPIENT_TYPES.filter((t) => !t.startsWith('NIHII-')).join(', ')}, NIHII-<SUBTYPE>), case-insensitive; id with valid check digits; quality required for persons (e.g. DOCTOR)`,
  });
  reg.add(searchRecipientSchema, { id: 'SearchRecipient', description: 'Found in the Addressbook at send time; must match exactly one entry' });
  reg.add(groupRecipientSchema, { id: 'GroupRecipient', description: 'A group, expanded at send time' });
  reg.add(groupInputSchema, { id: 'GroupInput' });
  reg.add(messageListQuerySchema, { id: 'MessageListQuery' });
  return generate(reg, 'input');
}

/** Schemas of responses: generated with io=output (what clients receive). */
function responseSchemas(): Record<string, unknown> {
  const reg = z.registry<{ id: string; description?: string }>();
  reg.add(errorResponseSchema, { id: 'ErrorResponse' });
  reg.add(messageViewSchema, { id: 'MessageView' });
  reg.add(recipientStatusSchema, { id: 'RecipientStatus' });
  reg.add(z.object({ id: z.string(), state: z.string(), location: z.string() }), { id: 'MessageAccepted' });
  reg.add(z.object({ items: z.array(messageViewSchema), cursor: z.string().optional() }), { id: 'MessageList' });
  const group = groupSchema.omit({ tenantId: true });
  reg.add(group, { id: 'Group' });
  reg.add(z.object({ items: z.array(group) }), { id: 'GroupList' });
  const box = senderBoxSchema.pick({ id: true, label: true, box: true, quality: true });
  reg.add(box, { id: 'SenderBox', description: 'A sender box (keystore path and password reference are never shown)' });
  reg.add(z.object({ items: z.array(box) }), { id: 'SenderBoxList' });
  reg.add(z.object({ status: z.literal('ok') }), { id: 'Health' });
  reg.add(z.object({ status: z.literal('ready'), checks: z.record(z.string(), z.string()) }), { id: 'Readiness' });
  for (const [id, schema] of Object.entries(inboxResponseSchemas)) reg.add(schema, { id });
  return generate(reg, 'output');
}

function generate(reg: z.core.$ZodRegistry<{ id: string }>, io: 'input' | 'output'): Record<string, unknown> {
  const out = z.toJSONSchema(reg, { target: 'draft-2020-12', io, unrepresentable: 'any', uri: (id) => `#/components/schemas/${id}` });
  const schemas: Record<string, unknown> = {};
  for (const [id, schema] of Object.entries(out.schemas)) {
    const { $schema: _dialect, $id: _id, ...rest } = schema as Record<string, unknown>;
    schemas[id] = rest;
  }
  return schemas;
}

function messagePaths(): Doc {
  const messageId = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: MESSAGE_ID_PATTERN.source } };
  const query = z.toJSONSchema(messageListQuerySchema, { target: 'draft-2020-12', io: 'input' }) as { properties: Record<string, unknown>; required?: string[] };
  const listParams = Object.entries(query.properties).map(([name, schema]) => {
    const { description, ...rest } = schema as { description?: string };
    return { name, in: 'query', required: false, ...(description ? { description } : {}), schema: rest };
  });
  const multipart = {
    schema: {
      type: 'object',
      required: ['metadata', 'document'],
      properties: {
        metadata: { ...ref('MessageInput'), description: 'The JSON form without any `content` field; must come first' },
        document: { type: 'string', contentMediaType: 'application/octet-stream', description: 'The document file' },
        annex: { type: 'array', items: { type: 'string', contentMediaType: 'application/octet-stream' }, description: 'Annex files in the order of `metadata.annexes` (or parts named `annex[N]`)' },
      },
    },
    encoding: { metadata: { contentType: 'application/json' } },
  };
  const accepted = {
    description: 'Accepted: durable in S3 and Redis before this answer',
    headers: { Location: { schema: { type: 'string' } }, 'Idempotent-Replayed': { schema: { type: 'string', const: 'true' }, description: 'Set when an Idempotency-Key replay answered' } },
    content: { 'application/json': { schema: ref('MessageAccepted') } },
  };
  return {
    '/v1/messages': {
      post: op({
        id: 'sendMessage', tag: 'messages', summary: 'Send a message (JSON with base64 contents, or multipart streamed to staging)',
        params: [{ $ref: '#/components/parameters/IdempotencyKey' }],
        body: { required: true, content: { 'application/json': { schema: ref('MessageInput') }, 'multipart/form-data': multipart } },
        ok: { 202: accepted },
        errors: ['BadRequest', 'Conflict', 'PayloadTooLarge', 'UnsupportedMediaType', 'ValidationFailed'],
      }),
      get: op({ id: 'listMessages', tag: 'messages', summary: 'List messages, newest first', params: listParams, ok: { 200: jsonOk('A page of messages', 'MessageList') }, errors: ['ValidationFailed'] }),
    },
    '/v1/messages/{id}': {
      get: op({ id: 'getMessage', tag: 'messages', summary: 'A message and the state of each recipient', params: [messageId], ok: { 200: jsonOk('The message', 'MessageView') }, errors: ['NotFound'] }),
    },
    '/v1/messages/{id}/retry': {
      post: op({ id: 'retryMessage', tag: 'messages', summary: 'Retry the failed recipients', params: [messageId], ok: { 202: jsonOk('Failed recipients are pending again', 'MessageView') }, errors: ['NotFound', 'Conflict'] }),
    },
  };
}

function groupAndBoxPaths(): Doc {
  const id = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  return {
    '/v1/groups': {
      post: op({ id: 'createGroup', tag: 'groups', summary: 'Create a group (distribution list)', body: jsonBody('GroupInput'), ok: { 201: jsonOk('Created', 'Group') }, errors: ['BadRequest', 'UnsupportedMediaType', 'ValidationFailed'] }),
      get: op({ id: 'listGroups', tag: 'groups', summary: 'The tenant’s groups', ok: { 200: jsonOk('Groups', 'GroupList') } }),
    },
    '/v1/groups/{id}': {
      get: op({ id: 'getGroup', tag: 'groups', summary: 'A group', params: [id], ok: { 200: jsonOk('The group', 'Group') }, errors: ['NotFound'] }),
      put: op({ id: 'replaceGroup', tag: 'groups', summary: 'Replace name and members', params: [id], body: jsonBody('GroupInput'), ok: { 200: jsonOk('Replaced', 'Group') }, errors: ['BadRequest', 'NotFound', 'UnsupportedMediaType', 'ValidationFailed'] }),
      delete: op({ id: 'deleteGroup', tag: 'groups', summary: 'Delete a group', params: [id], ok: { 204: { description: 'Deleted' } }, errors: ['NotFound'] }),
    },
    '/v1/boxes': { get: op({ id: 'listBoxes', tag: 'boxes', summary: 'The tenant’s sender boxes', ok: { 200: jsonOk('Boxes', 'SenderBoxList') } }) },
    '/v1/boxes/{id}': { get: op({ id: 'getBox', tag: 'boxes', summary: 'A sender box', params: [id], ok: { 200: jsonOk('The box', 'SenderBox') }, errors: ['NotFound'] }) },
    '/v1/boxes/{id}/poll': { post: op({ id: 'pollBox', tag: 'boxes', summary: 'Poll this box now', params: [id], ok: { 202: { description: 'Poll scheduled' } }, errors: ['NotFound'] }) },
  };
}

function operationsPaths(): Doc {
  const text = (description: string) => ({ description, content: { 'text/plain': { schema: { type: 'string' } } } });
  return {
    '/healthz': { get: op({ id: 'healthz', tag: 'operations', summary: 'The process serves HTTP', open: true, ok: { 200: jsonOk('Alive', 'Health') } }) },
    '/readyz': { get: op({ id: 'readyz', tag: 'operations', summary: 'Redis, S3 and the eHealth endpoint answer', open: true, ok: { 200: jsonOk('Ready', 'Readiness') }, errors: ['Unavailable'] }) },
    '/metrics': { get: op({ id: 'metrics', tag: 'operations', summary: 'Prometheus metrics (text exposition format 0.0.4)', open: true, ok: { 200: text('Metrics') } }) },
    '/openapi.json': { get: op({ id: 'openapi', tag: 'operations', summary: 'This document', open: true, ok: { 200: { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } } }) },
    '/docs': { get: op({ id: 'docs', tag: 'operations', summary: 'This document as an HTML page', open: true, ok: { 200: { description: 'HTML', content: { 'text/html': { schema: { type: 'string' } } } } } }) },
  };
}

/** Builds the document (cheap enough to build once at startup). */
export function buildOpenApiDocument(opts: { version?: string; serverUrl?: string } = {}): Doc {
  return {
    openapi: OPENAPI_VERSION,
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'ehbox-bridge',
      version: opts.version ?? '0.1.0',
      summary: 'Gateway between hospital systems and the Belgian eHealthBox',
      description: 'Errors answer `{ requestId, code, message, details? }` with a stable `code`. Every response carries `X-Request-Id`.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    ...(opts.serverUrl ? { servers: [{ url: opts.serverUrl }] } : {}),
    security: [{ bearerAuth: [] }],
    tags: [
      { name: 'messages', description: 'Outbound messages' }, { name: 'groups', description: 'Distribution lists' },
      { name: 'boxes', description: 'Sender boxes' }, { name: 'inbox', description: 'Messages received in the tenant’s boxes' },
      { name: 'operations', description: 'Probes, metrics, this documentation (no API key)' },
    ],
    paths: { ...messagePaths(), ...groupAndBoxPaths(), ...inboxPaths(), ...operationsPaths() },
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'A tenant API key: `Authorization: Bearer <api key>`' } },
      parameters: {
        IdempotencyKey: { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,255}$' }, description: 'Same key + same body → the same message; same key + another body → 409 IDEMPOTENCY_CONFLICT (kept 24 h)' },
      },
      responses: errorResponses(),
      schemas: { ...requestSchemas(), ...responseSchemas() },
    },
  };
}
