/**
 * The all-in-one process (`ehbox-bridge all`: API, workers and the
 * in-process sandbox) SIGKILLed while a client loop is posting messages and
 * the workers are sending them, then restarted on the same Redis and data
 * dir. Every message that got a 202 ends published exactly once (sandbox
 * admin API by PublicationId, after the restart, and the API's views), and
 * every publication the sandbox had answered before the kill is still there
 * after it (its journal is fsynced before it answers).
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessageStore } from '../../src/outbound/message-store.ts';
import { publicationIdFor } from '../../src/outbound/outbound-service.ts';
import { createTestRedis, type TestRedis } from '../helpers/redis.ts';
import { sleep, spawnBridge, until, type BridgeChild } from './harness.ts';

/** Sandbox keys and parties of the default seed, generated once per machine (~15 s) and copied into each data dir. */
const MATERIAL_CACHE = path.join(os.tmpdir(), 'ehbox-bridge-aio-material-v1');
/** Parallel posting clients: enough that requests are in flight at the kill. */
const CLIENTS = 4;
/** 202s before the kill: several messages queued behind the ones being sent. */
const ACCEPTED_BEFORE_KILL = 24;
/** Publications before the kill, so that the sandbox has answered some sends. */
const PUBLISHED_BEFORE_KILL = 3;
/** Added to every sendMessage, so that sends are on the wire when the process dies. */
const SEND_LATENCY_MS = 300;
/** Messages posted after the restart (the API accepts again). */
const AFTER_RESTART = 4;
/** Bound on the whole recovery (lock expiry 1.5 s + stalled check + sends). */
const RECOVERY_TIMEOUT_MS = 75_000;

interface SandboxMessage { messageId: string; publicationId: string }
interface MessageViewJson { id: string; state: string; recipients: { state: string; ehboxMessageId?: string }[] }

