/**
 * Conformance of the STS client (holder-of-key SAML tokens), parameterised by
 * target: the sandbox always, eHealth acceptance when configured (see
 * helpers/conformance-target.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StsClient, TOKEN_RENEW_MARGIN_MS } from '../../src/sts/sts-client.ts';
import { endpointsAt } from '../../src/ehealth/session.ts';
import { MemoryTtlCache } from '../../src/ehealth/memory-cache.ts';
import { CONFORMANCE_TIMEOUT_MS, conformanceTargets, type ConformanceTarget, type TargetFactory } from './helpers/conformance-target.ts';

const STS_OP = 'stsRequestSecureToken';

/** The STS suite against one target. */
export function describeStsConformance(factory: TargetFactory): void {
  describe(`STS client conformance (${factory.name})`, () => {
    let t: ConformanceTarget;
    let clock = Date.now();
    const sts = (cache?: MemoryTtlCache) => new StsClient({ url: endpointsAt(t.proxy.url).sts, timeoutMs: CONFORMANCE_TIMEOUT_MS, cache, now: () => new Date(clock) });

    beforeAll(async () => {
      t = await factory.create();
    });
    afterAll(async () => {
      await t?.close();
    });

    it('issues a holder-of-key token for the identity and quality, valid for a while', async () => {
      clock = Date.now();
      const token = await sts().token(t.keystore, t.quality);
      expect(token.quality).toBe(t.clients().ownBox.quality);
      expect(token.assertionXml).toContain(token.assertionId);
      expect(token.assertionXml).toMatch(/holder-of-key/);
      expect(Date.parse(token.notOnOrAfter)).toBeGreaterThan(Date.now() + TOKEN_RENEW_MARGIN_MS);
    });

    it('asks the STS once for two calls, and once for ten concurrent callers', async () => {
      clock = Date.now();
      const client = sts();
      const before = t.proxy.count(STS_OP);
      const a = await client.token(t.keystore, t.quality);
      const b = await client.token(t.keystore, t.quality);
      expect(b.assertionId).toBe(a.assertionId);
      expect(t.proxy.count(STS_OP)).toBe(before + 1);
      const fresh = sts();
      const tokens = await Promise.all(Array.from({ length: 10 }, () => fresh.token(t.keystore, t.quality)));
      expect(new Set(tokens.map((x) => x.assertionId)).size).toBe(1);
      expect(t.proxy.count(STS_OP)).toBe(before + 2);
    });

    it('keeps the token until shortly before NotOnOrAfter, then renews it', async () => {
      clock = Date.now();
      const client = sts();
      const first = await client.token(t.keystore, t.quality);
      const before = t.proxy.count(STS_OP);
      const expiry = Date.parse(first.notOnOrAfter);
      clock = expiry - TOKEN_RENEW_MARGIN_MS - 1000;
      expect((await client.token(t.keystore, t.quality)).assertionId).toBe(first.assertionId);
      expect(t.proxy.count(STS_OP)).toBe(before);
      clock = expiry - TOKEN_RENEW_MARGIN_MS + 1000;
      const renewed = await client.token(t.keystore, t.quality);
      expect(t.proxy.count(STS_OP)).toBe(before + 1);
      expect(renewed.assertionId).not.toBe(first.assertionId);
    });

    it('shares tokens between client instances through a shared cache', async () => {
      clock = Date.now();
      const cache = new MemoryTtlCache();
      const before = t.proxy.count(STS_OP);
      const a = await sts(cache).token(t.keystore, t.quality);
      const b = await sts(cache).token(t.keystore, t.quality);
      expect(b.assertionId).toBe(a.assertionId);
      expect(t.proxy.count(STS_OP)).toBe(before + 1);
    });

    it('signs service calls with the token (the platform accepts them)', async () => {
      const info = await t.clients().ehbox.getBoxInfo();
      expect(info.boxInfo?.boxId.id).toBe(t.clients().ownBox.id);
    });

    it('emitted only schema-valid requests', async () => {
      expect(t.proxy.count(STS_OP)).toBeGreaterThan(0);
      expect(await t.proxy.invalidRequests()).toEqual([]);
    });
  });
}

for (const factory of conformanceTargets()) describeStsConformance(factory);
