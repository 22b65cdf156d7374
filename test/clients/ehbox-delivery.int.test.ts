/**
 * eHealthBox sending and reading against the sandbox's seeded parties: the
 * two delivery modes, the three Out-of-Office policies (and the bounded
 * rounds when a substitute is absent too), business statuses, messages from
 * another party's software, and the flags a damaged message gets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendPlain, type PlainDestination } from '../../src/ehbox/plain-sender.ts';
import { unsealField, unsealMessage } from '../../src/ehbox/message-unsealer.ts';
import { createEhealthClients, type EhealthClients } from '../../src/ehealth/ehealth-clients.ts';
import type { FullMessage } from '../../src/ehbox/wire/consultation-messages.ts';
import type { Party } from '../../src/sandbox/directory/party.ts';
import { keystoreOf } from '../helpers/sandbox.ts';
import { sandboxTarget, type ConformanceTarget } from './helpers/conformance-target.ts';
import { expectSameContent, sampleMessage } from './helpers/sample-message.ts';

let t: ConformanceTarget;
let hospital: EhealthClients;
const clientsOf = new Map<string, EhealthClients>();

beforeAll(async () => {
  t = await sandboxTarget().create();
  hospital = t.clients();
});
afterAll(async () => {
  await t?.close();
});

const party = (pred: (p: Party) => boolean): Party => t.sandbox!.directory.parties.find(pred)!;
const doctors = () => t.sandbox!.directory.parties.filter((p) => p.quality === 'DOCTOR' && p.etk === 'valid' && !p.outOfOffice);

/** Clients acting as a seeded party. */
function as(p: Party): EhealthClients {
  let c = clientsOf.get(p.name);
  if (!c) {
    c = createEhealthClients({ env: 'sandbox', sandboxUrl: t.sandbox!.url, keystore: keystoreOf(t.sandbox!, p.name), quality: p.quality, trustAnchorsDer: t.trustAnchorsDer, timeoutMs: 10_000 });
    clientsOf.set(p.name, c);
  }
  return c;
}

async function destinationOf(p: Party): Promise<PlainDestination> {
  const r = await hospital.resolver.resolve({ type: p.identity.type, id: p.identity.id, quality: p.quality });
  return { address: r.destination, etks: r.etks };
}

async function readAs(p: Party, messageId: string) {
  const c = as(p);
  const full = await c.ehbox.getFullMessage({ source: 'INBOX', messageId });
  return unsealMessage(full.fullMessage!, { credentials: c.session.keystore, trustAnchorsDer: t.trustAnchorsDer });
}

describe('delivery modes', () => {
  it('individual: one publication per recipient, each readable by its recipient only', async () => {
    const [a, b] = doctors();
    const msg = sampleMessage('individual');
    const res = await sendPlain(hospital.ehbox, { message: msg, destinations: [await destinationOf(a!), await destinationOf(b!)], senderEtks: await hospital.ownEtks(), mode: 'individual' });
    const ids = res.results.map((r) => (r.outcome.status === 'published' ? r.outcome.messageId : 'x'));
    expect(new Set(ids).size).toBe(2);
    expectSameContent(await readAs(a!, ids[0]!), msg);
    // b's keys do not open a's publication
    const raw = (await (await fetch(`${t.sandbox!.url}/_sandbox/messages/${ids[0]}`)).json()) as { documentBase64: string };
    const other = unsealField('document', new Uint8Array(Buffer.from(raw.documentBase64, 'base64')), true, { credentials: as(b!).session.keystore, trustAnchorsDer: t.trustAnchorsDer });
    expect(other.verdict).toMatchObject({ status: 'unreadable', code: 'DECRYPTION_PRIVATE_KEY_NOT_FOUND' });
    expect(other.value).toBeUndefined();
  });

  it('shared: one publication sealed once for every recipient', async () => {
    const [a, b, c] = doctors();
    const msg = sampleMessage('shared');
    const res = await sendPlain(hospital.ehbox, { message: msg, destinations: await Promise.all([a!, b!, c!].map(destinationOf)), senderEtks: await hospital.ownEtks(), mode: 'shared' });
    const ids = new Set(res.results.map((r) => (r.outcome.status === 'published' ? r.outcome.messageId : 'x')));
    expect(ids.size).toBe(1);
    for (const p of [a!, b!, c!]) expectSameContent(await readAs(p, [...ids][0]!), msg);
  });

  it('a bad destination fails alone with its permanent ehBox code', async () => {
    const [a] = doctors();
    const unknown = { address: { id: '00000000097', type: 'INSS', quality: 'DOCTOR' }, etks: (await destinationOf(a!)).etks };
    const res = await sendPlain(hospital.ehbox, { message: sampleMessage('bad'), destinations: [unknown, await destinationOf(a!)], senderEtks: await hospital.ownEtks() });
    expect(res.results[0]!.outcome).toMatchObject({ status: 'failed', code: '802', permanent: true });
    expect(res.results[1]!.outcome.status).toBe('published');
  });
});