let redis: TestRedis;
let dataDir: string;
let env: Record<string, string>;
const children: BridgeChild[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Copies the cached sandbox material (without state) into the data dir. */
function seedMaterial(): void {
  if (fs.existsSync(path.join(MATERIAL_CACHE, 'sts.key'))) fs.cpSync(MATERIAL_CACHE, path.join(dataDir, 'sandbox'), { recursive: true });
}

/** After a first start, keeps the generated material for the next runs (atomic rename; a lost race is harmless). */
function cacheMaterial(): void {
  if (fs.existsSync(MATERIAL_CACHE)) return;
  const tmp = `${MATERIAL_CACHE}.${process.pid}-${randomBytes(3).toString('hex')}`;
  fs.cpSync(path.join(dataDir, 'sandbox'), tmp, { recursive: true, filter: (src) => !src.includes(`${path.sep}state`) });
  try {
    fs.renameSync(tmp, MATERIAL_CACHE);
  } catch {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

async function startAll(): Promise<{ child: BridgeChild; apiUrl: string; sandboxUrl: string; apiKey: string }> {
  const child = spawnBridge(['all', '--no-start-redis'], env);
  children.push(child);
  const apiUrl = (await child.waitFor(/API\s+(http:\/\/\S+)\/v1/, 60_000))[1]!;
  const sandboxUrl = (await child.waitFor(/eHealth sandbox (http:\/\/\S+)/))[1]!;
  await child.waitFor(/ehbox-bridge is running/);
  const apiKey = fs.readFileSync(path.join(dataDir, 'demo-api-key'), 'utf8').trim();
  return { child, apiUrl, sandboxUrl, apiKey };
}

async function getJson<T>(url: string, apiKey?: string): Promise<T> {
  const res = await fetch(url, { headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {}, signal: AbortSignal.timeout(10_000) });
  if (res.status !== 200) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

async function doctorNihiis(sandboxUrl: string): Promise<string[]> {
  const parties = await getJson<{ kind: string; nihii?: string; etk: string; outOfOffice: unknown }[]>(`${sandboxUrl}/_sandbox/parties?quality=DOCTOR`);
  return parties.filter((p) => p.kind === 'person' && p.etk === 'valid' && !p.outOfOffice && p.nihii).map((p) => p.nihii!);
}

/** What the client loop saw: ids answered 202, and requests whose outcome is unknown (connection cut by the kill). */
interface LoopResult { accepted: string[]; unknown: number; otherStatus: number[] }

/** Posts single-recipient messages from CLIENTS parallel clients until `stop()` says so. */
function clientLoop(apiUrl: string, apiKey: string, nihiis: string[], label: string, stop: () => boolean, max = Infinity): { result: LoopResult; done: Promise<void> } {
  const result: LoopResult = { accepted: [], unknown: 0, otherStatus: [] };
  let n = 0;
  const one = async () => {
    while (!stop() && n < max) {
      const i = n++;
      const body = {
        title: `All-in-one crash ${label} ${i}`,
        document: { filename: 'letter.txt', mimeType: 'text/plain', content: Buffer.from(`letter ${label} ${i}`).toString('base64') },
        recipients: [{ type: 'NIHII', id: nihiis[i % nihiis.length]!, quality: 'DOCTOR' }],
      };
      try {
        const res = await fetch(`${apiUrl}/v1/messages`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
        const json = (await res.json()) as { id?: string };
        if (res.status === 202 && json.id) result.accepted.push(json.id);
        else result.otherStatus.push(res.status);
      } catch {
        result.unknown++;
        await sleep(20);
      }
    }
  };
  return { result, done: Promise.all(Array.from({ length: CLIENTS }, one)).then(() => undefined) };
}

beforeAll(async () => {
  redis = await createTestRedis('aio-crash');
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ehbox-aio-crash-'));
  seedMaterial();
  const [port, sandboxPort] = [await freePort(), await freePort()];
  env = {
    PORT: String(port),
    SANDBOX_PORT: String(sandboxPort),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    REDIS_URL: redis.settings.REDIS_URL,
    REDIS_PREFIX: redis.prefix,
    EHBOX_DATA_DIR: dataDir,
    EHBOX_WORKER_LOCK_MS: '1500',
  };
});

afterAll(async () => {
  for (const c of children) await c.kill('SIGKILL');
  await redis?.cleanup();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('all-in-one process SIGKILLed under load', () => {
  it('every 202 ends published exactly once; nothing the sandbox answered is lost', async () => {
    const first = await startAll();
    cacheMaterial();
    const nihiis = await doctorNihiis(first.sandboxUrl);
    expect(nihiis.length).toBeGreaterThan(3);
    const fault = await fetch(`${first.sandboxUrl}/_sandbox/faults/sendMessage`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ latencyMs: SEND_LATENCY_MS }) });
    expect(fault.status).toBe(200);

    let killed = false;
    const loop = clientLoop(first.apiUrl, first.apiKey, nihiis, 'before', () => killed);
    let answeredBeforeKill: SandboxMessage[] = [];
    await until('enough accepted and published to kill', 30_000, async () => {
      if (loop.result.accepted.length < ACCEPTED_BEFORE_KILL) return undefined;
      const pubs = await getJson<SandboxMessage[]>(`${first.sandboxUrl}/_sandbox/messages`);
      if (pubs.length < PUBLISHED_BEFORE_KILL) return undefined;
      answeredBeforeKill = pubs;
      return true;
    }, 50);
    await first.child.kill('SIGKILL');
    killed = true;
    expect((await first.child.exited).signal).toBe('SIGKILL');
    await loop.done;
    const before = loop.result;
    expect(before.otherStatus).toEqual([]);

    // what the gateway recorded as published before it died must exist in the sandbox after the restart
    const store = new MessageStore(redis.redis, redis.prefix);
    const statesAtKill = await Promise.all(before.accepted.map(async (id) => (await store.get(undefined, id))?.rows[0]?.state ?? 'missing'));
    expect(statesAtKill).not.toContain('missing');
    const publishedAtKill = before.accepted.filter((_, i) => statesAtKill[i] === 'published');
    const unfinished = statesAtKill.filter((s) => s !== 'published').length;
    console.info(`[reliability] killed with ${before.accepted.length} accepted (${unfinished} unfinished, states ${[...new Set(statesAtKill)].join(',')}), ${before.unknown} requests cut, ${answeredBeforeKill.length} sandbox publications seen`);
    expect(unfinished).toBeGreaterThan(0);

    const second = await startAll();
    expect(second.apiKey).toBe(first.apiKey);
    const after = clientLoop(second.apiUrl, second.apiKey, nihiis, 'after', () => false, AFTER_RESTART);
    await after.done;
    expect(after.result.accepted).toHaveLength(AFTER_RESTART);
    const accepted = [...before.accepted, ...after.result.accepted];

    const views = await until('every accepted message final', RECOVERY_TIMEOUT_MS, async () => {
      const vs = await Promise.all(accepted.map((id) => getJson<MessageViewJson>(`${second.apiUrl}/v1/messages/${id}`, second.apiKey)));
      return vs.every((v) => v.recipients.every((r) => r.state === 'published' || r.state === 'failed')) ? vs : undefined;
    }, 200);
    expect(views.map((v) => [v.id, v.state, v.recipients.map((r) => r.state)])).toEqual(accepted.map((id) => [id, 'delivered', ['published']]));

    // exactly once, by PublicationId, from the restarted sandbox's persisted state
    for (const v of views) {
      const pubs = await getJson<SandboxMessage[]>(`${second.sandboxUrl}/_sandbox/messages?publicationId=${publicationIdFor(v.id, 0)}`);
      expect({ id: v.id, publications: pubs.length }).toEqual({ id: v.id, publications: 1 });
      expect(pubs[0]!.messageId).toBe(v.recipients[0]!.ehboxMessageId);
    }
    const all = await getJson<SandboxMessage[]>(`${second.sandboxUrl}/_sandbox/messages`);
    const perPublication = new Map<string, number>();
    for (const m of all) perPublication.set(m.publicationId, (perPublication.get(m.publicationId) ?? 0) + 1);
    expect([...perPublication.values()].filter((c) => c !== 1)).toEqual([]);
    // nothing lost on the sandbox side: what it had answered, and what the gateway had recorded as published, survived
    const kept = new Set(all.map((m) => m.messageId));
    expect(answeredBeforeKill.filter((m) => !kept.has(m.messageId))).toEqual([]);
    const keptPubs = new Set(all.map((m) => m.publicationId));
    expect(publishedAtKill.filter((id) => !keptPubs.has(publicationIdFor(id, 0)))).toEqual([]);

    // the API's list view agrees
    const list = await getJson<{ items: { id: string; state: string }[] }>(`${second.apiUrl}/v1/messages?limit=200`, second.apiKey);
    const listed = new Map(list.items.map((m) => [m.id, m.state]));
    expect(accepted.filter((id) => listed.get(id) !== 'delivered')).toEqual([]);
    console.info(`[reliability] ${accepted.length} accepted messages published exactly once; ${all.length} sandbox publications, ${answeredBeforeKill.length} answered before the kill all kept`);
    await second.child.kill('SIGTERM');
  }, 150_000);
});
