/**
 * The key-transport worker of the async seals: RSAES-PKCS1-v1_5 encryptions
 * of one CEK on a second core while this thread signs and encrypts the rest.
 *
 * Jobs and answers go through shared memory rather than messages: a message
 * round trip costs an event-loop turn on each side (~0.1–0.2 ms, a third of a
 * one-recipient seal), an Atomics handoff a few microseconds. The memory holds
 * SLOTS job slots; a slot goes IDLE → REQUEST (this thread wrote the CEK and
 * the keys, then rings the doorbell) → DONE or FAILED (the worker wrote the
 * encrypted keys) → IDLE (this thread read them and zeroed the CEK). A seal
 * that finds no free slot, or a worker not yet started, encrypts on its own
 * thread: the worker is an accelerator, never a dependency.
 *
 * Layout (all offsets in bytes): control Int32[8] (READY, STOP, BELL); then
 * per slot: header Int32[4] (STATE, COUNT, FLUSH), CEK[16], entries
 * Int32[MAX_JOB_KEYS × 3] (key id, SPKI offset, SPKI length — 0 when the
 * worker already knows the id), SPKI area, encrypted keys, their lengths.
 */
import { Worker } from 'node:worker_threads';

/** Most keys of one worker job; a larger share stays with the calling thread. */
export const MAX_JOB_KEYS = 128;
/** Largest SPKI / encrypted key a slot carries (RSA up to 4096 bits); larger keys are encrypted by the caller. */
const MAX_SPKI_BYTES = 600;
const MAX_ENCRYPTED_BYTES = 512;
/** Job slots: concurrent async seals each get one while free. */
const SLOTS = 4;
/** Keys the worker keeps parsed before the next job asks it to start afresh. */
const MAX_KNOWN_KEYS = 1024;
/** A job is waited for synchronously this long (it is normally already done); then asynchronously. */
const SPIN_MS = 2;
/** After a job the worker watches for the next one this long before it sleeps (waking costs ~30 µs here). */
const WORKER_SPIN_MS = 1;
/** An unanswered job after this long means a stuck worker: it is replaced and the caller does the job. */
const JOB_TIMEOUT_MS = 5_000;
/** A worker that dies before it got ready is not restarted for this long: no thread churn per seal. */
const RESTART_BACKOFF_MS = 30_000;

const CONTROL_INTS = 8;
const SLOT_HEADER_INTS = 4;
const CEK_BYTES = 16;
const LAYOUT = (() => {
  const cekOffset = SLOT_HEADER_INTS * 4;
  const entriesOffset = cekOffset + CEK_BYTES;
  const spkiOffset = entriesOffset + MAX_JOB_KEYS * 3 * 4;
  const outOffset = spkiOffset + MAX_JOB_KEYS * MAX_SPKI_BYTES;
  const outLengthsOffset = outOffset + MAX_JOB_KEYS * MAX_ENCRYPTED_BYTES;
  const slotBytes = outLengthsOffset + MAX_JOB_KEYS * 4;
  return {
    controlInts: CONTROL_INTS, READY: 0, STOP: 1, BELL: 2,
    slotHeaderInts: SLOT_HEADER_INTS, STATE: 0, COUNT: 1, FLUSH: 2,
    IDLE: 0, REQUEST: 1, DONE: 2, FAILED: 3,
    slots: SLOTS, slotsOffset: CONTROL_INTS * 4, slotBytes,
    cekOffset, cekBytes: CEK_BYTES, entriesOffset, spkiOffset, outOffset, outLengthsOffset,
    maxJobKeys: MAX_JOB_KEYS, maxEncryptedBytes: MAX_ENCRYPTED_BYTES, workerSpinMs: WORKER_SPIN_MS,
  } as const;
})();
const L = LAYOUT;

/** Atomics.waitAsync (Node ≥ 16; typed here because the project's lib predates ES2024). */
const waitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number, timeoutMs: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync.bind(Atomics);

/** A recipient key as the worker gets it: a process-wide id and its SPKI DER. */
export interface WorkerKey {
  id: number;
  spki: Uint8Array;
}

