/**
 * Conformance of the eHealthBox client, sending side (sendPlain: prepare once,
 * seal per field) and reading side (unsealMessage: per-field verdicts),
 * parameterised by target. The suite only writes to the identity's own box
 * (it sends to itself), so it is safe to run against acceptance.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendPlain } from '../../src/ehbox/plain-sender.ts';
import { unsealMessage, type UnsealedMessage } from '../../src/ehbox/message-unsealer.ts';
import { expectSameContent, sampleMessage } from './helpers/sample-message.ts';
import type { EhealthClients } from '../../src/ehealth/ehealth-clients.ts';
import { conformanceTargets, type ConformanceTarget, type TargetFactory } from './helpers/conformance-target.ts';

const EHBOX_OPS = ['sendMessage', 'getMessagesList', 'getFullMessage', 'getBoxInfo', 'moveMessage', 'deleteMessage', 'insertOoO', 'getOoOList', 'deleteOoO'];
/** How long acceptance may take to deliver a receipt. */
const RECEIPT_WAIT_MS = 20_000;

const publicationId = () => crypto.randomBytes(8).toString('hex').slice(0, 13);

/** The eHealthBox suite against one target. */
export function describeEhboxConformance(factory: TargetFactory): void {
  describe(`eHealthBox client conformance (${factory.name})`, () => {
    let t: ConformanceTarget;
    let c: EhealthClients;
    let messageId: string;
    const sent = sampleMessage(crypto.randomUUID().slice(0, 8));
    const read = (source: 'INBOX' | 'SENTBOX', id: string) =>
      c.ehbox.getFullMessage({ source, messageId: id }).then((r) => unsealMessage(r.fullMessage!, { credentials: t.keystore, trustAnchorsDer: t.trustAnchorsDer }));

    beforeAll(async () => {
      t = await factory.create();
      c = t.clients();
    });
    afterAll(async () => {
      await t?.close();
    });

    it('seals every field for the destination and the sender, and publishes', async () => {
      const own = await c.ownEtks();
      const pubId = publicationId();
      const res = await sendPlain(c.ehbox, { message: sent, destinations: [{ address: c.ownBox, etks: own }], senderEtks: own, receipts: { published: true, received: true, read: true }, publicationId: () => pubId });
      expect(res.results).toHaveLength(1);
      const out = res.results[0]!.outcome;
      expect(out.status).toBe('published');
      if (out.status !== 'published') return;
      expect(out.publicationId).toBe(pubId);
      messageId = out.messageId;
    });

    it('lists the message in the INBOX, flagged encrypted, plaintext nowhere in the listing', async () => {
      const list = await c.ehbox.getMessagesList({ source: 'INBOX', startIndex: 1, endIndex: 100 });
      const item = list.list!.messages.find((m) => m.messageId === messageId);
      expect(item?.contentSpecification.isEncrypted).toBe(true);
      expect(item?.contentInfo?.title).toBe(sent.title);
      expect(JSON.stringify(item)).not.toContain(sent.freeText!);
    });

    it('reads the message back: every field unsealed and verified', async () => {
      const u = await read('INBOX', messageId);
      expectSameContent(u, sent);
      expect(u.fields.map((f) => f.field)).toEqual(['document', 'freeText', 'patientInss', 'annex[0].title', 'annex[0].content', 'annex[1].title', 'annex[1].content']);
      expect(u.fields.filter((f) => f.status === 'verified')).toHaveLength(6);
      expect(u.fields.find((f) => f.field === 'annex[1].content')?.status).toBe('plain');
      expect(u.verdict.signer?.subject).toContain(c.identity.id);
    });

    it('reads the sender’s copy in the SENTBOX', async () => {
      const list = await c.ehbox.getMessagesList({ source: 'SENTBOX' });
      const copy = list.list!.messages.find((m) => m.contentInfo?.title === sent.title);
      expect(copy).toBeDefined();
      expectSameContent(await read('SENTBOX', copy!.messageId), sent);
    });

    it('reports receipts, and delivers the platform’s acknowledgment as a typed notice', async () => {
      const status = await c.ehbox.getMessageAcknowledgmentsStatus({ messageId });
      expect(status.rows.length).toBeGreaterThanOrEqual(1);
      expect(status.rows[0]!.published).toBeDefined();
      const deadline = Date.now() + RECEIPT_WAIT_MS;
      let notice: UnsealedMessage['notice'];
      while (!notice && Date.now() < deadline) {
        const list = await c.ehbox.getMessagesList({ source: 'INBOX' });
        for (const m of list.list!.messages.filter((x) => x.contentSpecification.contentType === 'ACKNOWLEDGMENT')) {
          const u = await read('INBOX', m.messageId);
          if (u.notice?.kind === 'acknowledgment' && u.notice.messageId === messageId) notice = u.notice;
        }
        if (!notice) await new Promise((r) => setTimeout(r, 500));
      }
      expect(notice).toMatchObject({ kind: 'acknowledgment', messageId });
    });

    it('moves the message to the bin and back, then deletes it', async () => {
      await c.ehbox.moveMessage({ source: 'INBOX', destination: 'BININBOX', messageIds: [messageId] });
      const bin = await c.ehbox.getMessagesList({ source: 'BININBOX' });
      expect(bin.list!.messages.some((m) => m.messageId === messageId)).toBe(true);
      await c.ehbox.moveMessage({ source: 'BININBOX', destination: 'INBOX', messageIds: [messageId] });
      await c.ehbox.deleteMessage({ source: 'INBOX', messageIds: [messageId] });
      const inbox = await c.ehbox.getMessagesList({ source: 'INBOX' });
      expect(inbox.list!.messages.some((m) => m.messageId === messageId)).toBe(false);
    });

    it('answers getBoxInfo for the identity’s own box', async () => {
      const info = await c.ehbox.getBoxInfo();
      expect(info.boxInfo?.boxId).toMatchObject({ id: c.ownBox.id, type: c.ownBox.type, quality: c.ownBox.quality });
      expect(info.boxInfo!.maxSize).toBeGreaterThan(0);
    });

    it('declares, lists and deletes an Out-of-Office period', async () => {
      const day = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
      const [from, to] = [day(200), day(205)];
      await c.ehbox.insertOoO({ startDate: from, endDate: to, substitutes: [] });
      const listed = (await c.ehbox.getOoOList()).periods.find((p) => p.startDate === from && p.endDate === to);
      expect(listed).toBeDefined();
      const res = await c.ehbox.deleteOoO({ oooIds: [listed!.oooId] });
      expect(res.oooIds).toEqual([]);
      expect((await c.ehbox.getOoOList()).periods.some((p) => p.oooId === listed!.oooId)).toBe(false);
    });

    it('emitted only schema-valid requests (SwA included)', async () => {
      for (const op of EHBOX_OPS) expect(t.proxy.count(op), op).toBeGreaterThan(0);
      expect(await t.proxy.invalidRequests()).toEqual([]);
    });
  });
}

for (const factory of conformanceTargets()) describeEhboxConformance(factory);
