/**
 * Test utility: a throw-away eHealth-like PKI made with the openssl CLI
 * (SEALING.md §5 recipe, RSA-2048 everywhere to keep tests fast): a root, an
 * issuing CA, and holders with an authentication certificate (KU
 * digitalSignature+nonRepudiation+keyEncipherment) and a self-issued
 * encryption certificate signed by the auth key (KU keyEncipherment+
 * dataEncipherment). All names are fictitious. Also loads Bob's key from the
 * eHealth test kit.
 */
import { createPrivateKey } from 'node:crypto';
import * as pkijs from 'pkijs';
import type { Credential } from '../../src/crypto/types.ts';
import { openssl, pemCertificates, workDir, type WorkDir } from './openssl.ts';

/** Where the eHealth test-kit vectors live. */
export const TESTKIT_DIR = '/work/shared/vectors/etee-testkit';

/** One holder of the test PKI with both credentials and the PEM files openssl needs. */
export interface TestHolder {
  name: string;
  /** The authentication credential: chain = [issuing CA] unless asked otherwise. */
  auth: Credential;
  /** The encryption (ETK) credential: chain = [auth cert, issuing CA]. */
  enc: Credential;
  /** DER of the encryption certificate (what an ETK carries). */
  encCertDer: Uint8Array;
  files: { authCert: string; authKey: string; encCert: string; encKey: string };
}

/** Variations of a test holder. */
export interface HolderOptions {
  /** The auth credential's chain omits the issuing CA (the message then carries only the signer). */
  chainless?: boolean;
  authBits?: number;
  encBits?: number;
}

/** A test PKI in a temporary directory. */
export interface TestPki {
  dir: WorkDir;
  rootDer: Uint8Array;
  issuingCaDer: Uint8Array;
  files: { root: string; issuingCa: string };
  /** Makes a holder (two RSA keys, 2048 bits unless asked otherwise). */
  holder(name: string, options?: HolderOptions): TestHolder;
  remove(): void;
}

/** Builds a Credential from a PEM private key and PEM certificates (leaf first). */
export function credentialFromPem(keyPem: string, certsPem: string, alias?: string): Credential {
  const [leaf, ...chain] = pemCertificates(certsPem);
  if (!leaf) throw new Error('no certificate in PEM');
  return {
    alias,
    privateKey: createPrivateKey(keyPem),
    certificate: pkijs.Certificate.fromBER(leaf),
    certificateDer: leaf,
    chainDer: chain,
  };
}

