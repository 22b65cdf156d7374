/**
 * ETEE sealing (SEALING.md §1): inner SignedData → EnvelopedData → outer
 * SignedData. A seal costs exactly two RSA signatures whatever the number of
 * recipients, and the inner signature is made once per content: `signInner`
 * once, then `sealInner` for each recipient set (or once for all of them).
 * Large payloads are never copied into intermediate buffers: every layer is a
 * list of DER chunks and only the final blob is assembled. `sealAsync` /
 * `sealInnerAsync` produce the same messages but spread the RSA key transports
 * of many recipients over a worker thread (key-transport-worker.mjs).
 */
import { constants, createCipheriv, createPublicKey, publicEncrypt, randomBytes, randomFillSync, type KeyObject } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { CryptoError } from './errors.ts';
import type { Credential } from './types.ts';
import { assertSigningKey, buildSignedData, buildSignedDataAsync, pssSha256Signer, type RawSigner, type SignedDataParams } from './cms-signer.ts';
import {
  DER_NULL, OID, readCertificate, chunksLength, derAlgorithm, derOctetString, derOid, derSequence, derSetOf,
  derSmallInteger, tlv, wrapChunks,
} from './cms-util.ts';

/** AES-128 content-encryption key length (EncryptionPolicy KNOWN_RECIPIENT, §1.5). */
const CEK_LENGTH = 16;
/** AES block / CBC IV length. */
const IV_LENGTH = 16;
/** Smallest RSA recipient key of the KNOWN_RECIPIENT policy. */
const MIN_RECIPIENT_KEY_BITS = 2048;
/** The id-aes128-wrap default IV of RFC 3394 §2.2.3.1. */
const AES_WRAP_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');
/** Largest content we seal in memory; eHealthBox messages are far smaller. */
export const MAX_SEAL_CONTENT_BYTES = 512 * 1024 * 1024;

/** A KGSS symmetric key for the unaddressed variant (SEALING.md §1.4). */
export interface KekRecipient {
  /** The raw key identifier bytes (kekid.keyIdentifier). */
  id: Uint8Array;
  /** The AES-128 key-encryption key. */
  key: Uint8Array;
}

/**
 * The inner, author-signed layer of a sealed message, reusable for any number
 * of recipient sets. It references the content buffer given to `signInner`
 * (no copy): do not modify that buffer while the InnerSigned is in use.
 */
export interface InnerSigned {
  /** DER of ContentInfo{SignedData} as chunks (the content chunk is the caller's buffer, not a copy). */
  readonly chunks: readonly Uint8Array[];
  readonly byteLength: number;
}

/** Options shared by the sealing functions. */
export interface SealOptions {
  /** Signing time of the signed attributes; defaults to now. */
  signingTime?: Date;
  /** Signature producer (HSM, counting in tests); defaults to node:crypto RSASSA-PSS. */
  rawSigner?: RawSigner;
}

/** Who and for whom to seal. */
export interface SealParams extends SealOptions {
  sender: Credential;
  /** DER encryption certificates from the recipients' ETKs; one RecipientInfo each. */
  recipients: readonly Uint8Array[];
  /** KGSS keys for KEKRecipientInfos (may be mixed with certificate recipients). */
  kek?: readonly KekRecipient[];
}

/** Options of the inner signature. */
export interface InnerOptions extends SealOptions {
  /**
   * Embed the signer's certificate chain in the inner layer. Only for an author
   * key different from the outer (authentication) key, e.g. an eID signature key
   * (SEALING.md §1.3); eHealth keystores sign both layers with one key and embed nothing.
   */
  embedCertificates?: boolean;
}

/** Signs the clear content once (inner SignedData, by default without certificates). One RSA signature. */
export function signInner(content: Uint8Array, sender: Credential, options: InnerOptions = {}): InnerSigned {
  return innerOf(buildSignedData([content], innerParams(content, sender, options)));
}

/** `signInner` with the RSA signature in the thread pool (this thread is free meanwhile). */
export async function signInnerAsync(content: Uint8Array, sender: Credential, options: InnerOptions = {}): Promise<InnerSigned> {
  return innerOf(await buildSignedDataAsync([content], innerParams(content, sender, options)));
}

