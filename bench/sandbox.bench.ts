/**
 * Sandbox throughput benchmark (`npm run bench:sandbox`): how many
 * sendMessage calls per second the sandbox sustains, so that it is never the
 * bottleneck of the gateway's benchmarks. The sandbox runs in a child process;
 * this process sends a sealed 1 KB message (sealed once, SwA attachment,
 * WS-Security envelopes pre-signed in a pool so the client costs next to
 * nothing) with N concurrent keep-alive connections. Rows: request validation
 * on (default), off, and on with a fsync'd data dir. Each row gives the calls
 * per second observed, their ratio to the raw RSA-2048 PSS sign rate of the
 * same run, latencies, and the sandbox's own CPU time per call (the figure
 * that does not depend on what else runs on the machine).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSandbox } from '../src/sandbox/sandbox.ts';
import { seedDirectory } from '../src/sandbox/directory/seed.ts';
import type { Party } from '../src/sandbox/directory/party.ts';
import { loadKeystore } from '../src/crypto/keystore.ts';
import { readCertificates } from '../src/crypto/certificates.ts';
import { StsClient } from '../src/sts/sts-client.ts';
import { endpointsAt } from '../src/ehealth/session.ts';
import { EtkDepotClient } from '../src/etkdepot/etk-depot-client.ts';
import { prepareMessage, sealPrepared } from '../src/ehbox/message-sealer.ts';
import { EHBOX_CODECS, EHBOX_OPERATIONS } from '../src/ehbox/wire/operations.ts';
import { signWithSamlHok } from '../src/soap/wssec.ts';
import { buildMultipartRelated, type MultipartBody } from '../src/soap/swa.ts';
import { postSoap } from '../src/soap/http.ts';
import { materialDir, TEST_SEED } from '../test/helpers/sandbox.ts';

/** Concurrent clients (keep-alive connections). */
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
/** Warm-up before each measurement (JIT, schema compilation, connection set-up). */
const WARMUP_MS = 2000;
/** Length of each measurement. */
const MEASURE_MS = Number(process.env.BENCH_MEASURE_MS ?? 8000);
/** Pre-signed envelopes cycled through (Timestamps stay fresh for the 60 s TTL + skew). */
const POOL_SIZE = 64;
const ONE_KB = 1024;
/** Length of the sign-rate measurement. */
const SIGN_MEASURE_MS = 2000;
const CALL_TIMEOUT_MS = 30_000;

interface Mode {
  label: string;
  validateRequests: boolean;
  dataDir: boolean;
}

const MODES: Mode[] = [
  { label: 'validation on, in memory', validateRequests: true, dataDir: false },
  { label: 'validation off, in memory', validateRequests: false, dataDir: false },
  { label: 'validation on, data dir (fsync)', validateRequests: true, dataDir: true },
];

/** Child: a sandbox on a free port, printing its URL; stops on SIGTERM. */
async function serve(): Promise<void> {
  const mode = JSON.parse(process.env.BENCH_MODE ?? '{}') as Mode & { dir?: string };
  const s = await startSandbox({ seed: TEST_SEED, materialDir: materialDir(), validateRequests: mode.validateRequests, ...(mode.dir ? { dataDir: mode.dir } : {}) });
  process.stdout.write(`${JSON.stringify({ url: s.url })}\n`);
  // SIGUSR2 marks the start of a measurement; SIGTERM reports the CPU time used since then, then stops
  let mark = process.cpuUsage();
  process.on('SIGUSR2', () => (mark = process.cpuUsage()));
  process.once('SIGTERM', () => {
    const used = process.cpuUsage(mark);
    process.stdout.write(`${JSON.stringify({ cpuMs: (used.user + used.system) / 1000 })}\n`);
    void s.close().then(() => process.exit(0));
  });
}

interface Child {
  url: string;
  /** Starts the CPU-time measurement of the sandbox process. */
  mark(): void;
  /** Stops the sandbox; resolves to its CPU time (ms) since mark(). */
  stop(): Promise<number>;
}

function startChild(mode: Mode, dir: string): Promise<Child> {
  const env = { ...process.env, BENCH_MODE: JSON.stringify({ ...mode, ...(mode.dataDir ? { dir } : {}) }) };
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const lines = () => out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { url?: string; cpuMs?: number });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const url = out.includes('\n') ? lines()[0]?.url : undefined;
      if (url) {
        resolve({
          url,
          mark: () => child.kill('SIGUSR2'),
          stop: async () => {
            child.kill('SIGTERM');
            await exited;
            return lines().find((l) => l.cpuMs !== undefined)?.cpuMs ?? NaN;
          },
        });
      }
    });
    void exited.then(() => reject(new Error('sandbox child exited early')));
  });
}

/** Raw RSA-2048 RSASSA-PSS signatures per second on this machine, now (the baseline of the ratios). */
function signRate(): number {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const tbs = randomBytes(100);
  const run = () => sign('sha256', tbs, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  for (let i = 0; i < 50; i++) run();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < SIGN_MEASURE_MS) {
    run();
    n++;
  }
  return (n * 1000) / (performance.now() - t0);
}

