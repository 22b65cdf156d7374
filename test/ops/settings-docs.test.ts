/**
 * The settings table of the README is generated from the configuration
 * schema: one row per setting in schema order, defaults and secrets as the
 * schema says, and the README's block is exactly the generated one.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeSettings, SECRET_SETTINGS, settingsSchema } from '../../src/config/config.ts';
import {
  currentSettingsBlock, README_PATH, renderSettingsTable, replaceSettingsBlock, run, SETTINGS_BEGIN, SETTINGS_END,
} from '../../scripts/generate-settings-docs.ts';

/** Cells of a Markdown table row (escaped pipes kept inside cells). */
function cells(row: string): string[] {
  return row.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim());
}

describe('renderSettingsTable', () => {
  const table = renderSettingsTable();
  const rows = table.split('\n').slice(2);

  it('has one row per setting of the schema, in schema order', () => {
    expect(rows.map((r) => cells(r)[0])).toEqual(Object.keys(settingsSchema.shape).map((n) => `\`${n}\``));
  });

  it('shows each default and description from the schema, and flags exactly the secrets', () => {
    const settings = describeSettings();
    rows.forEach((row, i) => {
      const s = settings[i]!;
      const [, def, description] = cells(row);
      expect(cells(row)).toHaveLength(3);
      expect(def).toBe(s.default === undefined ? 'unset' : `\`${s.default}\``);
      expect(description!.startsWith(s.description.replace(/\|/g, '\\|'))).toBe(true);
      expect(description!.endsWith('**Secret.**')).toBe(SECRET_SETTINGS.has(s.name));
    });
    expect(table).toContain('`PORT + 1`');
  });

  it('escapes pipes and line breaks so a description cannot break the table', () => {
    const t = renderSettingsTable([{ name: 'X', description: 'a | b\nc', default: 'p|q', secret: false }]);
    expect(t.split('\n')).toHaveLength(3);
    expect(cells(t.split('\n')[2]!)).toEqual(['`X`', '`p\\|q`', 'a \\| b c']);
  });
});

describe('the README block', () => {
  it('has the markers, and between them exactly the generated table', () => {
    const readme = fs.readFileSync(README_PATH, 'utf8');
    const block = currentSettingsBlock(readme);
    expect(block, `README.md needs ${SETTINGS_BEGIN} and ${SETTINGS_END}; run npm run docs:settings`).toBeDefined();
    expect(block, 'README settings table is stale: run npm run docs:settings').toBe(renderSettingsTable());
    expect(run(['--check'], README_PATH, () => {})).toBe(0);
  });

  it('replaces only what is between the markers, idempotently', () => {
    const before = `# T\n\n${SETTINGS_BEGIN}\nold table\n${SETTINGS_END}\n\nrest\n`;
    const once = replaceSettingsBlock(before, '| new |')!;
    expect(once).toBe(`# T\n\n${SETTINGS_BEGIN}\n| new |\n${SETTINGS_END}\n\nrest\n`);
    expect(replaceSettingsBlock(once, '| new |')).toBe(once);
    expect(replaceSettingsBlock('no markers', 'x')).toBeUndefined();
    expect(replaceSettingsBlock(`${SETTINGS_END}\n${SETTINGS_BEGIN}`, 'x')).toBeUndefined();
  });

  it('writes a stale README, and prints the table when there are no markers', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'settings-docs-'));
    try {
      const stale = path.join(dir, 'README.md');
      fs.writeFileSync(stale, `x\n${SETTINGS_BEGIN}\n${SETTINGS_END}\n`);
      expect(run(['--check'], stale, () => {})).toBe(1);
      expect(run([], stale, () => {})).toBe(0);
      expect(currentSettingsBlock(fs.readFileSync(stale, 'utf8'))).toBe(renderSettingsTable());
      const bare = path.join(dir, 'BARE.md');
      fs.writeFileSync(bare, 'nothing here\n');
      const out: string[] = [];
      expect(run([], bare, (l) => out.push(l))).toBe(0);
      expect(out.join('\n')).toContain(renderSettingsTable());
      expect(fs.readFileSync(bare, 'utf8')).toBe('nothing here\n');
      expect(run(['--check'], bare, () => {})).toBe(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
