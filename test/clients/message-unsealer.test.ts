/**
 * The reading side on crafted getFullMessage answers (a throw-away PKI, no
 * network): per-field verdicts, the message verdict as the worst field,
 * informational signing-time warnings, flagged content, lenient base64,
 * unencrypted pass-through and the typed ACKNOWLEDGMENT / ERROR views.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIELD_SIGNERS_DIFFER, sealedBlobOf, unsealMessage } from '../../src/ehbox/message-unsealer.ts';
import { prepareMessage, sealPrepared, type PlainMessage } from '../../src/ehbox/message-sealer.ts';
import type { FullMessage } from '../../src/ehbox/wire/consultation-messages.ts';
import { createTestPki, type TestHolder, type TestPki } from '../helpers/test-credentials.ts';

let pki: TestPki;
let alice: TestHolder;
let bob: TestHolder;
let mallory: TestHolder;
let trust: Uint8Array[];

beforeAll(() => {
  pki = createTestPki();
  [alice, bob, mallory] = ['Alice', 'Bob', 'Mallory'].map((n) => pki.holder(n)) as [TestHolder, TestHolder, TestHolder];
  trust = [pki.rootDer, pki.issuingCaDer];
}, 60_000);
afterAll(() => pki?.remove());

const plain: PlainMessage = {
  title: 'Fictitious discharge letter',
  document: { filename: 'letter.txt', mimeType: 'text/plain', content: new Uint8Array(Buffer.from('letter body')) },
  table: { title: 'Vitals', rows: [{ left: 'BP', right: '120/80' }] },
  patientInss: '00000000097',
  annexes: [{ title: 'Lab', filename: 'lab.txt', mimeType: 'text/plain', content: new Uint8Array(Buffer.from('lab')) }],
};

/** What getFullMessage would answer for `plain` sealed by `from` for `to` (+ the sender). */
function fullMessage(from: TestHolder, to: TestHolder[], encrypted = true): FullMessage {
  const prepared = prepareMessage(plain, { encrypted, sender: from.auth });
  const sealed = sealPrepared(prepared, encrypted ? [...to.map((h) => h.encCertDer), from.encCertDer] : []);
  return {
    sender: { id: '71000436', type: 'NIHII', subType: 'HOSPITAL', quality: 'HOSPITAL', name: 'Fictitious Hospital' },
    messageInfo: { publicationDate: '2025-01-01', expirationDate: '2026-01-01', size: '1' },
    message: {
      messageId: '1000000000001',
      publicationId: 'P1',
      destinations: [{ id: '00000000097', type: 'INSS', quality: 'DOCTOR' }],
      document: { title: sealed.document.title, content: sealed.document.content, downloadFileName: sealed.document.downloadFileName, mimeType: sealed.document.mimeType },
      freeInformations: sealed.freeInformations,
      inssPatient: sealed.inssPatient,
      annexes: sealed.annexes.map((a) => ({ title: a.title, content: a.content, downloadFileName: a.downloadFileName, mimeType: a.mimeType })),
      contentSpecification: { contentType: 'DOCUMENT', isImportant: false, isEncrypted: encrypted },
      customMetas: [],
      metas: [],
      copyMailTo: [],
    },
  };
}

