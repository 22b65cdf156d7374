import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isValidIdentifier } from '../../src/common/identifiers.ts';
import { createDrbg } from '../../src/crypto/drbg.ts';
import { parseEtk, validateEtk } from '../../src/crypto/etk.ts';
import { loadKeystore, writeKeystore } from '../../src/crypto/keystore.ts';
import { serialDecimal } from '../../src/crypto/certificates.ts';
import {
  createTestCa,
  defaultHolderSpecs,
  defaultNotBefore,
  initTestPki,
  issueHolder,
  type HolderSpec,
} from '../../src/crypto/test-pki.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const NOT_BEFORE = new Date('2025-05-01T00:00:00Z');
const SPEC: HolderSpec = { name: 'doctor-1', type: 'NIHII', id: '71000436', quality: 'DOCTOR', displayName: 'LUC MAES' };

describe('test PKI in memory', () => {
  it('is reproducible from a seed: same CA, holder keys, certificates and ETK', () => {
    const a = createTestCa({ seed: 'same', notBefore: NOT_BEFORE, keyBits: 2048 });
    const b = createTestCa({ seed: 'same', notBefore: NOT_BEFORE, keyBits: 2048 });
    for (const k of ['root', 'issuing', 'etkRa'] as const) {
      expect(hex(a[k].der)).toBe(hex(b[k].der));
      expect(a[k].privateKey.export({ type: 'pkcs8', format: 'pem' })).toBe(b[k].privateKey.export({ type: 'pkcs8', format: 'pem' }));
    }
    const ha = issueHolder(a, SPEC, createDrbg('same/holder'));
    const hb = issueHolder(b, SPEC, createDrbg('same/holder'));
    expect(hex(ha.authentication.der)).toBe(hex(hb.authentication.der));
    expect(hex(ha.encryption.der)).toBe(hex(hb.encryption.der));
    expect(hex(ha.etk)).toBe(hex(hb.etk));
    const hc = issueHolder(a, SPEC, createDrbg('other/holder'));
    expect(hex(hc.authentication.der)).not.toBe(hex(ha.authentication.der));
  });

  it('without a seed uses native keys and a validity starting now', () => {
    const before = Date.now();
    const ca = createTestCa({ keyBits: 2048 });
    expect(ca.deterministic).toBe(false);
    expect(Math.abs(ca.notBefore.getTime() - before)).toBeLessThan(10 * 60_000);
    const holder = issueHolder(ca, SPEC, createDrbg('serials-only'));
    const verdict = validateEtk(parseEtk(holder.etk), { trustAnchorsDer: [ca.root.der] });
    expect(verdict.ok).toBe(true);
    expect(verdict.holder).toMatchObject({ type: 'NIHII', id: '71000436' });
  });

  it('builds keystore entries with the eHealth aliases and chains, readable by loadKeystore', () => {
    const ca = createTestCa({ seed: 'ks', notBefore: NOT_BEFORE, keyBits: 2048 });
    const h = issueHolder(ca, SPEC, createDrbg('ks/holder'));
    const [auth, enc] = h.keystoreEntries;
    expect(auth!.alias).toBe('authentication');
    expect(auth!.chainDer.map(hex)).toEqual([hex(h.authentication.der), hex(ca.issuing.der)]);
    expect(enc!.alias).toBe(serialDecimal(h.encryption.certificate));
    expect(enc!.alias).toMatch(/^\d{37,39}$/);
    expect(enc!.chainDer.map(hex)).toEqual([hex(h.encryption.der), hex(h.authentication.der), hex(ca.issuing.der)]);
    const ks = loadKeystore(writeKeystore(h.keystoreEntries, 'fictitious-pw'), 'fictitious-pw');
    expect(hex(ks.authentication.certificateDer)).toBe(hex(h.authentication.der));
    expect(ks.entries.map((e) => e.alias).sort()).toEqual([enc!.alias, 'authentication'].sort());
  });

  it('casts a mix of holders with valid identifiers, deterministically', () => {
    const specs = defaultHolderSpecs(8, createDrbg('cast'));
    expect(specs.map((s) => s.name)).toEqual(['doctor-1', 'nurse-1', 'hospital-1', 'institution-1', 'partner-1', 'pharmacy-1', 'doctor-2', 'nurse-2']);
    expect(specs.map((s) => s.type)).toEqual(['NIHII', 'SSIN', 'NIHII-HOSPITAL', 'CBE', 'EHP', 'NIHII-PHARMACY', 'NIHII', 'SSIN']);
    for (const s of specs) expect(isValidIdentifier(s.type, s.id), `${s.type}=${s.id}`).toBe(true);
    expect(specs[4]!.application).toBe('EHBOX-BRIDGE');
    expect(defaultHolderSpecs(8, createDrbg('cast'))).toEqual(specs);
  });

  it('seeded PKIs start on 1 January of the current year by default', () => {
    expect(defaultNotBefore(true, new Date('2031-07-15T10:00:00Z'))).toEqual(new Date('2031-01-01T00:00:00Z'));
    expect(defaultNotBefore(false, new Date('2031-07-15T10:00:00Z')).getTime()).toBeLessThan(Date.parse('2031-07-15T10:00:00Z'));
  });
});

describe('initTestPki', () => {
  it('writes one holder with private files 0600 and refuses to overwrite without force', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ehbox-pki-'));
    const options = { dir, holders: [SPEC], seed: 'files', notBefore: NOT_BEFORE, caKeyBits: 2048, password: 'fictitious' };
    const result = await initTestPki(options);
    const [h] = result.holders;
    expect(JSON.parse(readFileSync(h!.identityFile, 'utf8'))).toEqual({ type: 'NIHII', id: '71000436', quality: 'DOCTOR', name: 'LUC MAES' });
    expect(readFileSync(h!.passwordFile, 'utf8')).toBe('fictitious');
    for (const f of [h!.keystore, h!.passwordFile, result.etkRaKey, path.join(dir, 'ca', 'issuing.key')]) {
      expect(statSync(f).mode & 0o777, f).toBe(0o600);
    }
    expect(loadKeystore(readFileSync(h!.keystore), 'fictitious').entries).toHaveLength(2);
    await expect(initTestPki(options)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(initTestPki({ ...options, force: true })).resolves.toBeDefined();
    await expect(initTestPki({ ...options, dir: mkdtempSync(path.join(tmpdir(), 'ehbox-pki-')), holders: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
