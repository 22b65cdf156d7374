/**
 * The test PKI of the sandbox and of `pki init`: a root and an issuing CA, an
 * ETK-RA, and per holder an eHealth-style authentication certificate, a
 * self-issued encryption certificate, the ETK and a legacy PKCS#12 keystore.
 * With a seed everything (keys, serials, dates, passwords) is derived from it,
 * so the same seed gives byte-identical certificates, keys and ETKs. PKCS#12
 * files are not byte-identical: writeKeystore draws its salts from the OS.
 */
import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { KeyObject } from 'node:crypto';
import { createDrbg, systemRandom, type RandomSource } from './drbg.ts';
import { generateRsaKeyPair, type RsaKeyPair } from './rsa-keygen.ts';
import {
  caDn,
  certificateToPem,
  holderDn,
  issueAuthCertificate,
  issueEncryptionCertificate,
  issueEtkRaCertificate,
  issueIssuingCa,
  issueRootCa,
  serialDecimal,
  type IssuedCertificate,
  type Validity,
} from './certificates.ts';
import { buildEtk } from './etk.ts';
import { CryptoError } from './errors.ts';
import { AUTHENTICATION_ALIAS, writeKeystore, type KeystoreEntryInput } from './keystore.ts';
import { defaultHolderSpecs, type HolderSpec } from './test-pki-holders.ts';

export { defaultHolderSpecs, type HolderSpec } from './test-pki-holders.ts';

/** A certificate with its private key. */
export interface KeyedCertificate extends IssuedCertificate {
  privateKey: KeyObject;
}

/** The CA side of the test PKI. */
export interface TestCa {
  root: KeyedCertificate;
  issuing: KeyedCertificate;
  etkRa: KeyedCertificate;
  /** Start of every validity period of this PKI. */
  notBefore: Date;
  /** True when keys come from the seeded DRBG (slow, reproducible) rather than native generation. */
  deterministic: boolean;
}

/** A holder's keys, certificates, ETK and keystore entries, in memory. */
export interface IssuedHolder {
  spec: HolderSpec;
  authentication: KeyedCertificate;
  encryption: KeyedCertificate;
  /** DER ETK signed by the ETK-RA. */
  etk: Uint8Array;
  /** `authentication` → [auth, issuing]; decimal enc serial → [enc, auth, issuing]. */
  keystoreEntries: KeystoreEntryInput[];
}

/** CA keys: RSA 4096 as eHealth's CAs; tests pass 2048 because JS generation of 4096 takes seconds. */
export const DEFAULT_CA_KEY_BITS = 4096;
/** Holder, encryption and ETK-RA keys: RSA 2048 as in real eHealth keystores. */
const HOLDER_KEY_BITS = 2048;
/** Lifetimes, in years from the PKI's notBefore. Holders get the 3 years of real eHealth certificates. */
const ROOT_YEARS = 20;
const ISSUING_YEARS = 15;
const ETK_RA_YEARS = 10;
const HOLDER_YEARS = 3;
/** Unseeded PKIs start slightly in the past so that a peer with a lagging clock accepts them. */
const CLOCK_SKEW_MS = 5 * 60_000;
/** Random per-holder passwords: 12 bytes → 16 base64url characters. */
const PASSWORD_BYTES = 12;
/** Longest holder list `pki init` accepts (each holder costs two RSA keys). */
export const MAX_HOLDERS = 100;

function addYears(date: Date, years: number): Date {
  const d = new Date(date.getTime());
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d;
}

function validity(notBefore: Date, years: number, cap?: Date): Validity {
  const end = addYears(notBefore, years);
  return { notBefore, notAfter: cap && cap < end ? cap : end };
}

/**
 * Default start of validity. Seeded: 1 January (UTC) of the current year, so
 * that the same seed gives identical output all year while certificates stay
 * valid ≥ 2 years after generation; pass `notBefore` for full reproducibility.
 * Unseeded: now minus a clock-skew margin.
 */
export function defaultNotBefore(seeded: boolean, now = new Date()): Date {
  if (seeded) return new Date(Date.UTC(now.getUTCFullYear(), 0, 1));
  return new Date(Math.floor((now.getTime() - CLOCK_SKEW_MS) / 1000) * 1000);
}

/** Options of createTestCa. */
export interface CreateTestCaOptions {
  /** Seed string: makes keys, serials and (by default) dates reproducible. */
  seed?: string;
  notBefore?: Date;
  /** CA key size (default 4096). */
  keyBits?: number;
}

function keys(bits: number, seed: string | undefined, label: string) {
  return generateRsaKeyPair(bits, seed === undefined ? undefined : createDrbg(`${seed}/${label}`));
}

