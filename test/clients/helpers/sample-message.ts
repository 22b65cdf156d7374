/** A fictitious message with every encryptable field, and the check that a read-back copy carries exactly it. */
import { expect } from 'vitest';
import type { PlainMessage } from '../../../src/ehbox/message-sealer.ts';
import type { UnsealedMessage } from '../../../src/ehbox/message-unsealer.ts';

/** A fictitious letter with every kind of encryptable field. */
export function sampleMessage(tag: string): PlainMessage {
  return {
    title: `Conformance ${tag}`,
    document: { filename: 'letter.txt', mimeType: 'text/plain', content: new Uint8Array(Buffer.from(`Discharge letter ${tag} for a fictitious patient.`)) },
    freeText: `Free text ${tag} — accents éèà`,
    patientInss: '00000000097',
    annexes: [
      { title: `Lab ${tag}`, filename: 'lab.txt', mimeType: 'text/plain', content: new Uint8Array(Buffer.from(`lab results ${tag}`)) },
      { title: 'Empty annex', filename: 'empty.txt', mimeType: 'text/plain', content: new Uint8Array(0) },
    ],
  };
}

/** Checks that an unsealed message carries exactly the plaintext that was sent. */
export function expectSameContent(u: UnsealedMessage, sent: PlainMessage): void {
  expect(u.verdict.ok).toBe(true);
  expect(u.verdict.flagged).toBe(false);
  expect(u.title).toBe(sent.title);
  expect(Buffer.from(u.document.value!).equals(Buffer.from(sent.document.content))).toBe(true);
  expect(u.document.filename).toBe(sent.document.filename);
  expect(u.freeText?.value).toBe(sent.freeText);
  expect(u.patientInss?.value).toBe(sent.patientInss);
  expect(u.annexes.map((a) => a.title.value)).toEqual(sent.annexes.map((a) => a.title));
  expect(u.annexes.map((a) => Buffer.from(a.content.value!).toString('hex'))).toEqual(sent.annexes.map((a) => Buffer.from(a.content).toString('hex')));
}

