/**
 * Test actors for the sandbox integration suite: a seeded party with its
 * keystore, an STS-backed EhealthSession and the real clients (ehBox,
 * Addressbook, ETK Depot), plus helpers to seal a plaintext message for a
 * set of recipients with ETKs fetched from the sandbox ETK Depot and to
 * unseal what comes back.
 */
import type { Sandbox } from '../../../src/sandbox/sandbox.ts';
import type { Party } from '../../../src/sandbox/directory/party.ts';
import type { Keystore } from '../../../src/crypto/types.ts';
import { StsClient } from '../../../src/sts/sts-client.ts';
import { EhealthSession, endpointsAt } from '../../../src/ehealth/session.ts';
import { EhboxClient } from '../../../src/ehbox/ehbox-client.ts';
import { AddressbookClient } from '../../../src/addressbook/addressbook-client.ts';
import { EtkDepotClient } from '../../../src/etkdepot/etk-depot-client.ts';
import { prepareMessage, sealPrepared, type PlainMessage } from '../../../src/ehbox/message-sealer.ts';
import { unseal } from '../../../src/crypto/unseal.ts';
import type { PublicationDestination, SendMessageRequest } from '../../../src/ehbox/wire/messages.ts';
import type { EtkIdentifier } from '../../../src/etkdepot/wire/types.ts';
import { keystoreOf, partyWith } from '../../helpers/sandbox.ts';

/** Per-call timeout of the suite's clients. */
export const CALL_TIMEOUT_MS = 15_000;

/** A party acting over real HTTP. */
export interface Actor {
  party: Party;
  keystore: Keystore;
  session: EhealthSession;
  ehbox: EhboxClient;
  addressbook: AddressbookClient;
}

const stsBySandbox = new WeakMap<Sandbox, StsClient>();

/** One STS client per sandbox (tokens are cached per keystore and quality). */
export function stsOf(sandbox: Sandbox): StsClient {
  let sts = stsBySandbox.get(sandbox);
  if (!sts) {
    sts = new StsClient({ url: endpointsAt(sandbox.url).sts, timeoutMs: CALL_TIMEOUT_MS });
    stsBySandbox.set(sandbox, sts);
  }
  return sts;
}

/** The party named `name` acting in its own quality (or `quality`). */
export function actor(sandbox: Sandbox, name: string, quality?: string): Actor {
  const party = sandbox.directory.party(name);
  if (!party) throw new Error(`no party ${name}`);
  const keystore = keystoreOf(sandbox, name);
  const session = new EhealthSession(keystore, quality ?? party.quality.toLowerCase(), stsOf(sandbox), CALL_TIMEOUT_MS);
  const endpoints = endpointsAt(sandbox.url);
  return { party, keystore, session, ehbox: new EhboxClient(session, endpoints), addressbook: new AddressbookClient(session, endpoints) };
}

/** Trust anchors of the sandbox PKI (issuing + root), DER. */
export function sandboxAnchors(sandbox: Sandbox): Uint8Array[] {
  return [sandbox.material.ca.issuing.der, sandbox.material.ca.root.der];
}

/** An ETK Depot client trusting the sandbox CA. */
export function etkDepot(sandbox: Sandbox, now?: () => Date): EtkDepotClient {
  return new EtkDepotClient({ url: endpointsAt(sandbox.url).etkDepot, timeoutMs: CALL_TIMEOUT_MS, trustAnchorsDer: sandboxAnchors(sandbox), ...(now ? { now } : {}) });
}

/** How the ETK Depot knows a party (its certificate identity). */
export function etkIdOf(p: Party): EtkIdentifier {
  return { type: p.certIdentity.type, value: p.certIdentity.id };
}

/** Publication flags with every receipt off unless asked. */
export function contentSpec(over: Partial<SendMessageRequest['contentSpecification']> = {}): SendMessageRequest['contentSpecification'] {
  return { contentType: 'DOCUMENT', isImportant: false, isEncrypted: true, publicationReceipt: false, receivedReceipt: false, readReceipt: false, ...over };
}

/**
 * Seals `plain` for the recipients' ETKs (fetched from the sandbox ETK Depot)
 * plus the sender's own, and builds the SendMessageRequest.
 */
export async function sealedRequest(
  sandbox: Sandbox,
  sender: Actor,
  to: { party: Party; destination?: PublicationDestination }[],
  plain: PlainMessage,
  over: Partial<SendMessageRequest> = {},
): Promise<SendMessageRequest> {
  const depot = etkDepot(sandbox);
  const etks = await Promise.all([...to.map((t) => t.party), sender.party].map(async (p) => (await depot.getEtks(etkIdOf(p)))[0]!.encryptionCertDer));
  const prepared = prepareMessage(plain, { encrypted: true, sender: sender.keystore.authentication });
  return {
    destinations: to.map((t) => t.destination ?? { ...t.party.boxes[0]! }),
    ...sealPrepared(prepared, etks),
    contentSpecification: contentSpec(),
    customMetas: [],
    metas: [],
    copyMailTo: [],
    ...over,
  };
}

/** An unencrypted request carrying `bytes` as the document (for size and encoding tests). */
export function plainRequest(to: PublicationDestination[], bytes: Uint8Array, over: Partial<SendMessageRequest> = {}): SendMessageRequest {
  const prepared = prepareMessage({ title: 'Plain note', document: { filename: 'note.txt', mimeType: 'text/plain', content: bytes }, annexes: [] }, { encrypted: false });
  return {
    destinations: to,
    ...sealPrepared(prepared, []),
    contentSpecification: contentSpec({ isEncrypted: false }),
    customMetas: [],
    metas: [],
    copyMailTo: [],
    ...over,
  };
}

/** Unseals one field with a keystore; fails the test on any verdict error. */
export function open(sandbox: Sandbox, keystore: Keystore, blob: Uint8Array): string {
  const { content, verdict } = unseal(blob, { credentials: keystore.entries, trustAnchors: sandboxAnchors(sandbox) });
  if (!content || !verdict.ok) throw new Error(`unseal failed: ${verdict.reason ?? 'no content'}`);
  return Buffer.from(content).toString('utf8');
}

/** Admin API call (JSON in and out). */
export async function admin(sandbox: Sandbox, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${sandbox.url}/_sandbox${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined };
}

/** The three actors most tests use: the first hospital, a doctor and a nurse outside any ward. */
export function standardActors(sandbox: Sandbox): { hospital: Actor; doctor: Actor; nurse: Actor } {
  return {
    hospital: actor(sandbox, partyWith(sandbox, 'HOSPITAL').name),
    doctor: actor(sandbox, partyWith(sandbox, 'DOCTOR').name),
    nurse: actor(sandbox, partyWith(sandbox, 'NURSE', (p) => !p.workplace).name),
  };
}