/** Creates root CA, issuing CA (pathlen 0) and the ETK-RA certificate. */
export function createTestCa(options: CreateTestCaOptions = {}): TestCa {
  const { seed } = options;
  const notBefore = options.notBefore ?? defaultNotBefore(seed !== undefined);
  const caBits = options.keyBits ?? DEFAULT_CA_KEY_BITS;
  const rng = seed === undefined ? systemRandom() : createDrbg(`${seed}/ca-serials`);
  const rootKeys = keys(caBits, seed, 'root-key');
  const rootValidity = validity(notBefore, ROOT_YEARS);
  const root = issueRootCa({ subject: caDn('ehbox-bridge TEST root CA'), ...rootKeys, validity: rootValidity, rng });
  const issuingKeys = keys(caBits, seed, 'issuing-key');
  const issuingValidity = validity(notBefore, ISSUING_YEARS, rootValidity.notAfter);
  const issuing = issueIssuingCa({
    subject: caDn('ehbox-bridge TEST issuing CA'),
    publicKey: issuingKeys.publicKey,
    issuer: { certificate: root.certificate, privateKey: rootKeys.privateKey },
    validity: issuingValidity,
    rng,
  });
  const raKeys = keys(HOLDER_KEY_BITS, seed, 'etk-ra-key');
  const etkRa = issueEtkRaCertificate({
    publicKey: raKeys.publicKey,
    issuer: { certificate: issuing.certificate, privateKey: issuingKeys.privateKey },
    validity: validity(notBefore, ETK_RA_YEARS, issuingValidity.notAfter),
    rng,
  });
  return {
    root: { ...root, privateKey: rootKeys.privateKey },
    issuing: { ...issuing, privateKey: issuingKeys.privateKey },
    etkRa: { ...etkRa, privateKey: raKeys.privateKey },
    notBefore,
    deterministic: seed !== undefined,
  };
}

/** Options of issueHolder. */
export interface IssueHolderOptions {
  /** Draw the RSA keys from `rng` (reproducible, slower); default: the CA's mode. */
  deterministicKeys?: boolean;
  /** Start of validity; default the CA's notBefore. */
  notBefore?: Date;
  /** Keys generated beforehand (e.g. in parallel with crypto.generateKeyPair); overrides deterministicKeys. */
  keys?: { auth: RsaKeyPair; enc: RsaKeyPair };
}

/**
 * Issues one holder: auth certificate (3 years, capped by the issuing CA),
 * encryption certificate signed by the auth key, ETK and keystore entries.
 */
export function issueHolder(ca: TestCa, spec: HolderSpec, rng: RandomSource, options: IssueHolderOptions = {}): IssuedHolder {
  const deterministic = options.deterministicKeys ?? ca.deterministic;
  const authKeys = options.keys?.auth ?? generateRsaKeyPair(HOLDER_KEY_BITS, deterministic ? rng : undefined);
  const encKeys = options.keys?.enc ?? generateRsaKeyPair(HOLDER_KEY_BITS, deterministic ? rng : undefined);
  const window = validity(options.notBefore ?? ca.notBefore, HOLDER_YEARS, ca.issuing.certificate.notAfter.value);
  const subject = holderDn({ type: spec.type, id: spec.id, name: spec.displayName, application: spec.application });
  const auth = issueAuthCertificate({
    subject,
    publicKey: authKeys.publicKey,
    issuer: { certificate: ca.issuing.certificate, privateKey: ca.issuing.privateKey },
    validity: window,
    rng,
  });
  const enc = issueEncryptionCertificate({
    publicKey: encKeys.publicKey,
    auth: { certificate: auth.certificate, privateKey: authKeys.privateKey },
    validity: window,
    rng,
  });
  const etk = buildEtk({
    encryptionCertDer: enc.der,
    authCertDer: auth.der,
    caChainDer: [ca.issuing.der, ca.root.der],
    ra: { certDer: ca.etkRa.der, privateKey: ca.etkRa.privateKey },
  });
  return {
    spec,
    authentication: { ...auth, privateKey: authKeys.privateKey },
    encryption: { ...enc, privateKey: encKeys.privateKey },
    etk,
    keystoreEntries: [
      { alias: AUTHENTICATION_ALIAS, privateKey: authKeys.privateKey, chainDer: [auth.der, ca.issuing.der] },
      { alias: serialDecimal(enc.certificate), privateKey: encKeys.privateKey, chainDer: [enc.der, auth.der, ca.issuing.der] },
    ],
  };
}

/** Options of initTestPki. */
export interface InitTestPkiOptions {
  dir: string;
  /** Number of holders (default 4) or explicit specs. */
  holders?: number | HolderSpec[];
  /** Keystore password for every holder; default a random one per holder. */
  password?: string;
  seed?: string;
  notBefore?: Date;
  /** CA key size (default 4096). */
  caKeyBits?: number;
  /** Write into a directory that already holds a test PKI. */
  force?: boolean;
}

/** What `identity.json` holds. */
export interface HolderIdentityFile {
  type: string;
  id: string;
  quality: string;
  name: string;
  applicationId?: string;
}

