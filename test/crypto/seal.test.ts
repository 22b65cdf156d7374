import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { CryptoError } from '../../src/crypto/errors.ts';
import { OID } from '../../src/crypto/cms-util.ts';
import { pssSha256Signer, type RawSigner } from '../../src/crypto/cms-signer.ts';
import { innerSignedDer, seal, sealInner, signInner } from '../../src/crypto/seal.ts';
import { unseal } from '../../src/crypto/unseal.ts';
import { createTestPki, type TestHolder, type TestPki } from '../helpers/test-credentials.ts';

let pki: TestPki;
let alice: TestHolder;
let bob: TestHolder;
let carol: TestHolder;
let dave: TestHolder;
const text = new TextEncoder().encode('Résultat de laboratoire fictif — patient 00000000000');

beforeAll(() => {
  pki = createTestPki();
  alice = pki.holder('Alice Sender');
  bob = pki.holder('Bob Recipient');
  carol = pki.holder('Carol Recipient');
  dave = pki.holder('Dave Outsider');
});
afterAll(() => pki.remove());

const anchors = (): Uint8Array[] => [pki.rootDer];

/** asn1js parse of a DER element (tests inspect our output with pkijs, an independent parser). */
function parseBer(der: Uint8Array): asn1js.AsnType {
  const parsed = asn1js.fromBER(der);
  expect(parsed.offset).toBe(der.length);
  return parsed.result;
}

function signedDataOf(der: Uint8Array): { sd: pkijs.SignedData; content: Uint8Array } {
  const info = new pkijs.ContentInfo({ schema: parseBer(der) });
  expect(info.contentType).toBe(OID.signedData);
  const sd = new pkijs.SignedData({ schema: info.content });
  return { sd, content: new Uint8Array(sd.encapContentInfo.eContent!.getValue()) };
}

function countingSigner(): { signer: RawSigner; calls: () => number } {
  let n = 0;
  return { signer: (tbs, cred) => (n++, pssSha256Signer(tbs, cred)), calls: () => n };
}

describe('seal → unseal round trip', () => {
  it('one recipient unseals to the plaintext with a clean verdict', () => {
    const blob = seal(text, { sender: alice.auth, recipients: [bob.encCertDer] });
    const { content, verdict } = unseal(blob, { credentials: [bob.enc], trustAnchors: anchors() });
    expect(verdict).toMatchObject({ ok: true, errors: [], warnings: [] });
    expect(verdict.fatal).toBeUndefined();
    expect(Buffer.from(content!)).toEqual(Buffer.from(text));
    expect(verdict.signer?.subject).toContain('OU=Alice Sender');
    expect(verdict.innerSigner).toEqual(verdict.signer);
    expect(verdict.signingTime).toBeInstanceOf(Date);
  });

  it('three recipients each unseal; a non-recipient gets DECRYPTION_PRIVATE_KEY_NOT_FOUND', () => {
    const blob = seal(text, { sender: alice.auth, recipients: [bob.encCertDer, carol.encCertDer, alice.encCertDer] });
    for (const holder of [bob, carol, alice]) {
      const { content, verdict } = unseal(blob, { credentials: [holder.enc], trustAnchors: anchors() });
      expect(verdict.ok, holder.name).toBe(true);
      expect(Buffer.from(content!).equals(Buffer.from(text))).toBe(true);
    }
    const outsider = unseal(blob, { credentials: [dave.enc, dave.auth], trustAnchors: anchors() });
    expect(outsider.content).toBeUndefined();
    expect(outsider.verdict.ok).toBe(false);
    expect(outsider.verdict.fatal).toMatchObject({ code: 'DECRYPTION_PRIVATE_KEY_NOT_FOUND', layer: 'envelope' });
  });

  it('finds the right key among several candidates of a keystore', () => {
    const blob = seal(text, { sender: alice.auth, recipients: [carol.encCertDer] });
    const { verdict } = unseal(blob, { credentials: [bob.auth, bob.enc, carol.auth, carol.enc], trustAnchors: anchors() });
    expect(verdict.ok).toBe(true);
  });

  it('KGSS variant (KEKRecipientInfo, aes128-wrap) round trips', () => {
    const kek = { id: randomBytes(20), key: randomBytes(16) };
    const blob = seal(text, { sender: alice.auth, recipients: [], kek: [kek] });
    const { content, verdict } = unseal(blob, { kekKeys: [kek], trustAnchors: anchors() });
    expect(verdict.ok).toBe(true);
    expect(Buffer.from(content!).equals(Buffer.from(text))).toBe(true);
    const wrongKey = unseal(blob, { kekKeys: [{ id: kek.id, key: randomBytes(16) }], trustAnchors: anchors() });
    expect(wrongKey.verdict.fatal?.code).toBe('SECRET_KEY_CAN_NOT_DECRYPT_KEKRECIPIENTINFOS');
    const otherId = unseal(blob, { kekKeys: [{ id: randomBytes(20), key: kek.key }], trustAnchors: anchors() });
    expect(otherId.verdict.fatal?.code).toBe('SECRET_KEY_CAN_NOT_DECRYPT_KEKRECIPIENTINFOS');
    const certOnly = unseal(blob, { credentials: [bob.enc], trustAnchors: anchors() });
    expect(certOnly.verdict.fatal?.code).toBe('ENVELOPED_DATA_CONTAINS_NO_KEYTRANSRECIPIENTINFOS');
  });

  it('mixed KEK + key-transport recipients: both kinds can open it (EnvelopedData v2)', () => {
    const kek = { id: randomBytes(8), key: randomBytes(16) };
    const blob = seal(text, { sender: alice.auth, recipients: [bob.encCertDer], kek: [kek] });
    expect(unseal(blob, { kekKeys: [kek], trustAnchors: anchors() }).verdict.ok).toBe(true);
    expect(unseal(blob, { credentials: [bob.enc], trustAnchors: anchors() }).verdict.ok).toBe(true);
    const env = new pkijs.ContentInfo({ schema: parseBer(signedDataOf(blob).content) });
    const ed = new pkijs.EnvelopedData({ schema: env.content });
    expect(ed.version).toBe(2);
    expect(ed.recipientInfos.map((r) => r.variant).sort()).toEqual([1, 3]);
    const kekri = ed.recipientInfos.find((r) => r.variant === 3)!.value as pkijs.KEKRecipientInfo;
    expect(kekri.version).toBe(4);
    expect(kekri.keyEncryptionAlgorithm.algorithmId).toBe(OID.aes128Wrap);
    const envOnlyKek = unseal(blob, { kekKeys: [{ id: randomBytes(8), key: kek.key }], trustAnchors: anchors() });
    expect(envOnlyKek.verdict.fatal?.code).toBe('SECRET_KEY_CAN_NOT_DECRYPT_KEKRECIPIENTINFOS');
  });
});

