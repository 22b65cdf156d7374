/**
 * The inner (author) signatures of a prepared message, kept so that every
 * recipient's delivery job — in any worker process, after any restart —
 * seals from the same inner SignedData: one inner signature per content.
 *
 * Two levels: an in-process cache (the delivery jobs of a message usually run
 * in the process that resolved it: no storage round trip at all), and one
 * bundle object in the staging area (encrypted at rest) for every other case.
 * The bundle also makes the staged document unnecessary for delivery: the
 * inner SignedData carries the content.
 */
import type { InnerSigned } from '../crypto/seal.ts';
import { innerSignedDer } from '../crypto/seal.ts';
import type { PlainMessage, PreparedMessage } from '../ehbox/message-sealer.ts';
import type { Credential } from '../crypto/types.ts';
import { stagingKeys, type Staging } from './staging.ts';

type Field = PreparedMessage['document'];

/** Prepared messages kept in memory per process (bounded by count and bytes). */
const MEMORY_MAX_MESSAGES = 256;
const MEMORY_MAX_BYTES = 64 * 1024 * 1024;
const memory = new Map<string, { prepared: PreparedMessage; bytes: number }>();
let memoryBytes = 0;

function remember(messageId: string, prepared: PreparedMessage): void {
  const bytes = fieldsOf(prepared).reduce((n, [, f]) => n + (f.inner?.byteLength ?? f.clear.length), 0);
  if (bytes > MEMORY_MAX_BYTES / 4) return;
  forget(messageId);
  memory.set(messageId, { prepared, bytes });
  memoryBytes += bytes;
  while (memory.size > MEMORY_MAX_MESSAGES || memoryBytes > MEMORY_MAX_BYTES) forget(memory.keys().next().value!);
}

/** Drops a message from the in-process cache (after its last delivery, or when purged). */
export function forget(messageId: string): void {
  const e = memory.get(messageId);
  if (!e) return;
  memory.delete(messageId);
  memoryBytes -= e.bytes;
}

/** Every field of a prepared message with a stable name. */
function fieldsOf(m: PreparedMessage): [string, Field][] {
  const out: [string, Field][] = [['document', m.document]];
  if (m.freeText) out.push(['free-text', m.freeText]);
  m.table?.rows.forEach((r, i) => out.push([`table-${i}-left`, r.left], [`table-${i}-right`, r.right]));
  if (m.inss) out.push(['inss', m.inss]);
  m.annexes.forEach((a, i) => out.push([`annex-${i}-title`, a.title], [`annex-${i}`, a.content]));
  return out;
}

/**
 * Saves every inner SignedData as one bundle: a 4-byte header length, a
 * JSON index `{ fields: [{ name, length }] }`, then the DER blobs in order.
 */
export async function saveInner(staging: Staging, messageId: string, m: PreparedMessage): Promise<void> {
  const parts = fieldsOf(m).filter(([, f]) => f.inner).map(([name, f]) => ({ name, der: innerSignedDer(f.inner!) }));
  const header = Buffer.from(JSON.stringify({ fields: parts.map((p) => ({ name: p.name, length: p.der.length })) }));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(header.length);
  await staging.blobs.put(stagingKeys(messageId).innerBundle, Buffer.concat([len, header, ...parts.map((p) => p.der)]));
  remember(messageId, m);
}

/** True when this process holds the inner signatures of a message. */
export function hasInnerInMemory(messageId: string): boolean {
  return memory.has(messageId);
}

/** True when the inner signatures of a message were saved (in memory here, or in the staging store). */
export async function hasInner(staging: Staging, messageId: string): Promise<boolean> {
  return memory.has(messageId) || staging.blobs.exists(stagingKeys(messageId).innerBundle);
}

async function readBundle(staging: Staging, messageId: string): Promise<Map<string, Uint8Array>> {
  const raw = await staging.blobs.getBuffer(stagingKeys(messageId).innerBundle);
  const headerLength = raw.readUInt32BE(0);
  const header = JSON.parse(raw.subarray(4, 4 + headerLength).toString('utf8')) as { fields: { name: string; length: number }[] };
  const out = new Map<string, Uint8Array>();
  let offset = 4 + headerLength;
  for (const f of header.fields) {
    out.set(f.name, new Uint8Array(raw.buffer, raw.byteOffset + offset, f.length));
    offset += f.length;
  }
  return out;
}

/**
 * The prepared message of an encrypted message, from memory or rebuilt from
 * the saved inner signatures (no new signature is made). `plain` may come
 * without document/annex contents: sealed fields take their content from the
 * inner SignedData.
 */
export async function loadPrepared(staging: Staging, messageId: string, plain: () => Promise<PlainMessage>, sender: Credential | undefined): Promise<PreparedMessage> {
  const hit = memory.get(messageId);
  if (hit) return hit.prepared;
  const saved = await readBundle(staging, messageId);
  const p = await plain();
  const load = (name: string, clear: Uint8Array): Field => {
    const der = saved.get(name);
    if (!der) return { clear };
    const inner: InnerSigned = { chunks: [der], byteLength: der.length };
    return { clear, inner };
  };
  const utf8 = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
  const prepared: PreparedMessage = {
    plain: p,
    encrypted: true,
    sender,
    document: load('document', p.document.content),
    freeText: p.freeText !== undefined ? load('free-text', utf8(p.freeText)) : undefined,
    table: p.table ? { title: p.table.title, rows: p.table.rows.map((r, i) => ({ left: load(`table-${i}-left`, utf8(r.left)), right: load(`table-${i}-right`, utf8(r.right)) })) } : undefined,
    inss: p.patientInss !== undefined ? load('inss', utf8(p.patientInss)) : undefined,
    annexes: p.annexes.map((a, i) => ({ title: load(`annex-${i}-title`, utf8(a.title)), content: load(`annex-${i}`, a.content) })),
  };
  remember(messageId, prepared);
  return prepared;
}
