/**
 * The OpenAPI document: a well-formed OpenAPI 3.1 description of every route,
 * generated from the validating zod schemas; examples (the issue's, and the
 * README's tagged ones) are accepted or refused alike by the zod schemas and
 * by the generated JSON schemas; the real views match the documented
 * responses; error codes and statuses agree with the error middleware; and
 * the docs router serves the document and a self-contained HTML page.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { API_ERROR_CODES, buildOpenApiDocument, messageViewSchema, OPENAPI_VERSION } from '../../src/api/openapi.ts';
import { ERROR_RESPONSES } from '../../src/api/openapi-builders.ts';
import { docsRouter } from '../../src/api/routes/docs.ts';
import { ApiError, type ApiErrorCode } from '../../src/api/api-error.ts';
import { toErrorAnswer } from '../../src/api/middleware/error-handler.ts';
import { groupView } from '../../src/api/routes/groups.ts';
import { boxView } from '../../src/api/routes/boxes.ts';
import { isValidNihii } from '../../src/common/identifiers.ts';
import { messageInputSchema } from '../../src/outbound/message-input.ts';
import { OutboundError, type OutboundErrorCode } from '../../src/outbound/outbound-errors.ts';
import { messageView } from '../../src/outbound/outbound-service.ts';
import type { StoredMessage } from '../../src/outbound/message-store.ts';
import { groupInputSchema, groupSchema } from '../../src/tenancy/group-store.ts';
import { senderBoxSchema } from '../../src/tenancy/sender-box-store.ts';
import { TenancyError, type TenancyErrorCode } from '../../src/tenancy/tenancy-error.ts';
import { checkSchema, resolve } from './helpers/json-schema-check.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- walking an untyped JSON document
const doc = buildOpenApiDocument() as Json;
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** A fictitious NIHII with valid check digits, found with the real validator (no hard-coded algorithm). */
function validNihii(base: string): string {
  for (let i = 0; i < 100; i++) {
    const candidate = base + String(i).padStart(2, '0');
    if (isValidNihii(candidate)) return candidate;
  }
  throw new Error(`no valid NIHII starting with ${base}`);
}
const GP = validNihii('100420');
const NURSE = validNihii('400731');

/** The minimal message and group examples, with valid fictitious identifiers. */
const MINIMAL_MESSAGE = {
  title: 'Discharge letter',
  document: { filename: 'letter.pdf', mimeType: 'application/pdf', content: 'JVBERi0xLjQK' },
  recipients: [{ type: 'NIHII', id: GP, quality: 'DOCTOR' }],
};
const GROUP = { name: 'Ward 3B nurses', members: [{ type: 'NIHII', id: NURSE, quality: 'NURSE' }, { search: { kind: 'professional', lastName: 'Janssens', zipCode: '1000' } }] };

/** Component schema name → the zod schema that validates it in the API. */
const ZOD_BY_COMPONENT: Record<string, z.ZodType> = { MessageInput: messageInputSchema, GroupInput: groupInputSchema };

function both(component: string, value: unknown): { zod: boolean; json: string[] } {
  return { zod: ZOD_BY_COMPONENT[component]!.safeParse(value).success, json: checkSchema(doc.components.schemas[component], value, doc) };
}

function* operations(): Generator<[string, string, Json]> {
  for (const [path, item] of Object.entries(doc.paths as Json)) for (const m of METHODS) if (item[m]) yield [path, m, item[m] as Json];
}

function* refs(node: unknown): Generator<string> {
  if (Array.isArray(node)) for (const n of node) yield* refs(n);
  else if (typeof node === 'object' && node !== null) {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') yield v;
      else yield* refs(v);
    }
  }
}

