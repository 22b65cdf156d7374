/**
 * Inbound throughput: a hospital box in the in-process sandbox holding
 * BENCH_MESSAGES sealed letters, then one poll pass (getMessagesList paging,
 * getFullMessage, unseal + verify, store in S3 and Redis, move to BININBOX)
 * timed end to end. Baseline of the same run: the raw RSA-2048 private
 * decrypt (RSA_NO_PADDING, as our unsealer does it) and PSS verify rates;
 * one single-field letter costs one decrypt and two verifies (outer and
 * inner signature), so limit = 1 / (t_decrypt + 2 · t_verify).
 * Run: npm run bench:inbound  (env BENCH_MESSAGES to scale)
 */
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { startSandbox } from '../src/sandbox/sandbox.ts';
import { senderBoxForParty } from '../src/main/demo-tenant.ts';
import { startGateway } from '../src/main/gateway.ts';
import { loadConfig } from '../src/config/config.ts';
import { createRedis, deleteByPattern } from '../src/storage/redis.ts';
import { createInboundDeps } from '../src/inbound/inbound-deps.ts';
import { processPoll } from '../src/workers/poll.ts';
import { prepareMessage, sealPrepared } from '../src/ehbox/message-sealer.ts';
import { publish } from '../src/sandbox/ehbox/publication.ts';
import { partyKeystore } from '../src/sandbox/party-sender.ts';
import { parseEtk } from '../src/crypto/etk.ts';
import { mapLimit } from '../src/inbound/poll-pass.ts';
import { unsealMessage } from '../src/ehbox/message-unsealer.ts';
import type { FullMessage } from '../src/ehbox/wire/consultation-messages.ts';

/** Messages in the box (the figure). */
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 1000);
/** Size of the fictitious document: a short clinical letter. */
const DOCUMENT_BYTES = 2048;
/** Operations per baseline measurement: enough for a stable rate, under a second each. */
const BASELINE_OPS = 400;
/** The target, as a fraction of the crypto limit. */
const TARGET_RATIO = 0.4;
/** Letters re-read for the per-stage breakdown (a sample: the poll pass above is the figure). */
const STAGE_SAMPLE = 200;
/** Concurrency of the breakdown's I/O stages: the poll pass's per-page concurrency. */
const STAGE_CONCURRENCY = 8;