function innerParams(content: Uint8Array, sender: Credential, options: InnerOptions): SignedDataParams {
  if (content.length > MAX_SEAL_CONTENT_BYTES) throw new CryptoError('INPUT_TOO_LARGE', 'content too large to seal');
  assertSigningKey(sender);
  return {
    signer: sender,
    signingTime: options.signingTime ?? new Date(),
    certificates: options.embedCertificates ? [sender.certificateDer, ...sender.chainDer] : [],
    rawSigner: options.rawSigner ?? pssSha256Signer,
  };
}

function innerOf(chunks: Uint8Array[]): InnerSigned {
  return Object.freeze({ chunks: Object.freeze(chunks), byteLength: chunksLength(chunks) });
}

/** The inner SignedData as one DER buffer (for inspection; sealing does not need it). */
export function innerSignedDer(inner: InnerSigned): Uint8Array {
  return Buffer.concat(inner.chunks as Uint8Array[]);
}

/**
 * Encrypts an InnerSigned for a recipient set and signs the envelope (outer
 * SignedData with the sender's certificate chain). One RSA signature, whatever
 * the number of recipients.
 */
export function sealInner(
  inner: InnerSigned,
  recipients: readonly Uint8Array[],
  sender: Credential,
  options: SealOptions & { kek?: readonly KekRecipient[] } = {},
): Uint8Array {
  const kek = options.kek ?? [];
  checkSealArgs(recipients, kek, sender);
  return signOuter(buildEnvelope(inner, recipients, kek), sender, options);
}

/** Convenience: signInner + sealInner for one content and one recipient set. */
export function seal(content: Uint8Array, params: SealParams): Uint8Array {
  const options = sealOptionsOf(params);
  const inner = signInner(content, params.sender, options);
  return sealInner(inner, params.recipients, params.sender, { ...options, ...(params.kek ? { kek: params.kek } : {}) });
}

/**
 * `sealInner` without blocking: the outer signature runs in the thread pool
 * and, from PARALLEL_KEY_TRANSPORT_THRESHOLD certificate recipients on, part
 * of the RSA key transports in a worker thread while this thread encrypts the
 * rest. Same output format and checks.
 */
export async function sealInnerAsync(
  inner: InnerSigned,
  recipients: readonly Uint8Array[],
  sender: Credential,
  options: SealOptions & { kek?: readonly KekRecipient[] } = {},
): Promise<Uint8Array> {
  checkSealArgs(recipients, options.kek ?? [], sender);
  const job = startKeyTransports(recipients);
  return finishSeal(inner, job, localShare(job), sender, options);
}

/**
 * `seal` for large recipient sets and busy threads: the CEK is drawn first,
 * the worker gets its share of the key transports, the inner signature runs
 * in the thread pool while this thread encrypts its own share, and the outer
 * signature runs in the thread pool too. Still exactly two RSA signatures.
 */
export async function sealAsync(content: Uint8Array, params: SealParams): Promise<Uint8Array> {
  if (content.length > MAX_SEAL_CONTENT_BYTES) throw new CryptoError('INPUT_TOO_LARGE', 'content too large to seal');
  checkSealArgs(params.recipients, params.kek ?? [], params.sender);
  const options = sealOptionsOf(params);
  const job = startKeyTransports(params.recipients);
  let signing: Promise<InnerSigned>;
  try {
    signing = signInnerAsync(content, params.sender, options);
  } catch (err) {
    job.cek.fill(0);
    throw err;
  }
  signing.catch(() => undefined); // awaited below; no unhandled rejection if the key transports fail first
  const local = localShare(job);
  let inner: InnerSigned;
  try {
    inner = await signing;
  } catch (err) {
    job.cek.fill(0);
    throw err;
  }
  return finishSeal(inner, job, local, params.sender, { ...options, ...(params.kek ? { kek: params.kek } : {}) });
}

/** This thread's key transports of a job; the CEK is zeroed if they fail. */
function localShare(job: KeyTransportJob): Uint8Array[] {
  try {
    return job.local();
  } catch (err) {
    job.cek.fill(0);
    throw err;
  }
}

function sealOptionsOf(params: SealParams): SealOptions {
  const options: SealOptions = {};
  if (params.signingTime) options.signingTime = params.signingTime;
  if (params.rawSigner) options.rawSigner = params.rawSigner;
  return options;
}

function checkSealArgs(recipients: readonly Uint8Array[], kek: readonly KekRecipient[], sender: Credential): void {
  if (recipients.length === 0 && kek.length === 0) throw new CryptoError('INVALID_ARGUMENT', 'sealing needs at least one recipient');
  assertSigningKey(sender);
}

