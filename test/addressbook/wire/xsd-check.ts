/**
 * Test helper: validates several XML documents against one entry XSD with a
 * single `xmllint --noout --nonet --schema` call (temp files, batch).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SCHEMA_DIR } from '../../../src/soap/xsd-validator.ts';

/** Addressbook 1.1 entry schema. */
export const ADDRESSBOOK_XSD = path.join(SCHEMA_DIR, 'ehealth-addressbook/XSD/ehealth-addressbook-protocol-1_1.xsd');
/** ETK Depot v1 entry schema. */
export const ETK_DEPOT_XSD = path.join(SCHEMA_DIR, 'ehealth-etee/XSD/ehealth-etkdepot-schema-protocol-1_0.xsd');

/** Per document name: valid or not, with xmllint's messages. */
export type XsdReport = Record<string, { valid: boolean; errors: string[] }>;

/** Validates every document of `docs` (name → XML) against `xsd`. */
export function validateWithXmllint(xsd: string, docs: Record<string, string>): XsdReport {
  const dir = mkdtempSync(path.join(tmpdir(), 'wire-xsd-'));
  try {
    const files = Object.entries(docs).map(([name, xml], i) => {
      const file = path.join(dir, `doc-${i}.xml`);
      writeFileSync(file, xml);
      return { name, file };
    });
    const run = spawnSync('xmllint', ['--noout', '--nonet', '--schema', xsd, ...files.map((f) => f.file)], { encoding: 'utf8' });
    if (run.error) throw run.error;
    if (run.status === 4 || run.status === 5) throw new Error(`schema does not compile: ${run.stderr}`);
    const report: XsdReport = {};
    for (const { name, file } of files) {
      const lines = run.stderr.split('\n').filter((l) => l.startsWith(file));
      report[name] = { valid: lines.includes(`${file} validates`), errors: lines.filter((l) => !l.endsWith(' validates')) };
    }
    return report;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
