/**
 * `npm run build` emits JavaScript that runs on its own: the compiled seal
 * module starts its key-transport worker from dist/ (a plain .mjs tsc does
 * not emit) and the XSDs sit where the compiled validator looks.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
// inside the project so that the compiled code resolves the project's node_modules
const cacheDir = path.join(root, 'node_modules/.cache');
mkdirSync(cacheDir, { recursive: true });
const outDir = mkdtempSync(path.join(cacheDir, 'ehbox-build-test-'));
writeFileSync(path.join(outDir, 'package.json'), JSON.stringify({ type: 'module' }));

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('npm run build', () => {
  it('emits runnable JavaScript with its worker and schemas', () => {
    execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', path.join(outDir, 'dist')], { cwd: root, stdio: 'pipe' });
    execFileSync(process.execPath, [path.join(root, 'scripts/copy-build-assets.mjs'), path.join(outDir, 'dist')], { cwd: root, stdio: 'pipe' });
    expect(existsSync(path.join(outDir, 'dist/src/crypto/key-transport-worker.mjs'))).toBe(true);
    expect(existsSync(path.join(outDir, 'dist/schemas'))).toBe(true);
    const seal = path.join(outDir, 'dist/src/crypto/seal.js');
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(seal)}); process.stdout.write(String(await m.warmKeyTransportWorker()));`], { encoding: 'utf8' });
    expect(out).toBe('true');
  }, 120_000);
});
