import type { Command } from 'commander';
import { CliError } from './cli-error.ts';
import { DEFAULT_CA_KEY_BITS, initTestPki, MAX_HOLDERS } from '../crypto/test-pki.ts';
import { describeName } from '../crypto/certificates.ts';

interface PkiInitOptions {
  dir: string;
  holders: string;
  password?: string;
  seed?: string;
  notBefore?: string;
  caKeyBits: string;
  force?: boolean;
}

function parseInteger(value: string, what: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new CliError(`${what} must be an integer in ${min}..${max}`, 2);
  return n;
}

function parseDate(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new CliError(`--not-before: not an ISO date/time: ${value}`, 2);
  return d;
}

async function pkiInit(options: PkiInitOptions): Promise<void> {
  const result = await initTestPki({
    dir: options.dir,
    holders: parseInteger(options.holders, '--holders', 0, MAX_HOLDERS),
    password: options.password,
    seed: options.seed,
    notBefore: parseDate(options.notBefore),
    caKeyBits: parseInteger(options.caKeyBits, '--ca-key-bits', 2048, 8192),
    force: options.force,
  });
  const lines = [
    `Test PKI written to ${result.dir}${options.seed === undefined ? '' : ' (seeded)'}`,
    `  root CA     ${describeName(result.ca.root.certificate.subject)}`,
    `  issuing CA  ${describeName(result.ca.issuing.certificate.subject)}`,
    `  trust chain ${result.chainPem}`,
    `  ETK-RA      ${result.etkRaPem}`,
    `  valid       ${result.ca.notBefore.toISOString()} (+3 years for holders)`,
    `  holders:`,
    ...result.holders.map((h) => {
      const app = h.identity.applicationId ? ` app=${h.identity.applicationId}` : '';
      return `    ${h.name.padEnd(16)} ${h.identity.type}=${h.identity.id} ${h.identity.quality} "${h.identity.name}"${app}`;
    }),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

/** Registers `pki …` (test PKI generation). */
export function registerPkiCommands(program: Command): void {
  const pki = program.command('pki').description('Test PKI: CA, ETK-RA and eHealth-style holder keystores');
  pki
    .command('init')
    .description('Create a test CA, an ETK-RA and holder keystores/ETKs in a directory')
    .requiredOption('--dir <dir>', 'output directory')
    .option('--holders <n>', 'number of holders (doctor, nurse, hospital, institution, partner, pharmacy, …)', '4')
    .option('--password <password>', 'keystore password for every holder (default: random per holder, in <holder>/password)')
    .option('--seed <seed>', 'derive every key, serial and date from this seed (reproducible output)')
    .option('--not-before <iso>', 'start of validity (default: now, or 1 January of this year when seeded)')
    .option('--ca-key-bits <bits>', 'RSA size of the root and issuing CA keys', String(DEFAULT_CA_KEY_BITS))
    .option('--force', 'overwrite an existing test PKI in the directory')
    .action(pkiInit);
}
