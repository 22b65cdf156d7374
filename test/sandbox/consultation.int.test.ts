/**
 * ehBox consultation against the sandbox over real HTTP: box info, list
 * paging and its limits, full message, history, receipts (status and
 * ACKNOWLEDGMENT messages), move and delete rules.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.ts';
import type { Party } from '../../src/sandbox/directory/party.ts';
import { endpointsAt } from '../../src/ehealth/session.ts';
import { EHBOX_CODECS, EHBOX_OPERATIONS } from '../../src/ehbox/wire/operations.ts';
import { EhealthSoapFault } from '../../src/soap/fault.ts';
import { startTestSandbox } from '../helpers/sandbox.ts';
import { actor, contentSpec, plainRequest, type Actor } from './helpers/actors.ts';

let sandbox: Sandbox;
let hospital: Actor;
let wardNurses: Party[];

beforeAll(async () => {
  sandbox = await startTestSandbox();
  hospital = actor(sandbox, sandbox.directory.parties.find((p) => p.quality === 'HOSPITAL')!.name);
  wardNurses = sandbox.directory.parties.filter((p) => p.quality === 'NURSE' && p.workplace && p.etk === 'valid');
});
afterAll(async () => {
  await sandbox?.close();
});

/** A fresh recipient per test, so tests do not see each other's messages. */
let next = 0;
const freshNurse = (): Actor => actor(sandbox, wardNurses[next++]!.name);

async function send(to: Actor, text: string, receipts = false): Promise<string> {
  const spec = contentSpec({ isEncrypted: false, publicationReceipt: receipts, receivedReceipt: receipts, readReceipt: receipts });
  const r = await hospital.ehbox.send(plainRequest([{ ...to.party.boxes[0]! }], new Uint8Array(Buffer.from(text)), { contentSpecification: spec }));
  if (r.kind !== 'published') throw new Error('not published');
  return r.messageId;
}

const ids = async (who: Actor, source: 'INBOX' | 'SENTBOX' | 'BININBOX' | 'BINSENTBOX', startIndex?: number, endIndex?: number) =>
  (await who.ehbox.getMessagesList({ source, startIndex, endIndex })).list!.messages.map((m) => m.messageId);