/** Outer SignedData over the EnvelopedData, with the sender's certificate chain. */
function signOuter(envelope: Uint8Array[], sender: Credential, options: SealOptions): Uint8Array {
  return Buffer.concat(buildSignedData(envelope, outerParams(sender, options)));
}

function outerParams(sender: Credential, options: SealOptions): SignedDataParams {
  return {
    signer: sender,
    signingTime: options.signingTime ?? new Date(),
    certificates: [sender.certificateDer, ...sender.chainDer],
    rawSigner: options.rawSigner ?? pssSha256Signer,
  };
}

/** Envelope and outer signature (thread pool) of the async seals; the CEK is zeroed whatever happens. */
async function finishSeal(
  inner: InnerSigned,
  job: KeyTransportJob,
  local: Uint8Array[],
  sender: Credential,
  options: SealOptions & { kek?: readonly KekRecipient[] },
): Promise<Uint8Array> {
  let envelope: Uint8Array[];
  try {
    const kek = options.kek ?? [];
    const content = encryptedContentInfo(inner, job.cek);
    const kekInfos = kek.map((k) => kekRecipient(k, job.cek));
    const infos = [...local, ...(await job.remote()), ...kekInfos];
    envelope = envelopedData(infos, kek.length, content);
  } finally {
    job.cek.fill(0);
  }
  return Buffer.concat(await buildSignedDataAsync(envelope, outerParams(sender, options)));
}

// ------------------------------------------------------------------ EnvelopedData

interface PreparedRecipient {
  issuerAndSerial: Uint8Array;
  publicKey: KeyObject;
  /** SubjectPublicKeyInfo in its own small buffer (a structured clone copies a view's whole ArrayBuffer). */
  spki: Uint8Array;
}

const preparedRecipients = new WeakMap<Uint8Array, PreparedRecipient>();

function prepareRecipient(certificateDer: Uint8Array): PreparedRecipient {
  const cached = preparedRecipients.get(certificateDer);
  if (cached) return cached;
  const fields = readCertificate(certificateDer);
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: Buffer.from(fields.spki), format: 'der', type: 'spki' });
  } catch (err) {
    throw new CryptoError('MALFORMED_CERTIFICATE', 'recipient certificate has an unreadable public key', { cause: err });
  }
  const bits = publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (publicKey.asymmetricKeyType !== 'rsa' || bits < MIN_RECIPIENT_KEY_BITS) {
    throw new CryptoError('UNSUPPORTED_ALGORITHM', `recipient key must be RSA ≥ ${MIN_RECIPIENT_KEY_BITS} bits`);
  }
  const prepared = { issuerAndSerial: fields.issuerAndSerial, publicKey, spki: new Uint8Array(fields.spki) };
  preparedRecipients.set(certificateDer, prepared);
  return prepared;
}

const RSA_ENCRYPTION = derAlgorithm(OID.rsaEncryption, DER_NULL);
const AES128_WRAP = derAlgorithm(OID.aes128Wrap);

/** KeyTransRecipientInfo v0, RSAES-PKCS1-v1_5 (what the eHealth unsealer requires, §1.2). */
function keyTransRecipient(certificateDer: Uint8Array, cek: Uint8Array): Uint8Array {
  const r = prepareRecipient(certificateDer);
  return keyTransInfo(r, encryptKey(r, cek));
}

function encryptKey(r: PreparedRecipient, cek: Uint8Array): Uint8Array {
  return publicEncrypt({ key: r.publicKey, padding: constants.RSA_PKCS1_PADDING }, cek);
}

function keyTransInfo(r: PreparedRecipient, encryptedKey: Uint8Array): Uint8Array {
  return derSequence(derSmallInteger(0), r.issuerAndSerial, RSA_ENCRYPTION, derOctetString(encryptedKey));
}

/** KEKRecipientInfo v4 ([2] IMPLICIT), id-aes128-wrap (§1.4). */
function kekRecipient(kek: KekRecipient, cek: Uint8Array): Uint8Array {
  if (kek.key.length !== CEK_LENGTH) throw new CryptoError('INVALID_ARGUMENT', 'a KGSS key must be 16 bytes (AES-128)');
  if (kek.id.length === 0) throw new CryptoError('INVALID_ARGUMENT', 'a KGSS key needs a key identifier');
  const wrap = createCipheriv('id-aes128-wrap', kek.key, AES_WRAP_IV);
  const wrapped = Buffer.concat([wrap.update(cek), wrap.final()]);
  return tlv(0xa2, derSmallInteger(4), derSequence(derOctetString(kek.id)), AES128_WRAP, derOctetString(wrapped));
}

