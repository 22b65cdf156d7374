/**
 * The README a hospital IT team follows: its tagged request examples exist
 * (one `MessageInput`, one `GroupInput`) and each is accepted by the API's zod
 * schema and by the generated OpenAPI component; its links to the docs
 * resolve to files in the repository.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { buildOpenApiDocument } from '../../src/api/openapi.ts';
import { isValidNihii } from '../../src/common/identifiers.ts';
import { messageInputSchema } from '../../src/outbound/message-input.ts';
import { groupInputSchema } from '../../src/tenancy/group-store.ts';
import { checkSchema } from './helpers/json-schema-check.ts';

const README_URL = new URL('../../README.md', import.meta.url);
const readme = fs.readFileSync(README_URL, 'utf8');
const doc = buildOpenApiDocument() as { components: { schemas: Record<string, unknown> } };
/** Component name → the zod schema that validates it in the API. */
const ZOD: Record<string, z.ZodType> = { MessageInput: messageInputSchema, GroupInput: groupInputSchema };
/** Every fenced block tagged `json example=<Component>`. */
const TAGGED = [...readme.matchAll(/```json example=(\w+)\n([\s\S]*?)```/g)].map(([, component, text]) => ({ component: component!, text: text! }));

describe('README examples', () => {
  it('has one MessageInput and one GroupInput example', () => {
    const names = TAGGED.map((b) => b.component);
    expect(names).toContain('MessageInput');
    expect(names).toContain('GroupInput');
  });

  it('validates every tagged block against the OpenAPI component and the zod schema', () => {
    expect(TAGGED.length).toBeGreaterThanOrEqual(2);
    for (const { component, text } of TAGGED) {
      const value: unknown = JSON.parse(text);
      const schema = doc.components.schemas[component];
      expect(schema, `unknown component ${component}`).toBeDefined();
      expect(checkSchema(schema, value, doc), component).toEqual([]);
      expect(ZOD[component], `no zod schema for ${component}`).toBeDefined();
      expect(ZOD[component]!.safeParse(value).success, component).toBe(true);
    }
  });

  it('uses identifiers with valid check digits', () => {
    const ids = TAGGED.flatMap(({ text }) => [...text.matchAll(/"type": "NIHII", "id": "(\d+)"/g)].map((m) => m[1]!));
    expect(ids.length).toBeGreaterThanOrEqual(2);
    for (const id of ids) expect(isValidNihii(id), id).toBe(true);
  });

  it('would refuse a broken example (the check is not vacuous)', () => {
    const message = TAGGED.find((b) => b.component === 'MessageInput')!;
    const broken = { ...(JSON.parse(message.text) as Record<string, unknown>), recipients: [] };
    expect(messageInputSchema.safeParse(broken).success).toBe(false);
    expect(checkSchema(doc.components.schemas.MessageInput, broken, doc).length).toBeGreaterThan(0);
  });
});

describe('README links', () => {
  it('links the operations, eHealth clients and sandbox docs, and every local link resolves', () => {
    const links = [...readme.matchAll(/\]\(([^)#\s]+)\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/.test(l));
    for (const target of ['docs/operations.md', 'docs/ehealth-clients.md', 'docs/sandbox.md']) expect(links).toContain(target);
    for (const link of links) expect(fs.existsSync(fileURLToPath(new URL(link, README_URL))), link).toBe(true);
  });
});