describe('sandbox ehBox consultation', () => {
  it('answers getBoxInfo with the box, its size and quota', async () => {
    const nurse = freshNurse();
    const before = (await nurse.ehbox.getBoxInfo()).boxInfo!;
    expect(before.boxId).toMatchObject({ id: nurse.party.boxes[0]!.id, quality: 'NURSE' });
    expect(before.currentSize).toBe(0);
    expect(before.maxSize).toBe(nurse.party.quotaBytes);
    expect(before.nbrMessagesInStandBy).toBe(0);
    await send(nurse, 'twelve bytes');
    expect((await nurse.ehbox.getBoxInfo()).boxInfo!.currentSize).toBe(12);
    // an alias of one's own box is accepted as BoxId; another party's is 810
    expect((await nurse.ehbox.getBoxInfo({ boxId: nurse.party.boxes[1]! })).boxInfo!.boxId.id).toBe(nurse.party.boxes[0]!.id);
    expect((await nurse.ehbox.raw('getBoxInfo', { boxId: hospital.party.boxes[0]! })).status.code).toBe('810');
  });

  it('lists newest first with StartIndex/EndIndex paging and refuses more than 100 per call (830)', async () => {
    const nurse = freshNurse();
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) sent.push(await send(nurse, `message ${i}`));
    const newestFirst = [...sent].reverse();
    expect(await ids(nurse, 'INBOX')).toEqual(newestFirst);
    expect(await ids(nurse, 'INBOX', 2, 3)).toEqual(newestFirst.slice(1, 3));
    expect(await ids(nurse, 'INBOX', 5, 100)).toEqual(newestFirst.slice(4));
    expect(await ids(nurse, 'INBOX', 6, 10)).toEqual([]);
    expect((await nurse.ehbox.raw('getMessagesList', { source: 'INBOX', startIndex: 1, endIndex: 101 })).status.code).toBe('830');
    expect((await nurse.ehbox.raw('getMessagesList', { source: 'INBOX', startIndex: 3, endIndex: 2 })).status.code).toBe('830');
    // every box of the caller merged (a nurse has one): same messages, Destination tells the box
    const all = await nurse.ehbox.call('getAllEhboxesMessagesList', { source: 'INBOX', startIndex: 1, endIndex: 2 });
    expect(all.list!.messages.map((m) => m.messageId)).toEqual(newestFirst.slice(0, 2));
    expect(all.list!.messages[0]!.destination.id).toBe(nurse.party.boxes[0]!.id);
    expect((await nurse.ehbox.raw('getAllEhboxesMessagesList', { source: 'INBOX', startIndex: 1, endIndex: 150 })).status.code).toBe('830');
  });

  it('tracks receipts PUBLISHED on delivery, RECEIVED on list, READ on getFullMessage, with ACKNOWLEDGMENT messages and history', async () => {
    const nurse = freshNurse();
    const messageId = await send(nurse, 'with receipts', true);
    const row = async () => (await hospital.ehbox.getMessageAcknowledgmentsStatus({ messageId })).rows[0]!;
    let r = await row();
    expect(r.recipient.id).toBe(nurse.party.boxes[0]!.id);
    expect(r.published).toBeDefined();
    expect(r.received).toBeUndefined();
    expect(r.read).toBeUndefined();

    await ids(nurse, 'INBOX');
    r = await row();
    expect(r.received).toBeDefined();
    expect(r.read).toBeUndefined();

    const full = (await nurse.ehbox.getFullMessage({ source: 'INBOX', messageId })).fullMessage!;
    expect(Buffer.from(full.message.document.content.bytes).toString()).toBe('with receipts');
    r = await row();
    expect(r.read).toBeDefined();
    expect(Date.parse(r.published!)).toBeLessThanOrEqual(Date.parse(r.received!));
    expect(Date.parse(r.received!)).toBeLessThanOrEqual(Date.parse(r.read!));

    // one ACKNOWLEDGMENT message per receipt in the sender's inbox
    const inbox = (await hospital.ehbox.getMessagesList({ source: 'INBOX' })).list!.messages.filter((m) => m.contentSpecification.contentType === 'ACKNOWLEDGMENT');
    const acks = [];
    for (const m of inbox) {
      const a = (await hospital.ehbox.getFullMessage({ source: 'INBOX', messageId: m.messageId })).fullMessage!.message.acknowledgment;
      if (a?.messageId === messageId) acks.push(a);
    }
    expect(acks.map((a) => a.ackType).sort()).toEqual(['PUBLISHED', 'READ', 'RECEIVED']);
    expect(acks.every((a) => a.recipient?.id === nurse.party.boxes[0]!.id)).toBe(true);

    // history: the message, then the platform messages about it
    const history = await hospital.ehbox.call('getHistory', { source: 'SENTBOX', messageId });
    expect(history.messageIds[0]).toBe(messageId);
    expect(history.messageIds).toHaveLength(4);
    expect((await nurse.ehbox.call('getHistory', { source: 'INBOX', messageId })).messageIds[0]).toBe(messageId);

    // only the sender asks for receipts; unknown ids are 831
    expect((await nurse.ehbox.raw('getMessageAcknowledgmentsStatus', { messageId })).status.code).toBe('831');
    expect((await nurse.ehbox.raw('getFullMessage', { source: 'INBOX', messageId: '9999999999999' })).status.code).toBe('831');
  });

  it('moves between a folder and its bin only, and answers the ids it could not process', async () => {
    const nurse = freshNurse();
    const a = await send(nurse, 'a');
    const b = await send(nurse, 'b');
    const moved = await nurse.ehbox.moveMessage({ source: 'INBOX', destination: 'BININBOX', messageIds: [a, '1234567890123'] });
    expect(moved.messageIds).toEqual(['1234567890123']);
    expect(await ids(nurse, 'INBOX')).toEqual([b]);
    expect(await ids(nurse, 'BININBOX')).toEqual([a]);
    expect((await nurse.ehbox.raw('moveMessage', { source: 'INBOX', destination: 'SENTBOX', messageIds: [b] })).status.code).toBe('832');
    expect((await nurse.ehbox.raw('moveMessage', { source: 'BININBOX', destination: 'BINSENTBOX', messageIds: [a] })).status.code).toBe('832');
    await nurse.ehbox.moveMessage({ source: 'BININBOX', destination: 'INBOX', messageIds: [a] });
    expect((await ids(nurse, 'INBOX')).sort()).toEqual([a, b].sort());

    // sender side: SENTBOX ↔ BINSENTBOX
    expect((await hospital.ehbox.moveMessage({ source: 'SENTBOX', destination: 'BINSENTBOX', messageIds: [a] })).messageIds).toEqual([]);
    expect(await ids(hospital, 'BINSENTBOX')).toContain(a);

    // more than 100 ids: refused by the schema check
    const hundred = Array.from({ length: 100 }, (_, i) => String(1_000_000_000_000 + i));
    const xml = EHBOX_CODECS.moveMessage.encodeRequest({ source: 'INBOX', destination: 'BININBOX', messageIds: hundred }).xml.replace('<MessageId>', '<MessageId>9999999999999</MessageId><MessageId>');
    const err = await nurse.session.call(endpointsAt(sandbox.url).ehboxConsultation, EHBOX_OPERATIONS.moveMessage.soapAction, xml).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EhealthSoapFault);
    expect((err as EhealthSoapFault).code).toBe('INVALID_REQUEST');
    expect(await ids(nurse, 'BININBOX')).toEqual([]);
  });

  it('deletes for good, frees space, and answers the ids it could not delete', async () => {
    const nurse = freshNurse();
    const a = await send(nurse, 'aaaa');
    const b = await send(nurse, 'bbbb');
    expect((await nurse.ehbox.getBoxInfo()).boxInfo!.currentSize).toBe(8);
    const res = await nurse.ehbox.deleteMessage({ source: 'INBOX', messageIds: [a, '1234567890123'] });
    expect(res.messageIds).toEqual(['1234567890123']);
    expect(await ids(nurse, 'INBOX')).toEqual([b]);
    expect((await nurse.ehbox.getBoxInfo()).boxInfo!.currentSize).toBe(4);
    expect((await nurse.ehbox.raw('getFullMessage', { source: 'INBOX', messageId: a })).status.code).toBe('831');
    // the sender's copy is independent
    expect(await ids(hospital, 'SENTBOX')).toContain(a);
    // deleting from the wrong folder processes nothing
    expect((await nurse.ehbox.deleteMessage({ source: 'BININBOX', messageIds: [b] })).messageIds).toEqual([b]);
  });
});
