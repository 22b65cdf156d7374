/**
 * No plaintext outside the encrypted stores: messages carrying a marker in
 * title, free text, table, document, annex (title and content) and a patient
 * INSS go through an API process and a worker process (notify queue and
 * its embedded mail catcher included: the messages ask for update-info
 * e-mails); afterwards the marker is searched in every Redis key and value
 * under the prefix (BullMQ job data and digest records included), in the raw
 * bytes of every S3 object file, in every caught `.eml` file and in both
 * processes' logs (debug level). The sandbox (the remote platform) is not searched.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.ts';
import type { Gateway } from '../../src/main/gateway.ts';
import { isValidSsin } from '../../src/common/identifiers.ts';
import type { TestRedis } from '../helpers/redis.ts';
import type { TestS3 } from '../helpers/s3.ts';
import { mailDir } from '../../src/mail/mail-catcher.ts';
import { childEnv, createSandboxTenant, doctors, publicationCounts, spawnBridge, until, waitAllFinal, type BridgeChild } from './harness.ts';
import { startTestGateway, type TestGateway, NO_WORKERS } from '../helpers/gateway.ts';

/** 15 characters (a multiple of 3, so its base64 is stable inside longer text). */
const MARKER = 'ZQXLEAKMARK7731';
/** Bound on publish → digest → e-mail once the digest jobs are promoted (the window itself is MAIL_DIGEST_MINUTES ≥ 1 min). */
const MAIL_TIMEOUT_MS = 20_000;

let t: TestGateway;
let sandbox: Sandbox;
let redis: TestRedis;
let s3: TestS3;
let gw: Gateway;
let apiKey: string;
const children: BridgeChild[] = [];

beforeAll(async () => {
  t = await startTestGateway('plaintext-leak', { roles: NO_WORKERS });
  ({ sandbox, redis, s3, gw } = t);
  const tenantId = await createSandboxTenant(gw.tenancy, sandbox);
  apiKey = (await gw.tenancy.apiKeys.create(tenantId, { label: 'leak' })).apiKey;
}, 60_000);

afterAll(async () => {
  for (const c of children) await c.kill('SIGKILL');
  await t?.close();
});

/**
 * Waits until `expected` e-mails are caught, promoting the delayed digest
 * jobs so that their window (at least a minute) ends now.
 */
async function caughtMail(expected: number): Promise<string[]> {
  const notify = gw.deps.queues.queue('notify');
  return until(`${expected} caught e-mails`, MAIL_TIMEOUT_MS, async () => {
    for (const job of await notify.getJobs(['delayed'])) await job.promote().catch(() => undefined);
    const files = (await filesUnder(mailDir(gw.config.EHBOX_DATA_DIR))).filter((f) => f.endsWith('.eml'));
    return files.length >= expected ? files : undefined;
  }, 100);
}

/** An e-mail as stored, plus its quoted-printable and base64 parts decoded (a wrapped line must not hide the marker). */
function mailReadings(raw: string): string {
  const unwrapped = raw.replace(/=\r?\n/g, '');
  const base64Parts = [...raw.matchAll(/(?:^[A-Za-z0-9+/=]{16,}\r?\n)+/gm)].map((m) => Buffer.from(m[0].replace(/\s+/g, ''), 'base64').toString('latin1'));
  return [raw, unwrapped, ...base64Parts].join('\n');
}

/** A fictitious, valid INSS (born 1985-07-30), whose digits are a marker of their own. */
function patientInss(): string {
  for (let serial = 101; serial < 999; serial++) {
    const base = `850730${String(serial).padStart(3, '0')}`;
    const check = 97 - (Number(base) % 97);
    const inss = base + String(check).padStart(2, '0');
    if (isValidSsin(inss)) return inss;
  }
  throw new Error('no INSS');
}

/** The needles: the marker itself and its base64 spellings at the three alignments. */
function needles(marker: string): string[] {
  const b64 = [marker, `x${marker}`, `xx${marker}`].map((s, i) => Buffer.from(s).toString('base64').slice(i === 0 ? 0 : 4, -4));
  return [marker, ...b64.filter((s) => s.length >= 12)];
}