/** One holder as written to disk. */
export interface WrittenHolder {
  name: string;
  dir: string;
  keystore: string;
  passwordFile: string;
  password: string;
  etk: string;
  identityFile: string;
  identity: HolderIdentityFile;
  issued: IssuedHolder;
}

/** Paths and contents of an initialised test PKI. */
export interface TestPkiResult {
  dir: string;
  rootPem: string;
  issuingPem: string;
  chainPem: string;
  etkRaPem: string;
  etkRaKey: string;
  ca: TestCa;
  holders: WrittenHolder[];
}

const keyPem = (key: KeyObject): string => key.export({ type: 'pkcs8', format: 'pem' }).toString();

async function writePrivate(file: string, data: string | Uint8Array): Promise<void> {
  await writeFile(file, data, { mode: 0o600 });
  await chmod(file, 0o600);
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(() => true, () => false);
}

function resolveSpecs(holders: InitTestPkiOptions['holders'], seed: string | undefined): HolderSpec[] {
  if (Array.isArray(holders)) return holders;
  const count = holders ?? 4;
  if (!Number.isInteger(count) || count < 0 || count > MAX_HOLDERS) {
    throw new CryptoError('INVALID_ARGUMENT', `holder count must be an integer in 0..${MAX_HOLDERS}`);
  }
  return defaultHolderSpecs(count, seed === undefined ? systemRandom() : createDrbg(`${seed}/holder-specs`));
}

/**
 * Creates a test PKI under `dir`: `ca/{root,issuing,chain}.pem` (+ CA keys),
 * `etk-ra.pem` + `etk-ra.key`, and per holder `holders/<name>/` with
 * `keystore.p12`, `password`, `etk.der`, `identity.json`. Private files are 0600.
 */
export async function initTestPki(options: InitTestPkiOptions): Promise<TestPkiResult> {
  const { dir, seed } = options;
  const specs = resolveSpecs(options.holders, seed);
  if (!options.force && (await exists(path.join(dir, 'ca', 'root.pem')))) {
    throw new CryptoError('INVALID_ARGUMENT', `${dir} already holds a test PKI (use force to overwrite)`);
  }
  const ca = createTestCa({ seed, notBefore: options.notBefore, keyBits: options.caKeyBits });
  const caDir = path.join(dir, 'ca');
  await mkdir(caDir, { recursive: true });
  const result: TestPkiResult = {
    dir,
    rootPem: path.join(caDir, 'root.pem'),
    issuingPem: path.join(caDir, 'issuing.pem'),
    chainPem: path.join(caDir, 'chain.pem'),
    etkRaPem: path.join(dir, 'etk-ra.pem'),
    etkRaKey: path.join(dir, 'etk-ra.key'),
    ca,
    holders: [],
  };
  await writeFile(result.rootPem, certificateToPem(ca.root.der));
  await writeFile(result.issuingPem, certificateToPem(ca.issuing.der));
  await writeFile(result.chainPem, certificateToPem(ca.issuing.der) + certificateToPem(ca.root.der));
  await writePrivate(path.join(caDir, 'root.key'), keyPem(ca.root.privateKey));
  await writePrivate(path.join(caDir, 'issuing.key'), keyPem(ca.issuing.privateKey));
  await writeFile(result.etkRaPem, certificateToPem(ca.etkRa.der));
  await writePrivate(result.etkRaKey, keyPem(ca.etkRa.privateKey));
  for (const spec of specs) result.holders.push(await writeHolder(ca, spec, options));
  return result;
}

async function writeHolder(ca: TestCa, spec: HolderSpec, options: InitTestPkiOptions): Promise<WrittenHolder> {
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(spec.name)) throw new CryptoError('INVALID_ARGUMENT', `invalid holder name ${JSON.stringify(spec.name)}`);
  const { seed } = options;
  const rng = seed === undefined ? systemRandom() : createDrbg(`${seed}/holder/${spec.name}`);
  const issued = issueHolder(ca, spec, rng);
  const password = options.password ?? Buffer.from(rng.bytes(PASSWORD_BYTES)).toString('base64url');
  const dir = path.join(options.dir, 'holders', spec.name);
  await mkdir(dir, { recursive: true });
  const identity: HolderIdentityFile = { type: spec.type, id: spec.id, quality: spec.quality, name: spec.displayName };
  if (spec.application) identity.applicationId = spec.application;
  const holder: WrittenHolder = {
    name: spec.name,
    dir,
    keystore: path.join(dir, 'keystore.p12'),
    passwordFile: path.join(dir, 'password'),
    password,
    etk: path.join(dir, 'etk.der'),
    identityFile: path.join(dir, 'identity.json'),
    identity,
    issued,
  };
  await writePrivate(holder.keystore, writeKeystore(issued.keystoreEntries, password, { random: rng }));
  await writePrivate(holder.passwordFile, password);
  await writeFile(holder.etk, issued.etk);
  await writeFile(holder.identityFile, JSON.stringify(identity, null, 2) + '\n');
  return holder;
}
