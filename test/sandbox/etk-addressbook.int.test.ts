/**
 * The sandbox ETK Depot (by every identifier type, unknown, missing and
 * expired tokens, MatchingEtk) and Addressbook 1.1 (the four operations,
 * paging, e-mail, eHealthBox addresses usable as destinations).
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.ts';
import type { Party } from '../../src/sandbox/directory/party.ts';
import { specialParties } from '../../src/sandbox/directory/seed.ts';
import { endpointsAt } from '../../src/ehealth/session.ts';
import { EtkLookupError } from '../../src/etkdepot/etk-depot-client.ts';
import { decodeGetEtkResponse, encodeGetEtkRequest } from '../../src/etkdepot/wire/etk-depot-codec.ts';
import type { EtkIdentifier } from '../../src/etkdepot/wire/types.ts';
import { parseEtk, validateEtk } from '../../src/crypto/etk.ts';
import { buildEnvelope } from '../../src/soap/envelope.ts';
import { postSoap } from '../../src/soap/http.ts';
import { SOAP_ACTIONS } from '../../src/soap/soap-actions.ts';
import { EhealthSoapFault } from '../../src/soap/fault.ts';
import { encodeSearchProfessionalsRequest } from '../../src/addressbook/wire/requests.ts';
import { decodeSearchProfessionalsResponse } from '../../src/addressbook/wire/responses.ts';
import { partyWith, startTestSandbox } from '../helpers/sandbox.ts';
import { actor, CALL_TIMEOUT_MS, etkDepot, plainRequest, sandboxAnchors, type Actor } from './helpers/actors.ts';

let sandbox: Sandbox;
let hospital: Actor;
let special: ReturnType<typeof specialParties>;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  hospital = actor(sandbox, partyWith(sandbox, 'HOSPITAL').name);
  special = specialParties([...sandbox.directory.parties]);
});
afterAll(async () => {
  await sandbox?.close();
});

async function rawGetEtk(identifiers: EtkIdentifier[]) {
  const res = await postSoap({ url: endpointsAt(sandbox.url).etkDepot, soapAction: null, body: buildEnvelope({ body: encodeGetEtkRequest({ identifiers }) }), timeoutMs: CALL_TIMEOUT_MS });
  return decodeGetEtkResponse(res.envelope.payload);
}

const byQuality = (q: string) => sandbox.directory.parties.find((p) => p.quality === q && p.etk === 'valid')!;

describe('sandbox ETK Depot', () => {
  it('returns an ETK that validates against the sandbox CA for NIHII, SSIN, NIHII-HOSPITAL, CBE and EHP', async () => {
    const depot = etkDepot(sandbox);
    const doctor = partyWith(sandbox, 'DOCTOR');
    const nurse = partyWith(sandbox, 'NURSE');
    const cases: [EtkIdentifier, Party][] = [
      [{ type: 'NIHII', value: doctor.nihii! }, doctor],
      [{ type: 'SSIN', value: nurse.ssin! }, nurse],
      [{ type: 'NIHII-HOSPITAL', value: byQuality('HOSPITAL').nihii! }, byQuality('HOSPITAL')],
      [{ type: 'CBE', value: byQuality('INSTITUTION').cbe! }, byQuality('INSTITUTION')],
      [{ type: 'EHP', value: byQuality('INSTITUTION_EHP').ehp! }, byQuality('INSTITUTION_EHP')],
    ];
    for (const [id, party] of cases) {
      const [etk] = await depot.getEtks(id);
      expect(etk!.verdict.ok).toBe(true);
      expect(etk!.verdict.holder).toMatchObject({ type: party.certIdentity.type, id: party.certIdentity.id });
      expect(Buffer.from(etk!.der)).toEqual(Buffer.from(sandbox.material.parties.get(party.name)!.etk!));
    }
  });

  it('answers status 200 with an Error for an unknown identifier and for a party without ETK', async () => {
    for (const id of [
      { type: 'SSIN', value: '00010100175' },
      { type: 'NIHII', value: special.noEtk!.nihii! },
      { type: 'SSIN', value: partyWith(sandbox, 'DOCTOR').ssin!, applicationId: 'NOAPP' },
    ]) {
      const res = await rawGetEtk([id]);
      expect(res.status.code).toBe('200');
      expect(res.result?.kind).toBe('errors');
      await expect(etkDepot(sandbox).getEtks(id)).rejects.toMatchObject({ name: 'EtkLookupError', code: 'ETK_NOT_FOUND' });
    }
  });

  it('returns an expired ETK, which then fails validation', async () => {
    const p = special.expiredEtk!;
    const res = await rawGetEtk([{ type: 'SSIN', value: p.ssin! }]);
    expect(res.result?.kind).toBe('etk');
    if (res.result?.kind !== 'etk') return;
    const verdict = validateEtk(parseEtk(res.result.etk), { trustAnchorsDer: sandboxAnchors(sandbox) });
    expect(verdict.ok).toBe(false);
    expect(verdict.reasons.map((r) => r.code)).toEqual(expect.arrayContaining(['ETK_ENCRYPTION_CERT_EXPIRED', 'ETK_AUTHENTICATION_CERT_EXPIRED']));
    const err = await etkDepot(sandbox).getEtks({ type: 'SSIN', value: p.ssin! }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EtkLookupError);
    expect((err as EtkLookupError).code).toBe('ETK_INVALID');
  });

  it('answers MatchingEtk when the criteria match several tokens', async () => {
    const a = partyWith(sandbox, 'DOCTOR');
    const b = partyWith(sandbox, 'NURSE');
    const res = await rawGetEtk([{ type: 'SSIN', value: a.ssin! }, { type: 'SSIN', value: b.ssin! }]);
    expect(res.status.code).toBe('200');
    expect(res.result?.kind).toBe('matches');
    if (res.result?.kind !== 'matches') return;
    expect(res.result.matches.map((m) => m.identifiers[0]!.value).sort()).toEqual([a.ssin, b.ssin].sort());
  });
});

describe('sandbox Addressbook', () => {
  it('searches professionals with Offset/MaxElements paging', async () => {
    const url = endpointsAt(sandbox.url).addressbook;
    const page = async (offset: number, maxElements: number) => {
      const xml = encodeSearchProfessionalsRequest({ issueInstant: new Date().toISOString(), id: `_${crypto.randomUUID()}`, offset, maxElements });
      const res = await hospital.session.call(url, SOAP_ACTIONS.searchProfessionals, xml);
      return decodeSearchProfessionalsResponse(res.envelope.payload);
    };
    const persons = sandbox.directory.parties.filter((p) => p.kind === 'person');
    const seen: string[] = [];
    for (let offset = 0; offset < persons.length + 7; offset += 7) {
      const r = await page(offset, 7);
      expect(r.offset).toBe(offset);
      expect(r.maxElements).toBe(7);
      expect(r.professionals.length).toBe(Math.max(0, Math.min(7, persons.length - offset)));
      seen.push(...r.professionals.map((p) => p.ssin!));
    }
    expect(new Set(seen).size).toBe(persons.length);
    await expect(page(0, 101)).rejects.toBeInstanceOf(EhealthSoapFault);
    // criteria
    const doctor = partyWith(sandbox, 'DOCTOR');
    const hits = await hospital.addressbook.searchProfessionals({ lastName: doctor.lastName, profession: 'PHYSICIAN' });
    expect(hits.map((h) => h.ssin)).toContain(doctor.ssin);
    expect(hits.every((h) => h.lastName === doctor.lastName)).toBe(true);
  });

  it('gives a professional’s contact info with e-mail and an eHealthBox usable as a destination', async () => {
    const doctor = partyWith(sandbox, 'DOCTOR');
    const info = (await hospital.addressbook.getProfessionalContactInfo({ type: 'NIHII', value: doctor.nihii! }))!;
    expect(info.ssin).toBe(doctor.ssin);
    expect(info.additionalInformation).toContainEqual({ value: doctor.email, type: 'Mail' });
    const ehbox = info.professionalInformation[0]!.eHealthBox!;
    expect(ehbox).toMatchObject({ quality: 'DOCTOR' });
    const r = await hospital.ehbox.send(plainRequest([{ ...ehbox }], new Uint8Array(Buffer.from('found you in the addressbook'))));
    expect(r.kind).toBe('published');
    if (r.kind !== 'published') return;
    const reader = actor(sandbox, doctor.name);
    expect((await reader.ehbox.getMessagesList({ source: 'INBOX' })).list!.messages.map((m) => m.messageId)).toContain(r.messageId);

    // the party seeded without e-mail has no Mail entry; an unknown SSIN has no contact info
    const noMail = (await hospital.addressbook.getProfessionalContactInfo({ type: 'SSIN', value: special.expiredEtk!.ssin! }))!;
    expect(noMail.additionalInformation.filter((a) => a.type === 'Mail')).toEqual([]);
    expect(await hospital.addressbook.getProfessionalContactInfo({ type: 'SSIN', value: '00010100175' })).toBeUndefined();
  });

  it('searches organisations and gives their contact info with wards, e-mail and eHealthBox', async () => {
    const hospitals = await hospital.addressbook.searchOrganizations({ institutionType: 'HOSPITAL' });
    const seeded = sandbox.directory.parties.filter((p) => p.quality === 'HOSPITAL');
    expect(hospitals.map((h) => h.id.value).sort()).toEqual(seeded.map((p) => p.nihii).sort());
    const h = seeded[0]!;
    const byName = await hospital.addressbook.searchOrganizations({ institutionName: h.displayName.slice(3, 12) });
    expect(byName.map((o) => o.names[0]!.value)).toContain(h.displayName);

    const org = (await hospital.addressbook.getOrganizationContactInfo({ type: 'NIHII', value: h.nihii! }, 'HOSPITAL'))!;
    expect(org.eHealthBoxes[0]).toMatchObject({ id: h.nihii, type: 'NIHII', subType: 'HOSPITAL', quality: 'HOSPITAL' });
    expect(org.additionalInformation).toContainEqual({ value: h.email, type: 'Mail' });
    expect(org.additionalInformation.filter((a) => a.type === 'Ward').map((a) => a.value)).toEqual(h.wards);
    const cbe = byQuality('INSTITUTION');
    const inst = (await hospital.addressbook.getOrganizationContactInfo({ type: 'CBE', value: cbe.cbe! }))!;
    expect(inst.id).toMatchObject({ value: cbe.cbe, type: 'CBE' });
    // a doctor may search too (any valid token)
    const doc = actor(sandbox, partyWith(sandbox, 'DOCTOR').name);
    expect((await doc.addressbook.searchOrganizations({ institutionType: 'PHARMACY' })).length).toBeGreaterThan(0);
  });
});