describe('sealed message profile (SEALING.md §1)', () => {
  it('outer and inner layers follow the eHealth profile', () => {
    const blob = seal(text, { sender: alice.auth, recipients: [bob.encCertDer, carol.encCertDer] });
    const outer = signedDataOf(blob);
    expect(outer.sd.version).toBe(1);
    expect(outer.sd.encapContentInfo.eContentType).toBe(OID.data);
    expect(outer.sd.certificates).toHaveLength(2); // signer + issuing CA
    expect(outer.sd.signerInfos).toHaveLength(1);
    const si = outer.sd.signerInfos[0]!;
    expect(si.version).toBe(1);
    expect(si.sid).toBeInstanceOf(pkijs.IssuerAndSerialNumber);
    expect(si.digestAlgorithm.algorithmId).toBe(OID.sha256);
    expect(si.signatureAlgorithm.algorithmId).toBe(OID.rsaPss);
    const pss = new pkijs.RSASSAPSSParams({ schema: si.signatureAlgorithm.algorithmParams });
    expect([pss.hashAlgorithm.algorithmId, pss.saltLength]).toEqual([OID.sha256, 32]);
    expect(si.signedAttrs!.attributes.map((a) => a.type).sort()).toEqual([OID.contentType, OID.messageDigest, OID.signingTime].sort());
    expect(si.signedAttrs!.attributes.find((a) => a.type === OID.signingTime)!.values[0]).toBeInstanceOf(asn1js.UTCTime);
    expect(si.unsignedAttrs).toBeUndefined();

    const envInfo = new pkijs.ContentInfo({ schema: parseBer(outer.content) });
    expect(envInfo.contentType).toBe(OID.envelopedData);
    const ed = new pkijs.EnvelopedData({ schema: envInfo.content });
    expect(ed.version).toBe(0);
    expect(ed.recipientInfos).toHaveLength(2);
    for (const ri of ed.recipientInfos) {
      const ktri = ri.value as pkijs.KeyTransRecipientInfo;
      expect(ktri.version).toBe(0);
      expect(ktri.rid).toBeInstanceOf(pkijs.IssuerAndSerialNumber);
      expect(ktri.keyEncryptionAlgorithm.algorithmId).toBe(OID.rsaEncryption);
      expect(ktri.encryptedKey.valueBlock.valueHexView).toHaveLength(256);
    }
    expect(ed.encryptedContentInfo.contentEncryptionAlgorithm.algorithmId).toBe(OID.aes128Cbc);
  });

  it('the inner layer has no certificates and the same signer as the outer one', () => {
    const inner = signInner(text, alice.auth);
    const { sd, content } = signedDataOf(innerSignedDer(inner));
    expect(sd.certificates ?? []).toHaveLength(0);
    expect(Buffer.from(content).equals(Buffer.from(text))).toBe(true);
    const sid = sd.signerInfos[0]!.sid as pkijs.IssuerAndSerialNumber;
    expect(sid.serialNumber.isEqual(alice.auth.certificate.serialNumber)).toBe(true);
  });

  it('uses a fresh content key and IV per sealed field', () => {
    const a = seal(text, { sender: alice.auth, recipients: [bob.encCertDer] });
    const b = seal(text, { sender: alice.auth, recipients: [bob.encCertDer] });
    const iv = (blob: Uint8Array): string => {
      const ed = new pkijs.EnvelopedData({ schema: new pkijs.ContentInfo({ schema: parseBer(signedDataOf(blob).content) }).content });
      return Buffer.from((ed.encryptedContentInfo.contentEncryptionAlgorithm.algorithmParams as { valueBlock: { valueHexView: Uint8Array } }).valueBlock.valueHexView).toString('hex');
    };
    expect(iv(a)).not.toBe(iv(b));
  });
});

