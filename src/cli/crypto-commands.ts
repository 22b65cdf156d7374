import type { Command } from 'commander';

/** Registers `seal` and `unseal`. */
export function registerCryptoCommands(_program: Command): void {}
