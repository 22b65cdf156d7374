import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.ts';
import { loadConfig } from '../../src/config/config.ts';
import { loadOrCreateStagingKeys, parseStagingKeys, StagingKeyring } from '../../src/config/staging-keys.ts';

let root: string;
beforeAll(async () => { root = await mkdtemp(path.join(tmpdir(), 'ehbox-keys-')); });
afterAll(async () => { await rm(root, { recursive: true, force: true }); });

describe('parseStagingKeys', () => {
  it('accepts comma- or newline-separated entries, first = current', () => {
    const a = Buffer.alloc(32, 1).toString('base64');
    const b = Buffer.alloc(32, 2).toString('base64url');
    const parsed = parseStagingKeys(`new:${a}\nold:${b}\n`);
    expect(parsed.ok && parsed.keyring.ids).toEqual(['new', 'old']);
    expect(parsed.ok && parsed.keyring.find('old')!.key.equals(Buffer.alloc(32, 2))).toBe(true);
  });

  it.each([[''], ['k1'], ['k1:'], [':AAAA'], ['k 1:' + Buffer.alloc(32).toString('base64')], ['k1:***'],
    ['k1:' + Buffer.alloc(31).toString('base64')], ['x'.repeat(65) + ':' + Buffer.alloc(32).toString('base64')]])(
    'refuses %j', (text) => {
      expect(parseStagingKeys(text).ok).toBe(false);
    });

  it('keyring refuses bad keys directly too', () => {
    expect(() => new StagingKeyring([])).toThrow(TypeError);
    expect(() => new StagingKeyring([{ id: 'a', key: Buffer.alloc(16) }])).toThrow(TypeError);
  });
});

describe('loadOrCreateStagingKeys', () => {
  it('uses STAGING_KEYS when set and creates no file', async () => {
    const dir = path.join(root, 'configured');
    const config = loadConfig({ EHBOX_DATA_DIR: dir, STAGING_KEYS: `cfg:${Buffer.alloc(32, 5).toString('base64')}` });
    const keyring = await loadOrCreateStagingKeys(config);
    expect(keyring.currentId).toBe('cfg');
    await expect(stat(path.join(dir, 'staging.key'))).rejects.toThrow();
  });

  it('generates one key into the data dir with mode 0600, and reuses it', async () => {
    const dir = path.join(root, 'generated', 'nested');
    const config = loadConfig({ EHBOX_DATA_DIR: dir });
    const first = await loadOrCreateStagingKeys(config);
    const file = path.join(dir, 'staging.key');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(first.currentId).toMatch(/^local-\d{8}-[0-9a-f]{6}$/);
    const second = await loadOrCreateStagingKeys(config);
    expect(second.currentId).toBe(first.currentId);
    expect(second.current.key.equals(first.current.key)).toBe(true);
    expect(await readFile(file, 'utf8')).toMatch(/^local-[^:]+:[A-Za-z0-9+/]+=*\n$/);
  });

  it('agrees on one key when several processes start together', async () => {
    const config = loadConfig({ EHBOX_DATA_DIR: path.join(root, 'race') });
    const rings = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateStagingKeys(config)));
    expect(new Set(rings.map((r) => r.currentId)).size).toBe(1);
  });

  it('refuses a key file readable by other users, and a malformed one', async () => {
    const dir = path.join(root, 'loose');
    const config = loadConfig({ EHBOX_DATA_DIR: dir });
    await loadOrCreateStagingKeys(config);
    const file = path.join(dir, 'staging.key');
    await chmod(file, 0o644);
    await expect(loadOrCreateStagingKeys(config)).rejects.toThrow(/chmod 600/);
    await writeFile(file, 'garbage\n', { mode: 0o600 });
    await chmod(file, 0o600);
    const err = await loadOrCreateStagingKeys(config).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues[0]!.variable).toBe('STAGING_KEYS');
  });
});
