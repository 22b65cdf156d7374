/**
 * Load figures of the all-in-one set-up (API + workers + in-process sandbox
 * in this process, loopback only):
 *   - open-loop steps at increasing rates: accepted/s, published/s, API
 *     p50/p99, errors, backlog, CPU use and a CPU-profile split by area;
 *   - Redis memory per 1,000 queued messages (no workers on that prefix);
 *   - a soak ending with all published, none lost, none duplicated.
 * Run: npm run bench:load   (env BENCH_RATES=25,50,100 BENCH_STEP_SECONDS=10
 * BENCH_SOAK=2000; BENCH_SOAK=100000 for the full soak)
 */
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { Session, type Profiler } from 'node:inspector/promises';
import { startSandbox, type Sandbox } from '../src/sandbox/sandbox.ts';
import { senderBoxForParty } from '../src/main/demo-tenant.ts';
import { startGateway, type Gateway } from '../src/main/gateway.ts';
import { loadConfig, type Config } from '../src/config/config.ts';
import { messageState } from '../src/outbound/message-store.ts';
import { messageInputSchema } from '../src/outbound/message-input.ts';
import { createRedis, deleteByPattern } from '../src/storage/redis.ts';

const RATES = (process.env.BENCH_RATES ?? '25,50,100').split(',').map(Number);
const STEP_SECONDS = Number(process.env.BENCH_STEP_SECONDS ?? 10);
const SOAK = Number(process.env.BENCH_SOAK ?? 2000);
/** Bound on the requests of one step, whatever the rate asked. */
const MAX_STEP_REQUESTS = 5000;
/** Open loop, but bounded: past this many requests in flight a tick is counted as an error instead of piling up sockets. */
const MAX_IN_FLIGHT = 512;
/** Progress line of the soak every this often. */
const SOAK_PROGRESS_MS = 30_000;
/** Messages read at once when checking for published ones. */
const CHECK_BATCH = 500;
/** Messages enqueued for the Redis memory figure. */
const QUEUED_SAMPLE = 1000;
/** Closed-loop clients of the soak (it measures completeness, not latency). */
const SOAK_CLIENTS = 32;
/** Longest wait for a backlog to drain after a step or the soak, per message. */
const DRAIN_MS_PER_MESSAGE = 200;
/** A step is the bottleneck when fewer than this share of the offered messages is published by the end of the step. */
const KEEP_UP_RATIO = 0.9;

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Ctx { gw: Gateway; sandbox: Sandbox; tenantId: string; apiKey: string; nihiis: string[] }

function body(ctx: Ctx, i: number): string {
  return JSON.stringify({
    title: `Load ${i}`,
    document: { filename: 'x.bin', mimeType: 'application/octet-stream', content: crypto.randomBytes(1024).toString('base64') },
    recipients: [{ type: 'NIHII', id: ctx.nihiis[i % ctx.nihiis.length]!, quality: 'DOCTOR' }],
  });
}

async function post(ctx: Ctx, i: number): Promise<{ id?: string; ms: number; status: number }> {
  const t0 = performance.now();
  try {
    const res = await fetch(`${ctx.gw.apiUrl}/v1/messages`, { method: 'POST', headers: { authorization: `Bearer ${ctx.apiKey}`, 'content-type': 'application/json' }, body: body(ctx, i), signal: AbortSignal.timeout(30_000) });
    const json = (await res.json()) as { id?: string };
    return { id: res.status === 202 ? json.id : undefined, ms: performance.now() - t0, status: res.status };
  } catch {
    return { ms: performance.now() - t0, status: 0 };
  }
}

/** Ids not yet published among `ids` (read in concurrent batches); throws when one failed. */
async function unpublished(ctx: Ctx, ids: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < ids.length; i += CHECK_BATCH) {
    const batch = ids.slice(i, i + CHECK_BATCH);
    const found = await Promise.all(batch.map((id) => ctx.gw.deps.store.get(undefined, id)));
    found.forEach((m, j) => {
      const st = m ? messageState(m.rows) : 'missing';
      if (st === 'failed' || st === 'missing') throw new Error(`message ${batch[j]} ${st}: ${m?.rows[0]?.code ?? ''}`);
      if (st !== 'delivered') out.push(batch[j]!);
    });
  }
  return out;
}

