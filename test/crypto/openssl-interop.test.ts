import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seal } from '../../src/crypto/seal.ts';
import { unseal } from '../../src/crypto/unseal.ts';
import { certificatePem, openssl, runOpenssl } from '../helpers/openssl.ts';
import { createTestPki, type TestHolder, type TestPki } from '../helpers/test-credentials.ts';

let pki: TestPki;
let alice: TestHolder;
let bob: TestHolder;
let carol: TestHolder;
let cas: string;
const clear = Buffer.from('Protocole opératoire fictif: aucune donnée réelle.\n', 'utf8');
const PSS = ['-md', 'sha256', '-keyopt', 'rsa_padding_mode:pss', '-keyopt', 'rsa_pss_saltlen:32', '-keyopt', 'rsa_mgf1_md:sha256'];

beforeAll(() => {
  pki = createTestPki();
  alice = pki.holder('Alice Interop');
  bob = pki.holder('Bob Interop');
  carol = pki.holder('Carol Interop');
  cas = pki.dir.write('ehealth-cas.pem', certificatePem(pki.rootDer) + certificatePem(pki.issuingCaDer));
});
afterAll(() => pki.remove());

describe('OpenSSL peels every layer of our sealed output (SEALING.md §6.2)', () => {
  it.each([1, 3])('%i recipient(s): verify outer, decrypt as each recipient, verify inner', (n) => {
    const recipients = [bob, carol, alice].slice(0, n);
    const d = pki.dir;
    const sealed = d.write(`sealed-${n}.der`, seal(clear, { sender: alice.auth, recipients: recipients.map((r) => r.encCertDer) }));
    const signer = d.file(`outer-signer-${n}.pem`);
    const l2 = d.file(`l2-${n}.der`);
    openssl(['cms', '-verify', '-inform', 'DER', '-in', sealed, '-binary', '-CAfile', cas, '-purpose', 'any', '-signer', signer, '-out', l2]);
    expect(openssl(['x509', '-in', signer, '-noout', '-subject']).toString()).toContain('Alice Interop');
    for (const r of recipients) {
      const l3 = d.file(`l3-${n}-${r.name}.der`);
      openssl(['cms', '-decrypt', '-inform', 'DER', '-in', l2, '-binary', '-recip', r.files.encCert, '-inkey', r.files.encKey, '-out', l3]);
      const out = d.file(`clear-${n}-${r.name}.bin`);
      openssl(['cms', '-verify', '-inform', 'DER', '-in', l3, '-binary', '-certfile', signer, '-CAfile', cas, '-purpose', 'any', '-out', out]);
      expect(d.read(`clear-${n}-${r.name}.bin`).equals(clear)).toBe(true);
    }
    const print = openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', l2]).toString();
    expect(print.match(/d\.ktri:/g)).toHaveLength(n);
    expect(print).toContain('rsaEncryption (1.2.840.113549.1.1.1)');
    expect(print).toContain('aes-128-cbc');
  });

  it('KGSS variant decrypts with -secretkey/-secretkeyid', () => {
    const kek = { id: randomBytes(12), key: randomBytes(16) };
    const d = pki.dir;
    const sealed = d.write('sealed-kek.der', seal(clear, { sender: alice.auth, recipients: [bob.encCertDer], kek: [kek] }));
    openssl(['cms', '-verify', '-inform', 'DER', '-in', sealed, '-binary', '-CAfile', cas, '-purpose', 'any', '-signer', d.file('kek-signer.pem'), '-out', d.file('kek-l2.der')]);
    openssl(['cms', '-decrypt', '-inform', 'DER', '-in', d.file('kek-l2.der'), '-binary', '-secretkey', Buffer.from(kek.key).toString('hex'),
      '-secretkeyid', Buffer.from(kek.id).toString('hex'), '-out', d.file('kek-l3.der')]);
    openssl(['cms', '-verify', '-inform', 'DER', '-in', d.file('kek-l3.der'), '-binary', '-certfile', d.file('kek-signer.pem'), '-CAfile', cas,
      '-purpose', 'any', '-out', d.file('kek-clear.bin')]);
    expect(d.read('kek-clear.bin').equals(clear)).toBe(true);
  });
});