/** Whether a key can go to the worker at all (size limits of a slot). */
export function fitsWorker(key: WorkerKey, encryptedBytes: number): boolean {
  return key.spki.length <= MAX_SPKI_BYTES && encryptedBytes <= MAX_ENCRYPTED_BYTES;
}

interface PoolWorker {
  thread: Worker;
  sab: SharedArrayBuffer;
  control: Int32Array;
  busy: boolean[];
  known: Set<number>;
  /** The worker's key cache may not match `known` (after a failed job): the next job starts it afresh. */
  flushNext: boolean;
  /** Callers waiting asynchronously: the thread is ref'ed while there are any. */
  asyncWaiters: number;
  retired: boolean;
}

let current: PoolWorker | undefined;
let restartNotBefore = 0;
const stats = { starts: 0, jobs: 0, fallbacks: 0 };

/** Counters of the key-transport worker, for metrics and tests. */
export function keyTransportWorkerStats(): { running: boolean; starts: number; jobs: number; fallbacks: number } {
  return { running: current !== undefined, ...stats };
}

/** Counts a job the caller had to do itself after handing it out (a failed or vanished worker). */
export function countFallback(): void {
  stats.fallbacks++;
}

/** Starts the worker (if allowed) and resolves once it takes jobs; false when it cannot run. */
export async function warmKeyTransportWorker(timeoutMs = JOB_TIMEOUT_MS): Promise<boolean> {
  const w = poolWorker();
  if (!w) return false;
  if (Atomics.load(w.control, L.READY) === 1) return true;
  await awaitChange(w, w.control, L.READY, 0, timeoutMs);
  return Atomics.load(w.control, L.READY) === 1 && !w.retired;
}

/** Stops the worker (graceful shutdown); the next large seal starts a new one. */
export async function stopKeyTransportWorker(): Promise<void> {
  if (current) await retire(current);
}

function poolWorker(): PoolWorker | undefined {
  if (current) return current;
  if (Date.now() < restartNotBefore) return undefined;
  const sab = new SharedArrayBuffer(L.slotsOffset + L.slots * L.slotBytes);
  let thread: Worker;
  try {
    // no inherited execArgv: flags such as --input-type (eval) would keep a plain worker file from starting
    thread = new Worker(new URL('./key-transport-worker.mjs', import.meta.url), { workerData: { sab, layout: LAYOUT }, execArgv: [] });
  } catch {
    restartNotBefore = Date.now() + RESTART_BACKOFF_MS;
    return undefined;
  }
  const w: PoolWorker = { thread, sab, control: new Int32Array(sab, 0, L.controlInts), busy: new Array<boolean>(L.slots).fill(false), known: new Set(), flushNext: false, asyncWaiters: 0, retired: false };
  thread.unref(); // it never holds the process open: a pending job is awaited by its seal, which does
  stats.starts++;
  const fail = (): void => {
    if (w.retired) return; // our own stop
    if (Atomics.load(w.control, L.READY) !== 1) restartNotBefore = Date.now() + RESTART_BACKOFF_MS;
    void retire(w);
  };
  thread.on('error', fail);
  thread.on('exit', fail);
  current = w;
  return w;
}

/** Waits without blocking until `array[index]` is no longer `value` (or the timeout); the worker holds the process open meanwhile. */
async function awaitChange(w: PoolWorker, array: Int32Array, index: number, value: number, timeoutMs: number): Promise<void> {
  const waited = waitAsync(array, index, value, timeoutMs);
  if (!waited.async) return;
  if (w.asyncWaiters++ === 0) w.thread.ref(); // an Atomics.waitAsync alone does not keep the event loop alive
  try {
    await waited.value;
  } finally {
    if (--w.asyncWaiters === 0 && !w.retired) w.thread.unref();
  }
}

async function retire(w: PoolWorker): Promise<void> {
  w.retired = true;
  if (current === w) current = undefined;
  Atomics.store(w.control, L.STOP, 1);
  Atomics.add(w.control, L.BELL, 1);
  Atomics.notify(w.control, L.BELL);
  // wake whoever waits for readiness or an answer: they see the worker retired and go on without it
  Atomics.notify(w.control, L.READY);
  for (let slot = 0; slot < L.slots; slot++) Atomics.notify(new Int32Array(w.sab, L.slotsOffset + slot * L.slotBytes, L.slotHeaderInts), L.STATE);
  await w.thread.terminate().catch(() => undefined);
}

