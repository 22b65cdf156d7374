/**
 * Starts an in-process sandbox on port 0 for a test file. Keys and parties
 * are generated once per machine into a shared cache folder (the first run
 * takes a few seconds) and reused; state is in memory per sandbox.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/sandbox.ts';
import { loadKeystore } from '../../src/crypto/keystore.ts';
import type { Keystore } from '../../src/crypto/types.ts';

/** Bump when the material layout or the seed directory changes. */
const MATERIAL_VERSION = 'v1';
export const TEST_SEED = 'ehbox-bridge-tests';

export function materialDir(seed = TEST_SEED): string {
  return path.join(os.tmpdir(), `ehbox-bridge-test-material-${MATERIAL_VERSION}-${seed}`);
}

/** A sandbox for tests (in-memory state, shared key material). */
export function startTestSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  return startSandbox({ seed: TEST_SEED, materialDir: materialDir(options.seed ?? TEST_SEED), ...options });
}

/** The keystore of a seeded party. */
export function keystoreOf(sandbox: Sandbox, partyName: string): Keystore {
  const m = sandbox.material.parties.get(partyName);
  if (!m) throw new Error(`no party ${partyName}`);
  return loadKeystore(fs.readFileSync(path.join(m.dir, 'keystore.p12')), m.password);
}

/** The first party with this quality (and optionally matching a predicate). */
export function partyWith(sandbox: Sandbox, quality: string, pred: (p: Sandbox['directory']['parties'][number]) => boolean = () => true) {
  const p = sandbox.directory.parties.find((x) => x.quality === quality && x.etk === 'valid' && !x.outOfOffice && pred(x));
  if (!p) throw new Error(`no ${quality} party`);
  return p;
}
