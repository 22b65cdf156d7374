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
import { CryptoError } from './errors.ts';
import { countFallback, fitsWorker, MAX_JOB_KEYS, startRemoteJob, type WorkerKey } from './key-transport-pool.ts';

export { keyTransportWorkerStats, stopKeyTransportWorker, warmKeyTransportWorker } from './key-transport-pool.ts';
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
 * `seal` for large recipient sets: the CEK is drawn first, the worker gets
 * its share of the key transports, and this thread makes the inner signature
 * and encrypts its own share meanwhile. Still exactly two RSA signatures.
 */
export async function sealAsync(content: Uint8Array, params: SealParams): Promise<Uint8Array> {
  if (content.length > MAX_SEAL_CONTENT_BYTES) throw new CryptoError('INPUT_TOO_LARGE', 'content too large to seal');
  checkSealArgs(params.recipients, params.kek ?? [], params.sender);
  const options = sealOptionsOf(params);
  const job = startKeyTransports(params.recipients);
  let inner: InnerSigned;
  try {
    // on this thread while the worker encrypts its share: a third (thread-pool) thread would only contend for the two cores
    inner = signInner(content, params.sender, options);
  } catch (err) {
    job.cek.fill(0);
    throw err;
  }
  const local = localShare(job);
  // the outer signature on this thread too: nothing is left to overlap it with, and a thread-pool hop costs ~70 µs
  return finishSeal(inner, job, local, params.sender, { ...options, ...(params.kek ? { kek: params.kek } : {}) }, false);
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

/** Envelope and outer signature (by default in the thread pool) of the async seals; the CEK is zeroed whatever happens. */
async function finishSeal(
  inner: InnerSigned,
  job: KeyTransportJob,
  local: Uint8Array[],
  sender: Credential,
  options: SealOptions & { kek?: readonly KekRecipient[] },
  outerInThreadPool = true,
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
  if (!outerInThreadPool) return signOuter(envelope, sender, options);
  return Buffer.concat(await buildSignedDataAsync(envelope, outerParams(sender, options)));
}

// ------------------------------------------------------------------ EnvelopedData

interface PreparedRecipient {
  issuerAndSerial: Uint8Array;
  publicKey: KeyObject;
  /** The key as the key-transport worker knows it (id by SPKI content, SPKI in its own small buffer). */
  workerKey: WorkerKey;
  /** Length of an encrypted key (the modulus length). */
  encryptedBytes: number;
}

const preparedRecipients = new WeakMap<Uint8Array, PreparedRecipient>();
/** Worker key ids by SPKI: the same ETK in another buffer is the same worker key. Ids are never reused. */
const workerKeyIds = new Map<string, number>();
const MAX_WORKER_KEY_IDS = 4096;
let nextWorkerKeyId = 1;

function workerKeyOf(spki: Uint8Array): WorkerKey {
  const text = Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength).toString('latin1');
  let id = workerKeyIds.get(text);
  if (id === undefined) {
    if (workerKeyIds.size >= MAX_WORKER_KEY_IDS) workerKeyIds.clear();
    id = nextWorkerKeyId++;
    workerKeyIds.set(text, id);
  }
  return { id, spki: new Uint8Array(spki) };
}

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
  const prepared = { issuerAndSerial: fields.issuerAndSerial, publicKey, workerKey: workerKeyOf(fields.spki), encryptedBytes: Math.ceil(bits / 8) };
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
 * From this many certificate recipients on, the async seals hand part of the
 * key transports to the worker; below, a handoff saves less than it costs.
 */
export const PARALLEL_KEY_TRANSPORT_THRESHOLD = 8;
/**
 * This thread's share of the key transports when the worker takes part: in
 * `sealAsync` this thread also makes the inner signature (worth ~11 key
 * transports) meanwhile, so both cores stay busy until the outer signature
 * (tuned with `npm run bench:crypto`: 0.38–0.5 measure alike within noise).
 */
const MAIN_THREAD_SHARE = 0.42;

/** The key transports of one seal: this thread's share now, the worker's share when it answers. */
interface KeyTransportJob {
  cek: Uint8Array;
  local(): Uint8Array[];
  remote(): Promise<Uint8Array[]>;
}

/** Prepares (validates) every recipient, draws the CEK and hands the worker its share at once. */
function startKeyTransports(recipients: readonly Uint8Array[]): KeyTransportJob {
  const prepared = recipients.map(prepareRecipient);
  const cek = new Uint8Array(CEK_LENGTH);
  randomFillSync(cek);
  const n = prepared.length;
  const eligible = n < PARALLEL_KEY_TRANSPORT_THRESHOLD ? [] : prepared.filter((r) => fitsWorker(r.workerKey, r.encryptedBytes));
  const theirs = eligible.slice(Math.round(eligible.length * MAIN_THREAD_SHARE)).slice(0, MAX_JOB_KEYS);
  const remote = theirs.length > 0 ? startRemoteJob(cek, theirs.map((r) => r.workerKey)) : undefined;
  const remoteSet = new Set(remote ? theirs : []);
  const mine = prepared.filter((r) => !remoteSet.has(r)); // RecipientInfos are a DER SET OF: their order is the encoder's
  return {
    cek,
    local: () => mine.map((r) => keyTransInfo(r, encryptKey(r, cek))),
    remote: async () => {
      if (!remote) return [];
      let encrypted = await remote.result();
      if (!encrypted) {
        countFallback();
        encrypted = theirs.map((r) => encryptKey(r, cek));
      }
      return theirs.map((r, i) => keyTransInfo(r, encrypted[i]!));
    },
  };
}