/** A job handed to the worker; `result` answers its encrypted keys, or undefined when the caller must do them. */
export interface RemoteJob {
  result(): Promise<Uint8Array[] | undefined>;
}

/**
 * Hands the encryption of `cek` under `keys` (≤ MAX_JOB_KEYS) to the worker.
 * Undefined when no worker or slot is free right now: the caller encrypts.
 * The worker is started on first use and gets jobs once it is ready.
 */
export function startRemoteJob(cek: Uint8Array, keys: readonly WorkerKey[]): RemoteJob | undefined {
  if (keys.length === 0 || keys.length > MAX_JOB_KEYS) return undefined;
  const w = poolWorker();
  if (!w || Atomics.load(w.control, L.READY) !== 1) return undefined;
  const slot = w.busy.indexOf(false);
  if (slot < 0) return undefined;
  w.busy[slot] = true;
  const base = L.slotsOffset + slot * L.slotBytes;
  const header = new Int32Array(w.sab, base, L.slotHeaderInts);
  const entries = new Int32Array(w.sab, base + L.entriesOffset, L.maxJobKeys * 3);
  const flush = w.flushNext || w.known.size + keys.length > MAX_KNOWN_KEYS;
  if (flush) w.known.clear();
  w.flushNext = false;
  let spkiAt = 0;
  keys.forEach((k, i) => {
    entries[i * 3] = k.id;
    if (w.known.has(k.id)) {
      entries[i * 3 + 2] = 0;
      return;
    }
    new Uint8Array(w.sab, base + L.spkiOffset + spkiAt, k.spki.length).set(k.spki);
    entries[i * 3 + 1] = spkiAt;
    entries[i * 3 + 2] = k.spki.length;
    spkiAt += k.spki.length;
    w.known.add(k.id);
  });
  new Uint8Array(w.sab, base + L.cekOffset, L.cekBytes).set(cek);
  header[L.COUNT] = keys.length;
  header[L.FLUSH] = flush ? 1 : 0;
  Atomics.store(header, L.STATE, L.REQUEST);
  Atomics.add(w.control, L.BELL, 1);
  Atomics.notify(w.control, L.BELL);
  stats.jobs++;
  return { result: () => finish(w, slot, header, keys.length) };
}

async function finish(w: PoolWorker, slot: number, header: Int32Array, count: number): Promise<Uint8Array[] | undefined> {
  const base = L.slotsOffset + slot * L.slotBytes;
  try {
    // normally done already or within microseconds: watch on this thread, no event-loop turn, no wake-up
    const spinUntil = performance.now() + SPIN_MS;
    while (Atomics.load(header, L.STATE) === L.REQUEST && performance.now() < spinUntil) { /* the worker is finishing */ }
    if (Atomics.load(header, L.STATE) === L.REQUEST && !w.retired) {
      await awaitChange(w, header, L.STATE, L.REQUEST, JOB_TIMEOUT_MS);
    }
    const state = Atomics.load(header, L.STATE);
    if (state !== L.DONE) {
      if (state === L.REQUEST && !w.retired) await retire(w); // stuck: replaced on the next large seal
      w.flushNext = true;
      return undefined;
    }
    const lengths = new Int32Array(w.sab, base + L.outLengthsOffset, L.maxJobKeys);
    const out = new Uint8Array(w.sab.slice(base + L.outOffset, base + L.outOffset + count * L.maxEncryptedBytes)); // one copy out of shared memory
    return Array.from({ length: count }, (_, i) => out.subarray(i * L.maxEncryptedBytes, i * L.maxEncryptedBytes + lengths[i]!));
  } finally {
    new Uint8Array(w.sab, base + L.cekOffset, L.cekBytes).fill(0);
    if (w.retired) {
      // a retired worker may still write into this memory until it is gone: the slot is never reused
    } else {
      Atomics.store(header, L.STATE, L.IDLE);
      w.busy[slot] = false;
    }
  }
}
