/**
 * ehBox publication against the sandbox over real HTTP and WS-Security:
 * a sealed message with annexes, free text and patient INSS from a hospital
 * to a doctor and a nurse, unsealed by each recipient; the sendMessage
 * status codes; Out-of-Office (826) and the OoOProcessed resend.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.ts';
import { specialParties } from '../../src/sandbox/directory/seed.ts';
import { digestOf } from '../../src/ehbox/message-sealer.ts';
import type { SendMessageRequest } from '../../src/ehbox/wire/messages.ts';
import { partyWith, startTestSandbox } from '../helpers/sandbox.ts';
import { actor, open, plainRequest, sealedRequest, contentSpec, type Actor, standardActors } from './helpers/actors.ts';

let sandbox: Sandbox;
let hospital: Actor;
let doctor: Actor;
let nurse: Actor;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  ({ hospital, doctor, nurse } = standardActors(sandbox));
});
afterAll(async () => {
  await sandbox?.close();
});

const LETTER = {
  title: 'Discharge letter',
  document: { filename: 'letter.txt', mimeType: 'text/plain', content: new Uint8Array(Buffer.from('Patient discharged in good health. Control in two weeks.')) },
  freeText: 'Please see the annexed lab results.',
  patientInss: '85073003328',
  annexes: [
    { title: 'Lab results', filename: 'lab.txt', mimeType: 'text/plain', content: new Uint8Array(Buffer.from('Hb 14.1 g/dL; CRP < 5 mg/L')) },
    { title: 'Medication plan', filename: 'meds.txt', mimeType: 'text/plain', content: new Uint8Array(Buffer.from('Paracetamol 1 g up to 3x/day')) },
  ],
};

async function sendOk(from: Actor, req: SendMessageRequest): Promise<string> {
  const r = await from.ehbox.send(req);
  if (r.kind !== 'published') throw new Error(`expected a publication, got ${JSON.stringify(r)}`);
  return r.messageId;
}

async function status(from: Actor, req: SendMessageRequest): Promise<string> {
  return (await from.ehbox.raw('sendMessage', req)).status.code;
}

describe('sandbox ehBox publication', () => {
  it('delivers a sealed message that each recipient and the sender unseal to the original plaintext', async () => {
    const req = await sealedRequest(sandbox, hospital, [{ party: doctor.party }, { party: nurse.party }], LETTER, { publicationId: 'DL-0001' });
    expect(req.document.content.binary).toBe(true); // travels as a SwA part
    const messageId = await sendOk(hospital, req);

    for (const reader of [doctor, nurse]) {
      const list = await reader.ehbox.getMessagesList({ source: 'INBOX' });
      const item = list.list!.messages.find((m) => m.messageId === messageId)!;
      expect(item.contentInfo?.title).toBe(LETTER.title);
      expect(item.contentInfo?.hasAnnex).toBe(true);
      expect(item.contentInfo?.hasFreeInformations).toBe(true);
      expect(item.sender.id).toBe(hospital.party.boxes[0]!.id);

      const full = (await reader.ehbox.getFullMessage({ source: 'INBOX', messageId })).fullMessage!;
      const m = full.message;
      expect(m.publicationId).toBe('DL-0001');
      expect(m.destinations.map((d) => d.id).sort()).toEqual([doctor.party.boxes[0]!.id, nurse.party.boxes[0]!.id].sort());
      expect(m.document.content.binary).toBe(true);
      expect(open(sandbox, reader.keystore, m.document.content.bytes)).toBe(Buffer.from(LETTER.document.content).toString());
      expect(m.freeInformations?.kind).toBe('text');
      if (m.freeInformations?.kind === 'text') expect(open(sandbox, reader.keystore, m.freeInformations.text)).toBe(LETTER.freeText);
      expect(open(sandbox, reader.keystore, m.inssPatient!)).toBe(LETTER.patientInss);
      expect(m.annexes).toHaveLength(2);
      m.annexes.forEach((a, i) => {
        expect(open(sandbox, reader.keystore, a.title)).toBe(LETTER.annexes[i]!.title);
        expect(open(sandbox, reader.keystore, a.content.bytes)).toBe(Buffer.from(LETTER.annexes[i]!.content).toString());
        expect(a.downloadFileName).toBe(LETTER.annexes[i]!.filename);
      });
    }
    // a third party cannot read it
    const outsider = actor(sandbox, partyWith(sandbox, 'DOCTOR', (p) => p.name !== doctor.party.name).name);
    expect(() => open(sandbox, outsider.keystore, req.document.content.bytes)).toThrow();

    // the sender keeps a copy in its SENTBOX and can read it with its own keys
    const sent = await hospital.ehbox.getMessagesList({ source: 'SENTBOX' });
    expect(sent.list!.messages.map((m) => m.messageId)).toContain(messageId);
    const copy = (await hospital.ehbox.getFullMessage({ source: 'SENTBOX', messageId })).fullMessage!;
    expect(open(sandbox, hospital.keystore, copy.message.document.content.bytes)).toContain('discharged');
  });

  it('answers 801 for 10 MB + 1 byte and accepts exactly 10 MB', async () => {
    const to = [{ ...doctor.party.boxes[0]! }];
    const limit = 10 * 1024 * 1024;
    expect(await status(hospital, plainRequest(to, new Uint8Array(limit + 1)))).toBe('801');
    expect(await status(hospital, plainRequest(to, new Uint8Array(limit)))).toBe('100');
  }, 30_000);

  it('answers 802, 803, 804 and 805 for bad destinations', async () => {
    const doc = new Uint8Array(Buffer.from('x'));
    const d = doctor.party.boxes[0]!;
    expect(await status(hospital, plainRequest([{ id: '12345678', type: 'NIHII', quality: 'DOCTOR' }], doc))).toBe('802');
    expect(await status(hospital, plainRequest([{ id: '12AB', type: 'NIHII', quality: 'DOCTOR' }], doc))).toBe('802');
    expect(await status(hospital, plainRequest([{ ...d, quality: 'WIZARD' }], doc))).toBe('803');
    expect(await status(hospital, plainRequest([{ ...d, type: 'PASSPORT' }], doc))).toBe('804');
    expect(await status(hospital, plainRequest([{ ...d, subType: 'CASTLE' }], doc))).toBe('805');
  });

  it('answers 810 for a BoxId of another party and 814 for a doctor publishing to everyone', async () => {
    const doc = new Uint8Array(Buffer.from('x'));
    expect(await status(hospital, plainRequest([{ ...nurse.party.boxes[0]! }], doc, { boxId: doctor.party.boxes[0]! }))).toBe('810');
    expect(await status(doctor, plainRequest([{ id: 'ALL', type: 'NIHII', quality: 'NURSE' }], doc))).toBe('814');
  });

  it('answers 816 when a digest does not match the content', async () => {
    const req = plainRequest([{ ...doctor.party.boxes[0]! }], new Uint8Array(Buffer.from('content')));
    req.document.digest = digestOf(new Uint8Array(Buffer.from('other content')));
    expect(await status(hospital, req)).toBe('816');
  });

  it('refuses a reused DOCUMENT PublicationId (820) and updates a NEWS item', async () => {
    const to = [{ ...nurse.party.boxes[0]! }];
    const pub = `D${crypto.randomInt(1e9)}`;
    expect(await status(hospital, plainRequest(to, new Uint8Array(Buffer.from('v1')), { publicationId: pub }))).toBe('100');
    expect(await status(hospital, plainRequest(to, new Uint8Array(Buffer.from('v2')), { publicationId: pub }))).toBe('820');

    const news = `N${crypto.randomInt(1e9)}`;
    const spec = contentSpec({ isEncrypted: false, contentType: 'NEWS' });
    const first = await sendOk(hospital, plainRequest(to, new Uint8Array(Buffer.from('news v1')), { publicationId: news, contentSpecification: spec }));
    const second = await sendOk(hospital, plainRequest(to, new Uint8Array(Buffer.from('news v2')), { publicationId: news, contentSpecification: spec }));
    expect(second).not.toBe(first);
    const ids = (await nurse.ehbox.getMessagesList({ source: 'INBOX' })).list!.messages.map((m) => m.messageId);
    expect(ids).toContain(second);
    expect(ids).not.toContain(first);
    const full = (await nurse.ehbox.getFullMessage({ source: 'INBOX', messageId: second })).fullMessage!;
    expect(Buffer.from(full.message.document.content.bytes).toString()).toBe('news v2');
    expect(full.message.contentSpecification.contentType).toBe('NEWS');
    // a NEWS id that is a DOCUMENT's is refused too
    expect(await status(hospital, plainRequest(to, new Uint8Array(Buffer.from('n')), { publicationId: pub, contentSpecification: spec }))).toBe('820');
  });

  it('answers 826 with the substitutes of an absent doctor, then publishes with OoOProcessed', async () => {
    const { outOfOffice } = specialParties([...sandbox.directory.parties]);
    const absent = outOfOffice!;
    const substitute = sandbox.directory.party(absent.outOfOffice!.substitute!)!;
    const sentCount = async () => (await hospital.ehbox.getMessagesList({ source: 'SENTBOX' })).list!.messages.length;
    const nurseCount = async () => (await nurse.ehbox.getMessagesList({ source: 'INBOX' })).list!.messages.length;
    const [sentBefore, nurseBefore] = [await sentCount(), await nurseCount()];
    const first = await sealedRequest(sandbox, hospital, [{ party: absent }, { party: nurse.party }], LETTER);
    const r = await hospital.ehbox.send(first);
    expect(r.kind).toBe('out-of-office');
    if (r.kind !== 'out-of-office') return;
    expect(r.absent).toHaveLength(1);
    expect(r.absent[0]!.recipient.id).toBe(absent.boxes[0]!.id);
    expect(r.absent[0]!.substitutes.map((s) => s.id)).toEqual([substitute.boxes[0]!.id]);
    // 826 published nothing, not even to the recipient who is present
    expect(await sentCount()).toBe(sentBefore);
    expect(await nurseCount()).toBe(nurseBefore);

    const again = await sealedRequest(
      sandbox,
      hospital,
      [{ party: absent, destination: { ...absent.boxes[0]!, oooProcessed: true } }, { party: nurse.party }, { party: substitute }],
      LETTER,
    );
    const messageId = await sendOk(hospital, again);
    expect(await nurseCount()).toBe(nurseBefore + 1);
    expect(await sentCount()).toBe(sentBefore + 1);
    const sub = actor(sandbox, substitute.name);
    const full = (await sub.ehbox.getFullMessage({ source: 'INBOX', messageId })).fullMessage!;
    expect(open(sandbox, sub.keystore, full.message.document.content.bytes)).toContain('discharged');
  });
});
