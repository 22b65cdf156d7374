/**
 * Throw-away test PKI: RSA-2048 keys from node:crypto and self-signed
 * certificates from the openssl CLI, with fictitious subjects only.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TestCredential {
  privateKey: KeyObject;
  privateKeyPem: string;
  certDer: Uint8Array;
}

/** A fresh RSA-2048 key with a self-signed certificate for `cn`, valid one day. */
export function makeTestCredential(cn: string): TestCredential {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const dir = mkdtempSync(path.join(tmpdir(), 'soap-test-pki-'));
  try {
    const keyPath = path.join(dir, 'key.pem');
    writeFileSync(keyPath, privateKeyPem, { mode: 0o600 });
    const der = execFileSync('openssl', ['req', '-x509', '-new', '-key', keyPath, '-subj', `/C=BE/O=Fictitious Test/CN=${cn}`, '-days', '1', '-outform', 'DER']);
    return { privateKey, privateKeyPem, certDer: new Uint8Array(der) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
