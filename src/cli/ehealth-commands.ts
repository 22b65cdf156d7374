/**
 * `ehealth etk` and `ehealth addressbook search|get`: the ETK Depot and the
 * Addressbook from the command line — also the quickest way for users to try
 * their real keystore against acceptance. The connection options and the
 * context shared with `ehbox …` live here too.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { CliError } from './cli-error.ts';
import { readInput, USAGE_EXIT_CODE } from './cli-io.ts';
import { readCertificates } from '../crypto/certificates.ts';
import { loadKeystore } from '../crypto/keystore.ts';
import type { EtkVerdict } from '../crypto/etk.ts';
import type { Keystore } from '../crypto/types.ts';
import { EHEALTH_ENVS, createEhealthClients, endpointsFor, type EhealthClients, type EhealthEnv } from '../ehealth/ehealth-clients.ts';
import { EtkDepotClient, EtkLookupError } from '../etkdepot/etk-depot-client.ts';
import { findIdentifierType } from '../common/identifiers.ts';
import type { SearchCriteria } from '../addressbook/recipient-resolver.ts';

/** Sandbox address when neither --sandbox-url nor EHEALTH_SANDBOX_URL is given. */
export const DEFAULT_SANDBOX_URL = 'http://127.0.0.1:8081';
/** Exit code when a token or a message fails verification. */
export const VERIFY_FAILED_EXIT_CODE = 3;
/** Exit code when something was not found or not delivered. */
export const NOT_DELIVERED_EXIT_CODE = 4;
/** Time for one eHealth call from the CLI (ms). */
const DEFAULT_CLI_TIMEOUT_MS = 30_000;

/** Options every eHealth command accepts. */
export interface ConnectionOptions {
  env?: string;
  sandboxUrl?: string;
  keystore?: string;
  password?: string;
  passwordFile?: string;
  quality?: string;
  trust?: string;
  timeout?: string;
  json?: boolean;
}

/** Adds the connection options (keystore ones only where a signed call is made). */
export function addConnectionOptions(cmd: Command, withKeystore = true): Command {
  cmd
    .option('--env <env>', 'sandbox, acceptance or production (default: EHEALTH_ENV or sandbox)')
    .option('--sandbox-url <url>', `sandbox base URL (default: EHEALTH_SANDBOX_URL or ${DEFAULT_SANDBOX_URL})`)
    .option('--trust <pem>', 'CA chain ETKs and messages must chain to (sandbox: found next to the keystore or asked from the sandbox)')
    .option('--timeout <ms>', 'time for one eHealth call', String(DEFAULT_CLI_TIMEOUT_MS))
    .option('--json', 'print JSON');
  if (withKeystore) {
    cmd
      .option('--keystore <p12>', 'eHealth keystore (default: EHEALTH_KEYSTORE)')
      .option('--password <pw>', 'keystore password (default: EHEALTH_PASSWORD, or the sandbox party’s password file)')
      .option('--password-file <file>', 'file holding the keystore password')
      .option('--quality <q>', 'quality to act in: doctor, nurse, hospital, … (default: EHEALTH_QUALITY or identity.json next to the keystore)');
  }
  return cmd;
}

/** What a command runs with: the environment, and lazily the keystore, clients and trust anchors. */
export class CliContext {
  private clientsCache: EhealthClients | undefined;
  private trustCache: Uint8Array[] | undefined;

  private constructor(
    readonly o: ConnectionOptions,
    readonly env: EhealthEnv,
    readonly sandboxUrl: string,
    readonly timeoutMs: number,
  ) {}

  /** Reads the environment options (no file is touched yet). */
  static open(o: ConnectionOptions): CliContext {
    const env = (o.env ?? process.env.EHEALTH_ENV ?? 'sandbox') as EhealthEnv;
    if (!EHEALTH_ENVS.includes(env)) throw new CliError(`--env: expected ${EHEALTH_ENVS.join(', ')}, got ${env}`, USAGE_EXIT_CODE);
    const timeoutMs = Number(o.timeout ?? DEFAULT_CLI_TIMEOUT_MS);
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new CliError(`--timeout: not a positive number of ms: ${o.timeout}`, USAGE_EXIT_CODE);
    return new CliContext(o, env, o.sandboxUrl ?? process.env.EHEALTH_SANDBOX_URL ?? DEFAULT_SANDBOX_URL, timeoutMs);
  }

  get json(): boolean {
    return this.o.json === true;
  }

  get keystorePath(): string | undefined {
    return this.o.keystore ?? process.env.EHEALTH_KEYSTORE;
  }

  /** Every client, for the keystore and quality of the options. */
  async clients(): Promise<EhealthClients> {
    if (this.clientsCache) return this.clientsCache;
    const file = this.keystorePath;
    if (!file) throw new CliError('--keystore (or EHEALTH_KEYSTORE) is needed', USAGE_EXIT_CODE);
    const keystore = loadKeystore(await readInput(file, 'keystore'), await this.password(file));
    this.clientsCache = createEhealthClients({
      env: this.env,
      sandboxUrl: this.sandboxUrl,
      keystore,
      quality: this.quality(file),
      timeoutMs: this.timeoutMs,
      trustAnchorsDer: await this.trust(),
    });
    return this.clientsCache;
  }

