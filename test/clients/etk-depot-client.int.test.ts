/**
 * Conformance of the ETK Depot client (GetEtk, validation, caching without
 * stampede), parameterised by target, plus sandbox-only cases (expired and
 * missing tokens, untrusted chain) and the MatchingEtk follow-up against a
 * small scripted depot.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtkDepotClient, EtkLookupError } from '../../src/etkdepot/etk-depot-client.ts';
import { endpointsAt } from '../../src/ehealth/session.ts';
import { MemoryTtlCache } from '../../src/ehealth/memory-cache.ts';
import { parseHolderIdentity } from '../../src/crypto/certificate-names.ts';
import { buildEnvelope, parseEnvelope } from '../../src/soap/envelope.ts';
import { decodeGetEtkRequest, encodeGetEtkResponse } from '../../src/etkdepot/wire/etk-depot-codec.ts';
import type { EtkResult } from '../../src/etkdepot/wire/types.ts';
import { classifyError } from '../../src/soap/fault.ts';
import { CONFORMANCE_TIMEOUT_MS, conformanceTargets, sandboxTarget, type ConformanceTarget, type TargetFactory } from './helpers/conformance-target.ts';

const GET_ETK = 'getEtk';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function depot(t: ConformanceTarget, opts: { negativeTtlMs?: number; trust?: Uint8Array[] } = {}) {
  return new EtkDepotClient({
    url: endpointsAt(t.proxy.url).etkDepot,
    timeoutMs: CONFORMANCE_TIMEOUT_MS,
    trustAnchorsDer: opts.trust ?? t.trustAnchorsDer,
    cache: new MemoryTtlCache(),
    negativeTtlMs: opts.negativeTtlMs,
  });
}

function ownId(t: ConformanceTarget) {
  const id = parseHolderIdentity(t.keystore.authentication.certificate)!;
  return { type: id.type, value: id.id };
}

/** The ETK Depot suite against one target. */
export function describeEtkDepotConformance(factory: TargetFactory): void {
  describe(`ETK Depot client conformance (${factory.name})`, () => {
    let t: ConformanceTarget;
    let callsPerLoad = 0;
    beforeAll(async () => {
      t = await factory.create();
    });
    afterAll(async () => {
      await t?.close();
    });

    it('fetches and validates the identity’s own ETK, whose encryption key is in the keystore', async () => {
      const before = t.proxy.count(GET_ETK);
      const etks = await depot(t).getEtks(ownId(t));
      callsPerLoad = t.proxy.count(GET_ETK) - before;
      expect(callsPerLoad).toBeGreaterThanOrEqual(1);
      expect(etks.length).toBeGreaterThanOrEqual(1);
      for (const e of etks) expect(e.verdict.ok).toBe(true);
      const own = t.keystore.entries.map((c) => Buffer.from(c.certificateDer).toString('hex'));
      expect(etks.some((e) => own.includes(Buffer.from(e.encryptionCertDer).toString('hex')))).toBe(true);
    });

    it('answers a second ask from the cache (positive)', async () => {
      const client = depot(t);
      await client.getEtks(ownId(t));
      const before = t.proxy.count(GET_ETK);
      await client.getEtks(ownId(t));
      expect(t.proxy.count(GET_ETK)).toBe(before);
    });

    it('caches "no ETK" for the negative TTL only, as a permanent ETK_NOT_FOUND', async () => {
      const client = depot(t, { negativeTtlMs: 400 });
      const id = { type: 'SSIN', value: t.unknownSsin };
      const before = t.proxy.count(GET_ETK);
      const err = await client.getEtks(id).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EtkLookupError);
      expect((err as EtkLookupError).code).toBe('ETK_NOT_FOUND');
      expect(classifyError(err)).toBe('permanent');
      const afterFirst = t.proxy.count(GET_ETK);
      expect(afterFirst).toBeGreaterThan(before);
      await expect(client.getEtks(id)).rejects.toMatchObject({ code: 'ETK_NOT_FOUND' });
      expect(t.proxy.count(GET_ETK)).toBe(afterFirst);
      await sleep(450);
      await expect(client.getEtks(id)).rejects.toMatchObject({ code: 'ETK_NOT_FOUND' });
      expect(t.proxy.count(GET_ETK)).toBeGreaterThan(afterFirst);
    });

    it('makes one depot load for 20 concurrent asks (no stampede)', async () => {
      const client = depot(t);
      const before = t.proxy.count(GET_ETK);
      const all = await Promise.all(Array.from({ length: 20 }, () => client.getEtks(ownId(t))));
      expect(all.every((etks) => etks.length >= 1)).toBe(true);
      expect(t.proxy.count(GET_ETK) - before).toBe(callsPerLoad);
    });

    it('emitted only schema-valid requests', async () => {
      expect(t.proxy.count(GET_ETK)).toBeGreaterThan(0);
      expect(await t.proxy.invalidRequests()).toEqual([]);
    });
  });
}

