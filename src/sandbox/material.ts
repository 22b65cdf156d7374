/**
 * The sandbox's key material: its CA (root → issuing), ETK-RA and STS
 * certificates, and per party a keystore, password, ETK and identity file —
 * written under `DATA/` with the layout of the test PKI so that any client
 * can act as any party:
 *
 *   DATA/ca/{root,issuing,chain}.pem   (+ keys, 0600)
 *   DATA/etk-ra.pem, DATA/sts.pem      (+ keys, 0600)
 *   DATA/parties/<name>/{keystore.p12,password,etk.der,identity.json,party.json}
 *
 * Keys come from the operating system's generator (RSA generation in
 * JavaScript is too slow for dozens of parties); the directory itself is
 * deterministic from the seed. Material is created once and reused.
 */
import type { KeyObject } from 'node:crypto';
import crypto from 'node:crypto';
import { promisify } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import { caDn } from '../crypto/certificate-names.ts';
import { certificateToPem, issueAuthCertificate, parseCertificate, readCertificates } from '../crypto/certificates.ts';
import { systemRandom } from '../crypto/drbg.ts';
import { generateRsaKeyPair, type RsaKeyPair } from '../crypto/rsa-keygen.ts';
import { createTestCa, issueHolder, type KeyedCertificate, type TestCa } from '../crypto/test-pki.ts';
import { writeKeystore } from '../crypto/keystore.ts';
import type { Party } from './directory/party.ts';

/** Validity of the parties seeded with an expired ETK: issued 4 years ago for 3 years. */
const EXPIRED_ETK_AGE_MS = 4 * 365 * 86_400_000;
/** The sandbox CA: RSA 2048 keeps first start fast; the profile is otherwise the eHealth one. */
const SANDBOX_CA_KEY_BITS = 2048;
/** Parties issued at once (each needs two keys from the thread pool). */
const ISSUE_BATCH = 8;
/** How often a process waiting for another one's material lock looks again. */
const LOCK_POLL_MS = 100;

/** A party's public material as the services need it. */
export interface PartyMaterial {
  party: Party;
  dir: string;
  authCertDer: Uint8Array;
  etk?: Uint8Array | undefined;
  password: string;
}

/** Everything the sandbox signs with or trusts. */
export interface SandboxMaterial {
  dir: string;
  ca: TestCa;
  sts: KeyedCertificate;
  chainPem: string;
  parties: Map<string, PartyMaterial>;
}

const pem = (k: KeyObject) => k.export({ type: 'pkcs8', format: 'pem' }).toString();
const writePrivate = (file: string, data: string | Uint8Array) => fs.writeFileSync(file, data, { mode: 0o600 });

function loadKeyed(certFile: string, keyFile: string): KeyedCertificate {
  const der = readCertificates(fs.readFileSync(certFile))[0]!;
  return { der, certificate: parseCertificate(der), privateKey: crypto.createPrivateKey(fs.readFileSync(keyFile)) };
}

function createCa(dir: string): { ca: TestCa; sts: KeyedCertificate } {
  const ca = createTestCa({ keyBits: SANDBOX_CA_KEY_BITS });
  const stsKeys = generateRsaKeyPair(2048);
  const sts = issueAuthCertificate({
    subject: caDn('ehbox-bridge sandbox STS'),
    publicKey: stsKeys.publicKey,
    issuer: { certificate: ca.issuing.certificate, privateKey: ca.issuing.privateKey },
    validity: { notBefore: ca.notBefore, notAfter: ca.etkRa.certificate.notAfter.value },
    rng: systemRandom(),
  });
  fs.mkdirSync(path.join(dir, 'ca'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'ca', 'root.pem'), certificateToPem(ca.root.der));
  fs.writeFileSync(path.join(dir, 'ca', 'issuing.pem'), certificateToPem(ca.issuing.der));
  fs.writeFileSync(path.join(dir, 'ca', 'chain.pem'), certificateToPem(ca.issuing.der) + certificateToPem(ca.root.der));
  writePrivate(path.join(dir, 'ca', 'root.key'), pem(ca.root.privateKey));
  writePrivate(path.join(dir, 'ca', 'issuing.key'), pem(ca.issuing.privateKey));
  fs.writeFileSync(path.join(dir, 'etk-ra.pem'), certificateToPem(ca.etkRa.der));
  writePrivate(path.join(dir, 'etk-ra.key'), pem(ca.etkRa.privateKey));
  fs.writeFileSync(path.join(dir, 'sts.pem'), certificateToPem(sts.der));
  writePrivate(path.join(dir, 'sts.key'), pem(stsKeys.privateKey));
  return { ca, sts: { ...sts, privateKey: stsKeys.privateKey } };
}

function loadCa(dir: string): { ca: TestCa; sts: KeyedCertificate } {
  const root = loadKeyed(path.join(dir, 'ca', 'root.pem'), path.join(dir, 'ca', 'root.key'));
  const issuing = loadKeyed(path.join(dir, 'ca', 'issuing.pem'), path.join(dir, 'ca', 'issuing.key'));
  const etkRa = loadKeyed(path.join(dir, 'etk-ra.pem'), path.join(dir, 'etk-ra.key'));
  const sts = loadKeyed(path.join(dir, 'sts.pem'), path.join(dir, 'sts.key'));
  return { ca: { root, issuing, etkRa, notBefore: root.certificate.notBefore.value, deterministic: false }, sts };
}