  /** The keystore alone (for unsealing). */
  async keystore(): Promise<Keystore> {
    return (await this.clients()).session.keystore;
  }

  /** An ETK Depot client (no keystore needed: GetEtk is unauthenticated). */
  async etkDepot(): Promise<EtkDepotClient> {
    return new EtkDepotClient({ url: endpointsFor(this.env, this.sandboxUrl).etkDepot, timeoutMs: this.timeoutMs, trustAnchorsDer: await this.trust() });
  }

  /** Trust anchors: --trust, else (sandbox) ca/chain.pem of the sandbox data dir. */
  async trust(): Promise<Uint8Array[]> {
    if (this.trustCache) return this.trustCache;
    let file = this.o.trust;
    if (!file && this.env === 'sandbox') file = await this.sandboxChain();
    if (!file) throw new CliError(`--trust <chain.pem> is needed with --env ${this.env} (the eHealth CA certificates)`, USAGE_EXIT_CODE);
    this.trustCache = readCertificates(await readInput(file, 'trust anchors'));
    return this.trustCache;
  }

  /** Prints the human text, or the JSON value with --json. */
  print(human: string, value: unknown): void {
    process.stdout.write(this.json ? JSON.stringify(value, jsonBytes, 2) + '\n' : human.endsWith('\n') ? human : human + '\n');
  }

  private async password(keystoreFile: string): Promise<string> {
    if (this.o.password !== undefined) return this.o.password;
    if (this.o.passwordFile) return (await readInput(this.o.passwordFile, 'password file')).toString('utf8').trim();
    if (process.env.EHEALTH_PASSWORD !== undefined) return process.env.EHEALTH_PASSWORD;
    const beside = path.join(path.dirname(keystoreFile), 'password');
    if (this.env === 'sandbox' && fs.existsSync(beside)) return fs.readFileSync(beside, 'utf8').trim();
    throw new CliError('--password or --password-file is needed', USAGE_EXIT_CODE);
  }

  private quality(keystoreFile: string): string {
    const q = this.o.quality ?? process.env.EHEALTH_QUALITY;
    if (q) return q;
    const identity = path.join(path.dirname(keystoreFile), 'identity.json');
    if (fs.existsSync(identity)) {
      const parsed = JSON.parse(fs.readFileSync(identity, 'utf8')) as { quality?: unknown };
      if (typeof parsed.quality === 'string') return parsed.quality;
    }
    throw new CliError('--quality is needed (doctor, nurse, hospital, …)', USAGE_EXIT_CODE);
  }

  /** DATA/ca/chain.pem next to a sandbox party keystore (DATA/parties/<name>/keystore.p12), else the one the sandbox names. */
  private async sandboxChain(): Promise<string | undefined> {
    const ks = this.keystorePath;
    const beside = ks ? path.resolve(path.dirname(ks), '..', '..', 'ca', 'chain.pem') : undefined;
    if (beside && fs.existsSync(beside)) return beside;
    try {
      const res = await fetch(new URL('/_sandbox/', this.sandboxUrl), { signal: AbortSignal.timeout(this.timeoutMs) });
      const body = (await res.json()) as { caChain?: unknown };
      return typeof body.caChain === 'string' && fs.existsSync(body.caChain) ? body.caChain : undefined;
    } catch {
      return undefined;
    }
  }
}

/** JSON.stringify replacer: bytes as base64, dates as ISO. */
function jsonBytes(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) {
    return Buffer.from((value as { data: number[] }).data).toString('base64');
  }
  return value;
}

function describeEtk(v: EtkVerdict): string {
  const who = v.holder.type ? `${v.holder.type}=${v.holder.id}${v.holder.applicationId ? ` (${v.holder.applicationId})` : ''}` : 'unidentified holder';
  return [
    `${v.ok ? 'VALID' : 'INVALID'} ETK of ${who}`,
    `  subject    ${v.holder.subject}`,
    `  validity   ${v.validity.notBefore.toISOString()} .. ${v.validity.notAfter.toISOString()}`,
    ...v.reasons.map((r) => `  ${r.code}: ${r.message}`),
  ].join('\n');
}

async function etkCommand(o: ConnectionOptions & { type: string; id: string; app?: string }): Promise<void> {
  const ctx = CliContext.open(o);
  const type = o.type.toUpperCase();
  if (!findIdentifierType(type)) throw new CliError(`--type: unknown identifier type ${o.type}`, USAGE_EXIT_CODE);
  const depot = await ctx.etkDepot();
  try {
    const etks = await depot.getEtks({ type, value: o.id, ...(o.app ? { applicationId: o.app } : {}) });
    ctx.print(etks.map((e) => describeEtk(e.verdict)).join('\n'), etks.map((e) => ({ verdict: e.verdict, etk: e.der })));
  } catch (err) {
    if (!(err instanceof EtkLookupError)) throw err;
    if (err.verdict) ctx.print(describeEtk(err.verdict), { code: err.code, verdict: err.verdict });
    else ctx.print(`${err.code}: ${err.message}`, { code: err.code, message: err.message });
    throw new CliError(`${err.code}: ${err.message}`, err.code === 'ETK_INVALID' ? VERIFY_FAILED_EXIT_CODE : NOT_DELIVERED_EXIT_CODE);
  }
}

