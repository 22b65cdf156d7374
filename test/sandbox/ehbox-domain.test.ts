import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BlobArea } from '../../src/sandbox/blob-area.ts';
import { Journal } from '../../src/sandbox/journal.ts';
import { EhboxStore, type EhboxEvent } from '../../src/sandbox/ehbox/store.ts';
import { boxKey, type BoxAddress, type Destination } from '../../src/sandbox/ehbox/model.ts';
import { Codes, EhboxContext, type BoxDirectory } from '../../src/sandbox/ehbox/context.ts';
import { publish, type PublicationInput } from '../../src/sandbox/ehbox/publication.ts';
import { acknowledgmentsStatus, boxInfo, deleteMessages, fullMessage, listMessages, moveMessages } from '../../src/sandbox/ehbox/consultation.ts';
import { insertOoO, listOoO } from '../../src/sandbox/ehbox/out-of-office.ts';

const hospital: BoxAddress = { id: '71000436', type: 'NIHII', subType: 'HOSPITAL', quality: 'HOSPITAL' };
const doctor: BoxAddress = { id: '10000133', type: 'NIHII', quality: 'DOCTOR' };
const nurse: BoxAddress = { id: '85073003328', type: 'INSS', quality: 'NURSE' };
const small: BoxAddress = { id: '10000232', type: 'NIHII', quality: 'DOCTOR' };

/** A directory of four boxes; `small` has a tiny quota. */
function directory(): BoxDirectory {
  const boxes = [hospital, doctor, nurse, small];
  return {
    resolve(a) {
      if (!['NIHII', 'INSS', 'CBE', 'EHP'].includes(a.type)) return { ok: false, code: Codes.INVALID_TYPE, message: 'type' };
      const b = boxes.find((x) => boxKey(x) === boxKey(a));
      if (!b) return { ok: false, code: Codes.INVALID_DESTINATION, message: 'unknown' };
      return { ok: true, address: b, key: boxKey(b), person: b.quality !== 'HOSPITAL' };
    },
    boxesWithQuality: (a) => boxes.filter((b) => b.quality === a.quality),
    maxSize: (key) => (key === boxKey(small) ? 1500 : 1e9),
    senderInfo: (a) => ({ ...a, name: `Name of ${a.id}` }),
  };
}

function makeCtx(journalFile?: string, now = () => new Date('2026-11-25T10:00:00Z')) {
  const store = new EhboxStore();
  const journal = journalFile ? new Journal<EhboxEvent>(journalFile, 'os') : undefined;
  if (journal) for (const e of journal.load()) store.apply(e);
  return new EhboxContext(store, new BlobArea(), directory(), journal, now);
}

const digest = (b: Uint8Array) => crypto.createHash('sha256').update(b).digest('base64');

function message(to: Destination[], over: Partial<PublicationInput> = {}): PublicationInput {
  const doc = Buffer.from('sealed document bytes');
  return {
    destinations: to,
    document: { title: 'Letter', content: { bytes: doc, binary: true }, downloadFileName: 'l.pdf', mimeType: 'application/pdf', digest: digest(doc) },
    annexes: [],
    contentSpecification: { contentType: 'DOCUMENT', isImportant: false, isEncrypted: true, publicationReceipt: true, receivedReceipt: true, readReceipt: true },
    customMetas: [],
    metas: [],
    copyMailTo: [],
    ...over,
  };
}

const spec = message([]).contentSpecification;
const as = (a: BoxAddress) => ({ boxes: [a] });

