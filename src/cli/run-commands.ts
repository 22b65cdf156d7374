/**
 * The process roles: `all` (what `npm start` runs: API, workers and the
 * in-process sandbox with embedded defaults), `api`, `worker [--queues …]`.
 * Graceful shutdown on SIGTERM/SIGINT: stop taking work, let active jobs
 * finish up to a timeout, close queues and servers.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/config.ts';
import { startGateway, type GatewayRoles } from '../main/gateway.ts';
import { ensureLocalRedis, RedisMissingError } from '../main/local-redis.ts';
import { QUEUE_NAMES, type QueueName } from '../workers/queues.ts';
import { CliError } from './cli-error.ts';

const say = (line: string) => process.stdout.write(line + '\n');

function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
}

function banner(gw: Awaited<ReturnType<typeof startGateway>>): void {
  say('');
  say('ehbox-bridge is running');
  if (gw.apiUrl) say(`  API            ${gw.apiUrl}/v1   (health: ${gw.apiUrl}/healthz)`);
  if (gw.sandbox) {
    say(`  eHealth sandbox ${gw.sandbox.url}   (admin: ${gw.sandbox.url}/_sandbox/parties)`);
    say(`  sandbox CA      ${gw.sandbox.material.chainPem}`);
  }
  if (gw.s3) say(`  embedded S3     ${gw.s3.endpoint}`);
  if (gw.demo && gw.apiUrl && gw.sandbox) {
    const doctor = gw.sandbox.directory.parties.find((p) => p.quality === 'DOCTOR' && p.etk === 'valid' && !p.outOfOffice)!;
    say('');
    say(`  demo tenant API key: ${gw.demo.apiKey}   (also in ${path.join(gw.config.EHBOX_DATA_DIR, 'demo-api-key')})`);
    say(`  sender box: ${gw.demo.hospital}`);
    say('');
    say('  try:');
    say(`    curl -s -X POST ${gw.apiUrl}/v1/messages -H "Authorization: Bearer ${gw.demo.apiKey}" -H 'Content-Type: application/json' \\`);
    say(`      -d '{"title":"Discharge letter","document":{"filename":"letter.txt","mimeType":"text/plain","content":"${Buffer.from('Hello from ehbox-bridge').toString('base64')}"},"recipients":[{"type":"NIHII","id":"${doctor.nihii}","quality":"DOCTOR"}]}'`);
    say(`    curl -s ${gw.apiUrl}/v1/messages/<id> -H "Authorization: Bearer ${gw.demo.apiKey}"`);
  }
  say('');
}

async function run(roles: GatewayRoles, opts: { startRedis: boolean }): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err), 2);
  }
  fs.mkdirSync(config.EHBOX_DATA_DIR, { recursive: true });
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let redisChild;
  try {
    if (opts.startRedis) redisChild = await ensureLocalRedis(config.REDIS_URL, config.EHBOX_DATA_DIR, say);
  } catch (err) {
    if (err instanceof RedisMissingError) throw new CliError(err.message, 3);
    throw err;
  }
  const gw = await startGateway(config, roles, say);
  banner(gw);
  const signal = await waitForSignal();
  say(`${signal}: shutting down…`);
  await gw.close();
  redisChild?.kill('SIGTERM');
}

function parseQueues(value: string | undefined): QueueName[] {
  if (!value) return [...QUEUE_NAMES];
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = names.filter((n) => !(QUEUE_NAMES as string[]).includes(n));
  if (bad.length) throw new CliError(`unknown queue(s) ${bad.join(', ')}; known: ${QUEUE_NAMES.join(', ')}`, 2);
  return names as QueueName[];
}

/** Registers `all`, `api` and `worker`. */
export function registerRunCommands(program: Command): void {
  program
    .command('all')
    .description('Run API, workers and (in sandbox mode) the eHealth sandbox in one process with embedded defaults')
    .option('--no-start-redis', 'do not start a local redis-server when none answers')
    .action((o: { startRedis: boolean }) => run({ api: true, workers: QUEUE_NAMES, sandbox: true }, o));
  program
    .command('api')
    .description('Run the HTTP API only (workers run elsewhere, sharing Redis and S3)')
    .action(() => run({ api: true, workers: [], sandbox: false }, { startRedis: false }));
  program
    .command('worker')
    .description('Run queue workers only')
    .option('--queues <names>', `comma-separated subset of ${QUEUE_NAMES.join(', ')}`)
    .action((o: { queues?: string }) => run({ api: false, workers: parseQueues(o.queues), sandbox: false }, { startRedis: false }));
}
