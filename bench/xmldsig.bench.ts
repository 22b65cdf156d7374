/**
 * XML-Signature benchmark (`node --import tsx bench/xmldsig.bench.ts`):
 * ms per WS-Security sign and verify (SAML HOK and X.509 BST) for an
 * envelope of about 12 KB, and per SAML assertion check, so that changes to
 * src/soap/dsig.ts can be measured before/after.
 */
import { X509Certificate } from 'node:crypto';
import type { Element } from '@xmldom/xmldom';
import { NS } from '../src/soap/namespaces.ts';
import { signAssertion, signWithSamlHok, signWithX509Bst, verifyAssertionSignature, verifyWsSecurity } from '../src/soap/wssec.ts';
import { makeAssertionXml } from '../test/soap/helpers/saml-fixture.ts';
import { makeTestCredential } from '../test/soap/helpers/test-pki.ts';

/** How long each operation is measured. */
const MEASURE_MS = 1500;
/** Body entries: ~12 KB envelope, the size measured in the sandbox. */
const BODY_ENTRIES = 90;
const NOW = new Date('2030-03-01T10:00:00.000Z');

function msEach(fn: () => unknown): number {
  for (let i = 0; i < 30; i++) fn();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < MEASURE_MS) {
    fn();
    n++;
  }
  return (performance.now() - start) / n;
}

const sts = makeTestCredential('Bench STS');
const doctor = makeTestCredential('Bench Doctor');
const assertion = signAssertion(
  makeAssertionXml({ assertionId: 'bench-assertion', holderCertDer: doctor.certDer, notBefore: new Date(NOW.getTime() - 3600_000), notOnOrAfter: new Date(NOW.getTime() + 3600_000) }),
  sts.privateKey,
  sts.certDer,
);
const entries = Array.from({ length: BODY_ENTRIES }, (_, i) => `<Message><Id>msg-${i}</Id><Subject>Fictitious subject ${i}</Subject></Message>`).join('');
const body = `<ns:GetMessagesListResponse xmlns:ns="${NS.ehboxConsultation}">${entries}</ns:GetMessagesListResponse>`;
const hokKey = new X509Certificate(doctor.certDer).publicKey;
const resolveAssertionKey = (el: Element) => (verifyAssertionSignature(el, [sts.certDer]).ok ? hokKey : undefined);

const hok = signWithSamlHok({ body, assertionXml: assertion, privateKey: doctor.privateKey, now: NOW });
const bst = signWithX509Bst({ body, certificateDer: doctor.certDer, privateKey: doctor.privateKey, now: NOW });
if (!verifyWsSecurity(hok, { resolveAssertionKey, now: NOW }).ok || !verifyWsSecurity(bst, { now: NOW }).ok) throw new Error('bench fixtures do not verify');

const results = {
  envelopeBytes: Buffer.byteLength(hok),
  signHokMs: msEach(() => signWithSamlHok({ body, assertionXml: assertion, privateKey: doctor.privateKey, now: NOW })),
  signBstMs: msEach(() => signWithX509Bst({ body, certificateDer: doctor.certDer, privateKey: doctor.privateKey, now: NOW })),
  verifyHokMs: msEach(() => verifyWsSecurity(hok, { resolveAssertionKey, now: NOW })),
  verifyBstMs: msEach(() => verifyWsSecurity(bst, { now: NOW })),
  verifyAssertionMs: msEach(() => verifyAssertionSignature(assertion, [sts.certDer])),
};
for (const [k, v] of Object.entries(results)) console.log(`${k.padEnd(18)} ${k === 'envelopeBytes' ? v : v.toFixed(3)}`);