function rsaKey(dir: WorkDir, name: string, bits = 2048): string {
  openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${bits}`, '-out', dir.file(name)]);
  return dir.file(name);
}

function extFile(dir: WorkDir, name: string, lines: string[]): string {
  return dir.write(name, `${lines.join('\n')}\n`);
}

/** Issues a certificate for `key` under `subject`, signed by caCert/caKey, with the given v3 extensions. */
function issue(dir: WorkDir, p: { name: string; key: string; subject: string; caCert: string; caKey: string; ext: string[]; days?: number }): string {
  const csr = dir.file(`${p.name}.csr`);
  openssl(['req', '-new', '-key', p.key, '-subj', p.subject, '-out', csr]);
  const out = dir.file(`${p.name}.pem`);
  openssl([
    'x509', '-req', '-in', csr, '-CA', p.caCert, '-CAkey', p.caKey, '-set_serial', `0x${randomSerialHex()}`,
    '-days', String(p.days ?? 1095), '-sha256', '-extfile', extFile(dir, `${p.name}.ext`, p.ext), '-out', out,
  ]);
  return out;
}

function randomSerialHex(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  bytes[0] = (bytes[0]! & 0x7f) | 0x10; // positive, 16 bytes
  return Buffer.from(bytes).toString('hex');
}

/** Creates the test PKI: root and issuing CA (RSA-2048, fictitious names). */
export function createTestPki(): TestPki {
  const dir = workDir('ehbox-etee-pki-');
  const rootKey = rsaKey(dir, 'root.key');
  const root = dir.file('root.pem');
  openssl([
    'req', '-x509', '-new', '-key', rootKey, '-subj', '/C=BE/O=Test Federal Government/OU=eHealth-platform Belgium/CN=TEST ehbox-bridge root CA',
    '-days', '3650', '-sha256', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', root,
  ]);
  const caKey = rsaKey(dir, 'ca.key');
  const issuingCa = issue(dir, {
    name: 'ca', key: caKey, subject: '/C=BE/O=Test Federal Government/CN=TEST ehbox-bridge issuing CA', caCert: root, caKey: rootKey, days: 3000,
    ext: ['basicConstraints=critical,CA:TRUE,pathlen:0', 'keyUsage=critical,keyCertSign,cRLSign', 'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid'],
  });
  const rootDer = pemCertificates(dir.read('root.pem').toString())[0]!;
  const issuingCaDer = pemCertificates(dir.read('ca.pem').toString())[0]!;
  let counter = 0;
  const holder = (name: string, options: HolderOptions = {}): TestHolder => {
    const id = `${name.toLowerCase().replace(/[^a-z0-9]/g, '')}${counter++}`;
    const nihii = String(70000000000 + Math.floor(Math.random() * 9_999_999));
    const subject = `/C=BE/O=Federal Government/OU=NIHII=${nihii}/OU=${name}/OU=eHealth-platform Belgium/CN=NIHII=${nihii}`;
    const authKey = rsaKey(dir, `${id}-auth.key`, options.authBits);
    const authCert = issue(dir, {
      name: `${id}-auth`, key: authKey, subject, caCert: issuingCa, caKey,
      ext: ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,nonRepudiation,keyEncipherment',
        'extendedKeyUsage=clientAuth,emailProtection', 'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid'],
    });
    const encKey = rsaKey(dir, `${id}-enc.key`, options.encBits);
    const encCert = issue(dir, {
      name: `${id}-enc`, key: encKey, subject, caCert: authCert, caKey: authKey,
      ext: ['keyUsage=critical,keyEncipherment,dataEncipherment'],
    });
    const authPem = dir.read(`${id}-auth.pem`).toString();
    const caPem = dir.read('ca.pem').toString();
    const encPem = dir.read(`${id}-enc.pem`).toString();
    const auth = credentialFromPem(dir.read(`${id}-auth.key`).toString(), options.chainless ? authPem : authPem + caPem, 'authentication');
    const enc = credentialFromPem(dir.read(`${id}-enc.key`).toString(), encPem + authPem + caPem);
    return { name, auth, enc, encCertDer: enc.certificateDer, files: { authCert, authKey, encCert, encKey } };
  };
  return { dir, rootDer, issuingCaDer, files: { root, issuingCa }, holder, remove: () => dir.remove() };
}

/** Loads a test-kit PKCS#12 (legacy PBE, password `test`) through openssl into a Credential. */
export function testKitCredential(p12File: string): Credential {
  const pem = openssl(['pkcs12', '-legacy', '-in', `${TESTKIT_DIR}/${p12File}`, '-passin', 'pass:test', '-nodes']).toString('utf8');
  const key = pem.match(/-----BEGIN PRIVATE KEY-----[\s\S]*?-----END PRIVATE KEY-----/)?.[0];
  if (!key) throw new Error(`no private key in ${p12File}`);
  return credentialFromPem(key, pem);
}

/** Certificates of a test-kit PKCS#12 (leaf and CAs), DER. */
export function testKitCertificates(p12File: string): Uint8Array[] {
  const pem = openssl(['pkcs12', '-legacy', '-in', `${TESTKIT_DIR}/${p12File}`, '-passin', 'pass:test', '-nokeys']).toString('utf8');
  return pemCertificates(pem);
}
