/**
 * Stores the inner (author) signatures of a prepared message in the staging
 * area and rebuilds the prepared message from them, so that every
 * recipient's delivery job — in any worker process, after any restart —
 * seals from the same inner SignedData: one inner signature per content.
 */
import type { InnerSigned } from '../crypto/seal.ts';
import { innerSignedDer } from '../crypto/seal.ts';
import type { PlainMessage, PreparedMessage } from '../ehbox/message-sealer.ts';
import type { Credential } from '../crypto/types.ts';
import { stagingKeys, type Staging } from './staging.ts';

type Field = PreparedMessage['document'];

/** Every field of a prepared message with a stable name. */
function fieldsOf(m: PreparedMessage): [string, Field][] {
  const out: [string, Field][] = [['document', m.document]];
  if (m.freeText) out.push(['free-text', m.freeText]);
  m.table?.rows.forEach((r, i) => out.push([`table-${i}-left`, r.left], [`table-${i}-right`, r.right]));
  if (m.inss) out.push(['inss', m.inss]);
  m.annexes.forEach((a, i) => out.push([`annex-${i}-title`, a.title], [`annex-${i}`, a.content]));
  return out;
}

/** Names of the fields that carry an inner signature (for clean-up). */
export function innerFieldNames(m: PreparedMessage): string[] {
  return fieldsOf(m)
    .filter(([, f]) => f.inner)
    .map(([n]) => n);
}

/** Saves every inner SignedData, then a manifest marking the set complete. */
export async function saveInner(staging: Staging, messageId: string, m: PreparedMessage): Promise<void> {
  const k = stagingKeys(messageId);
  const names: string[] = [];
  for (const [name, f] of fieldsOf(m)) {
    if (!f.inner) continue;
    await staging.blobs.put(k.inner(name), Buffer.from(innerSignedDer(f.inner)));
    names.push(name);
  }
  await staging.blobs.put(k.innerManifest, Buffer.from(JSON.stringify({ fields: names })));
}

/** True when the inner signatures of a message were saved completely. */
export function hasInner(staging: Staging, messageId: string): Promise<boolean> {
  return staging.blobs.exists(stagingKeys(messageId).innerManifest);
}

/**
 * Rebuilds the prepared message from the plaintext and the saved inner
 * signatures (no new signature is made).
 */
export async function loadPrepared(staging: Staging, messageId: string, plain: PlainMessage, encrypted: boolean, sender: Credential | undefined): Promise<PreparedMessage> {
  const k = stagingKeys(messageId);
  const manifest = encrypted ? (JSON.parse((await staging.blobs.getBuffer(k.innerManifest)).toString('utf8')) as { fields: string[] }) : { fields: [] };
  const saved = new Set(manifest.fields);
  const load = async (name: string, clear: Uint8Array): Promise<Field> => {
    if (!saved.has(name)) return { clear };
    const der = new Uint8Array(await staging.blobs.getBuffer(k.inner(name)));
    const inner: InnerSigned = { chunks: [der], byteLength: der.length };
    return { clear, inner };
  };
  const utf8 = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
  return {
    plain,
    encrypted,
    sender,
    document: await load('document', plain.document.content),
    freeText: plain.freeText !== undefined ? await load('free-text', utf8(plain.freeText)) : undefined,
    table: plain.table
      ? { title: plain.table.title, rows: await Promise.all(plain.table.rows.map(async (r, i) => ({ left: await load(`table-${i}-left`, utf8(r.left)), right: await load(`table-${i}-right`, utf8(r.right)) }))) }
      : undefined,
    inss: plain.patientInss !== undefined ? await load('inss', utf8(plain.patientInss)) : undefined,
    annexes: await Promise.all(plain.annexes.map(async (a, i) => ({ title: await load(`annex-${i}-title`, utf8(a.title)), content: await load(`annex-${i}`, a.content) }))),
  };
}