describe('signature cost', () => {
  it('sealing for 50 recipients makes exactly 2 RSA signatures', () => {
    const recipients = Array.from({ length: 50 }, (_, i) => [bob.encCertDer, carol.encCertDer, alice.encCertDer][i % 3]!);
    const counter = countingSigner();
    const blob = seal(text, { sender: alice.auth, recipients, rawSigner: counter.signer });
    expect(counter.calls()).toBe(2);
    expect(unseal(blob, { credentials: [carol.enc], trustAnchors: anchors() }).verdict.ok).toBe(true);
  });

  it('one InnerSigned serves many recipient sets: one inner signature, identical inner bytes', () => {
    const counter = countingSigner();
    const inner = signInner(text, alice.auth, { rawSigner: counter.signer });
    const innerDer = Buffer.from(innerSignedDer(inner));
    const blobs = [bob, carol, alice].map((h) => sealInner(inner, [h.encCertDer], alice.auth, { rawSigner: counter.signer }));
    expect(counter.calls()).toBe(1 + 3);
    for (const [i, h] of [bob, carol, alice].entries()) {
      const env = signedDataOf(blobs[i]!).content;
      expect(unseal(blobs[i]!, { credentials: [h.enc], trustAnchors: anchors() }).verdict.ok).toBe(true);
      expect(env.length).toBeGreaterThan(innerDer.length);
    }
    expect(Buffer.from(innerSignedDer(inner)).equals(innerDer)).toBe(true);
  });
});

describe('seal input checks', () => {
  it('refuses an empty recipient list, a short KGSS key and a non-certificate recipient', () => {
    expect(() => seal(text, { sender: alice.auth, recipients: [] })).toThrow(CryptoError);
    expect(() => seal(text, { sender: alice.auth, recipients: [], kek: [{ id: Uint8Array.of(1), key: randomBytes(8) }] })).toThrow(/16 bytes/);
    expect(() => seal(text, { sender: alice.auth, recipients: [randomBytes(40)] })).toThrow(CryptoError);
  });
});

