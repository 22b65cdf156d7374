/**
 * What the sandbox's eHealthBox operations share: the store, the journal,
 * the blob area, the directory of boxes and the clock. Every operation
 * computes events, then `commit` applies them and makes them durable before
 * the SOAP answer is written.
 */
import type { BlobArea } from '../blob-area.ts';
import type { Journal } from '../journal.ts';
import type { EhboxEvent, EhboxStore } from './store.ts';
import { boxKey, type AckType, type BoxAddress, type SenderInfo, type StoredMessage } from './model.ts';

/** Status codes the sandbox answers (PROTOCOL.md §5.3, plus the sandbox's own, see docs/sandbox.md). */
export const Codes = {
  OK: '100',
  TOO_LARGE: '801',
  INVALID_DESTINATION: '802',
  INVALID_QUALITY: '803',
  INVALID_TYPE: '804',
  INVALID_SUBTYPE: '805',
  INVALID_BOXID: '810',
  QUALITY_NOT_ALLOWED: '814',
  DIGEST_MISMATCH: '816',
  DUPLICATE_PUBLICATION_ID: '820',
  OUT_OF_OFFICE: '826',
  INVALID_RANGE: '830',
  MESSAGE_NOT_FOUND: '831',
  MOVE_NOT_ALLOWED: '832',
  INVALID_CONTENT_TYPE: '833',
  OOO_INVALID_PERIOD: '840',
  OOO_OVERLAP: '841',
  OOO_TOO_MANY_PERIODS: '842',
  OOO_TOO_MANY_SUBSTITUTES: '843',
  OOO_INVALID_SUBSTITUTE: '844',
} as const;

/** The ehBox volume limit of one message (PROTOCOL.md §5.6). */
export const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;
/** Items per list/move/delete call (PROTOCOL.md §6). */
export const MAX_ITEMS_PER_CALL = 100;
/** Messages older than this are removed whatever their state (PROTOCOL.md §5.8). */
export const MAX_MESSAGE_AGE_DAYS = 365;

/** A business outcome other than success: an ehBox status code and message. */
export class EhboxBusinessError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** Result of resolving a wire address to a box of the directory. */
export type ResolvedBox =
  | { ok: true; address: BoxAddress; key: string; person: boolean }
  | { ok: false; code: string; message: string };

/** What the ehBox operations need to know about the directory of parties. */
export interface BoxDirectory {
  /** Canonical box of an address (aliases such as INSS/NIHII of one doctor resolve to one box). */
  resolve(addr: BoxAddress): ResolvedBox;
  /** Every box with this quality (and type/subtype), for `Id=ALL` destinations. */
  boxesWithQuality(addr: BoxAddress): BoxAddress[];
  /** Quota of a box in bytes. */
  maxSize(key: string): number;
  /** How a box owner is shown as a sender. */
  senderInfo(addr: BoxAddress): SenderInfo;
}

/** The authenticated caller: boxes it may act on, the first being its default box. */
export interface Caller {
  boxes: BoxAddress[];
}

/** The platform identity that signs acknowledgments and error reports (fictitious CBE, valid check digits). */
export const PLATFORM_SENDER: SenderInfo = {
  id: '0123456749',
  type: 'CBE',
  quality: 'INSTITUTION',
  name: 'eHealth-platform (sandbox)',
};

/** Shared state and helpers of the eHealthBox operations. */
export class EhboxContext {
  constructor(
    readonly store: EhboxStore,
    readonly blobs: BlobArea,
    readonly directory: BoxDirectory,
    readonly journal: Journal<EhboxEvent> | undefined,
    readonly now: () => Date = () => new Date(),
  ) {}

  /** Applies one event to the state now and queues it for the journal. */
  emit(events: EhboxEvent[], ev: EhboxEvent): void {
    this.store.apply(ev);
    events.push(ev);
  }

  /** Makes the events of one operation durable; called before the answer is written. */
  persist(events: EhboxEvent[]): void {
    this.journal?.append(events);
  }