async function redisDump(): Promise<string[]> {
  const out: string[] = [];
  for (const key of await redis.keys()) {
    const type = await redis.redis.type(key);
    out.push(key);
    if (type === 'string') out.push((await redis.redis.get(key)) ?? '');
    else if (type === 'hash') out.push(JSON.stringify(await redis.redis.hgetall(key)));
    else if (type === 'list') out.push(JSON.stringify(await redis.redis.lrange(key, 0, -1)));
    else if (type === 'zset') out.push(JSON.stringify(await redis.redis.call('ZRANGE', key, '0', '-1', 'WITHSCORES')));
    else if (type === 'set') out.push(JSON.stringify(await redis.redis.smembers(key)));
    else if (type === 'stream') out.push(JSON.stringify(await redis.redis.call('XRANGE', key, '-', '+')));
    const dump = await redis.redis.dumpBuffer(key);
    if (dump) out.push(dump.toString('latin1'));
  }
  return out;
}

async function filesUnder(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

describe('no plaintext leak', () => {
  it('the marker appears in no Redis key or value, no S3 object file, no e-mail and no log line', async () => {
    const env = childEnv(gw.config, sandbox, { LOG_LEVEL: 'debug' });
    const api = spawnBridge(['api'], env);
    const worker = spawnBridge(['worker', '--queues', 'resolve,deliver,cleanup,webhook,notify'], env);
    children.push(api, worker);
    const apiUrl = (await api.waitFor(/API\s+(http:\/\/\S+)\/v1/))[1]!;
    await worker.waitFor(/ehbox-bridge is running/);
    const inss = patientInss();
    const content = (s: string) => Buffer.from(s).toString('base64');
    const [d1, d2] = doctors(sandbox, 2);
    const bodies = [
      { freeText: `Free text ${MARKER}` },
      { table: { title: 'Results', rows: [{ key: `Row ${MARKER}`, value: `Value ${MARKER}` }] } },
    ].map((extra, i) => ({
      title: `Title ${MARKER}`,
      document: { filename: 'report.txt', mimeType: 'text/plain', content: content(`Document ${MARKER} body`) },
      annexes: [{ title: `Annex ${MARKER}`, filename: 'annex.txt', mimeType: 'text/plain', content: content(`Annex ${MARKER} body`) }],
      patientInss: inss,
      notifyRecipients: true,
      recipients: [{ type: 'NIHII', id: (i === 0 ? d1 : d2)!.nihii, quality: 'DOCTOR' }],
      ...extra,
    }));
    const ids: string[] = [];
    for (const body of bodies) {
      const res = await fetch(`${apiUrl}/v1/messages`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(15_000) });
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as { id: string }).id);
    }
    const final = await waitAllFinal(gw.deps.store, ids, 30_000);
    const rows = [...final.values()].flat();
    expect(rows.map((r) => r.state)).toEqual(['published', 'published']);
    expect(publicationCounts(sandbox, rows.map((r) => r.publicationId))).toEqual([1, 1]);
    // a GET of the message goes through the API logs too
    expect((await fetch(`${apiUrl}/v1/messages/${ids[0]!}`, { headers: { authorization: `Bearer ${apiKey}` } })).status).toBe(200);

    const addresses = new Set([d1, d2].map((d) => d!.email).filter((e) => e !== undefined));
    expect(addresses.size).toBeGreaterThan(0);
    const emlFiles = await caughtMail(addresses.size);
    const mailText = (await Promise.all(emlFiles.map((f) => readFile(f)))).map((b) => mailReadings(b.toString('latin1'))).join('\n');
    expect(mailText).toMatch(/^To: .*@mail\.sandbox\.test/im); // the catcher did write real e-mails

    const redisText = (await redisDump()).join('\n');
    const s3Files = await filesUnder(s3.dir);
    const s3Text = (await Promise.all(s3Files.map((f) => readFile(f)))).map((b) => b.toString('latin1')).join('\n');
    const logs = api.output() + worker.output();
    expect(redisText.length).toBeGreaterThan(1000); // the dump did read the message records and jobs
    expect(s3Files.length).toBeGreaterThan(0);
    expect(logs).toMatch(/"level"/);
    for (const needle of [...needles(MARKER), inss]) {
      expect({ needle, where: 'redis', found: redisText.includes(needle) }).toEqual({ needle, where: 'redis', found: false });
      expect({ needle, where: 's3', found: s3Text.includes(needle) }).toEqual({ needle, where: 's3', found: false });
      expect({ needle, where: 'logs', found: logs.includes(needle) }).toEqual({ needle, where: 'logs', found: false });
      expect({ needle, where: 'mail', found: mailText.includes(needle) }).toEqual({ needle, where: 'mail', found: false });
    }
    console.info(`[reliability] searched ${redisText.length} chars of Redis, ${s3Files.length} S3 files, ${emlFiles.length} e-mails, ${logs.length} chars of logs`);
  }, 60_000);
});