const generateKeyPair = promisify(crypto.generateKeyPair);

/** RSA-2048 in the thread pool, so several keys are made at once. */
async function rsaKeys(): Promise<RsaKeyPair> {
  return generateKeyPair('rsa', { modulusLength: 2048, publicExponent: 65537 });
}

async function issueParty(dir: string, ca: TestCa, party: Party): Promise<PartyMaterial> {
  const notBefore = party.etk === 'expired' ? new Date(Date.now() - EXPIRED_ETK_AGE_MS) : undefined;
  const [auth, enc] = await Promise.all([rsaKeys(), rsaKeys()]);
  const issued = issueHolder(
    ca,
    { name: party.name, type: party.certIdentity.type, id: party.certIdentity.id, quality: party.quality, displayName: party.displayName.toUpperCase() },
    systemRandom(),
    { keys: { auth, enc }, notBefore },
  );
  const password = crypto.randomBytes(12).toString('base64url');
  const pdir = path.join(dir, 'parties', party.name);
  fs.mkdirSync(pdir, { recursive: true });
  writePrivate(path.join(pdir, 'keystore.p12'), writeKeystore(issued.keystoreEntries, password));
  writePrivate(path.join(pdir, 'password'), password);
  if (party.etk !== 'none') fs.writeFileSync(path.join(pdir, 'etk.der'), issued.etk);
  fs.writeFileSync(path.join(pdir, 'identity.json'), JSON.stringify(party.identity, null, 2) + '\n');
  fs.writeFileSync(path.join(pdir, 'party.json'), JSON.stringify(party, null, 2) + '\n');
  return { party, dir: pdir, authCertDer: issued.authentication.der, etk: party.etk === 'none' ? undefined : issued.etk, password };
}

function loadParty(dir: string, party: Party): PartyMaterial | undefined {
  const pdir = path.join(dir, 'parties', party.name);
  if (!fs.existsSync(path.join(pdir, 'party.json')) || !fs.existsSync(path.join(pdir, 'auth.pem'))) return undefined;
  const etkFile = path.join(pdir, 'etk.der');
  return {
    party,
    dir: pdir,
    authCertDer: readCertificates(fs.readFileSync(path.join(pdir, 'auth.pem')))[0]!,
    etk: fs.existsSync(etkFile) ? new Uint8Array(fs.readFileSync(etkFile)) : undefined,
    password: fs.readFileSync(path.join(pdir, 'password'), 'utf8'),
  };
}

/**
 * Loads the material under `dir`, creating what is missing: the CA on first
 * start, and a keystore/ETK for every party that has none yet.
 */
export async function loadOrCreateMaterial(dir: string, parties: readonly Party[], log: (line: string) => void = () => {}): Promise<SandboxMaterial> {
  fs.mkdirSync(dir, { recursive: true });
  return withDirLock(dir, () => loadOrCreateLocked(dir, parties, log));
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return true; // lock file still being written: assume its owner lives
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: unknown }).code === 'EPERM';
  }
}

/**
 * Several processes may start sandboxes on one material folder at once (test
 * workers on a cold cache): one creates, the others wait, then load. A lock
 * left by a dead process is taken over.
 */
async function withDirLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = path.join(dir, '.material.lock');
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'EEXIST') throw err;
      let owner: number;
      try {
        owner = Number.parseInt(fs.readFileSync(lock, 'utf8'), 10);
      } catch {
        continue; // released in between
      }
      if (!processAlive(owner)) fs.rmSync(lock, { force: true });
      else await new Promise((r) => setTimeout(r, LOCK_POLL_MS));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

async function loadOrCreateLocked(dir: string, parties: readonly Party[], log: (line: string) => void): Promise<SandboxMaterial> {
  const { ca, sts } = fs.existsSync(path.join(dir, 'sts.key')) ? loadCa(dir) : createCa(dir);
  const out = new Map<string, PartyMaterial>();
  const missing = parties.filter((p) => {
    const m = loadParty(dir, p);
    if (m) out.set(p.name, m);
    return !m;
  });
  if (missing.length > 0) log(`sandbox: issuing keystores and ETKs for ${missing.length} parties (first start only)…`);
  for (let i = 0; i < missing.length; i += ISSUE_BATCH) {
    const batch = await Promise.all(missing.slice(i, i + ISSUE_BATCH).map((p) => issueParty(dir, ca, p)));
    for (const m of batch) {
      // auth.pem last: its presence marks a complete party folder
      fs.writeFileSync(path.join(m.dir, 'auth.pem'), certificateToPem(m.authCertDer));
      out.set(m.party.name, m);
    }
  }
  if (missing.length > 0) log(`sandbox: ${missing.length} parties issued`);
  return { dir, ca, sts, chainPem: path.join(dir, 'ca', 'chain.pem'), parties: out };
}