/** Variations of the openssl recipe: signature options per layer, encryption options, BER streaming. */
interface RecipeVariant {
  inner?: string[];
  outer?: string[];
  cipher?: string;
  /** extra options after the -recip list (e.g. -keyopt for the key transport) */
  recipOptions?: string[];
  /** -stream: indefinite lengths and chunked OCTET STRINGs (written as PEM, since DER output refuses streaming) */
  stream?: boolean;
  content?: Buffer;
  /** signer of both layers (default Alice's auth credential) */
  signer?: { cert: string; key: string };
}

/** Runs one `openssl cms` step and returns the DER (BER) output file path. */
function cmsStep(name: string, args: string[], stream: boolean): string {
  const d = pki.dir;
  if (!stream) {
    openssl([...args, '-outform', 'DER', '-out', d.file(`${name}.der`)]);
    return d.file(`${name}.der`);
  }
  const pem = openssl([...args, '-stream', '-outform', 'PEM']).toString('utf8');
  return d.write(`${name}.der`, Buffer.from(pem.replace(/-----[A-Z0-9 ]+-----|\s/g, ''), 'base64'));
}

/** The openssl sealing recipe of SEALING.md §6.2, with optional variations. */
function opensslSeal(name: string, recipients: TestHolder[], v: RecipeVariant = {}): Buffer {
  const d = pki.dir;
  const stream = v.stream ?? false;
  const input = d.write(`${name}-clear.bin`, v.content ?? clear);
  const signer = v.signer ?? { cert: alice.files.authCert, key: alice.files.authKey };
  const inner = cmsStep(`${name}-inner`, ['cms', '-sign', '-binary', '-nodetach', '-nocerts', '-nosmimecap', '-signer', signer.cert,
    '-inkey', signer.key, ...(v.inner ?? PSS), '-in', input], stream);
  const env = cmsStep(`${name}-env`, ['cms', '-encrypt', '-binary', v.cipher ?? '-aes-128-cbc', ...recipients.flatMap((r) => ['-recip', r.files.encCert]),
    ...(v.recipOptions ?? []), '-in', inner], stream);
  const sealed = cmsStep(`${name}-sealed`, ['cms', '-sign', '-binary', '-nodetach', '-nosmimecap', '-signer', signer.cert,
    '-inkey', signer.key, '-certfile', pki.files.issuingCa, ...(v.outer ?? PSS), '-in', env], stream);
  return d.read(sealed.slice(d.path.length + 1));
}