describe('Out-of-Office policies', () => {
  const absent = () => party((p) => p.outOfOffice !== undefined && p.etk === 'valid');
  const substitute = () => party((p) => p.name === absent().outOfOffice!.substitute);
  const substituteEtks = async (b: { id: string; type: string; subType?: string | undefined; quality: string }) => hospital.resolver.etksOfBox(b);

  it('fail: reports the absence and its substitutes, publishes nothing', async () => {
    const res = await sendPlain(hospital.ehbox, { message: sampleMessage('ooo-fail'), destinations: [await destinationOf(absent())], senderEtks: await hospital.ownEtks(), ooo: 'fail' });
    const r = res.results[0]!;
    expect(r.outcome.status).toBe('out-of-office');
    if (r.outcome.status === 'out-of-office') expect(r.outcome.absence.substitutes[0]).toMatchObject(substitute().boxes[0]!);
    expect(r.rounds).toBe(1);
  });

  it('keep: resends with OoOProcessed to the absent recipient only', async () => {
    const res = await sendPlain(hospital.ehbox, { message: sampleMessage('ooo-keep'), destinations: [await destinationOf(absent())], senderEtks: await hospital.ownEtks(), ooo: 'keep' });
    expect(res.results).toHaveLength(1);
    expect(res.results[0]).toMatchObject({ rounds: 2, outcome: { status: 'published', oooProcessed: true } });
    expect(res.results[0]!.absence).toBeDefined();
  });

  it('forward: the substitute receives it too, sealed for its own ETK', async () => {
    const msg = sampleMessage('ooo-forward');
    const res = await sendPlain(hospital.ehbox, { message: msg, destinations: [await destinationOf(absent())], senderEtks: await hospital.ownEtks(), ooo: 'forward', substituteEtks });
    expect(res.results).toHaveLength(2);
    const sub = res.results[1]!;
    expect(sub.destination).toMatchObject(substitute().boxes[0]!);
    expect(sub.substituteFor).toMatchObject({ id: absent().boxes[0]!.id });
    expect(sub.outcome.status).toBe('published');
    if (sub.outcome.status === 'published') expectSameContent(await readAs(substitute(), sub.outcome.messageId), msg);
  });

  it('forward: a substitute absent too costs another round (three in all)', async () => {
    const sub = substitute();
    const [third] = doctors().filter((p) => p.name !== sub.name);
    const day = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
    await as(sub).ehbox.insertOoO({ startDate: day(-1), endDate: day(30), substitutes: [third!.boxes[0]!] });
    try {
      const res = await sendPlain(hospital.ehbox, { message: sampleMessage('ooo-chain'), destinations: [await destinationOf(absent())], senderEtks: await hospital.ownEtks(), ooo: 'forward', substituteEtks });
      expect(res.results.map((r) => r.destination.id)).toEqual([absent().boxes[0]!.id, sub.boxes[0]!.id, third!.boxes[0]!.id]);
      expect(res.results.every((r) => r.rounds === 3 && r.outcome.status === 'published')).toBe(true);
    } finally {
      const periods = (await as(sub).ehbox.getOoOList()).periods;
      await as(sub).ehbox.deleteOoO({ oooIds: periods.map((p) => p.oooId) });
    }
  });
});

describe('reading what others sent', () => {
  async function inbound(): Promise<{ full: FullMessage; id: string }> {
    const from = doctors()[0]!;
    const res = await fetch(`${t.sandbox!.url}/_sandbox/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: from.name, to: [party((p) => p.quality === 'HOSPITAL').name], title: 'Inbound', text: 'free text from a GP', document: { filename: 'gp.txt', mimeType: 'text/plain', content: Buffer.from('GP letter').toString('base64') }, annexes: [{ title: 'scan', filename: 'scan.bin', mimeType: 'application/octet-stream', content: Buffer.from([1, 2, 3, 4]).toString('base64') }] }),
    });
    const { messageId } = (await res.json()) as { messageId: string };
    const full = (await hospital.ehbox.getFullMessage({ source: 'INBOX', messageId })).fullMessage!;
    return { full, id: messageId };
  }
  const open = (full: FullMessage) => unsealMessage(full, { credentials: t.keystore, trustAnchorsDer: t.trustAnchorsDer });

  it('unseals a message sealed by another party’s software, signer named', async () => {
    const { full } = await inbound();
    const u = open(full);
    expect(u.verdict.ok).toBe(true);
    expect(Buffer.from(u.document.value!).toString()).toBe('GP letter');
    expect(u.freeText?.value).toBe('free text from a GP');
    expect(u.verdict.signer?.subject).toContain(doctors()[0]!.ssin!);
  });

  it('flags a damaged field but still reads the others, and never returns unreadable content', async () => {
    const { full } = await inbound();
    const annex = full.message.annexes[0]!;
    const bytes = new Uint8Array(annex.content.bytes);
    bytes[bytes.length - 40]! ^= 0x01;
    annex.content = { ...annex.content, bytes };
    const u = open(full);
    expect(u.verdict).toMatchObject({ ok: false, flagged: true });
    expect(u.verdict.problems.map((p) => p.field)).toEqual(['annex[0].content']);
    expect(u.annexes[0]!.content.verdict.ok).toBe(false);
    expect(u.document.verdict.status).toBe('verified');
  });

  it('is lenient with base64 text of a sealed blob (like the connector)', async () => {
    const { full } = await inbound();
    full.message.document.content = { ...full.message.document.content, bytes: new Uint8Array(Buffer.from(Buffer.from(full.message.document.content.bytes).toString('base64'))) };
    const u = open(full);
    expect(u.verdict.ok).toBe(true);
    expect(u.document.verdict.base64Decoded).toBe(true);
    expect(Buffer.from(u.document.value!).toString()).toBe('GP letter');
  });

  it('marks content sealed for someone else as unreadable', async () => {
    const { full } = await inbound();
    const other = keystoreOf(t.sandbox!, doctors()[3]!.name);
    const u = unsealMessage(full, { credentials: other, trustAnchorsDer: t.trustAnchorsDer });
    expect(u.verdict.status).toBe('unreadable');
    expect(u.document.value).toBeUndefined();
    expect(u.verdict.problems[0]!.code).toBe('DECRYPTION_PRIVATE_KEY_NOT_FOUND');
  });
});
