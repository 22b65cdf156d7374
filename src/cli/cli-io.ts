/** File helpers shared by the CLI commands: readable errors, DER-or-base64 inputs. */
import { readFile } from 'node:fs/promises';
import { CliError } from './cli-error.ts';

/** Exit code for unreadable inputs and bad arguments. */
export const USAGE_EXIT_CODE = 2;

/** Reads a file, turning I/O errors into a CliError naming the file. */
export async function readInput(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new CliError(`cannot read ${what} ${file}${typeof code === 'string' ? ` (${code})` : ''}`, USAGE_EXIT_CODE);
  }
}

/** ETKs and sealed blobs travel as DER or as base64 text; accept both. */
export function derOrBase64(data: Buffer): Uint8Array {
  const text = data.toString('latin1').trim();
  if (data[0] !== 0x30 && /^[A-Za-z0-9+/=\s]+$/.test(text)) return new Uint8Array(Buffer.from(text, 'base64'));
  return new Uint8Array(data);
}

/** Parses an optional `--at` ISO time. */
export function parseAt(at: string | undefined): Date | undefined {
  if (at === undefined) return undefined;
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) throw new CliError(`--at: not an ISO date/time: ${at}`, USAGE_EXIT_CODE);
  return d;
}
