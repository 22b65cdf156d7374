/**
 * High-level sending: a plaintext message, its destinations with their ETKs
 * and the sender's own ETK in; per-destination results out. The message is
 * prepared once (one inner signature per content), then sealed per
 * publication: `individual` = one publication per destination (sealed for it
 * plus the sender, so one bad recipient never blocks the others), `shared` =
 * one publication to all (sealed once for every ETK). Out-of-Office (826) is
 * handled by policy: `forward` resends with OoOProcessed and the substitutes
 * as extra destinations, `keep` resends with OoOProcessed only, `fail`
 * reports the absence — in a bounded number of rounds.
 */
import { classifyError } from '../soap/fault.ts';
import type { Credential, Keystore } from '../crypto/types.ts';
import type { EhboxClient } from './ehbox-client.ts';
import { prepareMessageAsync, sealPreparedAsync, type PlainMessage, type PreparedMessage } from './message-sealer.ts';
import type { BoxAddress, CustomMeta, PublicationDestination, RecipientAbsence, SendMessageRequest } from './wire/messages.ts';

/** One publication per destination, or one for all. */
export type DeliveryMode = 'individual' | 'shared';
/** What to do when a recipient is absent (code 826). */
export type OooPolicy = 'forward' | 'keep' | 'fail';

/** sendMessage calls per publication at most: the first one and two Out-of-Office resends (a substitute may be absent too). */
export const MAX_SEND_ROUNDS = 3;
/** Publications in flight at once in individual mode: keeps a large group from flooding the platform. */
export const SEND_CONCURRENCY = 4;

/** Anything that carries an encryption certificate (a ValidEtk does). */
export interface EtkLike {
  encryptionCertDer: Uint8Array;
}

/** A destination and the ETKs its content is sealed for. */
export interface PlainDestination {
  address: BoxAddress & Pick<PublicationDestination, 'user' | 'mandate'>;
  etks: readonly EtkLike[];
}

/** Everything sendPlain needs. */
export interface SendPlainInput {
  message: PlainMessage;
  destinations: readonly PlainDestination[];
  /** The sender's own ETK(s): it must be able to read its SENTBOX. */
  senderEtks: readonly EtkLike[];
  /** Signs the inner layer (default: the session keystore's authentication credential). */
  sender?: Credential | undefined;
  encrypted?: boolean | undefined;
  mode?: DeliveryMode | undefined;
  ooo?: OooPolicy | undefined;
  /** ETKs of a substitute (needed by `forward` for encrypted messages). */
  substituteEtks?: ((address: BoxAddress) => Promise<readonly EtkLike[]>) | undefined;
  /** PublicationId of a publication: its destinations (one in individual mode). */
  publicationId?: ((destinations: readonly BoxAddress[]) => string | undefined) | undefined;
  contentType?: 'DOCUMENT' | 'NEWS' | undefined;
  important?: boolean | undefined;
  receipts?: { published?: boolean; received?: boolean; read?: boolean } | undefined;
  applicationName?: string | undefined;
  customMetas?: CustomMeta[] | undefined;
  copyMailTo?: string[] | undefined;
  /** Publish from another box of the caller. */
  boxId?: BoxAddress | undefined;
  signingTime?: Date | undefined;
}

/** What happened to one destination. */
export type DestinationOutcome =
  | { status: 'published'; messageId: string; publicationId?: string | undefined; oooProcessed: boolean }
  | { status: 'out-of-office'; absence: RecipientAbsence }
  | { status: 'failed'; code: string; message: string; permanent: boolean };

/** What sendPlain needs of the ehBox client (an EhboxClient satisfies it). */
export interface SendingClient {
  send: EhboxClient['send'];
  readonly session: { readonly keystore: Keystore };
}

/** One row of the result: a requested destination, or a substitute added by `forward`. */
export interface DestinationResult {
  destination: BoxAddress;
  /** For substitutes: the absent recipient they stand in for. */
  substituteFor?: BoxAddress | undefined;
  /** When the destination was reported absent (then kept or forwarded). */
  absence?: RecipientAbsence | undefined;
  outcome: DestinationOutcome;
  /** sendMessage calls made for its publication. */
  rounds: number;
}

/** The result of sendPlain. */
export interface SendPlainResult {
  mode: DeliveryMode;
  results: DestinationResult[];
}

