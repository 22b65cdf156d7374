/**
 * Renders every setting of the configuration schema (`describeSettings()`)
 * as a Markdown table and writes it into README.md between
 * `<!-- settings:begin -->` and `<!-- settings:end -->`, so the README can
 * never list a setting the code does not read or miss one it does.
 *
 *   npm run docs:settings            rewrite the README block
 *   npm run docs:settings -- --check exit 1 when the README is stale
 *   (without the markers it prints the table instead)
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describeSettings, type SettingDescription } from '../src/config/config.ts';

/** Marker lines around the generated block. */
export const SETTINGS_BEGIN = '<!-- settings:begin -->';
export const SETTINGS_END = '<!-- settings:end -->';

/** Markdown table cells: pipes escaped, line breaks flattened. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function defaultCell(s: SettingDescription): string {
  if (s.default === undefined) return 'unset';
  if (s.default === '') return '(empty)';
  return `\`${cell(s.default)}\``;
}

/** The settings table (one row per setting, in schema order). */
export function renderSettingsTable(settings: readonly SettingDescription[] = describeSettings()): string {
  const rows = settings.map((s) => `| \`${s.name}\` | ${defaultCell(s)} | ${cell(s.description)}${s.secret ? ' **Secret.**' : ''} |`);
  return ['| Variable | Default | Description |', '| --- | --- | --- |', ...rows].join('\n');
}

/** The README with the block between the markers replaced; undefined when the markers are missing or out of order. */
export function replaceSettingsBlock(readme: string, table: string): string | undefined {
  const begin = readme.indexOf(SETTINGS_BEGIN);
  const end = readme.indexOf(SETTINGS_END);
  if (begin < 0 || end < 0 || end < begin) return undefined;
  return `${readme.slice(0, begin + SETTINGS_BEGIN.length)}\n${table}\n${readme.slice(end)}`;
}

/** The text currently between the markers, or undefined. */
export function currentSettingsBlock(readme: string): string | undefined {
  const begin = readme.indexOf(SETTINGS_BEGIN);
  const end = readme.indexOf(SETTINGS_END);
  if (begin < 0 || end < 0 || end < begin) return undefined;
  return readme.slice(begin + SETTINGS_BEGIN.length, end).trim();
}

/** Default README location: the repository root. */
export const README_PATH = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'README.md');

/** The command: rewrite (or with `--check`, verify) the README block; returns the exit code. */
export function run(args: readonly string[], readmePath = README_PATH, out: (line: string) => void = (l) => process.stdout.write(l + '\n')): number {
  const table = renderSettingsTable();
  const readme = fs.readFileSync(readmePath, 'utf8');
  const updated = replaceSettingsBlock(readme, table);
  if (updated === undefined) {
    out(`README has no ${SETTINGS_BEGIN} … ${SETTINGS_END} block; the table is:\n`);
    out(table);
    return args.includes('--check') ? 1 : 0;
  }
  if (args.includes('--check')) {
    if (updated === readme) return 0;
    out('README settings table is stale: run `npm run docs:settings`');
    return 1;
  }
  if (updated !== readme) fs.writeFileSync(readmePath, updated);
  out(updated === readme ? 'README settings table already up to date' : `README settings table written (${describeSettings().length} settings)`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = run(process.argv.slice(2));
}
