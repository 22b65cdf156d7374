/**
 * Where a sender box's keystore password comes from: an environment variable
 * or a file (a Docker/Kubernetes secret). Only the reference is stored in
 * Redis; the password is read when the keystore is opened.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { TenancyError } from './tenancy-error.ts';

/** `{ env: NAME }` or `{ file: PATH }`. */
export const passwordRefSchema = z.union([
  z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'not an environment variable name') }),
  z.strictObject({ file: z.string().min(1).max(4096) }),
]);
/** A password reference. */
export type PasswordRef = z.output<typeof passwordRefSchema>;

/**
 * Reads the password. Relative file paths are resolved against `baseDir`
 * (default: the working directory). One trailing newline is dropped, since
 * `echo secret > file` adds one. Errors name the reference, never the value.
 */
export async function resolvePassword(
  ref: PasswordRef,
  options: { env?: Readonly<Record<string, string | undefined>>; baseDir?: string } = {},
): Promise<string> {
  if ('env' in ref) {
    const value = (options.env ?? process.env)[ref.env];
    if (value === undefined || value === '') {
      throw new TenancyError('BOX_PASSWORD_UNAVAILABLE', `keystore password variable ${ref.env} is not set`);
    }
    return value;
  }
  const file = path.resolve(options.baseDir ?? process.cwd(), ref.file);
  try {
    return (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
  } catch (err) {
    throw new TenancyError('BOX_PASSWORD_UNAVAILABLE', `cannot read keystore password file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { cause: err });
  }
}
