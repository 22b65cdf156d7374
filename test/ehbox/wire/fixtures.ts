/**
 * Fictitious ehBox data for the wire codec tests: every optional field set
 * in the "full" variants, none in the "minimal" ones. Identifiers, names and
 * contents are invented.
 */
import type { BoxAddress, EhboxIdentifier, SendMessageRequest, SendMessageResponse, WireStatus } from '../../../src/ehbox/wire/messages.ts';
import type { ConsultationMessage, FullMessage, MessageListItem } from '../../../src/ehbox/wire/consultation-messages.ts';
import type { SenderInfo } from '../../../src/ehbox/wire/types.ts';

const enc = new TextEncoder();
/** UTF-8 bytes of a string. */
export const bytes = (s: string): Uint8Array => enc.encode(s);

export const hospitalBox: BoxAddress = { id: '71000436', type: 'NIHII', subType: 'HOSPITAL', quality: 'HOSPITAL' };
export const doctorBox: BoxAddress = { id: '10000133', type: 'NIHII', quality: 'DOCTOR' };
export const nurse: EhboxIdentifier = { id: '85073003328', type: 'INSS', quality: 'NURSE' };
export const doctorInHospital: EhboxIdentifier = {
  ...hospitalBox,
  user: { inss: '79021802145', firstName: 'Alice', lastName: 'Testeur & Fils' },
};
export const sender: SenderInfo = { ...hospitalBox, name: 'Hôpital Fictif <Test>', firstName: 'Bob', personInOrganisation: '79021802145' };

export const ok: WireStatus = { code: '100', messages: [{ value: 'SUCCESS', lang: 'EN' }] };
export const failed = (code: string): WireStatus => ({
  code,
  messages: [
    { value: 'Erreur de test', lang: 'FR' },
    { value: 'Testfout', lang: 'NL' },
    { value: 'no language' },
  ],
});

/** Every field of SendMessageRequest set, binary document, table free information. */
export function fullSendRequest(): SendMessageRequest {
  return {
    publicationId: 'PUB-0001',
    boxId: hospitalBox,
    destinations: [
      { ...doctorInHospital, mandate: { id: '0206653946', type: 'CBE', subType: 'X', name: 'Mandataire' }, oooProcessed: true },
      { ...doctorBox, oooProcessed: false },
      nurse,
    ],
    document: {
      title: 'Lettre de sortie — "test" & <co>',
      content: { bytes: new Uint8Array([0, 1, 2, 250, 255]), binary: true },
      downloadFileName: 'sortie.pdf',
      mimeType: 'application/pdf',
      digest: 'q5ZkO9vTZo2A9MbX0mJx0bL2fA9pHk8xh6uQq0qVQ3k=',
    },
    freeInformations: { kind: 'table', title: 'Résumé', rows: [{ left: bytes('Poids'), right: bytes('70 kg') }, { left: bytes(''), right: bytes('x') }] },
    inssPatient: bytes('00010100173'),
    annexes: [
      { title: bytes('annexe 1'), content: { bytes: bytes('%PDF-1.4 fake'), binary: true }, downloadFileName: 'a1.pdf', mimeType: 'application/pdf', digest: 'abc=' },
      { title: bytes('annexe 2'), content: { bytes: bytes('plain text annex'), binary: false }, downloadFileName: 'a2.txt', mimeType: 'text/plain', digest: 'def=' },
    ],
    contentSpecification: {
      applicationName: 'ehbox-bridge-test',
      contentType: 'DOCUMENT',
      isImportant: true,
      isEncrypted: false,
      publicationReceipt: true,
      receivedReceipt: false,
      readReceipt: true,
    },
    customMetas: [
      { key: 'CM-Patient', value: 'fictif' },
      { key: 'k2', value: 'v2' },
    ],
    metas: [{ type: 'urn:test:meta', values: ['one', 'two'] }],
    copyMailTo: ['alice@example.org', 'bob@example.org'],
  };
}

/** Only the required fields of SendMessageRequest, inline text document. */
export function minimalSendRequest(): SendMessageRequest {
  return {
    destinations: [doctorBox],
    document: { title: 'T', content: { bytes: bytes('hello'), binary: false }, downloadFileName: 'h.txt', mimeType: 'text/plain', digest: 'x' },
    annexes: [],
    contentSpecification: { contentType: 'NEWS', isImportant: false, isEncrypted: true, publicationReceipt: false, receivedReceipt: false, readReceipt: false },
    customMetas: [],
    metas: [],
    copyMailTo: [],
  };
}

