/**
 * sendPlain against a scripted ehBox (no network): delivery modes, who each
 * publication is sealed for, the Out-of-Office policies and their bounded
 * rounds, and per-destination failures.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SEND_ROUNDS, SendPlainError, sendPlain, type SendingClient, type SendPlainInput } from '../../src/ehbox/plain-sender.ts';
import type { SendResult } from '../../src/ehbox/ehbox-client.ts';
import { unsealField } from '../../src/ehbox/message-unsealer.ts';
import type { BoxAddress, SendMessageRequest } from '../../src/ehbox/wire/messages.ts';
import { SoapTransportError } from '../../src/soap/fault.ts';
import { createTestPki, type TestHolder, type TestPki } from '../helpers/test-credentials.ts';

let pki: TestPki;
let hospital: TestHolder;
let bob: TestHolder;
let carol: TestHolder;
let dave: TestHolder;

beforeAll(() => {
  pki = createTestPki();
  [hospital, bob, carol, dave] = ['Hospital', 'Bob', 'Carol', 'Dave'].map((n) => pki.holder(n)) as [TestHolder, TestHolder, TestHolder, TestHolder];
}, 60_000);
afterAll(() => pki?.remove());

const box = (id: string): BoxAddress => ({ id, type: 'INSS', quality: 'DOCTOR' });
const BOB = box('11111111111');
const CAROL = box('22222222222');
const DAVE = box('33333333333');
const etkOf = (h: TestHolder) => [{ encryptionCertDer: h.encCertDer }];

/** A scripted ehBox: `answer` decides each sendMessage's outcome. */
class ScriptedEhbox implements SendingClient {
  readonly requests: SendMessageRequest[] = [];
  readonly session = { keystore: { authentication: hospital.auth, entries: [hospital.auth, hospital.enc] } };
  constructor(private readonly answer: (req: SendMessageRequest, n: number) => SendResult | Error = () => ({ kind: 'published', messageId: 'M' })) {}
  async send(req: SendMessageRequest): Promise<SendResult> {
    this.requests.push(req);
    const a = this.answer(req, this.requests.length);
    if (a instanceof Error) throw a;
    return a.kind === 'published' ? { ...a, messageId: `M${this.requests.length}` } : a;
  }
}

const absentNow = (recipient: BoxAddress, substitutes: BoxAddress[]): SendResult => ({
  kind: 'out-of-office',
  absent: [{ recipient, absentFrom: '2025-01-01', absentTo: '2025-12-31', substitutes }],
});

function input(extra: Partial<SendPlainInput> = {}): SendPlainInput {
  return {
    message: { title: 'Letter', document: { filename: 'l.txt', mimeType: 'text/plain', content: new Uint8Array(Buffer.from('fictitious letter')) }, annexes: [] },
    destinations: [{ address: BOB, etks: etkOf(bob) }],
    senderEtks: etkOf(hospital),
    substituteEtks: async (b) => (b.id === CAROL.id ? etkOf(carol) : b.id === DAVE.id ? etkOf(dave) : []),
    ...extra,
  };
}

const opens = (req: SendMessageRequest, who: TestHolder) =>
  unsealField('document', req.document.content.bytes, true, { credentials: [who.enc], trustAnchorsDer: [pki.rootDer, pki.issuingCaDer] }).verdict.status === 'verified';

describe('delivery modes', () => {
  it('individual: one publication per destination, sealed for it and the sender only', async () => {
    const ehbox = new ScriptedEhbox();
    const res = await sendPlain(ehbox, input({ destinations: [{ address: BOB, etks: etkOf(bob) }, { address: CAROL, etks: etkOf(carol) }] }));
    // destinations are sealed and sent concurrently: requests come in either order
    expect(ehbox.requests.map((r) => r.destinations.map((d) => d.id)).sort()).toEqual([[BOB.id], [CAROL.id]]);
    const toBob = ehbox.requests.find((r) => r.destinations[0]!.id === BOB.id)!;
    const toCarol = ehbox.requests.find((r) => r.destinations[0]!.id === CAROL.id)!;
    expect([opens(toBob, bob), opens(toBob, hospital), opens(toBob, carol)]).toEqual([true, true, false]);
    expect(res.results.map((r) => r.outcome.status)).toEqual(['published', 'published']);
    expect(toBob.document.digest).not.toBe(toCarol.document.digest);
  });

  it('shared: one publication sealed for every destination and the sender', async () => {
    const ehbox = new ScriptedEhbox();
    const res = await sendPlain(ehbox, input({ mode: 'shared', destinations: [{ address: BOB, etks: etkOf(bob) }, { address: CAROL, etks: etkOf(carol) }] }));
    expect(ehbox.requests).toHaveLength(1);
    expect([bob, carol, hospital].map((h) => opens(ehbox.requests[0]!, h))).toEqual([true, true, true]);
    expect(new Set(res.results.map((r) => (r.outcome.status === 'published' ? r.outcome.messageId : '')))).toEqual(new Set(['M1']));
  });

  it('one failing publication does not block the others (individual)', async () => {
    const ehbox = new ScriptedEhbox((req) => (req.destinations[0]!.id === BOB.id ? new SoapTransportError('timeout', 'timed out') : { kind: 'published', messageId: 'M' }));
    const res = await sendPlain(ehbox, input({ destinations: [{ address: BOB, etks: etkOf(bob) }, { address: CAROL, etks: etkOf(carol) }, { address: DAVE, etks: [] }] }));
    expect(res.results.map((r) => r.outcome)).toEqual([
      { status: 'failed', code: 'SOAP_TIMEOUT', message: 'timed out', permanent: false },
      expect.objectContaining({ status: 'published' }),
      expect.objectContaining({ status: 'failed', code: 'ETK_NOT_FOUND', permanent: true }),
    ]);
    expect(ehbox.requests).toHaveLength(2);
  });

  it('refuses what cannot be sent at all', async () => {
    await expect(sendPlain(new ScriptedEhbox(), input({ destinations: [] }))).rejects.toMatchObject({ code: 'NO_DESTINATIONS' });
    await expect(sendPlain(new ScriptedEhbox(), input({ senderEtks: [] }))).rejects.toBeInstanceOf(SendPlainError);
    await expect(sendPlain(new ScriptedEhbox(), input({ destinations: [{ address: { id: 'ALL', type: 'NIHII', quality: 'DOCTOR' }, etks: [] }] }))).rejects.toMatchObject({ code: 'ENCRYPTED_TO_ALL' });
  });
});