describe('OpenAPI document structure', () => {
  it('declares OpenAPI 3.1 with the JSON Schema 2020-12 dialect, info and bearer auth', () => {
    expect(doc.openapi).toBe(OPENAPI_VERSION);
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.jsonSchemaDialect).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(doc.info).toMatchObject({ title: 'ehbox-bridge', version: expect.any(String) });
    expect(doc.components.securitySchemes.bearerAuth).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
    expect(doc.security).toEqual([{ bearerAuth: [] }]);
  });

  it('documents every route of the API', () => {
    const expected = [
      'post /v1/messages', 'get /v1/messages', 'get /v1/messages/{id}', 'post /v1/messages/{id}/retry',
      'post /v1/groups', 'get /v1/groups', 'get /v1/groups/{id}', 'put /v1/groups/{id}', 'delete /v1/groups/{id}',
      'get /v1/boxes', 'get /v1/boxes/{id}', 'get /v1/inbox', 'get /v1/inbox/{id}', 'get /v1/inbox/{id}/document',
      'get /v1/inbox/{id}/annexes/{n}', 'post /v1/inbox/{id}/ack', 'get /healthz', 'get /readyz', 'get /metrics',
    ];
    const present = [...operations()].map(([p, m]) => `${m} ${p}`);
    for (const e of expected) expect(present, e).toContain(e);
  });

  it('gives every operation a unique id, a tag, responses, and declares each path parameter', () => {
    const ids = new Set<string>();
    for (const [path, method, o] of operations()) {
      const where = `${method} ${path}`;
      expect(typeof o.operationId, where).toBe('string');
      expect(ids.has(o.operationId), `${where} duplicate id`).toBe(false);
      ids.add(o.operationId);
      expect(o.tags?.length, where).toBe(1);
      expect(Object.keys(o.responses).length, where).toBeGreaterThan(0);
      for (const status of Object.keys(o.responses)) expect(status, where).toMatch(/^[1-5]\d\d$/);
      const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const declared = (o.parameters ?? []).filter((p: Json) => p.in === 'path').map((p: Json) => p.name);
      expect(declared.sort(), where).toEqual(templated.sort());
      for (const p of o.parameters ?? []) if (p.in === 'path') expect(p.required, where).toBe(true);
    }
  });

  it('resolves every $ref', () => {
    const all = [...refs(doc)];
    expect(all.length).toBeGreaterThan(20);
    for (const r of all) expect(() => resolve(r, doc), r).not.toThrow();
  });

  it('keeps probes, metrics and docs open and everything under /v1 behind the API key', () => {
    for (const [path, , o] of operations()) {
      if (path.startsWith('/v1/')) {
        expect(o.security, path).toBeUndefined();
        expect(o.responses['401'], path).toEqual({ $ref: '#/components/responses/Unauthorized' });
      } else expect(o.security, path).toEqual([]);
    }
  });

  it('documents POST /v1/messages as JSON and multipart, with Idempotency-Key and a 202 with Location', () => {
    const post = doc.paths['/v1/messages'].post;
    expect(post.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/MessageInput' });
    const multipart = post.requestBody.content['multipart/form-data'];
    expect(multipart.schema.required).toEqual(['metadata', 'document']);
    expect(multipart.encoding.metadata.contentType).toBe('application/json');
    expect(post.parameters).toContainEqual({ $ref: '#/components/parameters/IdempotencyKey' });
    expect(post.responses['202'].headers.Location).toBeDefined();
  });

  it('is generated from the validating zod schemas', () => {
    const input = doc.components.schemas.MessageInput;
    expect(Object.keys(input.properties).sort()).toEqual(Object.keys(messageInputSchema.shape).sort());
    expect(input.additionalProperties).toBe(false);
    expect(input.properties.recipients.items).toEqual({ $ref: '#/components/schemas/MessageRecipient' });
    expect(doc.components.schemas.GroupInput.properties.members.items).toEqual({ $ref: '#/components/schemas/RecipientRef' });
    expect(JSON.stringify(doc)).not.toContain('"$schema"');
  });
});