describe('sandbox eHealthBox domain', () => {
  it('delivers to each destination, keeps a sent copy and tracks PUBLISHED → RECEIVED → READ', () => {
    const ctx = makeCtx();
    const r = publish(ctx, as(hospital), message([doctor, nurse], { publicationId: 'P1' }));
    expect(r.code).toBe('100');
    if (r.code !== '100') return;
    expect(r.messageId).toMatch(/^\d{13}$/);
    expect(listMessages(ctx, as(hospital), { source: 'SENTBOX', start: 1, end: 100 }).map((x) => x.message.messageId)).toEqual([r.messageId]);
    let rows = acknowledgmentsStatus(ctx, as(hospital), { messageId: r.messageId, start: 1, end: 100 });
    expect(rows).toHaveLength(2);
    expect(rows.every((x) => x.published && !x.received && !x.read)).toBe(true);

    const listed = listMessages(ctx, as(doctor), { source: 'INBOX', start: 1, end: 100 });
    expect(listed.map((x) => x.message.messageId)).toEqual([r.messageId]);
    fullMessage(ctx, as(nurse), { source: 'INBOX', messageId: r.messageId });
    rows = acknowledgmentsStatus(ctx, as(hospital), { messageId: r.messageId, start: 1, end: 100 });
    const byId = new Map(rows.map((x) => [x.recipient.id, x]));
    expect(byId.get(doctor.id)?.received).toBeDefined();
    expect(byId.get(doctor.id)?.read).toBeUndefined();
    expect(byId.get(nurse.id)?.read).toBeDefined();
    // acknowledgments in the sender's inbox: 2 PUBLISHED + doctor RECEIVED + nurse RECEIVED + nurse READ
    const acks = listMessages(ctx, as(hospital), { source: 'INBOX', start: 1, end: 100 }).filter((x) => x.message.contentType === 'ACKNOWLEDGMENT');
    expect(acks.map((a) => a.message.acknowledgment?.ackType).sort()).toEqual(['PUBLISHED', 'PUBLISHED', 'READ', 'RECEIVED', 'RECEIVED']);
  });

  it('refuses bad digests (816), oversize (801), unknown destinations (802) and reused DOCUMENT ids (820)', () => {
    const ctx = makeCtx();
    const bad = message([doctor]);
    bad.document.digest = digest(Buffer.from('other'));
    expect(() => publish(ctx, as(hospital), bad)).toThrow(expect.objectContaining({ code: '816' }));
    const big = Buffer.alloc(10 * 1024 * 1024 + 1);
    expect(() => publish(ctx, as(hospital), message([doctor], { document: { ...message([]).document, content: { bytes: big, binary: true }, digest: digest(big) } }))).toThrow(
      expect.objectContaining({ code: '801' }),
    );
    expect(() => publish(ctx, as(hospital), message([{ ...doctor, id: '99999999' }]))).toThrow(expect.objectContaining({ code: '802' }));
    expect(() => publish(ctx, as(hospital), message([{ ...doctor, type: 'XYZ' }]))).toThrow(expect.objectContaining({ code: '804' }));
    expect(publish(ctx, as(hospital), message([doctor], { publicationId: 'DUP' })).code).toBe('100');
    expect(() => publish(ctx, as(hospital), message([doctor], { publicationId: 'DUP' }))).toThrow(expect.objectContaining({ code: '820' }));
    // the failed attempts published nothing
    expect(listMessages(ctx, as(doctor), { source: 'INBOX', start: 1, end: 100 })).toHaveLength(1);
  });

  it('replaces a NEWS item published again with the same id', () => {
    const ctx = makeCtx();
    publish(ctx, as(hospital), message([doctor], { publicationId: 'N1', contentSpecification: { ...spec, contentType: 'NEWS' } }));
    const second = publish(ctx, as(hospital), message([doctor], { publicationId: 'N1', contentSpecification: { ...spec, contentType: 'NEWS' } }));
    const inbox = listMessages(ctx, as(doctor), { source: 'INBOX', start: 1, end: 100 });
    expect(inbox.map((x) => x.message.messageId)).toEqual([second.code === '100' ? second.messageId : '']);
  });

  it('answers 826 with substitutes for an absent recipient and publishes with OoOProcessed', () => {
    const ctx = makeCtx();
    insertOoO(ctx, as(doctor), { startDate: '2026-11-20', endDate: '2026-12-05', substitutes: [nurse] });
    expect(listOoO(ctx, as(doctor), {})).toHaveLength(1);
    const r = publish(ctx, as(hospital), message([doctor]));
    expect(r.code).toBe('826');
    if (r.code !== '826') return;
    expect(r.absent[0]?.substitutes.map((s) => s.id)).toEqual([nurse.id]);
    expect(listMessages(ctx, as(doctor), { source: 'INBOX', start: 1, end: 100 })).toHaveLength(0);
    const again = publish(ctx, as(hospital), message([{ ...doctor, oooProcessed: true }, nurse]));
    expect(again.code).toBe('100');
    expect(() => insertOoO(ctx, as(doctor), { startDate: '2026-12-01', endDate: '2026-12-10', substitutes: [] })).toThrow(expect.objectContaining({ code: '841' }));
    expect(() => insertOoO(ctx, as(nurse), { startDate: '2026-12-01', endDate: '2026-12-10', substitutes: [hospital] })).toThrow(expect.objectContaining({ code: '844' }));
  });

  it('enforces folder rules, the 100 limit, and stand-by when a box is full', () => {
    const ctx = makeCtx();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const doc = Buffer.alloc(600, i);
      const r = publish(ctx, as(hospital), message([small], {
        contentSpecification: { ...spec, publicationReceipt: false, receivedReceipt: false, readReceipt: false },
        document: { ...message([]).document, content: { bytes: doc, binary: true }, digest: digest(doc) },
      }));
      if (r.code === '100') ids.push(r.messageId);
    }
    expect(boxInfo(ctx, as(small)).nbrMessagesInStandBy).toBe(1);
    expect(boxInfo(ctx, as(small)).currentSize).toBe(1200);
    expect(() => moveMessages(ctx, as(small), { source: 'INBOX', destination: 'SENTBOX', messageIds: [ids[0]!] })).toThrow(expect.objectContaining({ code: '832' }));
    expect(() => listMessages(ctx, as(small), { source: 'INBOX', start: 1, end: 101 })).toThrow(expect.objectContaining({ code: '830' }));
    const visible = listMessages(ctx, as(small), { source: 'INBOX', start: 1, end: 100 }).map((x) => x.message.messageId);
    expect(moveMessages(ctx, as(small), { source: 'INBOX', destination: 'BININBOX', messageIds: [visible[0]!, '0000000000009'] })).toEqual(['0000000000009']);
    expect(deleteMessages(ctx, as(small), { source: 'BININBOX', messageIds: [visible[0]!] })).toEqual([]);
    expect(boxInfo(ctx, as(small)).nbrMessagesInStandBy).toBe(0);
    expect(listMessages(ctx, as(small), { source: 'INBOX', start: 1, end: 100 })).toHaveLength(2);
    expect(() => boxInfo(ctx, as(small), hospital)).toThrow(expect.objectContaining({ code: '810' }));
  });

  it('rebuilds the same state from its journal', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ehbox-journal-'));
    const file = path.join(dir, 'ehbox.jsonl');
    const a = makeCtx(file);
    const r = publish(a, as(hospital), message([doctor, nurse]));
    listMessages(a, as(doctor), { source: 'INBOX', start: 1, end: 100 });
    insertOoO(a, as(nurse), { startDate: '2026-12-01', endDate: '2026-12-10', substitutes: [] });
    a.journal?.close();
    const b = makeCtx(file);
    expect(b.store.snapshot()).toEqual(a.store.snapshot());
    const next = publish(b, as(hospital), message([doctor]));
    expect(next.code === '100' && r.code === '100' && Number(next.messageId) > Number(r.messageId)).toBe(true);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
