/**
 * Sandbox state across restarts (`dataDir`), the reset of the admin API, and
 * traffic recording: a representative session over every service is
 * recorded and every recorded request and response envelope must validate
 * against the official XSDs (xmllint), without attachment bytes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.ts';
import type { SandboxOptions } from '../../src/sandbox/sandbox.ts';
import { specialParties } from '../../src/sandbox/directory/seed.ts';
import { isoDate, addDays } from '../../src/sandbox/ehbox/context.ts';
import { validateFiles } from '../../src/soap/xsd-validator.ts';
import { endpointsAt } from '../../src/ehealth/session.ts';
import { EHBOX_CODECS, EHBOX_OPERATIONS } from '../../src/ehbox/wire/operations.ts';
import { partyWith, startTestSandbox } from '../helpers/sandbox.ts';
import { actor, admin, contentSpec, etkDepot, open, plainRequest, sealedRequest, type Actor } from './helpers/actors.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ehbox-sandbox-it-'));
const started: Sandbox[] = [];
afterAll(async () => {
  for (const s of started) await s.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function start(options: SandboxOptions): Promise<Sandbox> {
  const s = await startTestSandbox(options);
  started.push(s);
  return s;
}

const LETTER = {
  title: 'Referral',
  document: { filename: 'referral.txt', mimeType: 'text/plain', content: new Uint8Array(Buffer.from('Referral for cardiology consult.')) },
  freeText: 'Urgent',
  patientInss: '85073003328',
  annexes: [{ title: 'ECG', filename: 'ecg.txt', mimeType: 'text/plain', content: new Uint8Array(Buffer.from('sinus rhythm')) }],
};

function cast(s: Sandbox): { hospital: Actor; doctor: Actor; nurse: Actor } {
  return {
    hospital: actor(s, partyWith(s, 'HOSPITAL').name),
    doctor: actor(s, partyWith(s, 'DOCTOR').name),
    nurse: actor(s, partyWith(s, 'NURSE', (p) => !p.workplace).name),
  };
}

describe('sandbox persistence', () => {
  it('keeps boxes, messages, Out-of-Office periods and receipts across a restart, and reset empties them', async () => {
    const dataDir = path.join(tmp, 'data');
    const first = await start({ dataDir });
    let { hospital, doctor, nurse } = cast(first);
    const req = await sealedRequest(first, hospital, [{ party: nurse.party }], LETTER, { contentSpecification: contentSpec({ receivedReceipt: true }) });
    const sent = await hospital.ehbox.send(req);
    if (sent.kind !== 'published') throw new Error('not published');
    await nurse.ehbox.getMessagesList({ source: 'INBOX' }); // RECEIVED
    const start1 = isoDate(addDays(new Date(), 40));
    await doctor.ehbox.call('insertOoO', { startDate: start1, endDate: isoDate(addDays(new Date(), 45)), substitutes: [] });
    const seededAbsent = specialParties([...first.directory.parties]).outOfOffice!;
    const absentActor = actor(first, seededAbsent.name);
    const [seeded] = (await absentActor.ehbox.call('getOoOList', {})).periods;
    await absentActor.ehbox.call('deleteOoO', { oooIds: [seeded!.oooId] });
    await first.close();

    const second = await start({ dataDir });
    ({ hospital, doctor, nurse } = cast(second));
    const inbox = (await nurse.ehbox.getMessagesList({ source: 'INBOX' })).list!.messages;
    expect(inbox.map((m) => m.messageId)).toEqual([sent.messageId]);
    const full = (await nurse.ehbox.getFullMessage({ source: 'INBOX', messageId: sent.messageId })).fullMessage!;
    expect(open(second, nurse.keystore, full.message.document.content.bytes)).toBe('Referral for cardiology consult.');
    expect(open(second, nurse.keystore, full.message.annexes[0]!.content.bytes)).toBe('sinus rhythm');
    const row = (await hospital.ehbox.getMessageAcknowledgmentsStatus({ messageId: sent.messageId })).rows[0]!;
    expect(row.published).toBeDefined();
    expect(row.received).toBeDefined();
    const acks = (await hospital.ehbox.getMessagesList({ source: 'INBOX' })).list!.messages.filter((m) => m.contentSpecification.contentType === 'ACKNOWLEDGMENT');
    expect(acks).toHaveLength(1);
    expect((await hospital.ehbox.getMessagesList({ source: 'SENTBOX' })).list!.messages.map((m) => m.messageId)).toEqual([sent.messageId]);
    expect((await doctor.ehbox.call('getOoOList', {})).periods.map((p) => p.startDate)).toEqual([start1]);
    // a deleted seeded absence stays deleted; new ids follow the old ones
    expect((await actor(second, seededAbsent.name).ehbox.call('getOoOList', {})).periods).toEqual([]);
    const again = await hospital.ehbox.send(plainRequest([{ ...nurse.party.boxes[0]! }], new Uint8Array(Buffer.from('after restart'))));
    if (again.kind !== 'published') throw new Error('not published');
    expect(BigInt(again.messageId)).toBeGreaterThan(BigInt(sent.messageId));

    expect((await admin(second, 'POST', '/reset')).status).toBe(204);
    expect((await nurse.ehbox.getMessagesList({ source: 'INBOX' })).list!.messages).toEqual([]);
    expect((await doctor.ehbox.call('getOoOList', {})).periods).toEqual([]);
    expect((await actor(second, seededAbsent.name).ehbox.call('getOoOList', {})).periods).toHaveLength(1);
    expect((await nurse.ehbox.getBoxInfo()).boxInfo!.currentSize).toBe(0);
    await second.close();

    const third = await start({ dataDir });
    ({ hospital, nurse } = cast(third));
    expect((await nurse.ehbox.getMessagesList({ source: 'INBOX' })).list!.messages).toEqual([]);
    expect((await hospital.ehbox.getMessagesList({ source: 'SENTBOX' })).list!.messages).toEqual([]);
    expect((await hospital.ehbox.send(plainRequest([{ ...nurse.party.boxes[0]! }], new Uint8Array(Buffer.from('fresh'))))).kind).toBe('published');
  }, 30_000);
});

describe('sandbox traffic recording', () => {
  it('records every exchange of a representative session, all XSD-valid and without attachment bytes', async () => {
    const recordDir = path.join(tmp, 'record');
    const s = await start({ recordDir });
    const { hospital, doctor, nurse } = cast(s);
    const absent = specialParties([...s.directory.parties]).outOfOffice!;

    // ETK Depot (ETK, Error), publication (100 with SwA + receipts, 826, 801, 802), consultation, OoO, Addressbook
    await etkDepot(s).getEtks({ type: 'NIHII', value: doctor.party.nihii! });
    await etkDepot(s).getEtks({ type: 'SSIN', value: '00010100175' }).catch(() => undefined);
    const req = await sealedRequest(s, hospital, [{ party: doctor.party }, { party: nurse.party }], LETTER, {
      publicationId: 'REC-1',
      contentSpecification: contentSpec({ publicationReceipt: true, receivedReceipt: true, readReceipt: true }),
    });
    const sealedDocB64 = Buffer.from(req.document.content.bytes).toString('base64');
    const sent = await hospital.ehbox.send(req);
    if (sent.kind !== 'published') throw new Error('not published');
    expect((await hospital.ehbox.send(await sealedRequest(s, hospital, [{ party: absent }], LETTER))).kind).toBe('out-of-office');
    expect((await hospital.ehbox.raw('sendMessage', plainRequest([{ ...doctor.party.boxes[0]! }], new Uint8Array(10 * 1024 * 1024 + 1)))).status.code).toBe('801');
    expect((await hospital.ehbox.raw('sendMessage', plainRequest([{ id: '12345678', type: 'NIHII', quality: 'DOCTOR' }], new Uint8Array(1)))).status.code).toBe('802');
    await admin(s, 'PUT', '/faults/sendMessage', { deliveryFailure: { code: 'BOX_CLOSED' } });
    await hospital.ehbox.send(plainRequest([{ ...doctor.party.boxes[0]! }], new Uint8Array(Buffer.from('undeliverable')), { publicationId: 'REC-ERR' }));
    await admin(s, 'DELETE', '/faults');

    await doctor.ehbox.getBoxInfo();
    await doctor.ehbox.getMessagesList({ source: 'INBOX' });
    await doctor.ehbox.call('getAllEhboxesMessagesList', { source: 'INBOX' });
    await doctor.ehbox.getFullMessage({ source: 'INBOX', messageId: sent.messageId });
    await hospital.ehbox.getMessageAcknowledgmentsStatus({ messageId: sent.messageId });
    await hospital.ehbox.call('getHistory', { source: 'SENTBOX', messageId: sent.messageId });
    for (const m of (await hospital.ehbox.getMessagesList({ source: 'INBOX' })).list!.messages) {
      await hospital.ehbox.getFullMessage({ source: 'INBOX', messageId: m.messageId }); // ACKNOWLEDGMENT and ERROR messages
    }
    await doctor.ehbox.moveMessage({ source: 'INBOX', destination: 'BININBOX', messageIds: [sent.messageId, '1234567890123'] });
    await doctor.ehbox.raw('moveMessage', { source: 'BININBOX', destination: 'SENTBOX', messageIds: [sent.messageId] });
    await doctor.ehbox.deleteMessage({ source: 'BININBOX', messageIds: [sent.messageId] });
    await doctor.ehbox.call('insertOoO', { startDate: isoDate(addDays(new Date(), 5)), endDate: isoDate(addDays(new Date(), 6)), substitutes: [{ ...nurse.party.boxes[0]! }] });
    await doctor.ehbox.raw('insertOoO', { startDate: isoDate(addDays(new Date(), 8)), endDate: isoDate(addDays(new Date(), 9)), substitutes: [{ ...absent.boxes[0]! }] });
    const periods = (await doctor.ehbox.call('getOoOList', {})).periods;
    await doctor.ehbox.call('deleteOoO', { oooIds: [periods[0]!.oooId, 'NOSUCHID'] });
    await hospital.addressbook.searchProfessionals({ lastName: doctor.party.lastName });
    await hospital.addressbook.getProfessionalContactInfo({ type: 'NIHII', value: doctor.party.nihii! });
    await hospital.addressbook.searchOrganizations({ institutionType: 'HOSPITAL' });
    await hospital.addressbook.getOrganizationContactInfo({ type: 'NIHII', value: hospital.party.nihii! });
    // a fault answer
    await hospital.session
      .call(endpointsAt(s.url).ehboxConsultation, EHBOX_OPERATIONS.getMessagesList.soapAction, EHBOX_CODECS.getMessagesList.encodeRequest({ source: 'INBOX' }).xml.replace('<Source>', '<Bogus/><Source>'))
      .catch(() => undefined);

    const files = fs.readdirSync(recordDir).filter((f) => f.endsWith('.xml')).map((f) => path.join(recordDir, f));
    const operations = new Set(files.map((f) => path.basename(f).replace(/^\d+-|-(request|response)\.xml$/g, '')));
    for (const op of ['stsRequestSecureToken', 'getEtk', 'sendMessage', 'getBoxInfo', 'getMessagesList', 'getAllEhboxesMessagesList', 'getFullMessage', 'getMessageAcknowledgmentsStatus', 'getHistory', 'moveMessage', 'deleteMessage', 'insertOoO', 'getOoOList', 'deleteOoO', 'searchProfessionals', 'getProfessionalContactInfo', 'searchOrganizations', 'getOrganizationContactInfo']) {
      expect(operations, op).toContain(op);
    }
    expect(files.filter((f) => f.endsWith('-request.xml')).length).toBe(files.filter((f) => f.endsWith('-response.xml')).length);
    const results = await validateFiles(files);
    const invalid = [...results].filter(([, r]) => !r.valid).map(([f, r]) => `${path.basename(f)}: ${r.errors.slice(0, 3).join(' | ')}`);
    // the one request we made invalid on purpose; its fault answer and everything else validate
    const bogus = files.filter((f) => fs.readFileSync(f, 'utf8').includes('<Bogus/>'));
    expect(bogus).toHaveLength(1);
    expect(invalid.map((l) => l.split(':')[0])).toEqual([path.basename(bogus[0]!)]);
    expect(fs.readFileSync(bogus[0]!.replace('-request.xml', '-response.xml'), 'utf8')).toContain('INVALID_REQUEST');

    // attachments are left out: the sealed document travelled as a part and is not in the XML
    const sendRequests = files.filter((f) => /-sendMessage-request\.xml$/.test(f)).map((f) => fs.readFileSync(f, 'utf8'));
    expect(sendRequests.some((x) => x.includes('cid:'))).toBe(true);
    const all = files.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
    expect(all).not.toContain(sealedDocB64.slice(0, 200));
    expect(Math.max(...files.map((f) => fs.statSync(f).size))).toBeLessThan(1024 * 1024);
  }, 30_000);
});