for (const factory of conformanceTargets()) describeEtkDepotConformance(factory);

describe('ETK Depot client (sandbox specifics)', () => {
  let t: ConformanceTarget;
  beforeAll(async () => {
    t = await sandboxTarget().create();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses an expired ETK with ETK_INVALID and the verdict’s reasons', async () => {
    const p = t.sandbox!.directory.parties.find((x) => x.etk === 'expired')!;
    const err = (await depot(t).getEtks({ type: 'SSIN', value: p.ssin! }).catch((e: unknown) => e)) as EtkLookupError;
    expect(err.code).toBe('ETK_INVALID');
    expect(err.verdict?.reasons.map((r) => r.code)).toContain('ETK_ENCRYPTION_CERT_EXPIRED');
    expect(err.permanent).toBe(true);
  });

  it('reports a party without ETK as ETK_NOT_FOUND', async () => {
    const p = t.sandbox!.directory.parties.find((x) => x.etk === 'none')!;
    await expect(depot(t).getEtks({ type: 'SSIN', value: p.ssin! })).rejects.toMatchObject({ code: 'ETK_NOT_FOUND' });
  });

  it('finds a doctor’s SSIN-based token from the NIHII', async () => {
    const p = t.sandbox!.directory.parties.find((x) => x.quality === 'DOCTOR' && x.etk === 'valid')!;
    const [etk] = await depot(t).getEtks({ type: 'NIHII', value: p.nihii! });
    expect(etk!.verdict.holder.type).toBe('SSIN');
    expect(etk!.verdict.holder.id).toBe(p.ssin);
  });

  it('refuses a token that does not chain to the trust anchors', async () => {
    const err = (await depot(t, { trust: [t.sandbox!.material.sts.der] }).getEtks(ownId(t)).catch((e: unknown) => e)) as EtkLookupError;
    expect(err.code).toBe('ETK_INVALID');
    expect(err.verdict?.ok).toBe(false);
  });

  it('follows MatchingEtk answers and keeps every token found', async () => {
    const [a, b] = t.sandbox!.directory.parties.filter((x) => x.kind === 'person' && x.etk === 'valid');
    const tokens = new Map([a!, b!].map((p) => [p.ssin!, t.sandbox!.material.parties.get(p.name)!.etk!]));
    let calls = 0;
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        calls++;
        const ask = decodeGetEtkRequest(parseEnvelope(Buffer.concat(chunks).toString('utf8')).payload);
        const id = ask.identifiers[0]!;
        const result: EtkResult =
          id.type === 'NIHII-GROUP'
            ? { kind: 'matches', matches: [...tokens.keys()].map((ssin) => ({ identifiers: [{ type: 'SSIN', value: ssin }] })) }
            : { kind: 'etk', etk: tokens.get(id.value)! };
        res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' });
        res.end(buildEnvelope({ body: encodeGetEtkResponse({ id: '_r1', status: { code: '200', messages: [{ value: 'OK' }] }, givenSearchCriteria: ask.identifiers, result }) }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const client = new EtkDepotClient({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/EtkDepot/v1`, timeoutMs: 5000, trustAnchorsDer: t.trustAnchorsDer });
      const etks = await client.getEtks({ type: 'NIHII-GROUP', value: '12345678' });
      expect(etks.map((e) => e.verdict.holder.id).sort()).toEqual([...tokens.keys()].sort());
      expect(calls).toBe(3);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