/** Counts published messages; throws when one failed. */
async function publishedCount(ctx: Ctx, ids: readonly string[]): Promise<number> {
  return ids.length - (await unpublished(ctx, ids)).length;
}

/** Waits until every id is published, re-reading only those still pending (a 100,000-message soak stays cheap to watch). */
async function drain(ctx: Ctx, ids: readonly string[]): Promise<void> {
  const end = Date.now() + 30_000 + ids.length * DRAIN_MS_PER_MESSAGE;
  let pending = await unpublished(ctx, ids);
  while (pending.length > 0) {
    if (Date.now() > end) throw new Error(`backlog did not drain (${pending.length} pending)`);
    await sleep(pending.length > 1000 ? 2000 : 250);
    pending = await unpublished(ctx, pending);
  }
}

/** Which area a profile frame belongs to (by its script URL). */
function area(url: string): string | undefined {
  if (!url) return undefined;
  if (url.includes('/src/sandbox/')) return 'sandbox';
  if (/\/src\/crypto\/|node-forge|pkijs|asn1js|@peculiar/.test(url)) return 'crypto';
  if (/\/src\/soap\/|xmldom|xml-crypto|libxml2|xpath/.test(url)) return 'xml';
  if (/ioredis|bullmq|\/src\/storage\/redis|redis-parser|msgpackr/.test(url)) return 'redis';
  if (/undici|node:internal\/deps\/undici/.test(url)) return 'http-client (load generator)';
  if (/express|body-parser|router|\/src\/api\/|node:_http|node:http/.test(url)) return 'api/http-server';
  if (/s3rver|@aws-sdk|@smithy|\/src\/storage\//.test(url)) return 's3';
  return url.startsWith('node:') ? 'node internals' : 'other';
}

/** Self time per area; a frame under any sandbox frame counts as sandbox (it runs in this process). */
function summarize(profile: Profiler.Profile): Map<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const cache = new Map<number, string>();
  const areaOf = (id: number): string => {
    const hit = cache.get(id);
    if (hit) return hit;
    const fn = byId.get(id)!.callFrame.functionName;
    let result = fn === '(idle)' ? 'idle' : fn === '(garbage collector)' ? 'gc' : fn === '(program)' ? 'program' : undefined;
    let leaf: string | undefined;
    for (let cur: number | undefined = id; !result && cur !== undefined; cur = parent.get(cur)) {
      const a = area(byId.get(cur)!.callFrame.url);
      if (a === 'sandbox') result = a;
      // node's own frames are charged to the nearest caller outside node
      if (a !== 'node internals') leaf ??= a;
    }
    result ??= leaf ?? 'node internals';
    cache.set(id, result);
    return result;
  };
  const out = new Map<string, number>();
  profile.samples?.forEach((id, i) => out.set(areaOf(id), (out.get(areaOf(id)) ?? 0) + (profile.timeDeltas?.[i] ?? 0) / 1000));
  return out;
}

interface StepResult { rate: number; accepted: number; published: number; busyRatio: number; top: [string, number][] }

