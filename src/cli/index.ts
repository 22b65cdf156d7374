/**
 * The `ehbox-bridge` command. Each family of subcommands lives in its own
 * module and registers itself on the root program; `main` returns the exit
 * code instead of calling process.exit so tests can drive it in-process.
 */
import { Command, CommanderError } from 'commander';
import { CliError } from './cli-error.ts';
import { registerPkiCommands } from './pki-commands.ts';
import { registerCryptoCommands } from './crypto-commands.ts';
import { registerEtkCommands } from './etk-commands.ts';
import { registerSandboxCommands } from './sandbox-commands.ts';
import { registerEhealthCommands } from './ehealth-commands.ts';
import { registerEhboxCommands } from './ehbox-commands.ts';
import { registerRunCommands } from './run-commands.ts';
import { registerSendCommands } from './send-commands.ts';
import { registerAdminCommands } from './admin-commands.ts';

/** Builds the root program with every subcommand registered. */
export function buildProgram(): Command {
  const program = new Command('ehbox-bridge')
    .description('Gateway between hospital systems and the Belgian eHealthBox, with an eHealth sandbox')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  registerPkiCommands(program);
  registerCryptoCommands(program);
  registerEtkCommands(program);
  registerSandboxCommands(program);
  registerEhealthCommands(program);
  registerEhboxCommands(program);
  registerRunCommands(program);
  registerSendCommands(program);
  registerAdminCommands(program);
  for (const cmd of program.commands) applyExitOverride(cmd);
  return program;
}

function applyExitOverride(cmd: Command): void {
  cmd.exitOverride();
  for (const sub of cmd.commands) applyExitOverride(sub);
}

/** Runs the command line; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version exit with 0; usage errors already printed their message
      return err.exitCode;
    }
    if (err instanceof CliError) {
      process.stderr.write(`ehbox-bridge: ${err.message}\n`);
      return err.exitCode;
    }
    const message = err instanceof Error ? err.message : String(err);
    const code = (err as { code?: unknown }).code;
    process.stderr.write(`ehbox-bridge: ${typeof code === 'string' ? `${code}: ` : ''}${message}\n`);
    return 1;
  }
}