describe('we unseal messages built with the openssl recipe', () => {
  it.each([1, 2])('%i recipient(s): clean verdict for every recipient', (n) => {
    const recipients = [bob, carol].slice(0, n);
    const sealed = opensslSeal(`recipe-${n}`, recipients);
    for (const r of recipients) {
      const { content, verdict } = unseal(sealed, { credentials: [r.enc], trustAnchors: [pki.rootDer] });
      expect(verdict, r.name).toMatchObject({ ok: true, errors: [], warnings: [] });
      expect(Buffer.from(content!).equals(clear)).toBe(true);
    }
    expect(unseal(sealed, { credentials: [alice.enc], trustAnchors: [pki.rootDer] }).verdict.fatal?.code).toBe('DECRYPTION_PRIVATE_KEY_NOT_FOUND');
  });

  it('BER streaming output (indefinite lengths, chunked OCTET STRINGs) unseals the same', () => {
    const big = Buffer.concat(Array.from({ length: 400 }, () => clear));
    // OpenSSL 3.0 cannot stream with RSASSA-PSS key options, so this variant signs PKCS#1 v1.5 (EID policy)
    const sha256 = ['-md', 'sha256'];
    const sealed = opensslSeal('stream', [bob], { stream: true, content: big, inner: sha256, outer: sha256 });
    expect(sealed[1]).toBe(0x80); // indefinite length at the top
    const { content, verdict } = unseal(sealed, { credentials: [bob.enc], trustAnchors: [pki.rootDer] });
    expect(verdict.ok).toBe(true);
    expect(Buffer.from(content!).equals(big)).toBe(true);
  });

  it('PKCS#1 v1.5 signatures on both layers are accepted (EID policy)', () => {
    const sealed = opensslSeal('pkcs1', [bob], { inner: ['-md', 'sha256'], outer: ['-md', 'sha256'] });
    expect(unseal(sealed, { credentials: [bob.enc], trustAnchors: [pki.rootDer] }).verdict).toMatchObject({ ok: true, errors: [] });
  });

  it('inner and outer under different policies is MESSAGE_INTEGRITY_INVALID', () => {
    const sealed = opensslSeal('mixed', [bob], { inner: ['-md', 'sha256'] });
    const { verdict } = unseal(sealed, { credentials: [bob.enc], trustAnchors: [pki.rootDer] });
    expect(verdict.errors.map((e) => e.code)).toEqual(['MESSAGE_INTEGRITY_INVALID']);
  });

  it('sha1 digests are unauthorized on both layers, content still returned with ok=false', () => {
    const sha1 = ['-md', 'sha1'];
    const { content, verdict } = unseal(opensslSeal('sha1', [bob], { inner: sha1, outer: sha1 }), { credentials: [bob.enc], trustAnchors: [pki.rootDer] });
    expect(verdict.errors.map((e) => e.code)).toEqual(['OUTER_SIGNATURE_DIGEST_ALGORITHM_UNAUTHORIZED', 'INNER_SIGNATURE_DIGEST_ALGORITHM_UNAUTHORIZED']);
    expect(verdict.ok).toBe(false);
    expect(Buffer.from(content!).equals(clear)).toBe(true);
  });

  it('RSA-OAEP key transport and AES-256 content are errors, content still returned', () => {
    const oaep = opensslSeal('oaep', [bob], { recipOptions: ['-keyopt', 'rsa_padding_mode:oaep'] });
    const r1 = unseal(oaep, { credentials: [bob.enc], trustAnchors: [pki.rootDer] });
    expect(r1.verdict.errors.map((e) => e.code)).toEqual(['DECRYPTION_ASYMMETRIC_KEY_ALGORITHM_UNAUTHORIZED']);
    expect(Buffer.from(r1.content!).equals(clear)).toBe(true);
    const aes256 = opensslSeal('aes256', [bob], { cipher: '-aes-256-cbc' });
    const r2 = unseal(aes256, { credentials: [bob.enc], trustAnchors: [pki.rootDer] });
    expect(r2.verdict.errors.map((e) => e.code)).toEqual(['DECRYPTION_SYMMETRIC_KEY_ALGORITHM_UNAUTHORIZED']);
    expect(Buffer.from(r2.content!).equals(clear)).toBe(true);
  });

  it('sha256WithRSAEncryption as the signature OID is the EID policy too', () => {
    const sha256 = ['-md', 'sha256'];
    const blob = opensslSeal('sha256withrsa', [bob], { inner: sha256, outer: sha256 });
    const rsaEncryption = Buffer.from('06092a864886f70d0101010500', 'hex');
    const at = blob.lastIndexOf(rsaEncryption); // the outer SignerInfo's signatureAlgorithm (it is not signed)
    expect(at).toBeGreaterThan(blob.length - 400);
    blob[at + 10] = 0x0b; // 1.2.840.113549.1.1.11
    const { verdict } = unseal(blob, { credentials: [bob.enc], trustAnchors: [pki.rootDer] });
    expect(verdict).toMatchObject({ ok: true, errors: [] });
  });

  it('key lengths follow the policy: RSA-1024 is refused for PSS and for decryption, allowed for EID signatures', () => {
    const small = pki.holder('Small Keys', { authBits: 1024, encBits: 1024 });
    const signer = { cert: small.files.authCert, key: small.files.authKey };
    const pss = unseal(opensslSeal('small-pss', [bob], { signer }), { credentials: [bob.enc], trustAnchors: [pki.rootDer] });
    expect(pss.verdict.errors.map((e) => e.code)).toEqual(['OUTER_SIGNATURE_KEY_LENGTH_UNAUTHORIZED', 'INNER_SIGNATURE_KEY_LENGTH_UNAUTHORIZED']);
    const sha256 = ['-md', 'sha256'];
    const eid = unseal(opensslSeal('small-eid', [bob], { signer, inner: sha256, outer: sha256 }), { credentials: [bob.enc], trustAnchors: [pki.rootDer] });
    expect(eid.verdict).toMatchObject({ ok: true, errors: [] });
    const toSmall = unseal(opensslSeal('to-small', [small]), { credentials: [small.enc], trustAnchors: [pki.rootDer] });
    expect(toSmall.verdict.errors.map((e) => e.code)).toEqual(['DECRYPTION_ASYMMETRIC_KEY_LENGTH_UNAUTHORIZED']);
    expect(Buffer.from(toSmall.content!).equals(clear)).toBe(true);
  });

  it('an outer signer without digitalSignature/nonRepudiation is OUTER_CERTIFICATE_HAS_INVALID_KEYUSAGE', () => {
    const signer = { cert: alice.files.encCert, key: alice.files.encKey }; // KU keyEncipherment+dataEncipherment, issued by Alice's auth cert
    const { verdict } = unseal(opensslSeal('enc-signer', [bob], { signer }), { credentials: [bob.enc], trustAnchors: [pki.rootDer] });
    expect(verdict.errors.map((e) => e.code)).toEqual([
      'OUTER_CERTIFICATE_HAS_INVALID_KEYUSAGE', 'OUTER_CERTIFICATE_CHAIN_NOT_TRUSTED', 'INNER_CERTIFICATE_HAS_INVALID_KEYUSAGE', 'INNER_CERTIFICATE_CHAIN_NOT_TRUSTED',
    ]);
  });

  it('KGSS message built by openssl (-secretkey) unseals with our KEK', () => {
    const d = pki.dir;
    const kek = { id: randomBytes(16), key: randomBytes(16) };
    openssl(['cms', '-sign', '-binary', '-nodetach', '-nocerts', '-nosmimecap', '-signer', alice.files.authCert, '-inkey', alice.files.authKey, ...PSS,
      '-in', d.write('kgss-clear.bin', clear), '-outform', 'DER', '-out', d.file('kgss-inner.der')]);
    const enc = runOpenssl(['cms', '-encrypt', '-binary', '-aes-128-cbc', '-secretkey', Buffer.from(kek.key).toString('hex'),
      '-secretkeyid', Buffer.from(kek.id).toString('hex'), '-in', d.file('kgss-inner.der'), '-outform', 'DER', '-out', d.file('kgss-env.der')]);
    expect(enc.status, enc.stderr).toBe(0);
    openssl(['cms', '-sign', '-binary', '-nodetach', '-nosmimecap', '-signer', alice.files.authCert, '-inkey', alice.files.authKey,
      '-certfile', pki.files.issuingCa, ...PSS, '-in', d.file('kgss-env.der'), '-outform', 'DER', '-out', d.file('kgss-sealed.der')]);
    const { content, verdict } = unseal(d.read('kgss-sealed.der'), { kekKeys: [kek], trustAnchors: [pki.rootDer] });
    expect(verdict.ok).toBe(true);
    expect(Buffer.from(content!).equals(clear)).toBe(true);
  });
});