async function step(ctx: Ctx, session: Session, rate: number, base: number): Promise<StepResult> {
  const total = Math.min(MAX_STEP_REQUESTS, Math.round(rate * STEP_SECONDS));
  const ids: string[] = [];
  const ms: number[] = [];
  const errors = new Map<number, number>();
  let inFlight = 0;
  await session.post('Profiler.start');
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    await sleep(Math.max(0, t0 + (i * 1000) / rate - performance.now()));
    if (inFlight >= MAX_IN_FLIGHT) {
      errors.set(-1, (errors.get(-1) ?? 0) + 1);
      continue;
    }
    inFlight++;
    pending.push(post(ctx, base + i).then((r) => {
      inFlight--;
      ms.push(r.ms);
      if (r.id) ids.push(r.id);
      else errors.set(r.status, (errors.get(r.status) ?? 0) + 1);
    }));
  }
  await Promise.all(pending);
  const wall = (performance.now() - t0) / 1000;
  const publishedInStep = await publishedCount(ctx, ids).catch(() => NaN);
  const cpu = process.cpuUsage(cpu0);
  const { profile } = await session.post('Profiler.stop');
  const busyRatio = (cpu.user + cpu.system) / 1e6 / wall;
  const t1 = performance.now();
  await drain(ctx, ids);
  const drainSecs = (performance.now() - t1) / 1000;
  const areas = summarize(profile);
  const busy = [...areas].filter(([k]) => k !== 'idle').reduce((a, [, v]) => a + v, 0);
  const top = [...areas].filter(([k]) => k !== 'idle').sort((a, b) => b[1] - a[1]).slice(0, 6);
  const errText = [...errors].map(([s, n]) => `${s === -1 ? 'client-cap' : s === 0 ? 'network' : `HTTP ${s}`}×${n}`).join(', ') || 'none';
  console.log(`rate ${rate}/s offered for ${wall.toFixed(1)} s (${total} requests):`);
  console.log(`  accepted ${(ids.length / wall).toFixed(1)}/s, published ${(publishedInStep / wall).toFixed(1)}/s during the step (${publishedInStep}/${ids.length}; backlog drained in ${drainSecs.toFixed(1)} s)`);
  console.log(`  API p50 ${pct(ms, 50).toFixed(1)} ms, p99 ${pct(ms, 99).toFixed(1)} ms; errors: ${errText}`);
  console.log(`  process CPU ${(busyRatio * 100).toFixed(0)} % of one core (all threads); main-thread profile: ${top.map(([k, v]) => `${k} ${((v / busy) * 100).toFixed(0)} %`).join(', ')}`);
  return { rate, accepted: ids.length / wall, published: publishedInStep / wall, busyRatio, top };
}

/** Redis INFO used_memory delta for QUEUED_SAMPLE messages accepted under a prefix no worker serves. */
async function queuedMemory(config: Config, ctx: Ctx): Promise<void> {
  const prefix = `${config.REDIS_PREFIX}q:`;
  const quiet = await startGateway({ ...config, REDIS_PREFIX: prefix, PORT: 0 }, { api: false, workers: [], sandbox: false }, () => {}, { sandbox: ctx.sandbox });
  try {
    const tenant = await quiet.tenancy.tenants.create({ name: 'Queue sample' });
    const hospital = ctx.sandbox.directory.parties.find((p) => p.quality === 'HOSPITAL')!;
    await quiet.tenancy.boxes.create(tenant.id, senderBoxForParty(ctx.sandbox, hospital));
    const used = async () => Number(/used_memory:(\d+)/.exec(await quiet.redis.info('memory'))?.[1]);
    const before = await used();
    for (let i = 0; i < QUEUED_SAMPLE; i++) {
      const input = messageInputSchema.parse({ title: `Queued ${i}`, document: { filename: 'x.bin', mimeType: 'application/octet-stream' }, recipients: [{ type: 'NIHII', id: ctx.nihiis[i % ctx.nihiis.length]!, quality: 'DOCTOR' }] });
      await quiet.outbound.accept(tenant, input, { document: { body: crypto.randomBytes(1024) }, annexes: [] });
    }
    const after = await used();
    console.log(`Redis memory per ${QUEUED_SAMPLE} queued messages (workers stopped): ${((after - before) / 1024 / 1024).toFixed(2)} MiB (INFO used_memory, shared Redis: other clients add noise)`);
  } finally {
    await deleteByPattern(quiet.redis, `${prefix}*`).catch(() => undefined);
    await quiet.close();
  }
}