describe('unseal verdicts on our own messages', () => {
  const notAfter = (h: TestHolder): Date => h.auth.certificate.notAfter.value;
  const notBefore = (h: TestHolder): Date => h.auth.certificate.notBefore.value;

  it('an old signing time is only a warning (SIGNING_TIME_EXPIRED); content is returned', () => {
    const blob = seal(text, { sender: alice.auth, recipients: [bob.encCertDer] });
    const readLater = (minutes: number): ReturnType<typeof unseal> =>
      unseal(blob, { credentials: [bob.enc], trustAnchors: anchors(), at: new Date(Date.now() + minutes * 60_000) });
    const late = readLater(11);
    expect(late.verdict.ok).toBe(true);
    expect(late.verdict.warnings.map((w) => w.code)).toEqual(['SIGNING_TIME_EXPIRED']);
    expect(late.content).toBeDefined();
    expect(readLater(8).verdict.warnings).toEqual([]);
    expect(readLater(-6).verdict.warnings.map((w) => w.code)).toEqual(['SIGNING_TIME_EXPIRED']);
  });

  it('certificates are checked at the signing time: expired and not-yet-valid signers', () => {
    const late = new Date(notAfter(alice).getTime() + 86_400_000);
    const expired = unseal(seal(text, { sender: alice.auth, recipients: [bob.encCertDer], signingTime: late }), {
      credentials: [bob.enc], trustAnchors: anchors(), at: late,
    });
    expect(expired.verdict.ok).toBe(false);
    expect(expired.verdict.errors.map((e) => e.code)).toEqual(['OUTER_CERTIFICATE_EXPIRED', 'INNER_CERTIFICATE_EXPIRED']);
    expect(expired.content).toBeDefined();
    const early = new Date(notBefore(alice).getTime() - 86_400_000);
    const notYet = unseal(seal(text, { sender: alice.auth, recipients: [bob.encCertDer], signingTime: early }), {
      credentials: [bob.enc], trustAnchors: anchors(), at: early,
    });
    expect(notYet.verdict.errors.map((e) => e.code)).toContain('OUTER_CERTIFICATE_NOT_YET_VALID');
  });

  it('trust comes only from the configured anchors; an issuing CA in the trust store suffices', () => {
    const blob = seal(text, { sender: alice.auth, recipients: [bob.encCertDer] });
    const untrusted = unseal(blob, { credentials: [bob.enc], trustAnchors: [dave.auth.certificateDer] });
    expect(untrusted.verdict.errors.map((e) => e.code)).toEqual(['OUTER_CERTIFICATE_CHAIN_NOT_TRUSTED', 'INNER_CERTIFICATE_CHAIN_NOT_TRUSTED']);
    const withRoot = seal(text, { sender: { ...alice.auth, chainDer: [pki.issuingCaDer, pki.rootDer] }, recipients: [bob.encCertDer] });
    expect(signedDataOf(withRoot).sd.certificates).toHaveLength(3);
    expect(unseal(withRoot, { credentials: [bob.enc], trustAnchors: [dave.auth.certificateDer] }).verdict.errors.map((e) => e.code))
      .toEqual(['OUTER_CERTIFICATE_CHAIN_NOT_TRUSTED', 'INNER_CERTIFICATE_CHAIN_NOT_TRUSTED']);
    const chainless = pki.holder('Erin Chainless', { chainless: true });
    const bare = seal(text, { sender: chainless.auth, recipients: [bob.encCertDer] });
    expect(signedDataOf(bare).sd.certificates).toHaveLength(1);
    expect(unseal(bare, { credentials: [bob.enc], trustAnchors: anchors() }).verdict.errors.map((e) => e.code)).toContain('OUTER_CERTIFICATE_CHAIN_NOT_TRUSTED');
    expect(unseal(bare, { credentials: [bob.enc], trustAnchors: [pki.rootDer, pki.issuingCaDer] }).verdict.ok).toBe(true);
  });

  it('an inner signer other than the outer one, without its certificate, is reported', () => {
    const inner = signInner(text, carol.auth);
    const blob = sealInner(inner, [bob.encCertDer], alice.auth);
    const { content, verdict } = unseal(blob, { credentials: [bob.enc], trustAnchors: anchors() });
    expect(verdict.ok).toBe(false);
    expect(verdict.errors).toEqual([expect.objectContaining({ code: 'INNER_CERTIFICATE_EXPECTED_BUT_NOT_PRESENT', layer: 'inner' })]);
    expect(verdict.layer).toBe('inner');
    expect(content).toBeDefined();
  });

  it('an inner signer with its own embedded certificate must be the outer signer (MESSAGE_INTEGRITY_INVALID)', () => {
    const other = sealInner(signInner(text, carol.auth, { embedCertificates: true }), [bob.encCertDer], alice.auth);
    const r = unseal(other, { credentials: [bob.enc], trustAnchors: anchors() });
    expect(r.verdict.errors).toEqual([expect.objectContaining({ code: 'MESSAGE_INTEGRITY_INVALID', layer: 'inner' })]);
    expect(r.verdict.innerSigner?.subject).toContain('OU=Carol Recipient');
    const same = sealInner(signInner(text, alice.auth, { embedCertificates: true }), [bob.encCertDer], alice.auth);
    expect(unseal(same, { credentials: [bob.enc], trustAnchors: anchors() }).verdict).toMatchObject({ ok: true, errors: [] });
  });

  it('a corrupted outer signature value is OUTER_SIGNATURE_DOES_NOT_MATCH_AUTHENTICATION_CERTIFICATE', () => {
    const blob = Buffer.from(seal(text, { sender: alice.auth, recipients: [bob.encCertDer] }));
    blob[blob.length - 10]! ^= 0x01; // inside the outer signature value, the last element of the blob
    const { verdict } = unseal(blob, { credentials: [bob.enc], trustAnchors: anchors() });
    expect(verdict.errors.map((e) => e.code)).toEqual(['OUTER_SIGNATURE_DOES_NOT_MATCH_AUTHENTICATION_CERTIFICATE']);
    expect(verdict).toMatchObject({ ok: false, layer: 'outer' });
  });
});
