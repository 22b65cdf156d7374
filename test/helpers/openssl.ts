/**
 * Test utility: run the `openssl` command line (OpenSSL 3.0 on the CI image)
 * synchronously, with files in a throw-away directory. Interop tests use it to
 * prove that what we seal peels with the SEALING.md §6.2 commands and that we
 * unseal what OpenSSL builds.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Longest an openssl invocation may take before the test fails instead of hanging. */
const OPENSSL_TIMEOUT_MS = 20_000;

/** Result of one openssl run. */
export interface OpensslRun {
  status: number;
  stdout: Buffer;
  stderr: string;
}

/** Runs openssl; returns status and output without throwing (for expected failures). */
export function runOpenssl(args: readonly string[], options: { cwd?: string; input?: Uint8Array } = {}): OpensslRun {
  const res = spawnSync('openssl', args, {
    cwd: options.cwd,
    input: options.input,
    timeout: OPENSSL_TIMEOUT_MS,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (res.error) throw res.error;
  return { status: res.status ?? -1, stdout: res.stdout, stderr: res.stderr.toString('utf8') };
}

/** Runs openssl and throws with its stderr when it fails. */
export function openssl(args: readonly string[], options: { cwd?: string; input?: Uint8Array } = {}): Buffer {
  const res = runOpenssl(args, options);
  if (res.status !== 0) throw new Error(`openssl ${args.join(' ')} failed (${res.status}): ${res.stderr}`);
  return res.stdout;
}

/** A temporary working directory with small file helpers. */
export interface WorkDir {
  path: string;
  file(name: string): string;
  write(name: string, data: Uint8Array | string): string;
  read(name: string): Buffer;
  remove(): void;
}

/** Creates a temporary working directory (remove it in afterAll). */
export function workDir(prefix = 'ehbox-test-'): WorkDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return {
    path,
    file: (name) => join(path, name),
    write: (name, data) => {
      writeFileSync(join(path, name), data);
      return join(path, name);
    },
    read: (name) => readFileSync(join(path, name)),
    remove: () => rmSync(path, { recursive: true, force: true }),
  };
}

/** PEM text of a DER certificate. */
export function certificatePem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${b64.trim()}\n-----END CERTIFICATE-----\n`;
}

/** DER certificates from PEM text (in order). */
export function pemCertificates(pem: string): Uint8Array[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => new Uint8Array(Buffer.from(b.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64')));
}