function loadParty(p: Party) {
  const dir = path.join(materialDir(), 'parties', p.name);
  return loadKeystore(fs.readFileSync(path.join(dir, 'keystore.p12')), fs.readFileSync(path.join(dir, 'password'), 'utf8'));
}

/** A pool of signed SwA requests carrying one pre-sealed 1 KB message from the first hospital to the first doctor. */
async function requestPool(url: string): Promise<MultipartBody[]> {
  const parties = seedDirectory(TEST_SEED);
  const hospital = parties.find((p) => p.quality === 'HOSPITAL')!;
  const doctor = parties.find((p) => p.quality === 'DOCTOR' && p.etk === 'valid' && !p.outOfOffice)!;
  const ks = loadParty(hospital);
  const anchors = readCertificates(fs.readFileSync(path.join(materialDir(), 'ca', 'chain.pem')));
  const depot = new EtkDepotClient({ url: endpointsAt(url).etkDepot, timeoutMs: CALL_TIMEOUT_MS, trustAnchorsDer: anchors });
  const recipients = await Promise.all([doctor, hospital].map(async (p) => (await depot.getEtks({ type: p.certIdentity.type, value: p.certIdentity.id }))[0]!.encryptionCertDer));
  const prepared = prepareMessage({ title: 'Bench', document: { filename: 'b.bin', mimeType: 'application/octet-stream', content: randomBytes(ONE_KB) }, annexes: [] }, { encrypted: true, sender: ks.authentication });
  const payload = EHBOX_CODECS.sendMessage.encodeRequest({
    destinations: [{ ...doctor.boxes[0]! }],
    ...sealPrepared(prepared, recipients),
    contentSpecification: { contentType: 'DOCUMENT', isImportant: false, isEncrypted: true, publicationReceipt: false, receivedReceipt: false, readReceipt: false },
    customMetas: [],
    metas: [],
    copyMailTo: [],
  });
  const token = await new StsClient({ url: endpointsAt(url).sts, timeoutMs: CALL_TIMEOUT_MS }).token(ks, 'hospital');
  return Array.from({ length: POOL_SIZE }, () =>
    buildMultipartRelated({
      envelopeXml: signWithSamlHok({ body: payload.xml, assertionXml: token.assertionXml, privateKey: ks.authentication.privateKey }),
      attachments: payload.attachments.map((a) => ({ contentId: a.cid, data: a.bytes })),
    }),
  );
}

/** Runs N workers for `ms`; returns completed calls and latencies. */
async function load(url: string, pool: MultipartBody[], ms: number): Promise<{ calls: number; elapsedMs: number; latencies: number[] }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const target = endpointsAt(url).ehboxPublication;
  const latencies: number[] = [];
  let calls = 0;
  let i = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (performance.now() - t0 < ms) {
      const body = pool[i++ % pool.length]!;
      const t = performance.now();
      const res = await postSoap({ url: target, soapAction: EHBOX_OPERATIONS.sendMessage.soapAction, body, timeoutMs: CALL_TIMEOUT_MS, agent });
      const status = EHBOX_CODECS.sendMessage.decodeResponse(res.envelope.payload).status.code;
      if (status !== '100') throw new Error(`sendMessage answered ${status}`);
      latencies.push(performance.now() - t);
      calls++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const elapsedMs = performance.now() - t0;
  agent.destroy();
  return { calls, elapsedMs, latencies };
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;

async function main(): Promise<void> {
  const sign = signRate();
  const rows: string[] = [];
  for (const mode of MODES) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ehbox-sandbox-bench-'));
    const child = await startChild(mode, dir);
    try {
      const pool = await requestPool(child.url);
      await load(child.url, pool, WARMUP_MS);
      child.mark();
      const r = await load(child.url, pool, MEASURE_MS);
      const cpuMsPerCall = (await child.stop()) / r.calls;
      const perSecond = (r.calls * 1000) / r.elapsedMs;
      rows.push(
        `sendMessage, ${mode.label.padEnd(31)} ${perSecond.toFixed(0).padStart(6)} /s (${(perSecond / sign).toFixed(3)}× sign rate)   p50 ${pct(r.latencies, 50).toFixed(0).padStart(4)} ms  p99 ${pct(r.latencies, 99).toFixed(0).padStart(5)} ms   sandbox CPU ${cpuMsPerCall.toFixed(1)} ms/call = ${(1000 / cpuMsPerCall).toFixed(0)} calls/s per core`,
      );
    } finally {
      await child.stop().catch(() => NaN);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  process.stdout.write(
    [
      `node ${process.version}, ${os.cpus().length} CPU(s) ${os.cpus()[0]?.model ?? ''}; sandbox in a child process; ${CONCURRENCY} keep-alive clients; sealed 1 KB (SwA); ${MEASURE_MS} ms per row`,
      `raw RSA-2048 RSASSA-PSS sign (baseline) ${sign.toFixed(0).padStart(6)} /s`,
      ...rows,
    ].join('\n') + '\n',
  );
}

if (process.argv.includes('--serve')) await serve();
else await main();