/** Bad input that no retry can fix. */
export class SendPlainError extends Error {
  override readonly name = 'SendPlainError';
  readonly permanent = true;
  constructor(
    readonly code: 'SENDER_ETK_MISSING' | 'ENCRYPTED_TO_ALL' | 'NO_DESTINATIONS',
    message: string,
  ) {
    super(message);
  }
}

interface Slot {
  address: PlainDestination['address'];
  etks: readonly EtkLike[];
  oooProcessed: boolean;
  substituteFor?: BoxAddress | undefined;
  absence?: RecipientAbsence | undefined;
  outcome?: DestinationOutcome | undefined;
}

const keyOf = (a: BoxAddress) => `${a.type}/${a.subType ?? ''}/${a.id}/${a.quality}`;
const plainAddress = (a: BoxAddress): BoxAddress => (a.subType === undefined ? { id: a.id, type: a.type, quality: a.quality } : { id: a.id, type: a.type, subType: a.subType, quality: a.quality });

/** Sends a plaintext message; never throws for a destination's failure (it is in its row). */
export async function sendPlain(client: SendingClient, input: SendPlainInput): Promise<SendPlainResult> {
  const encrypted = input.encrypted ?? true;
  const mode = input.mode ?? 'individual';
  if (input.destinations.length === 0) throw new SendPlainError('NO_DESTINATIONS', 'A message needs at least one destination');
  if (encrypted && input.senderEtks.length === 0) throw new SendPlainError('SENDER_ETK_MISSING', "The sender's own ETK is needed to seal (it must read its SENTBOX)");
  if (encrypted && input.destinations.some((d) => d.address.id === 'ALL')) {
    throw new SendPlainError('ENCRYPTED_TO_ALL', 'An encrypted message to Id=ALL would be readable by the sender only');
  }
  const sender = input.sender ?? client.session.keystore.authentication;
  const prepared = await prepareMessageAsync(input.message, { encrypted, sender, ...(input.signingTime ? { signingTime: input.signingTime } : {}) });
  const units = mode === 'shared' ? [input.destinations] : input.destinations.map((d) => [d]);
  const results: DestinationResult[][] = new Array<DestinationResult[]>(units.length);
  let next = 0;
  const worker = async () => {
    while (next < units.length) {
      const i = next++;
      results[i] = await publishUnit(client, input, prepared, units[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(SEND_CONCURRENCY, units.length) }, worker));
  return { mode, results: results.flat() };
}

/** One publication, resent on Out-of-Office according to the policy. */
async function publishUnit(client: SendingClient, input: SendPlainInput, prepared: PreparedMessage, unit: readonly PlainDestination[]): Promise<DestinationResult[]> {
  const policy = input.ooo ?? 'fail';
  const slots: Slot[] = unit.map((d) => ({ address: d.address, etks: d.etks, oooProcessed: false }));
  let rounds = 0;
  for (;;) {
    const live = slots.filter((s) => !s.outcome);
    rounds++;
    const missingEtk = (input.encrypted ?? true) ? live.filter((s) => s.etks.length === 0) : [];
    for (const s of missingEtk) s.outcome = { status: 'failed', code: 'ETK_NOT_FOUND', message: `No ETK for ${keyOf(s.address)}`, permanent: true };
    const sending = live.filter((s) => !s.outcome);
    if (sending.length === 0) break;
    let res;
    try {
      res = await client.send(await buildRequest(input, prepared, sending));
    } catch (err) {
      const failed = failure(err);
      for (const s of sending) s.outcome = failed;
      break;
    }
    if (res.kind === 'published') {
      for (const s of sending) s.outcome = { status: 'published', messageId: res.messageId, publicationId: res.publicationId, oooProcessed: s.oooProcessed };
      break;
    }
    const unattributed = attributeAbsences(sending, res.absent);
    if (policy === 'fail' || rounds >= MAX_SEND_ROUNDS) {
      const why = policy === 'fail' ? 'Not published: a recipient of the publication is absent' : `Recipients still absent after ${rounds} rounds`;
      for (const s of sending) {
        s.outcome = s.absence && !s.oooProcessed ? { status: 'out-of-office', absence: s.absence } : { status: 'failed', code: 'OUT_OF_OFFICE_BLOCKED', message: why, permanent: true };
      }
      break;
    }
    // every recipient in this round has been checked; absent ones are resent with OoOProcessed
    for (const s of sending) if (s.absence || unattributed) s.oooProcessed = true;
    if (policy === 'forward') await addSubstitutes(input, slots, res.absent);
  }
  return slots.map((s) => ({ destination: plainAddress(s.address), substituteFor: s.substituteFor, absence: s.absence, outcome: s.outcome!, rounds }));
}

/** Marks the slots the 826 names; true when some absence matched none (then every slot is marked processed). */
function attributeAbsences(slots: Slot[], absent: readonly { recipient: BoxAddress; absentFrom: string; absentTo: string; substitutes: BoxAddress[] }[]): boolean {
  let unattributed = false;
  for (const a of absent) {
    const absence: RecipientAbsence = { absentFrom: a.absentFrom, absentTo: a.absentTo, substitutes: a.substitutes };
    const match = slots.find((s) => !s.oooProcessed && keyOf(s.address) === keyOf(a.recipient)) ?? slots.find((s) => !s.oooProcessed && s.address.id === a.recipient.id);
    if (match) match.absence = absence;
    else unattributed = true;
  }
  // the platform may echo an alias we did not send: with a single candidate, it is that one
  const open = slots.filter((s) => !s.oooProcessed && !s.absence);
  if (unattributed && open.length === 1 && absent.length === 1) {
    const a = absent[0]!;
    open[0]!.absence = { absentFrom: a.absentFrom, absentTo: a.absentTo, substitutes: a.substitutes };
    return false;
  }
  return unattributed;
}

/** `forward`: each substitute not yet a destination joins the publication, with its ETKs. */
async function addSubstitutes(input: SendPlainInput, slots: Slot[], absent: readonly { recipient: BoxAddress; substitutes: BoxAddress[] }[]): Promise<void> {
  for (const a of absent) {
    const absentSlot = slots.find((s) => keyOf(s.address) === keyOf(a.recipient)) ?? slots.find((s) => s.address.id === a.recipient.id);
    for (const sub of a.substitutes) {
      if (slots.some((s) => keyOf(s.address) === keyOf(sub))) continue;
      const slot: Slot = { address: plainAddress(sub), etks: [], oooProcessed: false, substituteFor: absentSlot ? plainAddress(absentSlot.address) : plainAddress(a.recipient) };
      slots.push(slot);
      if (!(input.encrypted ?? true)) continue;
      try {
        slot.etks = input.substituteEtks ? await input.substituteEtks(sub) : [];
      } catch (err) {
        slot.outcome = failure(err);
      }
    }
  }
}

function failure(err: unknown): DestinationOutcome {
  const code = (err as { code?: unknown } | null)?.code;
  return {
    status: 'failed',
    code: typeof code === 'string' ? code : 'SEND_FAILED',
    message: err instanceof Error ? err.message : String(err),
    permanent: classifyError(err) === 'permanent',
  };
}

async function buildRequest(input: SendPlainInput, prepared: PreparedMessage, slots: readonly Slot[]): Promise<SendMessageRequest> {
  const certs = new Map<string, Uint8Array>();
  if (prepared.encrypted) {
    for (const e of [...slots.flatMap((s) => s.etks), ...input.senderEtks]) certs.set(Buffer.from(e.encryptionCertDer).toString('hex'), e.encryptionCertDer);
  }
  const sealed = await sealPreparedAsync(prepared, [...certs.values()], input.signingTime ? { signingTime: input.signingTime } : {});
  const receipts = input.receipts ?? {};
  return {
    publicationId: input.publicationId?.(slots.map((s) => plainAddress(s.address))),
    boxId: input.boxId,
    destinations: slots.map((s) => ({ ...s.address, ...(s.oooProcessed ? { oooProcessed: true } : {}) })),
    ...sealed,
    contentSpecification: {
      applicationName: input.applicationName,
      contentType: input.contentType ?? 'DOCUMENT',
      isImportant: input.important ?? false,
      isEncrypted: prepared.encrypted,
      publicationReceipt: receipts.published ?? false,
      receivedReceipt: receipts.received ?? false,
      readReceipt: receipts.read ?? false,
    },
    customMetas: input.customMetas ?? [],
    metas: [],
    copyMailTo: input.copyMailTo ?? [],
  };
}
