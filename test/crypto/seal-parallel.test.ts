import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { CryptoError } from '../../src/crypto/errors.ts';
import { OID } from '../../src/crypto/cms-util.ts';
import { pssSha256Signer, type RawSigner } from '../../src/crypto/cms-signer.ts';
import { decryptPkcs1v15Key } from '../../src/crypto/pkcs1-decrypt.ts';
import {
  PARALLEL_KEY_TRANSPORT_THRESHOLD, keyTransportWorkerStats, seal, sealAsync, sealInnerAsync, signInner, stopKeyTransportWorker, warmKeyTransportWorker,
} from '../../src/crypto/seal.ts';
import { unseal } from '../../src/crypto/unseal.ts';
import { createTestPki, type TestHolder, type TestPki } from '../helpers/test-credentials.ts';

const MANY = 50;
let pki: TestPki;
let alice: TestHolder;
let holders: TestHolder[];
let recipients50: Uint8Array[];
const text = new TextEncoder().encode('Protocole opératoire fictif — patient 00000000000');

beforeAll(async () => {
  expect(await warmKeyTransportWorker()).toBe(true);
  pki = createTestPki();
  alice = pki.holder('Alice Sender');
  holders = ['Bob', 'Carol', 'Dave', 'Erin'].map((n) => pki.holder(`${n} Recipient`));
  // fresh copies: the recipient cache is keyed by buffer identity, so these are prepared like unseen certificates
  recipients50 = Array.from({ length: MANY }, (_, i) => holders[i % holders.length]!.encCertDer.slice());
});
afterAll(async () => {
  await stopKeyTransportWorker();
  pki.remove();
});

const anchors = (): Uint8Array[] => [pki.rootDer];

function countingSigner(): { signer: RawSigner; calls: () => number } {
  let n = 0;
  return { signer: (tbs, cred) => (n++, pssSha256Signer(tbs, cred)), calls: () => n };
}

function parseBer(der: Uint8Array): asn1js.AsnType {
  const parsed = asn1js.fromBER(der);
  expect(parsed.offset).toBe(der.length);
  return parsed.result;
}

/** The KeyTransRecipientInfos of a sealed blob, parsed by pkijs (an independent parser). */
function keyTransInfos(blob: Uint8Array): pkijs.KeyTransRecipientInfo[] {
  const outer = new pkijs.SignedData({ schema: new pkijs.ContentInfo({ schema: parseBer(blob) }).content });
  const envelope = new pkijs.ContentInfo({ schema: parseBer(new Uint8Array(outer.encapContentInfo.eContent!.getValue())) });
  expect(envelope.contentType).toBe(OID.envelopedData);
  const ed = new pkijs.EnvelopedData({ schema: envelope.content });
  return ed.recipientInfos.map((ri) => {
    expect(ri.variant).toBe(1);
    return ri.value as pkijs.KeyTransRecipientInfo;
  });
}

const serialOf = (ktri: pkijs.KeyTransRecipientInfo): string =>
  Buffer.from((ktri.rid as pkijs.IssuerAndSerialNumber).serialNumber.valueBlock.valueHexView).toString('hex');
const certSerial = (h: TestHolder): string => Buffer.from(h.enc.certificate.serialNumber.valueBlock.valueHexView).toString('hex');

