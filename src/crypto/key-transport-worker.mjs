// Key-transport worker of the async seals (src/crypto/key-transport-pool.ts):
// RSAES-PKCS1-v1_5 encryption of one content-encryption key (CEK) for a list
// of recipient public keys, on a second core while the main thread signs and
// encrypts the other recipients. Plain JavaScript with node:crypto only, so it
// loads without a TypeScript loader.
//
// No messages: jobs and answers go through shared memory (the layout is
// described in key-transport-pool.ts), so that neither side waits for an
// event-loop turn. The worker sleeps in Atomics.wait on the doorbell, takes
// every slot in state REQUEST, writes the encrypted keys into the slot and
// sets it to DONE (or FAILED, never with key material in an error).
import { Buffer } from 'node:buffer';
import { constants, createPublicKey, publicEncrypt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { workerData } from 'node:worker_threads';

const { sab, layout } = workerData;
const L = layout;
const control = new Int32Array(sab, 0, L.controlInts);

/** Parsed public keys by the id the main thread gave them (it sends a key's SPKI once, and asks for a flush when it forgets). */
const keys = new Map();

/** Views of each slot, made once. */
const slots = Array.from({ length: L.slots }, (_, slot) => {
  const base = L.slotsOffset + slot * L.slotBytes;
  return {
    base,
    header: new Int32Array(sab, base, L.slotHeaderInts),
    entries: new Int32Array(sab, base + L.entriesOffset, L.maxJobKeys * 3),
    cek: new Uint8Array(sab, base + L.cekOffset, L.cekBytes),
    out: new Uint8Array(sab, base + L.outOffset, L.maxJobKeys * L.maxEncryptedBytes),
    outLengths: new Int32Array(sab, base + L.outLengthsOffset, L.maxJobKeys),
  };
});

function runSlot(s) {
  const { header, entries } = s;
  const count = header[L.COUNT];
  if (header[L.FLUSH] === 1) keys.clear();
  const cek = Buffer.from(s.cek); // private copy: the shared bytes are zeroed by the main thread after the job
  try {
    for (let i = 0; i < count; i++) {
      const id = entries[i * 3];
      const spkiLength = entries[i * 3 + 2];
      let key = keys.get(id);
      if (spkiLength > 0) {
        const spki = Buffer.from(new Uint8Array(sab, s.base + L.spkiOffset + entries[i * 3 + 1], spkiLength));
        key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
        keys.set(id, key);
      }
      if (!key) throw new Error('unknown key id');
      const encrypted = publicEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, cek);
      if (encrypted.length > L.maxEncryptedBytes) throw new Error('encrypted key too long');
      s.out.set(encrypted, i * L.maxEncryptedBytes);
      s.outLengths[i] = encrypted.length;
    }
    Atomics.store(header, L.STATE, L.DONE);
  } catch {
    Atomics.store(header, L.STATE, L.FAILED);
  } finally {
    cek.fill(0);
  }
  Atomics.notify(header, L.STATE);
}

Atomics.store(control, L.READY, 1);
Atomics.notify(control, L.READY);
let seen = Atomics.load(control, L.BELL);
let lastJobAt = 0;
for (;;) {
  if (Atomics.load(control, L.STOP) === 1) break;
  let ran = false;
  for (const slot of slots) {
    if (Atomics.load(slot.header, L.STATE) === L.REQUEST) {
      runSlot(slot);
      ran = true;
    }
  }
  if (ran) {
    lastJobAt = performance.now();
    continue;
  }
  // right after a job another often follows (a batch of seals): watch for it briefly instead of sleeping
  // (waking from Atomics.wait costs tens of microseconds on a virtual machine)
  if (performance.now() - lastJobAt < L.workerSpinMs) continue;
  Atomics.wait(control, L.BELL, seen);
  seen = Atomics.load(control, L.BELL);
}