  /** The box a request acts on: `BoxId` when given (must be one of the caller's), else the default one. */
  actingBox(caller: Caller, boxId: BoxAddress | undefined): { address: BoxAddress; key: string } {
    if (!boxId) {
      const a = caller.boxes[0];
      if (!a) throw new EhboxBusinessError(Codes.INVALID_BOXID, 'The caller has no eHealthBox');
      return { address: a, key: boxKey(a) };
    }
    const r = this.directory.resolve(boxId);
    if (!r.ok || !caller.boxes.some((b) => boxKey(b) === r.key)) {
      throw new EhboxBusinessError(Codes.INVALID_BOXID, 'Invalid BoxId or no access to that box');
    }
    return { address: r.address, key: r.key };
  }

  newMessageId(events: EhboxEvent[]): string {
    const n = this.store.nextMessageNumber;
    this.store.nextMessageNumber = n + 1;
    events.push({ t: 'seq', next: n + 1 });
    return String(n).padStart(13, '0');
  }

  /**
   * Records a receipt moment for a recipient and, when the sender asked for
   * that kind, drops an ACKNOWLEDGMENT message in the sender's inbox.
   */
  receipt(events: EhboxEvent[], m: StoredMessage, recipientKey: string, recipient: BoxAddress, kind: AckType): void {
    const row = this.store.receipt(m.messageId, recipientKey);
    const already = kind === 'PUBLISHED' ? row?.published : kind === 'RECEIVED' ? row?.received : row?.read;
    if (already) return;
    const at = this.now().toISOString();
    this.emit(events, { t: 'receipt', messageId: m.messageId, recipientBox: recipientKey, recipient, kind, at });
    const wanted = kind === 'PUBLISHED' ? m.receipts.published : kind === 'RECEIVED' ? m.receipts.received : m.receipts.read;
    if (wanted) this.systemMessage(events, m, 'ACKNOWLEDGMENT', { acknowledgment: { messageId: m.messageId, recipient, ackType: kind, dateTime: at } });
  }

  /** Puts an ACKNOWLEDGMENT or ERROR message about `about` into its sender's inbox. */
  systemMessage(
    events: EhboxEvent[],
    about: StoredMessage,
    contentType: 'ACKNOWLEDGMENT' | 'ERROR',
    extra: Pick<StoredMessage, 'acknowledgment' | 'error'>,
  ): void {
    const now = this.now();
    const text = Buffer.from(contentType === 'ACKNOWLEDGMENT' ? `${extra.acknowledgment?.ackType} ${about.messageId}` : `ERROR ${about.messageId}`);
    const blob = this.blobs.put(text);
    const m: StoredMessage = {
      messageId: this.newMessageId(events),
      sender: PLATFORM_SENDER,
      senderBox: boxKey(PLATFORM_SENDER),
      destinations: [{ ...senderAddress(about) }],
      contentType,
      isImportant: false,
      isEncrypted: false,
      receipts: { published: false, received: false, read: false },
      document: { title: contentType === 'ERROR' ? 'Publication error' : 'Acknowledgment', content: { blob, binary: false }, downloadFileName: 'notification.txt', mimeType: 'text/plain' },
      annexes: [],
      customMetas: [],
      metas: [],
      copyMailTo: [],
      publicationDate: isoDate(now),
      expirationDate: isoDate(addDays(now, MAX_MESSAGE_AGE_DAYS)),
      size: blob.size,
      ...extra,
    };
    this.emit(events, { t: 'message', m });
    this.emit(events, {
      t: 'entry',
      box: about.senderBox,
      e: { messageId: m.messageId, folder: 'INBOX', destination: senderAddress(about), addedAt: now.toISOString(), standBy: false },
    });
  }
}

function senderAddress(m: StoredMessage): BoxAddress {
  return { id: m.sender.id, type: m.sender.type, subType: m.sender.subType, quality: m.sender.quality };
}

/** `YYYY-MM-DD` of a date (UTC), as xs:date. */
export function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export function addDays(d: Date, days: number): Date {
  return new Date(d.getTime() + days * 86_400_000);
}
