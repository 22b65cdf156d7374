import type { Command } from 'commander';
import { CliError } from './cli-error.ts';
import { derOrBase64, parseAt, readInput } from './cli-io.ts';
import { parseEtk, validateEtk, type EtkVerdict } from '../crypto/etk.ts';
import { readCertificates } from '../crypto/certificates.ts';

/** Exit code of `etk verify` when the ETK parses but fails a check. */
export const ETK_INVALID_EXIT_CODE = 3;

interface EtkVerifyOptions {
  trust: string;
  at?: string;
  json?: boolean;
}

function describeVerdict(file: string, v: EtkVerdict): string {
  const who = v.holder.type ? `${v.holder.type}=${v.holder.id}${v.holder.applicationId ? ` (${v.holder.applicationId})` : ''}` : 'unidentified holder';
  const lines = [
    `${file}: ${v.ok ? 'VALID' : 'INVALID'}`,
    `  holder     ${who}`,
    `  subject    ${v.holder.subject}`,
    `  validity   ${v.validity.notBefore.toISOString()} .. ${v.validity.notAfter.toISOString()}`,
    `  revocation not checked`,
    ...v.reasons.map((r) => `  ${r.code}: ${r.message}`),
  ];
  return lines.join('\n') + '\n';
}

async function etkVerify(file: string, options: EtkVerifyOptions): Promise<void> {
  const at = parseAt(options.at);
  const trustAnchorsDer = readCertificates(await readInput(options.trust, 'trust anchors'));
  const etk = parseEtk(derOrBase64(await readInput(file, 'ETK')));
  const verdict = validateEtk(etk, { trustAnchorsDer, at });
  process.stdout.write(options.json ? JSON.stringify(verdict, null, 2) + '\n' : describeVerdict(file, verdict));
  const first = verdict.reasons[0];
  if (first) throw new CliError(`${first.code}: ${first.message}`, ETK_INVALID_EXIT_CODE);
}

/**
 * Registers `etk verify` under the `etk` command family (created here when no
 * other module registered it yet).
 */
export function registerEtkCommands(program: Command): void {
  const etk =
    program.commands.find((c) => c.name() === 'etk') ?? program.command('etk').description('Encryption tokens (ETK)');
  etk
    .command('verify')
    .description('Validate an ETK (SEALING.md §2.3 checks 1–5; revocation is not checked)')
    .argument('<file>', 'ETK file (DER, or base64 text)')
    .requiredOption('--trust <pem>', 'trusted CA certificates (PEM bundle or DER), e.g. ca/chain.pem')
    .option('--at <iso>', 'validate at this time instead of now')
    .option('--json', 'print the verdict as JSON')
    .action(etkVerify);
}

