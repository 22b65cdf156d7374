/**
 * Conformance of the Addressbook client and the recipient resolver built on
 * it (with the ETK Depot), parameterised by target, plus sandbox-only cases
 * that need the seeded directory (expired/missing ETKs, every kind of
 * organisation identifier, derived addresses).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecipientError, RecipientResolver } from '../../src/addressbook/recipient-resolver.ts';
import { classifyError } from '../../src/soap/fault.ts';
import { findIdentifierType } from '../../src/common/identifiers.ts';
import type { Party } from '../../src/sandbox/directory/party.ts';
import { conformanceTargets, sandboxTarget, type ConformanceTarget, type TargetFactory } from './helpers/conformance-target.ts';

const AB_OPS = ['searchProfessionals', 'getProfessionalContactInfo', 'searchOrganizations', 'getOrganizationContactInfo'];

async function failure(p: Promise<unknown>): Promise<RecipientError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(RecipientError);
  return err as RecipientError;
}

/** The Addressbook + resolver suite against one target. */
export function describeAddressbookConformance(factory: TargetFactory): void {
  describe(`Addressbook client and recipient resolver conformance (${factory.name})`, () => {
    let t: ConformanceTarget;
    beforeAll(async () => {
      t = await factory.create();
    });
    afterAll(async () => {
      await t?.close();
    });

    it('resolves the identity itself to its own box and ETK', async () => {
      const c = t.clients();
      const r = await c.resolver.resolveExplicit({ type: c.identity.type, id: c.identity.id, quality: c.ownBox.quality });
      expect(r.destination).toMatchObject({ id: c.ownBox.id, type: c.ownBox.type, quality: c.ownBox.quality });
      expect(r.destination.subType ?? undefined).toBe(c.ownBox.subType);
      expect(r.etks.length).toBeGreaterThanOrEqual(1);
      expect(r.etks.every((e) => e.verdict.ok)).toBe(true);
    });

    it('reads the identity’s own directory entry with its eHealthBox', async () => {
      const c = t.clients();
      const info = findIdentifierType(c.identity.type)!;
      if (info.organisation) {
        const key = { type: info.family === 'NIHII' ? 'NIHII' : info.family, value: c.identity.id } as { type: 'NIHII' | 'CBE' | 'EHP'; value: string };
        const org = await c.addressbook.getOrganizationContactInfo(key);
        expect(org?.eHealthBoxes.some((b) => b.id === c.ownBox.id && b.quality === c.ownBox.quality)).toBe(true);
      } else {
        const ind = await c.addressbook.getProfessionalContactInfo({ type: info.family === 'SSIN' ? 'SSIN' : 'NIHII', value: c.identity.id });
        expect(ind?.professionalInformation.some((p) => p.eHealthBox?.quality === c.ownBox.quality)).toBe(true);
      }
    });

    it('turns an empty search into RECIPIENT_NOT_FOUND (permanent)', async () => {
      const err = await failure(t.clients().resolver.resolve({ search: { lastName: 'Zzyqxwvoplk' } }));
      expect(err.code).toBe('RECIPIENT_NOT_FOUND');
      expect(classifyError(err)).toBe('permanent');
    });

    it('refuses an identifier with wrong check digits without calling anyone', async () => {
      const before = t.proxy.requests.length;
      const err = await failure(t.clients().resolver.resolve({ type: 'SSIN', id: '12345678901', quality: 'DOCTOR' }));
      expect(err.code).toBe('RECIPIENT_INVALID');
      expect(t.proxy.requests.length).toBe(before);
    });

    if (factory.hasSelfSearch) {
      it('finds the identity by search criteria', async () => {
        const c = t.clients();
        const found = await c.resolver.search(t.selfSearch!);
        expect(found.length).toBeGreaterThanOrEqual(1);
        expect(found.some((x) => x.id === c.identity.id || x.id === c.ownBox.id)).toBe(true);
      });
    }

    if (factory.hasAmbiguousSearch) {
      it('turns an ambiguous search into RECIPIENT_AMBIGUOUS naming the candidates', async () => {
        const err = await failure(t.clients().resolver.resolve({ search: t.ambiguousSearch! }));
        expect(err.code).toBe('RECIPIENT_AMBIGUOUS');
        expect(err.permanent).toBe(true);
        expect(err.candidates.length).toBeGreaterThan(1);
        for (const c of err.candidates) expect(err.message).toContain(c.id);
      });

      it('pages with Offset', async () => {
        const ab = t.clients().addressbook;
        const first = await ab.searchProfessionals({ lastName: t.ambiguousSearch!.lastName });
        const shifted = await ab.searchProfessionals({ lastName: t.ambiguousSearch!.lastName }, 1);
        expect(shifted.length).toBe(first.length - 1);
        expect(shifted[0]?.ssin).toBe(first[1]?.ssin);
      });
    }

    it('emitted only schema-valid requests', async () => {
      expect(AB_OPS.some((op) => t.proxy.count(op) > 0)).toBe(true);
      expect(await t.proxy.invalidRequests()).toEqual([]);
    });
  });
}

