/**
 * End-to-end figures of the outbound pipeline against the in-process
 * sandbox, with the two-signature crypto limit of the same run as baseline:
 *   - accepted/s and published/s for 1 KB single-recipient messages;
 *   - accept → published latency p50/p99;
 *   - API latency p50/p99 at a fixed 100 req/s (open loop);
 *   - a 500-recipient group: time until every recipient is published.
 * Run: npm run bench:e2e  (env BENCH_MESSAGES, BENCH_GROUP_SIZE to scale)
 */
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { startSandbox } from '../src/sandbox/sandbox.ts';
import { senderBoxForParty } from '../src/main/demo-tenant.ts';
import { startGateway } from '../src/main/gateway.ts';
import { loadConfig } from '../src/config/config.ts';
import { messageState } from '../src/outbound/message-store.ts';
import { createRedis, deleteByPattern } from '../src/storage/redis.ts';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 600);
const GROUP_SIZE = Number(process.env.BENCH_GROUP_SIZE ?? 500);
const CONCURRENCY = 32;

function rsaSignRate(): number {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const data = crypto.randomBytes(64);
  const n = 400;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) crypto.sign('sha256', data, { key: privateKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  return n / ((performance.now() - t0) / 1000);
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

async function main() {
  const signRate = rsaSignRate();
  const limit = signRate / 2;
  console.log(`baseline: RSA-2048 PSS sign ${signRate.toFixed(0)}/s → two-signature limit ${limit.toFixed(0)} seals/s`);
  const run = crypto.randomBytes(3).toString('hex');
  const dataDir = path.join(os.tmpdir(), `ehbox-bench-e2e-${run}`);
  const wardNurses = Math.ceil(GROUP_SIZE / 4);
  const sandbox = await startSandbox({
    dataDir: path.join(dataDir, 'sandbox'),
    materialDir: path.join(os.tmpdir(), `ehbox-bench-material-${wardNurses}`),
    size: { doctors: 8, nurses: 4, pharmacists: 2, hospitals: 2, wardNurses },
    durability: 'os',
    log: (l) => console.log(l),
  });
  const config = loadConfig({ PORT: '0', EHBOX_DATA_DIR: dataDir, REDIS_PREFIX: `ehbox-bench:${run}:`, LOG_LEVEL: 'silent', EHEALTH_RATE_LIMIT_PER_SECOND: '10000' });
  const gw = await startGateway(config, { api: true, workers: ['resolve', 'deliver', 'cleanup', 'webhook'], sandbox: false }, () => {}, { sandbox });
  const tenant = await gw.tenancy.tenants.create({ name: 'Bench hospital' });
  const hospital = sandbox.directory.parties.find((p) => p.quality === 'HOSPITAL')!;
  await gw.tenancy.boxes.create(tenant.id, senderBoxForParty(sandbox, hospital));
  const { apiKey } = await gw.tenancy.apiKeys.create(tenant.id);
  const doctors = sandbox.directory.parties.filter((p) => p.quality === 'DOCTOR' && p.etk === 'valid' && !p.outOfOffice);
  const body = (i: number) =>
    JSON.stringify({
      title: `Bench ${i}`,
      document: { filename: 'x.bin', mimeType: 'application/octet-stream', content: crypto.randomBytes(1024).toString('base64') },
      recipients: [{ type: 'NIHII', id: doctors[i % doctors.length]!.nihii, quality: 'DOCTOR' }],
    });
  const post = async (i: number) => {
    const t0 = performance.now();
    const res = await fetch(`${gw.apiUrl}/v1/messages`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: body(i) });
    const json = (await res.json()) as { id: string };
    if (res.status !== 202) throw new Error(`HTTP ${res.status}`);
    return { id: json.id, ms: performance.now() - t0 };
  };
  // warm-up: tokens, ETK cache, connections
  for (let i = 0; i < 10; i++) await post(i);

  // 1. throughput
  const ids: string[] = [];
  const apiMs: number[] = [];
  const t0 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < MESSAGES) {
      const r = await post(next++);
      ids.push(r.id);
      apiMs.push(r.ms);
    }
  }));
  const acceptSecs = (performance.now() - t0) / 1000;
  const latencies: number[] = [];
  for (const id of ids) {
    for (;;) {
      const msg = await gw.outbound.get(tenant.id, id);
      if (messageState(msg.rows) === 'delivered') {
        latencies.push(Date.parse(msg.rows[0]!.updatedAt) - Date.parse(msg.meta.createdAt));
        break;
      }
      if (messageState(msg.rows) === 'failed') throw new Error(`message failed: ${msg.rows[0]!.code}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  const publishSecs = (performance.now() - t0) / 1000;
  const accepted = MESSAGES / acceptSecs;
  const published = MESSAGES / publishSecs;
  console.log(`1 KB × 1 recipient, ${MESSAGES} messages, ${CONCURRENCY} concurrent clients:`);
  console.log(`  accepted  ${accepted.toFixed(0)}/s  (${((accepted / limit) * 100).toFixed(1)} % of the two-signature limit)`);
  console.log(`  published ${published.toFixed(0)}/s  (${((published / limit) * 100).toFixed(1)} % of the two-signature limit)`);
  console.log(`  accept→published p50 ${pct(latencies, 50).toFixed(0)} ms, p99 ${pct(latencies, 99).toFixed(0)} ms`);
  console.log(`  API p50 ${pct(apiMs, 50).toFixed(1)} ms, p99 ${pct(apiMs, 99).toFixed(1)} ms (closed loop)`);

  // 2. API latency at 100 req/s open loop for 5 s
  const open: Promise<number>[] = [];
  const openIds: string[] = [];
  const start = performance.now();
  for (let i = 0; i < 500; i++) {
    const due = start + i * 10;
    await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
    open.push(post(i).then((r) => (openIds.push(r.id), r.ms)));
  }
  const openMs = await Promise.all(open);
  console.log(`API at 100 req/s (open loop, 500 requests): p50 ${pct(openMs, 50).toFixed(1)} ms, p99 ${pct(openMs, 99).toFixed(1)} ms`);
  for (const id of openIds) {
    while (['accepted', 'processing'].includes(messageState((await gw.outbound.get(tenant.id, id)).rows))) await new Promise((r) => setTimeout(r, 50));
  }

  // 3. a group of GROUP_SIZE
  const members = sandbox.directory.parties.filter((p) => p.workplace && p.etk === 'valid').slice(0, GROUP_SIZE).map((p) => ({ type: 'NIHII', id: p.nihii!, quality: 'NURSE' }));
  const group = await gw.tenancy.groups.create(tenant.id, { name: 'Bench ward', members });
  const g0 = performance.now();
  const res = await fetch(`${gw.apiUrl}/v1/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'Ward memo', document: { filename: 'memo.txt', mimeType: 'text/plain', content: Buffer.from('memo').toString('base64') }, recipients: [{ group: group.id }] }),
  });
  const { id: gid } = (await res.json()) as { id: string };
  for (;;) {
    const msg = await gw.outbound.get(tenant.id, gid);
    const st = messageState(msg.rows);
    if (st !== 'accepted' && st !== 'processing') {
      console.log(`group of ${members.length}: ${st} in ${((performance.now() - g0) / 1000).toFixed(2)} s (${msg.rows.filter((r) => r.state === 'published').length} published)`);
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await gw.close();
  await sandbox.close();
  const cleaner = createRedis(config);
  await deleteByPattern(cleaner, `ehbox-bench:${run}:*`).catch(() => undefined);
  cleaner.disconnect();
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