describe('sealAsync with many recipients (worker key transport)', () => {
  it('50 recipients: 3 sampled recipients unseal to the plaintext with a clean verdict; exactly 2 signatures', async () => {
    const before = keyTransportWorkerStats();
    const counter = countingSigner();
    const blob = await sealAsync(text, { sender: alice.auth, recipients: recipients50, rawSigner: counter.signer });
    expect(counter.calls()).toBe(2);
    expect(keyTransportWorkerStats().jobs).toBe(before.jobs + 1);
    expect(keyTransportWorkerStats().fallbacks).toBe(before.fallbacks);
    for (const holder of [holders[0]!, holders[2]!, holders[3]!]) {
      const { content, verdict } = unseal(blob, { credentials: [holder.enc], trustAnchors: anchors() });
      expect(verdict, holder.name).toMatchObject({ ok: true, errors: [], warnings: [] });
      expect(Buffer.from(content!).equals(Buffer.from(text))).toBe(true);
    }
  });

  it('the EnvelopedData holds one RecipientInfo per certificate, each encrypting the same CEK for the key it names', async () => {
    const blob = await sealAsync(text, { sender: alice.auth, recipients: recipients50 });
    const infos = keyTransInfos(blob);
    expect(infos).toHaveLength(MANY);
    const bySerial = new Map(holders.map((h) => [certSerial(h), h]));
    // same certificates, same multiplicities
    expect(infos.map(serialOf).sort()).toEqual(recipients50.map((_, i) => certSerial(holders[i % holders.length]!)).sort());
    // main-thread and worker shares are paired with the right certificates: every key decrypts to one CEK
    const ceks = new Set(infos.map((ktri) => {
      expect(ktri.version).toBe(0);
      expect(ktri.keyEncryptionAlgorithm.algorithmId).toBe(OID.rsaEncryption);
      const holder = bySerial.get(serialOf(ktri))!;
      return Buffer.from(decryptPkcs1v15Key(holder.enc.privateKey, ktri.encryptedKey.valueBlock.valueHexView, 16)).toString('hex');
    }));
    expect(ceks.size).toBe(1);
  });

  it('RecipientInfos come in the same (DER SET OF) order as the synchronous seal gives them', async () => {
    const syncOrder = keyTransInfos(seal(text, { sender: alice.auth, recipients: recipients50 })).map(serialOf);
    const asyncOrder = keyTransInfos(await sealAsync(text, { sender: alice.auth, recipients: recipients50 })).map(serialOf);
    expect(asyncOrder).toEqual(syncOrder);
  });

  it('a malformed certificate → CryptoError, before any worker job is sent', async () => {
    const before = keyTransportWorkerStats().jobs;
    const bad = [...recipients50.slice(0, MANY - 1), Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00)];
    const err = await sealAsync(text, { sender: alice.auth, recipients: bad }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CryptoError);
    expect((err as CryptoError).code).toBe('MALFORMED_CERTIFICATE');
    expect(keyTransportWorkerStats().jobs).toBe(before);
  });

  it('below the threshold no worker job is sent', async () => {
    const before = keyTransportWorkerStats();
    const few = recipients50.slice(0, PARALLEL_KEY_TRANSPORT_THRESHOLD - 1);
    const blob = await sealAsync(text, { sender: alice.auth, recipients: few });
    expect(keyTransportWorkerStats()).toMatchObject({ starts: before.starts, jobs: before.jobs });
    expect(keyTransInfos(blob)).toHaveLength(few.length);
    expect(unseal(blob, { credentials: [holders[1]!.enc], trustAnchors: anchors() }).verdict.ok).toBe(true);
  });

  it('sealInnerAsync: reused inner layer, mixed with a KGSS key; one outer signature per call', async () => {
    const inner = signInner(text, alice.auth);
    const kek = { id: randomBytes(8), key: randomBytes(16) };
    const counter = countingSigner();
    const blob = await sealInnerAsync(inner, recipients50, alice.auth, { kek: [kek], rawSigner: counter.signer });
    expect(counter.calls()).toBe(1);
    expect(unseal(blob, { kekKeys: [kek], trustAnchors: anchors() }).verdict.ok).toBe(true);
    expect(unseal(blob, { credentials: [holders[3]!.enc], trustAnchors: anchors() }).verdict.ok).toBe(true);
  });

  it('concurrent seals share the worker and all unseal', async () => {
    const blobs = await Promise.all([0, 1, 2].map(() => sealAsync(text, { sender: alice.auth, recipients: recipients50 })));
    blobs.forEach((blob, i) => {
      expect(unseal(blob, { credentials: [holders[i]!.enc], trustAnchors: anchors() }).verdict.ok).toBe(true);
    });
  });

  it('a stopped worker is recreated; a seal whose worker dies mid-job still completes', async () => {
    await sealAsync(text, { sender: alice.auth, recipients: recipients50 });
    expect(keyTransportWorkerStats().running).toBe(true);
    await stopKeyTransportWorker();
    expect(keyTransportWorkerStats().running).toBe(false);
    const starts = keyTransportWorkerStats().starts;
    const pending = sealAsync(text, { sender: alice.auth, recipients: recipients50 });
    const killing = stopKeyTransportWorker(); // the job may or may not be answered first: either way the seal completes
    const blob = await pending;
    await killing;
    expect(keyTransportWorkerStats().starts).toBe(starts + 1);
    expect(unseal(blob, { credentials: [holders[0]!.enc], trustAnchors: anchors() }).verdict.ok).toBe(true);
    await sealAsync(text, { sender: alice.auth, recipients: recipients50 });
    expect(keyTransportWorkerStats()).toMatchObject({ running: true, starts: starts + 2 });
  });

  it('the idle worker does not keep the process alive', () => {
    const sealModule = fileURLToPath(new URL('../../src/crypto/seal.ts', import.meta.url));
    const helpers = fileURLToPath(new URL('../helpers/test-credentials.ts', import.meta.url));
    const script = pki.dir.write('seal-and-exit.mts', [
      `import { readFileSync } from 'node:fs';`,
      `import { sealAsync, keyTransportWorkerStats, warmKeyTransportWorker } from ${JSON.stringify(sealModule)};`,
      `import { credentialFromPem } from ${JSON.stringify(helpers)};`,
      `const f = ${JSON.stringify({ ...alice.files, ca: pki.files.issuingCa })};`,
      `const sender = credentialFromPem(readFileSync(f.authKey, 'utf8'), readFileSync(f.authCert, 'utf8') + readFileSync(f.ca, 'utf8'));`,
      `const cert = new Uint8Array(Buffer.from(process.argv[2], 'base64'));`,
      `await warmKeyTransportWorker();`,
      `const blob = await sealAsync(new Uint8Array(10), { sender, recipients: Array.from({ length: 20 }, () => cert) });`,
      `process.stdout.write(JSON.stringify({ bytes: blob.length, jobs: keyTransportWorkerStats().jobs }));`,
    ].join('\n'));
    const child = spawnSync(process.execPath, ['--import', 'tsx', script, Buffer.from(holders[0]!.encCertDer).toString('base64')], {
      encoding: 'utf8', timeout: 15_000,
    });
    expect(child.error).toBeUndefined();
    expect(child.status, child.stderr).toBe(0);
    expect(JSON.parse(child.stdout)).toMatchObject({ jobs: 1 });
  });
});
