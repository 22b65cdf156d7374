/**
 * The client factory: configuration-only switching between the sandbox and
 * the platform's acceptance/production endpoints (PROTOCOL.md §1.2), typed
 * configuration errors, and the in-process TTL cache used by default.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEhealthClients, EhealthConfigError, endpointsFor } from '../../src/ehealth/ehealth-clients.ts';
import { MemoryTtlCache } from '../../src/ehealth/memory-cache.ts';
import { createTestPki, type TestHolder, type TestPki } from '../helpers/test-credentials.ts';

let pki: TestPki;
let holder: TestHolder;
beforeAll(() => {
  pki = createTestPki();
  holder = pki.holder('Doctor');
}, 60_000);
afterAll(() => pki?.remove());

const keystore = () => ({ authentication: holder.auth, entries: [holder.auth, holder.enc] });

describe('createEhealthClients', () => {
  it('uses the platform endpoints of PROTOCOL.md §1.2 for acceptance and production', () => {
    expect(endpointsFor('acceptance')).toEqual({
      sts: 'https://services-acpt.ehealth.fgov.be/IAM/Saml11TokenService/Legacy/v1',
      ehboxPublication: 'https://services-acpt.ehealth.fgov.be/ehBoxPublication/v3',
      ehboxConsultation: 'https://services-acpt.ehealth.fgov.be/ehBoxConsultation/v3',
      etkDepot: 'https://services-acpt.ehealth.fgov.be/EtkDepot/v1',
      addressbook: 'https://services-acpt.ehealth.fgov.be/AddressBook/v1',
    });
    const prod = createEhealthClients({ env: 'production', keystore: keystore(), quality: 'doctor', trustAnchorsDer: [pki.rootDer] });
    expect(prod.endpoints.ehboxConsultation).toBe('https://services.ehealth.fgov.be/ehBoxConsultation/v3');
    expect(prod.session.timeoutMs).toBeGreaterThan(0);
  });

  it('uses the sandbox URL for the sandbox (same paths), and needs one', () => {
    const c = createEhealthClients({ env: 'sandbox', sandboxUrl: 'http://127.0.0.1:8081/', keystore: keystore(), quality: 'DOCTOR', trustAnchorsDer: [], timeoutMs: 1234 });
    expect(c.endpoints.etkDepot).toBe('http://127.0.0.1:8081/EtkDepot/v1');
    expect(c.session.timeoutMs).toBe(1234);
    expect(() => createEhealthClients({ env: 'sandbox', keystore: keystore(), quality: 'doctor', trustAnchorsDer: [] })).toThrow(EhealthConfigError);
    expect(() => endpointsFor('sandbox', 'ftp://x')).toThrow(/http/);
  });

  it('derives the identity and its own box from the keystore', () => {
    const c = createEhealthClients({ env: 'acceptance', keystore: keystore(), quality: 'doctor', trustAnchorsDer: [] });
    expect(c.identity.type).toBe('NIHII');
    expect(c.ownBox).toEqual({ id: c.identity.id, type: 'NIHII', quality: 'DOCTOR' });
  });

  it('refuses unknown environments and qualities with a typed, permanent error', () => {
    const bad = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return err;
      }
      return undefined;
    };
    const e1 = bad(() => createEhealthClients({ env: 'staging' as 'sandbox', keystore: keystore(), quality: 'doctor', trustAnchorsDer: [] }));
    const e2 = bad(() => createEhealthClients({ env: 'acceptance', keystore: keystore(), quality: 'astronaut', trustAnchorsDer: [] }));
    for (const e of [e1, e2]) expect(e).toMatchObject({ code: 'EHEALTH_CONFIG_INVALID', permanent: true });
  });

  it('lets every endpoint be replaced (a relay in front of eHealth)', () => {
    const relay = 'http://relay.internal:9000';
    const c = createEhealthClients({
      env: 'sandbox',
      keystore: keystore(),
      quality: 'doctor',
      trustAnchorsDer: [],
      endpoints: { sts: `${relay}/sts`, ehboxPublication: `${relay}/p`, ehboxConsultation: `${relay}/c`, etkDepot: `${relay}/e`, addressbook: `${relay}/a` },
    });
    expect(c.endpoints.addressbook).toBe(`${relay}/a`);
  });
});

describe('MemoryTtlCache', () => {
  it('expires entries after their TTL and stays bounded', async () => {
    let now = 1000;
    const cache = new MemoryTtlCache(2, () => now);
    await cache.set('a', '1', 100);
    expect(await cache.get('a')).toBe('1');
    now += 101;
    expect(await cache.get('a')).toBeUndefined();
    await cache.set('b', '2', 1000);
    await cache.set('c', '3', 1000);
    await cache.set('d', '4', 1000);
    expect(cache.size).toBe(2);
    expect(await cache.get('b')).toBeUndefined();
    expect(await cache.get('d')).toBe('4');
  });
});
