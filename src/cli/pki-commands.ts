import type { Command } from 'commander';

/** Registers `pki …` (test PKI generation). */
export function registerPkiCommands(program: Command): void {
  program.command('pki').description('Test PKI: CA, ETK-RA and eHealth-style holder keystores');
}