describe('errors', () => {
  it('has the error shape { requestId, code, message, details? } with the stable codes', () => {
    const e = doc.components.schemas.ErrorResponse;
    expect([...e.required].sort()).toEqual(['code', 'message', 'requestId']);
    expect(e.properties.code.enum).toEqual([...API_ERROR_CODES]);
  });

  it('lists every code under some response, and no unknown code', () => {
    const listed = new Set(Object.values(ERROR_RESPONSES).flatMap((r) => [...r.codes]));
    expect([...listed].sort()).toEqual([...API_ERROR_CODES].sort());
  });

  it('documents each typed error under the status the error middleware answers', () => {
    const statusesOf = (code: string) => Object.values(ERROR_RESPONSES).filter((r) => (r.codes as readonly string[]).includes(code)).map((r) => r.status);
    const apiCodes: ApiErrorCode[] = ['UNAUTHORIZED', 'RATE_LIMITED', 'MALFORMED_JSON', 'MALFORMED_MULTIPART', 'MALFORMED_REQUEST', 'UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE', 'VALIDATION_FAILED', 'NOT_FOUND', 'CLIENT_CLOSED', 'NOT_READY'];
    const outboundCodes: OutboundErrorCode[] = ['VALIDATION_FAILED', 'ATTACHMENT_TOO_LARGE', 'IDEMPOTENCY_CONFLICT', 'GROUP_NOT_FOUND', 'SENDER_BOX_NOT_FOUND', 'MESSAGE_NOT_FOUND', 'NOTHING_TO_RETRY', 'STORE_UNAVAILABLE', 'ENCRYPTION_REQUIRED'];
    const tenancyCodes: TenancyErrorCode[] = ['TENANT_NOT_FOUND', 'TENANT_EXISTS', 'API_KEY_NOT_FOUND', 'BOX_NOT_FOUND', 'BOX_EXISTS', 'GROUP_NOT_FOUND'];
    const errors = [
      ...apiCodes.map((c) => new ApiError(c, 'x')),
      ...outboundCodes.map((c) => new OutboundError(c, 'x')),
      ...tenancyCodes.map((c) => new TenancyError(c, 'x')),
      new Error('unexpected'),
    ];
    for (const err of errors) {
      const answer = toErrorAnswer(err);
      expect(statusesOf(answer.code), `${answer.code}`).toContain(answer.status);
    }
  });
});

describe('examples against the request schemas (zod and generated JSON schema)', () => {
  it('accepts the minimal JSON message, a group recipient, and the group example', () => {
    expect(both('MessageInput', MINIMAL_MESSAGE)).toEqual({ zod: true, json: [] });
    expect(both('MessageInput', { ...MINIMAL_MESSAGE, recipients: [{ group: 'grp_ward3b' }] })).toEqual({ zod: true, json: [] });
    expect(both('GroupInput', GROUP)).toEqual({ zod: true, json: [] });
  });

  it('refuses the same malformed messages in both', () => {
    const { recipients: _r, ...noRecipients } = MINIMAL_MESSAGE;
    const cases = [
      noRecipients,
      { ...MINIMAL_MESSAGE, recipients: [] },
      { ...MINIMAL_MESSAGE, unknownField: true },
      { ...MINIMAL_MESSAGE, title: '' },
      { ...MINIMAL_MESSAGE, document: { filename: 'letter.pdf', mimeType: 'not a mime type' } },
      { ...MINIMAL_MESSAGE, recipients: [{ type: 'NIHII', id: 'abc', quality: 'DOCTOR' }] },
      { ...MINIMAL_MESSAGE, encrypted: 'yes' },
    ];
    for (const c of cases) {
      const r = both('MessageInput', c);
      expect(r.zod, JSON.stringify(c)).toBe(false);
      expect(r.json.length, JSON.stringify(c)).toBeGreaterThan(0);
    }
    expect(both('GroupInput', { name: 'x', members: [] }).json.length).toBeGreaterThan(0);
  });

  it('leaves check digits to zod (not expressible in JSON Schema)', () => {
    const bad = { ...MINIMAL_MESSAGE, recipients: [{ type: 'NIHII', id: '12345678', quality: 'DOCTOR' }] };
    expect(isValidNihii('12345678')).toBe(false);
    expect(both('MessageInput', bad)).toEqual({ zod: false, json: [] });
  });

  it('validates the README examples tagged `json example=<Schema>`', () => {
    const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const blocks = [...readme.matchAll(/```json example=(\w+)\n([\s\S]*?)```/g)];
    for (const [, component, text] of blocks) {
      const value: unknown = JSON.parse(text!);
      expect(doc.components.schemas[component!], `unknown schema ${component}`).toBeDefined();
      expect(checkSchema(doc.components.schemas[component!], value, doc), `README example ${component}`).toEqual([]);
      if (ZOD_BY_COMPONENT[component!]) expect(ZOD_BY_COMPONENT[component!]!.safeParse(value).success, `README example ${component}`).toBe(true);
    }
  });
});

