/**
 * The shared-memory key-transport worker on its own: slots, answers,
 * failures. Every answer is checked by decrypting it with the private key.
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptPkcs1v15Key } from '../../src/crypto/pkcs1-decrypt.ts';
import { keyTransportWorkerStats, startRemoteJob, stopKeyTransportWorker, warmKeyTransportWorker, type WorkerKey } from '../../src/crypto/key-transport-pool.ts';

let pairs: { key: WorkerKey; privateKey: KeyObject }[];

beforeAll(async () => {
  pairs = Array.from({ length: 3 }, (_, i) => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    // ids far from the seal module's, so that this file's keys never meet its cache entries
    return { key: { id: 900_000 + i, spki: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })) }, privateKey };
  });
  expect(await warmKeyTransportWorker()).toBe(true);
});
afterAll(async () => {
  await stopKeyTransportWorker();
});

const cekOf = () => new Uint8Array(randomBytes(16));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('key-transport worker pool', () => {
  it('encrypts the CEK for every key, in order', async () => {
    const cek = cekOf();
    const keys = [pairs[0]!, pairs[1]!, pairs[2]!, pairs[0]!];
    const job = startRemoteJob(cek, keys.map((p) => p.key));
    expect(job).toBeDefined();
    const out = await job!.result();
    expect(out).toHaveLength(4);
    out!.forEach((enc, i) => expect(hex(decryptPkcs1v15Key(keys[i]!.privateKey, enc, 16))).toBe(hex(cek)));
    // the keys are known to the worker now: a second job sends ids only, and still answers right
    const again = await startRemoteJob(cek, [pairs[2]!.key])!.result();
    expect(hex(decryptPkcs1v15Key(pairs[2]!.privateKey, again![0]!, 16))).toBe(hex(cek));
  });

  it('hands out at most one job per free slot; a caller without a slot gets undefined and does the work itself', async () => {
    const ceks = Array.from({ length: 5 }, cekOf);
    const jobs = ceks.map((cek) => startRemoteJob(cek, [pairs[1]!.key]));
    expect(jobs.slice(0, 4).every((j) => j !== undefined)).toBe(true);
    expect(jobs[4]).toBeUndefined();
    const answers = await Promise.all(jobs.slice(0, 4).map((j) => j!.result()));
    answers.forEach((a, i) => expect(hex(decryptPkcs1v15Key(pairs[1]!.privateKey, a![0]!, 16))).toBe(hex(ceks[i]!)));
    expect(startRemoteJob(cekOf(), [pairs[1]!.key])).toBeDefined(); // slots are free again
  });

  it('a job whose worker is stopped answers undefined; the next worker starts afresh', async () => {
    await warmKeyTransportWorker();
    const starts = keyTransportWorkerStats().starts;
    const job = startRemoteJob(cekOf(), Array.from({ length: 100 }, (_, i) => pairs[i % 3]!.key));
    expect(job).toBeDefined();
    await stopKeyTransportWorker();
    const out = await job!.result();
    // stopped before or after it finished: either the full answer or none, never a partial one
    expect(out === undefined || out.length === 100).toBe(true);
    expect(keyTransportWorkerStats().running).toBe(false);
    expect(await warmKeyTransportWorker()).toBe(true);
    expect(keyTransportWorkerStats().starts).toBe(starts + 1);
    const cek = cekOf();
    const fresh = await startRemoteJob(cek, [pairs[0]!.key])!.result(); // the new worker learns the key again
    expect(hex(decryptPkcs1v15Key(pairs[0]!.privateKey, fresh![0]!, 16))).toBe(hex(cek));
  });

  it('refuses jobs it cannot carry (none, or more keys than a slot holds)', () => {
    expect(startRemoteJob(cekOf(), [])).toBeUndefined();
    expect(startRemoteJob(cekOf(), Array.from({ length: 129 }, () => pairs[0]!.key))).toBeUndefined();
  });
});
