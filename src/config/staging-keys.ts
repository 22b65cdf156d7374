/**
 * Keys that encrypt staged plaintext at rest (S3). Operators give them as
 * `STAGING_KEYS=keyId:base64(32 bytes),…` (first = current, the others only
 * decrypt, which is how keys rotate); the all-in-one process generates one
 * into `$EHBOX_DATA_DIR/staging.key` when the variable is unset.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { inspect } from 'node:util';
import { ConfigError } from './config-error.ts';

/** AES-256 needs 32-byte keys. */
export const STAGING_KEY_BYTES = 32;
/** Key ids travel in S3 metadata and in every object header (one length byte). */
const KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
/** Name of the generated key file inside the data directory. */
export const STAGING_KEY_FILE = 'staging.key';
/** Group and other permission bits: a key file readable by them is refused, as ssh does. */
const NON_OWNER_BITS = 0o077;

/** One staging key: its public id and the secret AES-256 key. */
export interface StagingKey {
  readonly id: string;
  readonly key: Buffer;
}

/**
 * The ordered set of staging keys: `current` encrypts, every key decrypts.
 * It never prints its key material (toJSON and util.inspect show ids only).
 */
export class StagingKeyring {
  readonly #keys = new Map<string, Buffer>();
  /** Id of the key new objects are encrypted with. */
  readonly currentId: string;

  constructor(keys: readonly StagingKey[]) {
    const first = keys[0];
    if (!first) throw new TypeError('a staging keyring needs at least one key');
    for (const { id, key } of keys) {
      if (!KEY_ID_PATTERN.test(id)) throw new TypeError('staging key ids are 1-64 characters of A-Z a-z 0-9 . _ -');
      if (key.length !== STAGING_KEY_BYTES) throw new TypeError(`staging keys are ${STAGING_KEY_BYTES} bytes`);
      if (this.#keys.has(id)) throw new TypeError(`staging key id ${id} appears twice`);
      this.#keys.set(id, Buffer.from(key));
    }
    this.currentId = first.id;
  }

  /** The key used for new objects. */
  get current(): StagingKey {
    return { id: this.currentId, key: this.#keys.get(this.currentId)! };
  }

  /** The key with this id, or undefined (an object written under a key that was removed). */
  find(id: string): StagingKey | undefined {
    const key = this.#keys.get(id);
    return key ? { id, key } : undefined;
  }

  /** Every key id, current first. */
  get ids(): string[] {
    return [...this.#keys.keys()];
  }

  toJSON(): { current: string; keyIds: string[] } {
    return { current: this.currentId, keyIds: this.ids };
  }

  [inspect.custom](): string {
    return `StagingKeyring(current=${this.currentId}, ids=${this.ids.join(',')})`;
  }
}

/** Outcome of parsing the `keyId:base64` list; the reason never contains key material. */
export type StagingKeyParse = { ok: true; keyring: StagingKeyring } | { ok: false; reason: string };

/** Parses `keyId:base64(32 bytes)` entries separated by commas or new lines. */
export function parseStagingKeys(text: string): StagingKeyParse {
  const entries = text.split(/[,\n]/).map((s) => s.trim()).filter((s) => s.length > 0);
  if (entries.length === 0) return { ok: false, reason: 'no key given' };
  const keys: StagingKey[] = [];
  for (const [index, entry] of entries.entries()) {
    const colon = entry.indexOf(':');
    const id = colon < 0 ? '' : entry.slice(0, colon);
    const b64 = colon < 0 ? '' : entry.slice(colon + 1);
    if (!KEY_ID_PATTERN.test(id)) {
      return { ok: false, reason: `entry ${index + 1}: expected keyId:base64 with a key id of 1-64 characters [A-Za-z0-9._-]` };
    }
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(b64)) return { ok: false, reason: `key ${id}: not base64` };
    const key = Buffer.from(b64, 'base64');
    if (key.length !== STAGING_KEY_BYTES) {
      return { ok: false, reason: `key ${id}: must decode to ${STAGING_KEY_BYTES} bytes, got ${key.length}` };
    }
    if (keys.some((k) => k.id === id)) return { ok: false, reason: `key id ${id} appears twice` };
    keys.push({ id, key });
  }
  return { ok: true, keyring: new StagingKeyring(keys) };
}

/** A fresh random key in the `keyId:base64` form, with an id that says when it was made. */
export function generateStagingKeyEntry(now = new Date()): string {
  const day = now.toISOString().slice(0, 10).replaceAll('-', '');
  const id = `local-${day}-${randomBytes(3).toString('hex')}`;
  return `${id}:${randomBytes(STAGING_KEY_BYTES).toString('base64')}`;
}

function fileIssue(message: string, cause?: unknown): ConfigError {
  return new ConfigError([{ variable: 'STAGING_KEYS', message }], { cause });
}

async function readKeyFile(file: string): Promise<StagingKeyring> {
  const info = await stat(file);
  if ((info.mode & NON_OWNER_BITS) !== 0) {
    throw fileIssue(`${file} is readable by other users; run chmod 600 on it`);
  }
  const parsed = parseStagingKeys(await readFile(file, 'utf8'));
  if (!parsed.ok) throw fileIssue(`${file}: ${parsed.reason}`);
  return parsed.keyring;
}

/** Writes the file atomically (temp file + hard link), so two processes starting together agree on one key. */
async function createKeyFile(file: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(generateStagingKeyEntry() + '\n');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await unlink(tmp);
  }
}

/**
 * The staging keyring: `STAGING_KEYS` when set, otherwise the key in
 * `$EHBOX_DATA_DIR/staging.key`, generated (mode 0600) on first start.
 */
export async function loadOrCreateStagingKeys(config: {
  readonly STAGING_KEYS?: StagingKeyring | undefined;
  readonly EHBOX_DATA_DIR: string;
}): Promise<StagingKeyring> {
  if (config.STAGING_KEYS) return config.STAGING_KEYS;
  const file = path.join(config.EHBOX_DATA_DIR, STAGING_KEY_FILE);
  try {
    return await readKeyFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      if (err instanceof ConfigError) throw err;
      throw fileIssue(`cannot read ${file}: ${(err as Error).message}`, err);
    }
  }
  try {
    await mkdir(config.EHBOX_DATA_DIR, { recursive: true, mode: 0o700 });
    await createKeyFile(file);
    return await readKeyFile(file);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw fileIssue(`cannot create ${file}: ${(err as Error).message}`, err);
  }
}