describe('responses match the real views', () => {
  const at = '2025-01-02T03:04:05.000Z';
  it('messageView', () => {
    const stored = {
      meta: { id: 'm0000000000000000000000001', tenantId: 't1', senderBoxId: 'b1', createdAt: at, mode: 'individual', encrypted: true, important: false, receipts: { published: false, received: false, read: false }, notifyRecipients: false, customMetas: [], parts: { document: { filename: 'a.pdf', mimeType: 'application/pdf', size: 1 }, annexes: [], freeText: false, table: false, patient: false }, recipientCount: 2 },
      rows: [
        { idx: 0, ref: { type: 'NIHII', id: GP, quality: 'DOCTOR' }, type: 'NIHII', id: GP, quality: 'DOCTOR', state: 'ooo-forwarded', publicationId: 'P1', substitutes: [{ id: NURSE, type: 'NIHII', quality: 'NURSE' }], updatedAt: at },
        { idx: 1, ref: { search: { kind: 'professional', lastName: 'Peeters' } }, group: 'grp1', state: 'failed', code: 'RECIPIENT_NOT_FOUND', reason: 'no match', publicationId: 'P2', updatedAt: at },
      ],
    } as unknown as StoredMessage;
    const view = messageView(stored);
    expect(messageViewSchema.safeParse(view).success).toBe(true);
    expect(checkSchema(doc.components.schemas.MessageView, JSON.parse(JSON.stringify(view)), doc)).toEqual([]);
  });

  it('groupView and boxView', () => {
    const group = groupSchema.parse({ id: 'grp1', tenantId: 't1', name: 'Ward', members: [{ type: 'NIHII', id: NURSE, quality: 'NURSE' }], createdAt: at, updatedAt: at });
    expect(checkSchema(doc.components.schemas.Group, JSON.parse(JSON.stringify(groupView(group))), doc)).toEqual([]);
    const box = senderBoxSchema.parse({ id: 'b1', tenantId: 't1', createdAt: at, label: 'Hospital', keystorePath: '/k.p12', passwordRef: { env: 'PW' }, box: { id: '71000436', type: 'NIHII', subType: 'HOSPITAL', quality: 'HOSPITAL' }, quality: 'hospital', identityType: 'NIHII-HOSPITAL', identityId: '71000436' });
    const view = JSON.parse(JSON.stringify(boxView(box)));
    expect(checkSchema(doc.components.schemas.SenderBox, view, doc)).toEqual([]);
    expect(Object.keys(doc.components.schemas.SenderBox.properties)).not.toContain('keystorePath');
  });
});

describe('docs router', () => {
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    const app = express();
    app.use(docsRouter());
    server = http.createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('serves the document at /openapi.json', async () => {
    const res = await fetch(`${base}/openapi.json`);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual(JSON.parse(JSON.stringify(doc)));
  });

  it('serves a self-contained HTML page listing every operation and schema', async () => {
    const res = await fetch(`${base}/docs`);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await res.text();
    for (const [, , o] of operations()) expect(html).toContain(`id="${o.operationId}"`);
    for (const name of Object.keys(doc.components.schemas)) expect(html).toContain(`id="schema-${name}"`);
    expect(html).not.toMatch(/<script|<link|src="|href="https?:/i);
    expect(html).toContain('&lt;api key&gt;');
  });
});
