import { describe, expect, it } from 'vitest';
import { isValidCbe, isValidEhp, isValidNihii, isValidSsin } from '../../src/common/identifiers.ts';
import { seedDirectory, specialParties } from '../../src/sandbox/directory/seed.ts';
import { PartyDirectory } from '../../src/sandbox/directory/party-directory.ts';

describe('sandbox seed directory', () => {
  it('is deterministic for a seed and different for another', () => {
    expect(seedDirectory('demo')).toEqual(seedDirectory('demo'));
    expect(seedDirectory('demo').map((p) => p.ssin ?? p.nihii)).not.toEqual(seedDirectory('other').map((p) => p.ssin ?? p.nihii));
  });

  it('gives every party valid identifiers, a unique name and a canonical box', () => {
    const parties = seedDirectory('demo', { doctors: 5, nurses: 3, pharmacists: 2, hospitals: 2, wardNurses: 3 });
    expect(new Set(parties.map((p) => p.name)).size).toBe(parties.length);
    for (const p of parties) {
      if (p.ssin) expect(isValidSsin(p.ssin)).toBe(true);
      if (p.nihii) expect(isValidNihii(p.nihii)).toBe(true);
      if (p.cbe) expect(isValidCbe(p.cbe)).toBe(true);
      if (p.ehp) expect(isValidEhp(p.ehp)).toBe(true);
      expect(p.boxes.length).toBeGreaterThan(0);
    }
    const qualities = new Set(parties.map((p) => p.quality));
    for (const q of ['DOCTOR', 'NURSE', 'PHARMACIST', 'HOSPITAL', 'PHARMACY', 'MEDICAL_HOUSE', 'INSTITUTION', 'INSTITUTION_EHP']) expect(qualities).toContain(q);
    const hospital = parties.find((p) => p.quality === 'HOSPITAL')!;
    const wardNurses = parties.filter((p) => p.workplace?.hospital === hospital.name);
    expect(wardNurses).toHaveLength((hospital.wards?.length ?? 0) * 3);
    expect(new Set(parties.map((p) => p.language)).size).toBeGreaterThanOrEqual(2);
    const s = specialParties(parties);
    expect(s.noEtk?.etk).toBe('none');
    expect(s.expiredEtk?.email).toBeUndefined();
    expect(s.outOfOffice?.outOfOffice?.substitute).toBe(s.firstDoctor?.name);
  });

  it('resolves aliases to one box and answers the ehBox codes for bad destinations', () => {
    const parties = seedDirectory('demo');
    const dir = new PartyDirectory(parties);
    const doc = parties.find((p) => p.quality === 'DOCTOR')!;
    const a = dir.resolve({ id: doc.nihii!, type: 'NIHII', quality: 'DOCTOR' });
    const b = dir.resolve({ id: doc.ssin!, type: 'INSS', quality: 'DOCTOR' });
    expect(a.ok && b.ok && a.key === b.key).toBe(true);
    expect(dir.resolve({ id: doc.nihii!, type: 'NIHIIX', quality: 'DOCTOR' })).toMatchObject({ ok: false, code: '804' });
    expect(dir.resolve({ id: doc.nihii!, type: 'NIHII', subType: 'NOPE', quality: 'DOCTOR' })).toMatchObject({ ok: false, code: '805' });
    expect(dir.resolve({ id: doc.nihii!, type: 'NIHII', quality: 'WIZARD' })).toMatchObject({ ok: false, code: '803' });
    expect(dir.resolve({ id: '123', type: 'NIHII', quality: 'DOCTOR' })).toMatchObject({ ok: false, code: '802' });
    expect(dir.resolve({ id: doc.nihii!, type: 'NIHII', quality: 'NURSE' })).toMatchObject({ ok: false, code: '802' });
    expect(dir.partiesByIdentifier('NIHII', doc.nihii!)).toEqual([doc]);
  });
});
