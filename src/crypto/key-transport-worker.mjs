// Key-transport worker of `sealAsync` / `sealInnerAsync` (src/crypto/seal.ts):
// RSAES-PKCS1-v1_5 encryption of one content-encryption key (CEK) for a list
// of recipient public keys, on a second core while the main thread signs and
// encrypts the other recipients. Plain JavaScript with node:crypto only, so it
// loads without a TypeScript loader.
//
// Request:  { id: number, cek: Uint8Array, keys: Uint8Array[] }   (keys: SPKI DER, already validated by the caller)
// Response: { id: number, encryptedKeys: Uint8Array[] }           (same order as keys)
//        or { id: number, error: string }                         (message only, never key material)
import { Buffer } from 'node:buffer';
import { constants, createPublicKey, publicEncrypt } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

/** Parsed public keys kept between jobs (ETKs are reused); bounded so a long-lived worker does not grow. */
const MAX_CACHED_KEYS = 1024;
const keyCache = new Map();

function publicKeyOf(spki) {
  const id = Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength).toString('base64');
  let key = keyCache.get(id);
  if (!key) {
    key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    if (keyCache.size >= MAX_CACHED_KEYS) keyCache.clear();
    keyCache.set(id, key);
  }
  return key;
}

function encryptAll(cek, keys) {
  return keys.map((spki) => publicEncrypt({ key: publicKeyOf(spki), padding: constants.RSA_PKCS1_PADDING }, cek));
}

if (!parentPort) throw new Error('key-transport-worker must run in a worker thread');
const port = parentPort;

port.on('message', (request) => {
  const { id, cek, keys } = request ?? {};
  try {
    if (!(cek instanceof Uint8Array) || !Array.isArray(keys)) throw new Error('malformed key-transport request');
    port.postMessage({ id, encryptedKeys: encryptAll(cek, keys) });
  } catch (err) {
    port.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  } finally {
    if (cek instanceof Uint8Array) cek.fill(0);
  }
});