for (const factory of conformanceTargets()) describeAddressbookConformance(factory);

describe('recipient resolver (sandbox specifics)', () => {
  let t: ConformanceTarget;
  beforeAll(async () => {
    t = await sandboxTarget().create();
  });
  afterAll(async () => {
    await t?.close();
  });
  const party = (pred: (p: Party) => boolean): Party => t.sandbox!.directory.parties.find(pred)!;

  it('resolves a doctor by NIHII to the Addressbook’s box, e-mail and language, with the SSIN token', async () => {
    const p = party((x) => x.quality === 'DOCTOR' && x.etk === 'valid' && !x.outOfOffice && x.email !== undefined);
    const r = await t.clients().resolver.resolve({ type: 'NIHII', id: p.nihii!, quality: 'DOCTOR' });
    expect(r.source).toBe('addressbook');
    expect(r.destination).toMatchObject(p.boxes[0]!);
    expect(r.email).toBe(p.email);
    expect(r.language).toBe(p.language);
    expect(r.etks[0]!.verdict.holder.id).toBe(p.ssin);
  });

  it('maps every organisation identifier type to its ehBox Type/SubType', async () => {
    for (const quality of ['HOSPITAL', 'PHARMACY', 'MEDICAL_HOUSE', 'INSTITUTION', 'INSTITUTION_EHP']) {
      const p = party((x) => x.quality === quality && x.etk === 'valid');
      const r = await t.clients().resolver.resolve({ type: p.identity.type, id: p.identity.id, quality });
      expect(r.destination).toMatchObject(p.boxes[0]!);
      expect(r.email).toBe(p.email);
    }
  });

  it('finds a unique organisation by name and a unique professional by name and zip', async () => {
    const org = party((x) => x.quality === 'PHARMACY');
    expect((await t.clients().resolver.resolve({ search: { institutionName: org.displayName } })).destination).toMatchObject(org.boxes[0]!);
    const doc = party((x) => x.quality === 'DOCTOR' && x.etk === 'valid');
    const r = await t.clients().resolver.resolve({ search: { firstName: doc.firstName, lastName: doc.lastName, zip: String(doc.address.zip), profession: 'DOCTOR' } });
    expect(r.destination).toMatchObject(doc.boxes[0]!);
  });

  it('reports missing and expired ETKs as permanent ETK_NOT_FOUND / ETK_INVALID', async () => {
    const none = party((x) => x.etk === 'none');
    const expired = party((x) => x.etk === 'expired');
    const e1 = await failure(t.clients().resolver.resolve({ type: 'NIHII', id: none.nihii!, quality: none.quality }));
    expect([e1.code, e1.permanent]).toEqual(['ETK_NOT_FOUND', true]);
    const e2 = await failure(t.clients().resolver.resolve({ type: 'SSIN', id: expired.ssin!, quality: expired.quality }));
    expect([e2.code, e2.permanent]).toEqual(['ETK_INVALID', true]);
  });

  it('derives the address from the identifier type when there is no Addressbook', async () => {
    const hospital = party((x) => x.quality === 'HOSPITAL' && x.etk === 'valid');
    const resolver = new RecipientResolver(undefined, t.clients().etkDepot);
    const r = await resolver.resolve({ type: 'NIHII-HOSPITAL', id: hospital.identity.id, quality: 'HOSPITAL' });
    expect(r).toMatchObject({ source: 'derived', destination: { id: hospital.identity.id, type: 'NIHII', subType: 'HOSPITAL', quality: 'HOSPITAL' } });
    expect(r.email).toBeUndefined();
  });
});