function buildEnvelope(inner: InnerSigned, recipients: readonly Uint8Array[], kek: readonly KekRecipient[]): Uint8Array[] {
  const cek = randomBytes(CEK_LENGTH);
  try {
    const infos = [...recipients.map((r) => keyTransRecipient(r, cek)), ...kek.map((k) => kekRecipient(k, cek))];
    return envelopedData(infos, kek.length, encryptedContentInfo(inner, cek));
  } finally {
    cek.fill(0);
  }
}

/** EncryptedContentInfo: the inner layer under AES-128-CBC with a fresh IV. */
function encryptedContentInfo(inner: InnerSigned, cek: Uint8Array): Uint8Array[] {
  const iv = randomBytes(IV_LENGTH);
  const cipher = createCipheriv('aes-128-cbc', cek, iv);
  const ciphertext: Uint8Array[] = [];
  for (const chunk of inner.chunks) {
    const out = cipher.update(chunk);
    if (out.length > 0) ciphertext.push(out);
  }
  ciphertext.push(cipher.final());
  return wrapChunks(0x30, [
    derOid(OID.data),
    derAlgorithm(OID.aes128Cbc, derOctetString(iv)),
    ...wrapChunks(0x80, ciphertext), // [0] IMPLICIT OCTET STRING, primitive
  ]);
}

/** ContentInfo{EnvelopedData}; v2 when KEKRecipientInfos are present. */
function envelopedData(infos: Uint8Array[], kekCount: number, content: Uint8Array[]): Uint8Array[] {
  const ed = wrapChunks(0x30, [derSmallInteger(kekCount > 0 ? 2 : 0), derSetOf(infos), ...content]);
  return wrapChunks(0x30, [derOid(OID.envelopedData), ...wrapChunks(0xa0, ed)]);
}

// ------------------------------------------------------------------ parallel key transport

/**
 * From this many certificate recipients on, the async seals use the worker: a
 * worker round trip (messaging plus event-loop turns, ~0.1 ms) costs about
 * what 4–5 RSA-2048 public encryptions (~21 µs each) save, so below 8 the
 * main thread alone is as fast.
 */
export const PARALLEL_KEY_TRANSPORT_THRESHOLD = 8;
/**
 * This thread's share of the key transports when the worker is used. The
 * signatures run in the thread pool, so three threads share the two cores:
 * this thread, which does not wait for a message round trip, takes a bit
 * more than half (tuned with `npm run bench:crypto`).
 */
const MAIN_THREAD_SHARE = Number(process.env.EHBOX_SEAL_MAIN_SHARE ?? 0.5);
/** An unanswered worker job after this long means a stuck worker: it is replaced and this thread does the job. */
const WORKER_TIMEOUT_MS = 10_000;
/** A worker that dies before its first answer (e.g. its file is missing) is not restarted for this long: no thread churn per seal. */
const WORKER_RESTART_BACKOFF_MS = 30_000;

/** The key transports of one seal: the main thread's share now, the worker's share when it answers. */
interface KeyTransportJob {
  cek: Uint8Array;
  local(): Uint8Array[];
  remote(): Promise<Uint8Array[]>;
}

/** Prepares (validates) every recipient, draws the CEK and hands the worker its share at once. */
function startKeyTransports(recipients: readonly Uint8Array[]): KeyTransportJob {
  const prepared = recipients.map(prepareRecipient);
  const cek = new Uint8Array(CEK_LENGTH); // own ArrayBuffer: only these 16 bytes are cloned to the worker
  randomFillSync(cek);
  const n = prepared.length;
  const mainCount = n < PARALLEL_KEY_TRANSPORT_THRESHOLD ? n : Math.round(n * MAIN_THREAD_SHARE);
  const mine = prepared.slice(0, mainCount);
  const theirs = prepared.slice(mainCount);
  const answer = theirs.length > 0 ? requestKeyTransports(cek, theirs.map((r) => r.spki)) : Promise.resolve([]);
  answer.catch(() => undefined); // awaited in remote(); no unhandled rejection if the seal fails before that
  return {
    cek,
    local: () => mine.map((r) => keyTransInfo(r, encryptKey(r, cek))),
    remote: async () => {
      let encrypted = await answer;
      if (!encrypted) {
        workerStats.fallbacks++;
        encrypted = theirs.map((r) => encryptKey(r, cek));
      }
      return theirs.map((r, i) => keyTransInfo(r, encrypted[i]!));
    },
  };
}