/** Raw RSA-2048 rates of this machine: private decrypt without padding, and PSS-SHA256 verify. */
function rsaBaseline(): { decrypt: number; verify: number } {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const block = crypto.publicEncrypt({ key: publicKey, padding: crypto.constants.RSA_PKCS1_PADDING }, crypto.randomBytes(32));
  let t0 = performance.now();
  for (let i = 0; i < BASELINE_OPS; i++) crypto.privateDecrypt({ key: privateKey, padding: crypto.constants.RSA_NO_PADDING }, block);
  const decrypt = BASELINE_OPS / ((performance.now() - t0) / 1000);
  const data = crypto.randomBytes(64);
  const pss = { padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
  const sig = crypto.sign('sha256', data, { key: privateKey, ...pss });
  t0 = performance.now();
  for (let i = 0; i < BASELINE_OPS; i++) if (!crypto.verify('sha256', data, { key: publicKey, ...pss }, sig)) throw new Error('baseline verify failed');
  const verify = BASELINE_OPS / ((performance.now() - t0) / 1000);
  return { decrypt, verify };
}

async function main() {
  const run = crypto.randomBytes(3).toString('hex');
  const dataDir = path.join(os.tmpdir(), `ehbox-bench-inbound-${run}`);
  const sandbox = await startSandbox({
    dataDir: path.join(dataDir, 'sandbox'),
    materialDir: path.join(os.tmpdir(), 'ehbox-bench-material-inbound'),
    durability: 'os',
  });
  const config = loadConfig({ PORT: '0', EHBOX_DATA_DIR: dataDir, REDIS_PREFIX: `ehbox-bench:${run}:`, LOG_LEVEL: 'silent' });
  const gw = await startGateway(config, { api: false, workers: [], sandbox: false }, () => {}, { sandbox });
  if (gw.demo) await gw.tenancy.tenants.delete(gw.demo.tenantId);
  const hospital = sandbox.directory.parties.find((p) => p.quality === 'HOSPITAL')!;
  const gp = sandbox.directory.parties.find((p) => p.quality === 'DOCTOR' && p.etk === 'valid' && !p.outOfOffice)!;
  const tenant = await gw.tenancy.tenants.create({ name: 'Bench hospital', inboxPolicy: 'bin' });
  const box = await gw.tenancy.boxes.create(tenant.id, senderBoxForParty(sandbox, hospital));

  // fill: seal once (one field, for the hospital only), publish the same sealed bytes MESSAGES times
  const prepared = prepareMessage(
    { title: 'Referral letter (bench)', document: { filename: 'referral.txt', mimeType: 'text/plain', content: new Uint8Array(crypto.randomBytes(DOCUMENT_BYTES)) }, annexes: [] },
    { encrypted: true, sender: partyKeystore(sandbox.material, gp).authentication },
  );
  const sealed = sealPrepared(prepared, [parseEtk(sandbox.material.parties.get(hospital.name)!.etk!).encryption.der]);
  const fill = (from: number, count: number) => {
    for (let i = from; i < from + count; i++) {
      const res = publish(sandbox.ehbox, { boxes: [gp.boxes[0]!] }, {
        // ehBox PublicationIds are at most 13 characters: 'B' + 6 hex + the index
        publicationId: `B${run}${i}`,
        destinations: [{ ...hospital.boxes[0]! }],
        ...sealed,
        contentSpecification: { contentType: 'DOCUMENT', isImportant: false, isEncrypted: true, publicationReceipt: false, receivedReceipt: false, readReceipt: false },
        customMetas: [],
        metas: [],
        copyMailTo: [],
      });
      if (res.code !== '100') throw new Error(`publish failed: ${res.code}`);
    }
  };
  const f0 = performance.now();
  fill(0, MESSAGES);
  console.log(`filled ${hospital.name}'s box with ${MESSAGES} sealed letters in ${((performance.now() - f0) / 1000).toFixed(1)} s`);

  const deps = createInboundDeps({
    redis: gw.redis,
    prefix: config.REDIS_PREFIX,
    blobs: gw.deps.staging.blobs,
    outbound: gw.deps,
    trustAnchorsDer: [sandbox.material.ca.issuing.der, sandbox.material.ca.root.der],
    pollIntervalMs: 60_000,
    webhookMaxAttempts: 3,
  });
  const p0 = performance.now();
  const summary = await processPoll({ tenantId: tenant.id, boxId: box.id }, deps);
  const secs = (performance.now() - p0) / 1000;
  if (!summary?.ok || summary.stored !== MESSAGES || summary.flagged !== 0) throw new Error(`poll did not store every letter cleanly: ${JSON.stringify(summary)}`);
  const rate = MESSAGES / secs;

  const base = rsaBaseline();
  const limit = 1 / (1 / base.decrypt + 2 / base.verify);
  console.log(`baseline: RSA-2048 private decrypt (no padding) ${base.decrypt.toFixed(0)}/s, PSS verify ${base.verify.toFixed(0)}/s → limit ${limit.toFixed(0)} messages/s (1 decrypt + 2 verifies)`);
  console.log(`poll pass: ${MESSAGES} fetched + unsealed + stored (+ moved) in ${secs.toFixed(2)} s → ${rate.toFixed(0)} messages/s`);
  console.log(`ratio: ${((rate / limit) * 100).toFixed(1)} % of the limit (target ≥ ${TARGET_RATIO * 100} %)`);


  // where the time goes: each stage alone on a fresh sample of the same letter (left in INBOX)
  fill(MESSAGES, STAGE_SAMPLE);
  const sender = await gw.deps.senders.get(box);
  const ids: string[] = [];
  for (let start = 1; start <= STAGE_SAMPLE; start += 100) {
    const page = await sender.ehbox.getMessagesList({ boxId: box.box, source: 'INBOX', startIndex: start, endIndex: start + 99 });
    ids.push(...(page.list?.messages ?? []).map((m) => m.messageId));
  }
  let t0 = performance.now();
  const fulls: (FullMessage | undefined)[] = await mapLimit(ids, STAGE_CONCURRENCY, async (messageId) => (await sender.ehbox.getFullMessage({ boxId: box.box, source: 'INBOX', messageId })).fullMessage);
  const fetchRate = ids.length / ((performance.now() - t0) / 1000);
  t0 = performance.now();
  const unsealed = fulls.map((full) => unsealMessage(full!, { credentials: sender.session.keystore, trustAnchorsDer: deps.trustAnchorsDer }));
  const unsealRate = ids.length / ((performance.now() - t0) / 1000);
  t0 = performance.now();
  await mapLimit(unsealed, STAGE_CONCURRENCY, (u) => deps.inbox.content.put(tenant.id, `inb_${crypto.randomBytes(12).toString('hex')}`, u));
  const putRate = ids.length / ((performance.now() - t0) / 1000);
  console.log(`stages alone (${STAGE_SAMPLE} letters): getFullMessage ${fetchRate.toFixed(0)}/s (${STAGE_CONCURRENCY} concurrent), unseal + verify ${unsealRate.toFixed(0)}/s (${((unsealRate / limit) * 100).toFixed(1)} % of the limit), S3 put of the content ${putRate.toFixed(0)}/s (${STAGE_CONCURRENCY} concurrent)`);

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