describe('unsealMessage', () => {
  it('unseals every field with a verdict each; the message verdict is clean', () => {
    const u = unsealMessage(fullMessage(alice, [bob]), { credentials: [bob.enc, bob.auth], trustAnchorsDer: trust });
    expect(u.fields.map((f) => [f.field, f.status])).toEqual([
      ['document', 'verified'], ['table[0].left', 'verified'], ['table[0].right', 'verified'], ['patientInss', 'verified'], ['annex[0].title', 'verified'], ['annex[0].content', 'verified'],
    ]);
    expect(u.verdict).toMatchObject({ ok: true, status: 'verified', flagged: false, encrypted: true, problems: [] });
    expect(Buffer.from(u.document.value!).toString()).toBe('letter body');
    expect(u.table).toMatchObject({ title: 'Vitals', rows: [{ left: { value: 'BP' }, right: { value: '120/80' } }] });
    expect(u.patientInss?.value).toBe('00000000097');
    expect(u.annexes[0]!.title.value).toBe('Lab');
    expect(u.verdict.signer?.subject).toContain('Alice');
  });

  it('reports SIGNING_TIME_EXPIRED as informational: ok stays true', () => {
    const u = unsealMessage(fullMessage(alice, [bob]), { credentials: [bob.enc], trustAnchorsDer: trust, at: new Date(Date.now() + 3600_000) });
    expect(u.verdict.ok).toBe(true);
    expect(u.verdict.warnings.map((w) => w.code)).toContain('SIGNING_TIME_EXPIRED');
    expect(u.fields.every((f) => f.warnings.includes('SIGNING_TIME_EXPIRED'))).toBe(true);
  });

  it('hands back content that failed a check only flagged, with the failing code', () => {
    const u = unsealMessage(fullMessage(alice, [bob]), { credentials: [bob.enc], trustAnchorsDer: [mallory.auth.certificateDer] });
    expect(u.verdict).toMatchObject({ ok: false, flagged: true, status: 'failed' });
    expect(u.document.value).toBeDefined();
    expect(u.document.verdict.code).toBe('OUTER_CERTIFICATE_CHAIN_NOT_TRUSTED');
    expect(u.verdict.problems).toHaveLength(u.fields.length);
  });

  it('returns no content for an unreadable field, and the rest still reads', () => {
    const m = fullMessage(alice, [bob]);
    m.message.document.content = { bytes: new Uint8Array(Buffer.from('not a sealed blob at all')), binary: true };
    const u = unsealMessage(m, { credentials: [bob.enc], trustAnchorsDer: trust });
    expect(u.document.value).toBeUndefined();
    expect(u.document.verdict.status).toBe('unreadable');
    expect(u.verdict.status).toBe('unreadable');
    expect(u.patientInss?.verdict.status).toBe('verified');
  });

  it('flags a message whose fields come from different senders', () => {
    const m = fullMessage(alice, [bob]);
    m.message.inssPatient = fullMessage(mallory, [bob]).message.inssPatient;
    const u = unsealMessage(m, { credentials: [bob.enc], trustAnchorsDer: trust });
    expect(u.fields.every((f) => f.ok)).toBe(true);
    expect(u.verdict).toMatchObject({ ok: false, flagged: true });
    expect(u.verdict.problems.map((p) => p.code)).toEqual([FIELD_SIGNERS_DIFFER]);
  });

  it('decodes base64 text of a sealed blob first, and leaves other bytes alone', () => {
    const m = fullMessage(alice, [bob]);
    const blob = m.message.document.content.bytes;
    m.message.document.content = { bytes: new Uint8Array(Buffer.from(Buffer.from(blob).toString('base64').replace(/(.{76})/g, '$1\n'))), binary: false };
    const u = unsealMessage(m, { credentials: [bob.enc], trustAnchorsDer: trust });
    expect(u.document.verdict).toMatchObject({ status: 'verified', base64Decoded: true });
    expect(sealedBlobOf(new Uint8Array(Buffer.from('aGVsbG8='))).base64Decoded).toBe(false);
  });

  it('passes an unencrypted message through as plain', () => {
    const u = unsealMessage(fullMessage(alice, [bob], false), { credentials: [], trustAnchorsDer: trust });
    expect(u.verdict).toMatchObject({ ok: true, status: 'plain', encrypted: false });
    expect(u.table?.rows[0]!.right.value).toBe('120/80');
  });

  it('gives typed views of ACKNOWLEDGMENT and ERROR messages', () => {
    const ack = fullMessage(alice, [bob], false);
    ack.message.contentSpecification.contentType = 'ACKNOWLEDGMENT';
    ack.message.acknowledgment = { messageId: '1000000000009', ackType: 'READ', dateTime: '2025-01-02T10:00:00Z', recipient: { id: '00000000097', type: 'INSS', quality: 'DOCTOR' } };
    expect(unsealMessage(ack, { credentials: [], trustAnchorsDer: trust }).notice).toEqual({ kind: 'acknowledgment', messageId: '1000000000009', ackType: 'READ', dateTime: '2025-01-02T10:00:00Z', recipient: { id: '00000000097', type: 'INSS', quality: 'DOCTOR' } });
    const err = fullMessage(alice, [bob], false);
    err.message.contentSpecification.contentType = 'ERROR';
    err.message.error = { code: '802', messages: ['unknown destination'], destinations: [], failures: [], publicationId: 'P9' };
    expect(unsealMessage(err, { credentials: [], trustAnchorsDer: trust }).notice).toMatchObject({ kind: 'error', code: '802', publicationId: 'P9' });
  });
});