interface PendingJob {
  count: number;
  timer: ReturnType<typeof setTimeout>;
  resolve(keys: Uint8Array[] | undefined): void;
  reject(err: CryptoError): void;
}
interface WorkerHandle {
  thread: Worker;
  pending: Map<number, PendingJob>;
  answered: boolean;
  retired: boolean;
}
interface WorkerAnswer {
  id?: unknown;
  encryptedKeys?: unknown;
  error?: unknown;
}

let currentWorker: WorkerHandle | undefined;
let nextJobId = 0;
let workerRestartNotBefore = 0;
const workerStats = { starts: 0, jobs: 0, fallbacks: 0 };

/** Counters of the key-transport worker, for metrics and tests. */
export function keyTransportWorkerStats(): { running: boolean; starts: number; jobs: number; fallbacks: number } {
  return { running: currentWorker !== undefined, ...workerStats };
}

/** Stops the key-transport worker (graceful shutdown); the next large seal starts a new one. */
export async function stopKeyTransportWorker(): Promise<void> {
  const handle = currentWorker;
  if (handle) await retireWorker(handle);
}

/** The persistent worker, started lazily; it holds the process open only while jobs are pending. */
function keyTransportWorker(): WorkerHandle {
  if (currentWorker) return currentWorker;
  const thread = new Worker(new URL('./key-transport-worker.mjs', import.meta.url));
  const handle: WorkerHandle = { thread, pending: new Map(), answered: false, retired: false };
  handle.thread.unref();
  workerStats.starts++;
  handle.thread.on('message', (answer: WorkerAnswer) => settle(handle, answer));
  const fail = (): void => {
    if (handle.retired) return; // our own terminate()
    if (!handle.answered) workerRestartNotBefore = Date.now() + WORKER_RESTART_BACKOFF_MS;
    void retireWorker(handle);
  };
  handle.thread.on('error', fail);
  handle.thread.on('messageerror', fail);
  handle.thread.on('exit', fail);
  currentWorker = handle;
  return handle;
}

/** Sends a share of key transports; resolves undefined when the worker is unavailable (the caller then does it). */
function requestKeyTransports(cek: Uint8Array, keys: Uint8Array[]): Promise<Uint8Array[] | undefined> {
  let handle: WorkerHandle;
  try {
    if (!currentWorker && Date.now() < workerRestartNotBefore) return Promise.resolve(undefined);
    handle = keyTransportWorker();
  } catch {
    return Promise.resolve(undefined);
  }
  const id = nextJobId++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => void retireWorker(handle), WORKER_TIMEOUT_MS);
    handle.pending.set(id, { count: keys.length, timer, resolve, reject });
    if (handle.pending.size === 1) handle.thread.ref();
    workerStats.jobs++;
    try {
      handle.thread.postMessage({ id, cek, keys }); // structured clone: the CEK never leaves memory
    } catch {
      void retireWorker(handle);
    }
  });
}

function takeJob(handle: WorkerHandle, id: unknown): PendingJob | undefined {
  const job = typeof id === 'number' ? handle.pending.get(id) : undefined;
  if (!job) return undefined;
  handle.pending.delete(id as number);
  clearTimeout(job.timer);
  if (handle.pending.size === 0) handle.thread.unref();
  return job;
}

function settle(handle: WorkerHandle, answer: WorkerAnswer): void {
  handle.answered = true;
  const job = takeJob(handle, answer.id);
  if (!job) return;
  const keys = answer.encryptedKeys;
  if (typeof answer.error === 'string') {
    job.reject(new CryptoError('UNSUPPORTED_ALGORITHM', `recipient key transport failed: ${answer.error}`));
  } else if (Array.isArray(keys) && keys.length === job.count && keys.every((k) => k instanceof Uint8Array)) {
    job.resolve(keys as Uint8Array[]);
  } else {
    job.reject(new CryptoError('INVALID_ARGUMENT', 'key-transport worker gave a malformed answer'));
  }
}

/** Drops a dead, stuck or stopped worker; its pending jobs fall back to the main thread. */
async function retireWorker(handle: WorkerHandle): Promise<void> {
  handle.retired = true;
  if (currentWorker === handle) currentWorker = undefined;
  for (const id of [...handle.pending.keys()]) takeJob(handle, id)?.resolve(undefined);
  await handle.thread.terminate().catch(() => undefined);
}