describe('Out-of-Office', () => {
  const bobAbsentOnce = (req: SendMessageRequest): SendResult => (req.destinations.some((d) => d.id === BOB.id && !d.oooProcessed) ? absentNow(BOB, [CAROL]) : { kind: 'published', messageId: 'M' });

  it('fail: reports the absence after one call', async () => {
    const ehbox = new ScriptedEhbox(bobAbsentOnce);
    const res = await sendPlain(ehbox, input({ ooo: 'fail' }));
    expect(ehbox.requests).toHaveLength(1);
    expect(res.results[0]).toMatchObject({ rounds: 1, outcome: { status: 'out-of-office', absence: { substitutes: [CAROL] } } });
  });

  it('keep: resends with OoOProcessed, without the substitute', async () => {
    const ehbox = new ScriptedEhbox(bobAbsentOnce);
    const res = await sendPlain(ehbox, input({ ooo: 'keep' }));
    expect(ehbox.requests[1]!.destinations).toEqual([{ ...BOB, oooProcessed: true }]);
    expect(res.results).toHaveLength(1);
    expect(res.results[0]).toMatchObject({ rounds: 2, outcome: { status: 'published', oooProcessed: true } });
  });

  it('forward: adds the substitute, sealed for its ETK too', async () => {
    const ehbox = new ScriptedEhbox(bobAbsentOnce);
    const res = await sendPlain(ehbox, input({ ooo: 'forward' }));
    const second = ehbox.requests[1]!;
    expect(second.destinations).toEqual([{ ...BOB, oooProcessed: true }, CAROL]);
    expect(opens(second, carol)).toBe(true);
    expect(res.results[1]).toMatchObject({ destination: CAROL, substituteFor: BOB, outcome: { status: 'published' } });
  });

  it(`forward: a chain of absent substitutes stops after ${MAX_SEND_ROUNDS} calls`, async () => {
    const chain: Record<string, BoxAddress> = { [BOB.id]: CAROL, [CAROL.id]: DAVE, [DAVE.id]: box('44444444444') };
    const ehbox = new ScriptedEhbox((req) => {
      const open = req.destinations.find((d) => !d.oooProcessed)!;
      return absentNow(open, [chain[open.id]!]);
    });
    const res = await sendPlain(ehbox, input({ ooo: 'forward' }));
    expect(ehbox.requests).toHaveLength(MAX_SEND_ROUNDS);
    expect(res.results.map((r) => [r.destination.id, r.outcome.status])).toEqual([
      [BOB.id, 'failed'], [CAROL.id, 'failed'], [DAVE.id, 'out-of-office'],
    ]);
    expect(res.results[0]!.outcome).toMatchObject({ code: 'OUT_OF_OFFICE_BLOCKED', permanent: true });
  });

  it('forward: a substitute without ETK fails alone; the absent recipient still gets the message', async () => {
    const ehbox = new ScriptedEhbox(bobAbsentOnce);
    const res = await sendPlain(ehbox, input({ ooo: 'forward', substituteEtks: async () => Promise.reject(Object.assign(new Error('no ETK'), { code: 'ETK_NOT_FOUND', permanent: true })) }));
    expect(res.results.map((r) => [r.destination.id, r.outcome.status])).toEqual([[BOB.id, 'published'], [CAROL.id, 'failed']]);
    expect(res.results[1]!.outcome).toMatchObject({ code: 'ETK_NOT_FOUND', permanent: true });
  });

  it('an absence echoed under another alias is attributed to the single open destination', async () => {
    const alias = { id: '12345678', type: 'NIHII', quality: 'DOCTOR' };
    const ehbox = new ScriptedEhbox((req) => (req.destinations[0]!.oooProcessed ? { kind: 'published', messageId: 'M' } : absentNow(alias, [])));
    const res = await sendPlain(ehbox, input({ ooo: 'keep' }));
    expect(res.results[0]).toMatchObject({ rounds: 2, outcome: { status: 'published', oooProcessed: true }, absence: { substitutes: [] } });
  });
});
