/**
 * `ehbox-bridge sandbox`: runs the eHealth sandbox in the foreground, prints
 * its endpoints, CA chain and a few ready identities (keystore + password
 * file) so that any client can start talking to it, and stops cleanly on
 * SIGINT/SIGTERM.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { CliError } from './cli-error.ts';
import { USAGE_EXIT_CODE } from './cli-io.ts';
import { startSandbox, SANDBOX_PATHS, type Sandbox } from '../sandbox/sandbox.ts';
import { DIRECTORY_SIZES, specialParties, type DirectorySizeName } from '../sandbox/directory/seed.ts';
import type { Party } from '../sandbox/directory/party.ts';
import { FaultRuleSchema, type FaultRule } from '../sandbox/http/faults.ts';

/** Where state, keys and parties live when `--data-dir` is not given (relative to the working directory). */
export const DEFAULT_SANDBOX_DATA_DIR = './.data/sandbox';
/** Port when `--port` is not given: the in-process sandbox's default (PORT + 1), so the README's URLs work either way. */
export const DEFAULT_SANDBOX_PORT = 8081;

interface SandboxCliOptions {
  port: string;
  host: string;
  seed: string;
  dataDir: string;
  record?: string;
  size: string;
  fault: string[];
  validation: boolean;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new CliError(`--port: not a TCP port: ${value}`, USAGE_EXIT_CODE);
  return port;
}

function parseSize(value: string): DirectorySizeName {
  if (!(value in DIRECTORY_SIZES)) throw new CliError(`--size: one of ${Object.keys(DIRECTORY_SIZES).join(', ')}`, USAGE_EXIT_CODE);
  return value as DirectorySizeName;
}

/** `OP=RULEJSON` → operation and validated rule. */
export function parseFaultFlag(flag: string): { operation: string; rule: FaultRule } {
  const eq = flag.indexOf('=');
  if (eq <= 0) throw new CliError(`--fault: expected OP=RULEJSON, got ${flag}`, USAGE_EXIT_CODE);
  const operation = flag.slice(0, eq);
  let json: unknown;
  try {
    json = JSON.parse(flag.slice(eq + 1));
  } catch {
    throw new CliError(`--fault ${operation}: the rule is not JSON`, USAGE_EXIT_CODE);
  }
  const parsed = FaultRuleSchema.safeParse(json);
  if (!parsed.success) throw new CliError(`--fault ${operation}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'rule'}: ${i.message}`).join('; ')}`, USAGE_EXIT_CODE);
  return { operation, rule: parsed.data };
}

function identityLines(s: Sandbox, role: string, p: Party | undefined): string[] {
  if (!p) return [];
  const m = s.material.parties.get(p.name);
  const dir = m?.dir ?? path.join(s.dataDir, 'parties', p.name);
  return [
    `  ${role.padEnd(22)} ${p.name}  (${p.identity.type} ${p.identity.id}, ${p.quality})`,
    `  ${''.padEnd(22)} keystore ${path.join(dir, 'keystore.p12')}  password file ${path.join(dir, 'password')}`,
  ];
}

/** The text printed once the sandbox listens. */
export function describeSandbox(s: Sandbox): string {
  const sp = specialParties([...s.directory.parties]);
  const nurse = s.directory.parties.find((p) => p.quality === 'NURSE' && p.etk === 'valid' && !p.workplace);
  const lines = [
    `ehbox-bridge sandbox listening on ${s.url}`,
    'Endpoints:',
    ...Object.entries(SANDBOX_PATHS).map(([k, v]) => `  ${k.padEnd(18)} ${s.url}${v}`),
    `  ${'admin'.padEnd(18)} ${s.url}/_sandbox/`,
    `CA chain: ${s.material.chainPem}`,
    `Data dir: ${s.dataDir}  (${s.directory.parties.length} parties under ${path.join(s.dataDir, 'parties')})`,
    ...(s.recordDir ? [`Recording traffic to: ${s.recordDir}`] : []),
    'Ready identities:',
    ...identityLines(s, 'hospital', sp.hospital),
    ...identityLines(s, 'doctor', sp.firstDoctor),
    ...identityLines(s, 'nurse', nurse),
    ...identityLines(s, 'doctor out-of-office', sp.outOfOffice),
    ...identityLines(s, 'doctor without ETK', sp.noEtk),
    ...identityLines(s, 'nurse with expired ETK', sp.expiredEtk),
    ...identityLines(s, 'pharmacist tiny quota', sp.tinyQuota),
    'Press Ctrl+C to stop.',
  ];
  return lines.join('\n') + '\n';
}

/** Resolves on the first SIGINT or SIGTERM. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

async function runSandbox(o: SandboxCliOptions): Promise<void> {
  const port = parsePort(o.port);
  const size = DIRECTORY_SIZES[parseSize(o.size)];
  const faults = o.fault.map(parseFaultFlag);
  const sandbox = await startSandbox({
    port,
    host: o.host,
    seed: o.seed,
    size,
    dataDir: path.resolve(o.dataDir),
    recordDir: o.record ? path.resolve(o.record) : undefined,
    validateRequests: o.validation,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  for (const f of faults) sandbox.faults.set(f.operation, f.rule);
  process.stdout.write(describeSandbox(sandbox));
  if (faults.length > 0) process.stdout.write(`Fault injection: ${faults.map((f) => f.operation).join(', ')}\n`);
  const sig = await untilSignal();
  process.stderr.write(`sandbox: ${sig} received, stopping\n`);
  await sandbox.close();
}

/** Registers `sandbox` on the root program. */
export function registerSandboxCommands(program: Command): void {
  program
    .command('sandbox')
    .description('Run the eHealth sandbox (STS, eHealthBox v3, ETK Depot, Addressbook) in the foreground')
    .option('--port <port>', 'TCP port (0 picks a free one)', String(DEFAULT_SANDBOX_PORT))
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--seed <seed>', 'seed of the generated directory', 'ehbox-bridge')
    .option('--data-dir <dir>', 'keys, parties and state (kept across restarts)', DEFAULT_SANDBOX_DATA_DIR)
    .option('--record <dir>', 'write every request/response envelope there (default $SANDBOX_RECORD_DIR)')
    .option('--size <size>', `directory size: ${Object.keys(DIRECTORY_SIZES).join(', ')}`, 'default')
    .option('--fault <OP=RULEJSON>', 'fault injection rule for an operation (or *); repeatable', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--no-validation', 'do not check requests against the XSDs')
    .action(runSandbox);
}
