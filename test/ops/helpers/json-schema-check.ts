/**
 * A tiny JSON Schema (2020-12 subset) checker for the tests of the OpenAPI
 * document: enough to validate examples against the generated component
 * schemas without adding a validator dependency. It refuses keywords it does
 * not understand, so a schema it cannot judge fails loudly instead of passing.
 */

type Schema = Record<string, unknown>;

/** Keywords that carry no constraint we check (annotations). */
const ANNOTATIONS = new Set(['description', 'default', 'format', 'contentMediaType', 'contentEncoding', 'title', 'examples', '$id', '$schema', 'readOnly', 'writeOnly', 'deprecated']);
const CHECKED = new Set([
  '$ref', 'type', 'properties', 'required', 'additionalProperties', 'items', 'minItems', 'maxItems', 'minLength', 'maxLength',
  'pattern', 'enum', 'const', 'anyOf', 'oneOf', 'allOf', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'propertyNames',
]);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(expected: string, actual: string): boolean {
  return expected === actual || (expected === 'number' && actual === 'integer');
}

/** Checks `value` against `schema`; `root` resolves `#/…` references. Returns the problems (empty = valid). */
export function checkSchema(schema: unknown, value: unknown, root: unknown, path = '$'): string[] {
  if (schema === true || (typeof schema === 'object' && schema !== null && Object.keys(schema).length === 0)) return [];
  if (schema === false) return [`${path}: no value allowed`];
  const s = schema as Schema;
  for (const k of Object.keys(s)) {
    if (!CHECKED.has(k) && !ANNOTATIONS.has(k)) throw new Error(`json-schema-check: unsupported keyword ${k} at ${path}`);
  }
  const errors: string[] = [];
  const fail = (m: string) => errors.push(`${path}: ${m}`);
  if (typeof s.$ref === 'string') errors.push(...checkSchema(resolve(s.$ref, root), value, root, path));
  const t = typeOf(value);
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    if (!types.some((x) => typeMatches(x, t))) return [`${path}: expected ${types.join('|')}, got ${t}`];
  }
  if (s.enum !== undefined && !(s.enum as unknown[]).some((e) => JSON.stringify(e) === JSON.stringify(value))) fail(`not one of ${JSON.stringify(s.enum)}`);
  if (s.const !== undefined && JSON.stringify(s.const) !== JSON.stringify(value)) fail(`expected ${JSON.stringify(s.const)}`);
  if (typeof value === 'string') {
    if (typeof s.minLength === 'number' && [...value].length < s.minLength) fail(`shorter than ${s.minLength}`);
    if (typeof s.maxLength === 'number' && [...value].length > s.maxLength) fail(`longer than ${s.maxLength}`);
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern).test(value)) fail(`does not match ${s.pattern}`);
  }
  if (typeof value === 'number') {
    if (typeof s.minimum === 'number' && value < s.minimum) fail(`below ${s.minimum}`);
    if (typeof s.maximum === 'number' && value > s.maximum) fail(`above ${s.maximum}`);
    if (typeof s.exclusiveMinimum === 'number' && value <= s.exclusiveMinimum) fail(`not above ${s.exclusiveMinimum}`);
    if (typeof s.exclusiveMaximum === 'number' && value >= s.exclusiveMaximum) fail(`not below ${s.exclusiveMaximum}`);
  }
  if (Array.isArray(value)) {
    if (typeof s.minItems === 'number' && value.length < s.minItems) fail(`fewer than ${s.minItems} items`);
    if (typeof s.maxItems === 'number' && value.length > s.maxItems) fail(`more than ${s.maxItems} items`);
    if (s.items !== undefined) value.forEach((v, i) => errors.push(...checkSchema(s.items, v, root, `${path}[${i}]`)));
  }
  if (t === 'object') errors.push(...checkObject(s, value as Record<string, unknown>, root, path));
  errors.push(...checkCombinators(s, value, root, path));
  return errors;
}

function checkObject(s: Schema, obj: Record<string, unknown>, root: unknown, path: string): string[] {
  const errors: string[] = [];
  const props = (s.properties ?? {}) as Record<string, unknown>;
  for (const r of (s.required ?? []) as string[]) if (!(r in obj)) errors.push(`${path}: missing ${r}`);
  for (const [k, v] of Object.entries(obj)) {
    if (k in props) errors.push(...checkSchema(props[k], v, root, `${path}.${k}`));
    else if (s.additionalProperties === false) errors.push(`${path}: unexpected property ${k}`);
    else if (typeof s.additionalProperties === 'object') errors.push(...checkSchema(s.additionalProperties, v, root, `${path}.${k}`));
    if (s.propertyNames !== undefined) errors.push(...checkSchema(s.propertyNames, k, root, `${path}{${k}}`));
  }
  return errors;
}

function checkCombinators(s: Schema, value: unknown, root: unknown, path: string): string[] {
  const errors: string[] = [];
  if (Array.isArray(s.allOf)) for (const sub of s.allOf) errors.push(...checkSchema(sub, value, root, path));
  if (Array.isArray(s.anyOf) && !s.anyOf.some((sub) => checkSchema(sub, value, root, path).length === 0)) {
    errors.push(`${path}: matches none of anyOf`);
  }
  if (Array.isArray(s.oneOf)) {
    const matches = s.oneOf.filter((sub) => checkSchema(sub, value, root, path).length === 0).length;
    if (matches !== 1) errors.push(`${path}: matches ${matches} of oneOf (exactly one expected)`);
  }
  return errors;
}

/** Resolves a local `#/a/b` reference in `root`. */
export function resolve(ref: string, root: unknown): unknown {
  if (!ref.startsWith('#/')) throw new Error(`json-schema-check: only local references are supported (${ref})`);
  let node: unknown = root;
  for (const part of ref.slice(2).split('/')) {
    node = (node as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    if (node === undefined) throw new Error(`json-schema-check: unresolved reference ${ref}`);
  }
  return node;
}