/** An Out-of-Office (826) answer: absent recipients with and without substitutes. */
export function oooSendResponse(): SendMessageResponse {
  return {
    id: 'ID-826',
    status: { code: '826', messages: [{ value: 'At least one recipient is absent', lang: 'EN' }] },
    sentPublicationId: 'PUB-0001',
    recipients: [
      { ...doctorBox, absence: { absentFrom: '2026-12-01', absentTo: '2026-12-24', substitutes: [nurse, doctorInHospital] } },
      { ...nurse, absence: { absentFrom: '2026-12-02', absentTo: '2026-12-03', substitutes: [] } },
      doctorInHospital,
    ],
  };
}

/** A list item with every optional field. */
export function listItem(messageId: string, withInfo = true): MessageListItem {
  return {
    messageId,
    destination: doctorInHospital,
    sender,
    messageInfo: { publicationDate: '2026-11-20', expirationDate: '2027-11-20', size: '12345' },
    ...(withInfo ? { contentInfo: { inssPatient: bytes('sealed-inss'), title: 'Résultats labo', mimeType: 'application/pdf', hasFreeInformations: true, hasAnnex: false } } : {}),
    contentSpecification: withInfo ? { applicationName: 'lab', contentType: 'DOCUMENT', isImportant: false, isEncrypted: true } : { contentType: 'NEWS', isImportant: true, isEncrypted: false },
    customMetas: withInfo ? Array.from({ length: 101 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) : [],
  };
}

function baseMessage(): ConsultationMessage {
  return {
    messageId: '1000010173227',
    publicationId: 'PUB-0001',
    destinations: [{ ...doctorInHospital, mandate: { id: '0206653946', type: 'CBE' } }, doctorBox],
    document: { title: 'Lettre', content: { bytes: bytes('sealed document bytes'), binary: true }, downloadFileName: 'l.pdf', mimeType: 'application/pdf' },
    freeInformations: { kind: 'text', text: bytes('free text') },
    inssPatient: bytes('sealed-inss'),
    annexes: [
      { title: bytes('t1'), content: { bytes: new Uint8Array(300).map((_, i) => i % 256), binary: true }, downloadFileName: 'b.bin', mimeType: 'application/octet-stream' },
      { title: bytes('t2'), content: { bytes: bytes('inline'), binary: false }, downloadFileName: 'i.txt', mimeType: 'text/plain' },
    ],
    contentSpecification: { applicationName: 'app', contentType: 'DOCUMENT', isImportant: true, isEncrypted: true },
    customMetas: [{ key: 'a', value: 'b' }],
    metas: [{ type: 'm', values: ['v'] }],
    copyMailTo: ['c@example.org'],
  };
}

/** Full messages of the four kinds (document, acknowledgment, error with destinations, error with failures). */
export function fullMessages(): Record<string, FullMessage> {
  const info = { publicationDate: '2026-11-20', expirationDate: '2027-11-20', size: '2048' };
  const ack: ConsultationMessage = {
    destinations: [doctorBox],
    document: { title: 'ack', content: { bytes: bytes(''), binary: false }, downloadFileName: 'ack.txt', mimeType: 'text/plain' },
    annexes: [],
    acknowledgment: { messageId: 'ABCDEFGHIJ123', recipient: doctorInHospital, ackType: 'READ', dateTime: '2026-11-21T08:30:00.123+01:00' },
    contentSpecification: { contentType: 'ACKNOWLEDGMENT', isImportant: false, isEncrypted: false },
    customMetas: [],
    metas: [],
    copyMailTo: [],
  };
  const errDest: ConsultationMessage = {
    ...ack,
    acknowledgment: undefined,
    freeInformations: { kind: 'old', value: bytes('<b>old</b>'), render: 'html' },
    error: { code: '802', messages: ['invalid destination', 'second'], destinations: [nurse, doctorInHospital], failures: [], publicationId: 'PUB-9' },
    contentSpecification: { contentType: 'ERROR', isImportant: false, isEncrypted: false },
  };
  delete errDest.acknowledgment;
  const errFail: ConsultationMessage = { ...errDest, error: { code: '999', messages: ['x'], destinations: [], failures: ['f1', 'f2'] } };
  return {
    document: { sender, message: baseMessage(), messageInfo: info },
    acknowledgment: { sender: { ...doctorBox, name: 'eHealth' }, message: ack, messageInfo: info },
    errorDestinations: { sender, message: errDest, messageInfo: info },
    errorFailures: { sender, message: errFail, messageInfo: info },
  };
}
