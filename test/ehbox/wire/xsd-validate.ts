/**
 * Test helper: validates many XML documents against one of the vendored
 * ehBox protocol XSDs with a single xmllint run (one process per batch keeps
 * the suite fast), and reports validity and messages per document.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const SCHEMA_DIR = path.resolve(import.meta.dirname, '../../../schemas/ehealth-ehbox/XSD');

/** The two ehBox protocol schemas. */
export const SCHEMAS = {
  publication: path.join(SCHEMA_DIR, 'ehealth-ehBox-publication-schema-protocol-3_0.xsd'),
  consultation: path.join(SCHEMA_DIR, 'ehealth-ehBox-consultation-schema-protocol-3_0.xsd'),
} as const;

/** Result of validating one document. */
export interface XsdResult {
  valid: boolean;
  output: string;
}

/** Validates every document of `docs` (name → XML) against `schema` in one xmllint call. */
export function xsdValidate(schema: keyof typeof SCHEMAS, docs: Record<string, string>): Record<string, XsdResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ehbox-wire-'));
  try {
    const files: Record<string, string> = {};
    let i = 0;
    for (const [name, xml] of Object.entries(docs)) {
      const file = path.join(dir, `doc-${i++}.xml`);
      fs.writeFileSync(file, `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`);
      files[name] = file;
    }
    const run = spawnSync('xmllint', ['--noout', '--nonet', '--schema', SCHEMAS[schema], ...Object.values(files)], { encoding: 'utf8' });
    if (run.error) throw run.error;
    const lines = `${run.stdout}\n${run.stderr}`.split('\n');
    const out: Record<string, XsdResult> = {};
    for (const [name, file] of Object.entries(files)) {
      const mine = lines.filter((l) => l.startsWith(`${file}:`) || l.startsWith(`${file} `));
      out[name] = { valid: mine.some((l) => l === `${file} validates`), output: mine.join('\n') };
    }
    return out;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
