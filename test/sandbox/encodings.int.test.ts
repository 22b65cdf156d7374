/**
 * How content may travel to the sandbox (inline base64, SOAP-with-Attachments
 * `cid:` parts, XOP/MTOM includes), and asynchronous delivery failures
 * reported to the sender as ERROR messages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.ts';
import { endpointsAt } from '../../src/ehealth/session.ts';
import { EHBOX_CODECS, EHBOX_OPERATIONS } from '../../src/ehbox/wire/operations.ts';
import { buildMultipartRelated } from '../../src/soap/swa.ts';
import { postSoap } from '../../src/soap/http.ts';
import { signWithSamlHok } from '../../src/soap/wssec.ts';
import { NS } from '../../src/soap/namespaces.ts';
import { startTestSandbox } from '../helpers/sandbox.ts';
import { admin, CALL_TIMEOUT_MS, open, plainRequest, sealedRequest, stsOf, type Actor, standardActors } from './helpers/actors.ts';

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

async function fetchDocument(reader: Actor, messageId: string) {
  return (await reader.ehbox.getFullMessage({ source: 'INBOX', messageId })).fullMessage!.message;
}

describe('sandbox content encodings', () => {
  it('accepts inline base64 content (EncryptableTextContent) and answers it inline', async () => {
    const bytes = new Uint8Array(Buffer.from('inline document'));
    const req = plainRequest([{ ...doctor.party.boxes[0]! }], bytes);
    req.document.content.binary = false;
    const encoded = EHBOX_CODECS.sendMessage.encodeRequest(req);
    expect(encoded.attachments).toHaveLength(0);
    expect(encoded.xml).toContain('EncryptableTextContent');
    const r = await hospital.ehbox.send(req);
    expect(r.kind).toBe('published');
    if (r.kind !== 'published') return;
    const m = await fetchDocument(doctor, r.messageId);
    expect(m.document.content.binary).toBe(false);
    expect(Buffer.from(m.document.content.bytes).toString()).toBe('inline document');
  });

  it('accepts sealed SwA attachments (cid: parts) and answers them as parts', async () => {
    const plain = { title: 'SwA', document: { filename: 'a.txt', mimeType: 'text/plain', content: new Uint8Array(Buffer.from('swa body')) }, annexes: [] };
    const req = await sealedRequest(sandbox, hospital, [{ party: nurse.party }], plain);
    const encoded = EHBOX_CODECS.sendMessage.encodeRequest(req);
    expect(encoded.attachments).toHaveLength(1);
    expect(encoded.xml).toMatch(/<EncryptableBinaryContent>cid:/);
    const r = await hospital.ehbox.send(req);
    if (r.kind !== 'published') throw new Error('not published');
    const m = await fetchDocument(nurse, r.messageId);
    expect(m.document.content.binary).toBe(true);
    expect(open(sandbox, nurse.keystore, m.document.content.bytes)).toBe('swa body');
  });

  it('accepts an XOP/MTOM request whose content is an xop:Include of a binary part', async () => {
    const bytes = new Uint8Array(Buffer.from('xop-optimised document \u00e9\u00e8'));
    const req = plainRequest([{ ...doctor.party.boxes[0]! }], bytes);
    req.document.content.binary = false;
    const body = EHBOX_CODECS.sendMessage.encodeRequest(req).xml;
    const token = await stsOf(sandbox).token(hospital.keystore, 'hospital');
    // sign the infoset (base64 inline), then optimise: the signature covers the logical content
    const signed = signWithSamlHok({ body, assertionXml: token.assertionXml, privateKey: hospital.keystore.authentication.privateKey });
    const b64 = Buffer.from(bytes).toString('base64');
    const include = `<xop:Include xmlns:xop="${NS.xop}" href="cid:document%40xop.test"/>`;
    expect(signed).toContain(`>${b64}</`);
    const optimised = signed.replace(`>${b64}</`, `>${include}</`);
    const multipart = buildMultipartRelated({ envelopeXml: optimised, attachments: [{ contentId: 'document@xop.test', data: bytes }], xop: true });
    expect(multipart.contentType).toContain('application/xop+xml');
    const res = await postSoap({ url: endpointsAt(sandbox.url).ehboxPublication, soapAction: EHBOX_OPERATIONS.sendMessage.soapAction, body: multipart, timeoutMs: CALL_TIMEOUT_MS });
    const answer = EHBOX_CODECS.sendMessage.decodeResponse(res.envelope.payload);
    expect(answer.status.code).toBe('100');
    const m = await fetchDocument(doctor, answer.id!);
    expect(Buffer.from(m.document.content.bytes)).toEqual(Buffer.from(bytes));
  });

  it('rejects an SwA reference to a part that is not there', async () => {
    const req = plainRequest([{ ...doctor.party.boxes[0]! }], new Uint8Array(Buffer.from('lost')));
    const encoded = EHBOX_CODECS.sendMessage.encodeRequest(req);
    const token = await stsOf(sandbox).token(hospital.keystore, 'hospital');
    const signed = signWithSamlHok({ body: encoded.xml, assertionXml: token.assertionXml, privateKey: hospital.keystore.authentication.privateKey });
    const multipart = buildMultipartRelated({ envelopeXml: signed, attachments: [{ contentId: 'some-other-part@test', data: new Uint8Array(3) }] });
    await expect(postSoap({ url: endpointsAt(sandbox.url).ehboxPublication, soapAction: EHBOX_OPERATIONS.sendMessage.soapAction, body: multipart, timeoutMs: CALL_TIMEOUT_MS })).rejects.toMatchObject({
      name: 'EhealthSoapFault',
      kind: 'business',
    });
  });
});

describe('sandbox asynchronous delivery failures', () => {
  it('answers 100, delivers to the others, and puts an ERROR message with code, PublicationId and Destination in the sender inbox', async () => {
    const set = await admin(sandbox, 'PUT', '/faults/sendMessage', { deliveryFailure: { code: 'RECIPIENT_BOX_CLOSED', recipients: [nurse.party.boxes[1]!.id] } });
    expect(set.status).toBe(200);
    try {
      const plain = { title: 'Two recipients', document: { filename: 'a.txt', mimeType: 'text/plain', content: new Uint8Array(Buffer.from('hello')) }, annexes: [] };
      const req = await sealedRequest(sandbox, hospital, [{ party: doctor.party }, { party: nurse.party }], plain, { publicationId: 'ASYNC-1' });
      const r = await hospital.ehbox.send(req);
      expect(r.kind).toBe('published');
      if (r.kind !== 'published') return;
      const doctorIds = (await doctor.ehbox.getMessagesList({ source: 'INBOX' })).list!.messages.map((m) => m.messageId);
      expect(doctorIds).toContain(r.messageId);
      const nurseIds = (await nurse.ehbox.getMessagesList({ source: 'INBOX' })).list!.messages.map((m) => m.messageId);
      expect(nurseIds).not.toContain(r.messageId);

      const inbox = (await hospital.ehbox.getMessagesList({ source: 'INBOX' })).list!.messages;
      const errors = inbox.filter((m) => m.contentSpecification.contentType === 'ERROR');
      expect(errors).toHaveLength(1);
      const err = (await hospital.ehbox.getFullMessage({ source: 'INBOX', messageId: errors[0]!.messageId })).fullMessage!.message;
      expect(err.contentSpecification.contentType).toBe('ERROR');
      expect(err.error?.code).toBe('RECIPIENT_BOX_CLOSED');
      expect(err.error?.publicationId).toBe('ASYNC-1');
      expect(err.error?.messages[0]).toMatch(/could not be delivered/);
      expect(err.error?.destinations.map((d) => d.id)).toEqual([nurse.party.boxes[0]!.id]);
      const faults = await admin(sandbox, 'GET', '/faults');
      expect((faults.json as { counts: Record<string, number> }).counts['sendMessage:delivery-failure']).toBeGreaterThanOrEqual(1);
    } finally {
      await admin(sandbox, 'DELETE', '/faults/sendMessage');
    }
    // cleared: delivery works again
    const again = await hospital.ehbox.send(plainRequest([{ ...nurse.party.boxes[0]! }], new Uint8Array(Buffer.from('ok'))));
    if (again.kind !== 'published') throw new Error('not published');
    expect((await nurse.ehbox.getMessagesList({ source: 'INBOX' })).list!.messages.map((m) => m.messageId)).toContain(again.messageId);
  });
});