async function soak(ctx: Ctx, base: number): Promise<void> {
  const ids: string[] = [];
  let next = 0;
  let errors = 0;
  const t0 = performance.now();
  const atSandbox0 = ctx.sandbox.ehbox.store.messages.size;
  const progress = setInterval(() => {
    const secs = (performance.now() - t0) / 1000;
    const landed = ctx.sandbox.ehbox.store.messages.size - atSandbox0;
    console.log(`soak: ${secs.toFixed(0)} s, ${ids.length}/${SOAK} accepted, ~${landed} published at the sandbox (${(landed / secs).toFixed(1)}/s)`);
  }, SOAK_PROGRESS_MS);
  progress.unref();
  await Promise.all(Array.from({ length: SOAK_CLIENTS }, async () => {
    while (next < SOAK) {
      const r = await post(ctx, base + next++);
      if (r.id) ids.push(r.id);
      else errors++;
    }
  }));
  const acceptSecs = (performance.now() - t0) / 1000;
  try {
    await drain(ctx, ids);
  } finally {
    clearInterval(progress);
  }
  const secs = (performance.now() - t0) / 1000;
  const pubs = new Map<string, number>();
  for (const m of ctx.sandbox.ehbox.store.messages.values()) if (m.publicationId) pubs.set(m.publicationId, (pubs.get(m.publicationId) ?? 0) + 1);
  let lost = 0;
  let duplicated = 0;
  for (const id of ids) {
    const m = await ctx.gw.deps.store.get(undefined, id);
    const n = pubs.get(m!.rows[0]!.publicationId) ?? 0;
    if (n === 0) lost++;
    if (n > 1) duplicated++;
  }
  console.log(`soak: ${SOAK} messages, ${ids.length} accepted (${errors} errors) in ${acceptSecs.toFixed(1)} s, all published after ${secs.toFixed(1)} s (${(ids.length / secs).toFixed(1)}/s); lost ${lost}, duplicated ${duplicated}`);
  if (lost || duplicated || errors) process.exitCode = 1;
}

async function main() {
  const run = crypto.randomBytes(3).toString('hex');
  const dataDir = path.join(os.tmpdir(), `ehbox-bench-load-${run}`);
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  console.log(`machine: ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (shared machine: other processes may skew the figures)`);
  const sandbox = await startSandbox({ host: '127.0.0.1', dataDir: path.join(dataDir, 'sandbox'), materialDir: path.join(os.tmpdir(), 'ehbox-bench-load-material-v1'), log: (l) => console.log(l) });
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', EHBOX_DATA_DIR: dataDir, REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', REDIS_PREFIX: `ehbox-bench:load:${run}:`, LOG_LEVEL: 'silent', EHEALTH_RATE_LIMIT_PER_SECOND: '10000' });
  const gw = await startGateway(config, { api: true, workers: ['resolve', 'deliver', 'cleanup', 'webhook'], sandbox: false }, () => {}, { sandbox });
  const tenant = await gw.tenancy.tenants.create({ name: 'Load hospital' });
  await gw.tenancy.boxes.create(tenant.id, senderBoxForParty(sandbox, sandbox.directory.parties.find((p) => p.quality === 'HOSPITAL')!));
  const { apiKey } = await gw.tenancy.apiKeys.create(tenant.id);
  const nihiis = sandbox.directory.parties.filter((p) => p.quality === 'DOCTOR' && p.etk === 'valid' && !p.outOfOffice && p.nihii).map((p) => p.nihii!);
  const ctx: Ctx = { gw, sandbox, tenantId: tenant.id, apiKey, nihiis };
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  try {
    await drain(ctx, (await Promise.all(Array.from({ length: 10 }, (_, i) => post(ctx, i)))).flatMap((r) => (r.id ? [r.id] : [])));
    const results: StepResult[] = [];
    let base = 100;
    for (const rate of RATES) {
      results.push(await step(ctx, session, rate, base));
      base += MAX_STEP_REQUESTS;
    }
    const first = results.find((r) => r.published < r.rate * KEEP_UP_RATIO || r.accepted < r.rate * KEEP_UP_RATIO);
    const where = (r: StepResult) => r.top.filter(([k]) => !['gc', 'program'].includes(k))[0]?.[0] ?? 'unknown';
    if (first) console.log(`first bottleneck: at ${first.rate}/s (accepted ${first.accepted.toFixed(1)}/s, published ${first.published.toFixed(1)}/s, CPU ${(first.busyRatio * 100).toFixed(0)} %), biggest main-thread area: ${where(first)}`);
    else console.log(`no bottleneck up to ${RATES.at(-1)}/s; at that rate the biggest main-thread area is ${where(results.at(-1)!)} (CPU ${(results.at(-1)!.busyRatio * 100).toFixed(0)} %)`);
    await queuedMemory(config, ctx);
    await soak(ctx, base);
  } finally {
    session.disconnect();
    await gw.close();
    await sandbox.close();
    const cleaner = createRedis(config);
    await deleteByPattern(cleaner, `${config.REDIS_PREFIX}*`).catch(() => undefined);
    cleaner.disconnect();
  }
  process.exit(process.exitCode ?? 0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
