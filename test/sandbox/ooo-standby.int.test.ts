/**
 * Out-of-Office management (insert/delete/list with the documented limits),
 * stand-by of messages for a full box and their release, and expiry of
 * messages older than a year — against the sandbox over real HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.ts';
import type { Party } from '../../src/sandbox/directory/party.ts';
import { specialParties } from '../../src/sandbox/directory/seed.ts';
import { isoDate, addDays } from '../../src/sandbox/ehbox/context.ts';
import { startTestSandbox } from '../helpers/sandbox.ts';
import { actor, admin, plainRequest, type Actor } from './helpers/actors.ts';

let sandbox: Sandbox;
let hospital: Actor;
let doctors: Party[];
let clockOffsetMs = 0;

beforeAll(async () => {
  sandbox = await startTestSandbox({ now: () => new Date(Date.now() + clockOffsetMs) });
  hospital = actor(sandbox, sandbox.directory.parties.find((p) => p.quality === 'HOSPITAL')!.name);
  doctors = sandbox.directory.parties.filter((p) => p.quality === 'DOCTOR' && !p.outOfOffice);
});
afterAll(async () => {
  await sandbox?.close();
});

const day = (n: number) => isoDate(addDays(new Date(), n));
const box = (p: Party) => ({ ...p.boxes[0]! });

describe('sandbox Out-of-Office', () => {
  it('inserts, lists and deletes periods with the documented limits', async () => {
    const me = actor(sandbox, doctors[1]!.name);
    const sub = doctors[2]!;
    const insert = (startDate: string, endDate: string, substitutes: Party[] = [sub]) => me.ehbox.raw('insertOoO', { startDate, endDate, substitutes: substitutes.map(box) });

    const ok = await insert(day(10), day(12));
    expect(ok.status.code).toBe('100');
    expect(ok.substitutes).toEqual([]);
    let list = (await me.ehbox.call('getOoOList', {})).periods;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ startDate: day(10), endDate: day(12) });
    expect(list[0]!.substitutes.map((s) => s.id)).toEqual([sub.boxes[0]!.id]);

    expect((await insert(day(11), day(13))).status.code).toBe('841'); // overlap
    expect((await insert(day(0), day(400))).status.code).toBe('840'); // longer than a year
    expect((await insert(day(-5), day(-1))).status.code).toBe('840'); // already over
    const persons = sandbox.directory.parties.filter((p) => p.kind === 'person' && p.name !== me.party.name && !p.outOfOffice).slice(0, 6);
    expect((await insert(day(20), day(21), persons)).status.code).toBe('843'); // more than 5 substitutes

    // a substitute who is absent in that period is echoed with its absence; an organisation is refused
    const absent = specialParties([...sandbox.directory.parties]).outOfOffice!;
    const refused = await insert(day(20), day(21), [sub, absent]);
    expect(refused.status.code).toBe('844');
    expect(refused.substitutes).toHaveLength(1);
    expect(refused.substitutes[0]).toMatchObject({ id: absent.boxes[0]!.id });
    expect(refused.substitutes[0]!.absentFrom).toBeDefined();
    expect(refused.substitutes[0]!.absentTo).toBeDefined();
    expect((await insert(day(20), day(21), [hospital.party])).status.code).toBe('844');

    // at most 10 periods per box
    for (let i = 0; i < 9; i++) expect((await insert(day(30 + 3 * i), day(31 + 3 * i))).status.code).toBe('100');
    expect((await insert(day(100), day(101))).status.code).toBe('842');

    list = (await me.ehbox.call('getOoOList', {})).periods;
    expect(list).toHaveLength(10);
    const gone = await me.ehbox.call('deleteOoO', { oooIds: [list[0]!.oooId, 'NOSUCHID'] });
    expect(gone.oooIds).toEqual(['NOSUCHID']);
    expect((await me.ehbox.call('getOoOList', {})).periods).toHaveLength(9);
  });

  it('answers 826 while an inserted period is active and publishes again once it is deleted', async () => {
    const me = actor(sandbox, doctors[3]!.name);
    const sub = doctors[4]!;
    await me.ehbox.call('insertOoO', { startDate: day(0), endDate: day(2), substitutes: [box(sub)] });
    const req = () => plainRequest([box(me.party)], new Uint8Array(Buffer.from('while away')));
    const r = await hospital.ehbox.send(req());
    expect(r.kind).toBe('out-of-office');
    if (r.kind === 'out-of-office') expect(r.absent[0]!.substitutes.map((s) => s.id)).toEqual([sub.boxes[0]!.id]);
    const [period] = (await me.ehbox.call('getOoOList', {})).periods;
    await me.ehbox.call('deleteOoO', { oooIds: [period!.oooId] });
    expect((await hospital.ehbox.send(req())).kind).toBe('published');
  });
});

describe('sandbox box quota and stand-by', () => {
  it('holds messages in stand-by while the box is full and releases them after a delete', async () => {
    const tiny = specialParties([...sandbox.directory.parties]).tinyQuota!;
    const owner = actor(sandbox, tiny.name);
    const quota = (await owner.ehbox.getBoxInfo()).boxInfo!.maxSize;
    expect(quota).toBe(tiny.quotaBytes);
    const big = () => new Uint8Array(Math.floor(quota * 0.6));
    const first = await hospital.ehbox.send(plainRequest([box(tiny)], big()));
    const second = await hospital.ehbox.send(plainRequest([box(tiny)], big()));
    if (first.kind !== 'published' || second.kind !== 'published') throw new Error('not published');

    const size = big().length;
    let info = (await owner.ehbox.getBoxInfo()).boxInfo!;
    expect(info.nbrMessagesInStandBy).toBe(1);
    expect(info.currentSize).toBe(size);
    let inbox = (await owner.ehbox.getMessagesList({ source: 'INBOX' })).list!.messages.map((m) => m.messageId);
    expect(inbox).toEqual([first.messageId]);
    const row = async () => (await hospital.ehbox.getMessageAcknowledgmentsStatus({ messageId: second.messageId })).rows[0]!;
    expect((await row()).published).toBeUndefined();

    await owner.ehbox.deleteMessage({ source: 'INBOX', messageIds: [first.messageId] });
    info = (await owner.ehbox.getBoxInfo()).boxInfo!;
    expect(info.nbrMessagesInStandBy).toBe(0);
    expect(info.currentSize).toBe(size);
    inbox = (await owner.ehbox.getMessagesList({ source: 'INBOX' })).list!.messages.map((m) => m.messageId);
    expect(inbox).toEqual([second.messageId]);
    expect((await row()).published).toBeDefined();
  });
});

describe('sandbox message expiry', () => {
  it('removes messages older than a year when the sweep runs', async () => {
    const nurse = actor(sandbox, sandbox.directory.parties.find((p) => p.quality === 'NURSE' && p.workplace)!.name);
    const r = await hospital.ehbox.send(plainRequest([box(nurse.party)], new Uint8Array(Buffer.from('old news'))));
    if (r.kind !== 'published') throw new Error('not published');
    const swept = await admin(sandbox, 'POST', '/sweep');
    expect(swept.json).toEqual({ removed: 0 });
    clockOffsetMs = 366 * 86_400_000;
    try {
      const later = await admin(sandbox, 'POST', '/sweep');
      expect((later.json as { removed: number }).removed).toBeGreaterThanOrEqual(1);
    } finally {
      clockOffsetMs = 0;
    }
    expect((await nurse.ehbox.getMessagesList({ source: 'INBOX' })).list!.messages.map((m) => m.messageId)).not.toContain(r.messageId);
    expect((await hospital.ehbox.getMessagesList({ source: 'SENTBOX' })).list!.messages.map((m) => m.messageId)).not.toContain(r.messageId);
    expect((await admin(sandbox, 'GET', `/messages/${r.messageId}`)).status).toBe(404);
  });
});
