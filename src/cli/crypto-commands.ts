import type { Command } from 'commander';

/** Registers `seal`, `unseal` and `etk …`. */
export function registerCryptoCommands(program: Command): void {
  program.command('etk').description('Encryption tokens (ETK)');
}
