// After `tsc -p tsconfig.build.json`: copies what the compiled code loads at
// run time but tsc does not emit — plain JavaScript workers under src/ and
// the bundled XSDs that src/soap/xsd-validator.ts finds at ../../schemas.
// Usage: node scripts/copy-build-assets.mjs [DIST_DIR]   (default: dist)
import { cpSync, readdirSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const dist = path.resolve(process.argv[2] ?? path.join(root, 'dist'));

function copyJs(dir) {
  for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) copyJs(rel);
    else if (entry.name.endsWith('.mjs')) cpSync(path.join(root, rel), path.join(dist, rel));
  }
}

copyJs('src');
cpSync(path.join(root, 'schemas'), path.join(dist, 'schemas'), { recursive: true });
process.stdout.write('build: copied workers and schemas into dist/\n');