async function searchCommand(o: ConnectionOptions & SearchCriteria & { recipientQuality?: string }): Promise<void> {
  const ctx = CliContext.open(o);
  const c = await ctx.clients();
  const criteria: SearchCriteria = {
    name: o.name, firstName: o.firstName, lastName: o.lastName, profession: o.profession,
    institutionName: o.institutionName, institutionType: o.institutionType, zip: o.zip, city: o.city,
  };
  const found = await c.resolver.search(criteria, o.recipientQuality);
  const lines = found.map((f) => `${f.type}:${f.id}:${f.quality}  ${f.name}`);
  ctx.print(found.length ? lines.join('\n') : 'no match', found);
  if (found.length === 0) throw new CliError('no recipient matches', NOT_DELIVERED_EXIT_CODE);
}

async function getCommand(o: ConnectionOptions & { type: string; id: string }): Promise<void> {
  const ctx = CliContext.open(o);
  const c = await ctx.clients();
  const info = findIdentifierType(o.type.toUpperCase());
  if (!info) throw new CliError(`--type: unknown identifier type ${o.type}`, USAGE_EXIT_CODE);
  if (!info.organisation) {
    const key = info.family === 'SSIN' ? ({ type: 'SSIN', value: o.id } as const) : ({ type: 'NIHII', value: o.id } as const);
    const ind = await c.addressbook.getProfessionalContactInfo(key);
    if (!ind) throw new CliError(`${o.type} ${o.id}: not in the Addressbook`, NOT_DELIVERED_EXIT_CODE);
    const boxes = ind.professionalInformation.map((p) => `  ${p.profession.codes[0]?.value ?? '?'}: ehBox ${p.eHealthBox ? boxText(p.eHealthBox) : 'none'}${mail(p.additionalInformation)}`);
    ctx.print([`${ind.firstName ?? ''} ${ind.lastName} (language ${ind.language ?? '?'})${mail(ind.additionalInformation)}`, ...boxes].join('\n'), ind);
    return;
  }
  const family = info.family === 'SSIN' ? 'NIHII' : info.family;
  const org = await c.addressbook.getOrganizationContactInfo({ type: family, value: o.id });
  if (!org) throw new CliError(`${o.type} ${o.id}: not in the Addressbook`, NOT_DELIVERED_EXIT_CODE);
  ctx.print([`${org.names[0]?.value ?? org.id.value}${mail(org.additionalInformation)}`, ...org.eHealthBoxes.map((b) => `  ehBox ${boxText(b)}`)].join('\n'), org);
}

const mail = (infos: readonly { type?: string | undefined; value: string }[]) => {
  const m = infos.find((i) => i.type?.toLowerCase() === 'mail');
  return m ? ` <${m.value}>` : '';
};

/** `Type[/SubType] Id Quality` of a box. */
export function boxText(b: { id: string; type: string; subType?: string | undefined; quality: string }): string {
  return `${b.type}${b.subType ? `/${b.subType}` : ''} ${b.id} ${b.quality}`;
}

/** Registers `ehealth etk` and `ehealth addressbook search|get`. */
export function registerEhealthCommands(program: Command): void {
  const ehealth = program.command('ehealth').description('eHealth services: ETK Depot and Addressbook');
  addConnectionOptions(
    ehealth
      .command('etk')
      .description('Fetch and validate the ETK(s) of a party (ETK Depot, MatchingEtk follow-up)')
      .requiredOption('--type <type>', 'identifier type: SSIN, NIHII, NIHII-HOSPITAL, CBE, EHP, …')
      .requiredOption('--id <id>', 'identifier value')
      .option('--app <id>', 'application id'),
    false,
  ).action(etkCommand);
  const ab = ehealth.command('addressbook').description('Addressbook 1.1 (signed with the keystore’s STS token)');
  addConnectionOptions(
    ab
      .command('search')
      .description('Search professionals and organisations; prints TYPE:ID:QUALITY usable with `ehbox send --to`')
      .option('--name <name>', 'last name or institution name')
      .option('--first-name <name>')
      .option('--last-name <name>')
      .option('--profession <code>', 'PHYSICIAN, NURSE, … or a quality (DOCTOR)')
      .option('--institution-name <name>')
      .option('--institution-type <type>', 'HOSPITAL, PHARMACY, …')
      .option('--zip <zip>')
      .option('--city <city>')
      .option('--recipient-quality <q>', 'quality to address the matches in'),
  ).action(searchCommand);
  addConnectionOptions(
    ab
      .command('get')
      .description('Contact information, e-mail and eHealthBox(es) of one professional or organisation')
      .requiredOption('--type <type>', 'SSIN, NIHII, NIHII-HOSPITAL, CBE, EHP, …')
      .requiredOption('--id <id>', 'identifier value'),
  ).action(getCommand);
}
