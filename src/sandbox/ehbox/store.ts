/**
 * The sandbox's eHealthBox state, changed only through events so that the
 * same `apply` serves live calls and the replay of the journal at start.
 */
import type { AckType, BoxAddress, BoxEntry, Folder, OutOfOffice, ReceiptRow, StoredMessage } from './model.ts';

/** Every state change of the eHealthBox part of the sandbox. */
export type EhboxEvent =
  | { t: 'message'; m: StoredMessage }
  | { t: 'entry'; box: string; e: BoxEntry }
  | { t: 'move'; box: string; messageId: string; from: Folder; to: Folder }
  | { t: 'delete'; box: string; messageId: string; folder: Folder }
  | { t: 'release'; box: string; messageId: string }
  | { t: 'receipt'; messageId: string; recipientBox: string; recipient: BoxAddress; kind: AckType; at: string }
  | { t: 'pubid'; senderBox: string; publicationId: string; messageId: string }
  | { t: 'purge'; messageId: string }
  | { t: 'ooo-add'; box: string; ooo: OutOfOffice }
  | { t: 'ooo-del'; box: string; oooId: string }
  | { t: 'seq'; next: number }
  /** The seeded Out-of-Office periods were set (once per state, so a deleted one stays deleted across restarts). */
  | { t: 'ooo-seeded' }
  /** Empties every box, message, receipt, PublicationId and Out-of-Office period (message numbers go on). */
  | { t: 'reset' };

interface BoxState {
  /** Entries per folder, oldest first (lists answer newest first). */
  folders: Record<Folder, BoxEntry[]>;
  ooo: OutOfOffice[];
  /** Bytes of the visible (not stand-by) entries, kept up to date by `apply` (getBoxInfo and every delivery read it). */
  bytes: number;
}

const side = (f: Folder): 'in' | 'out' => (f === 'INBOX' || f === 'BININBOX' ? 'in' : 'out');

/** In-memory eHealthBox state with event application and read queries. */
export class EhboxStore {
  readonly messages = new Map<string, StoredMessage>();
  private readonly boxes = new Map<string, BoxState>();
  private readonly receipts = new Map<string, Map<string, ReceiptRow>>();
  private readonly pubIds = new Map<string, string>();
  /** Next message id number (13 digits, numeric like the real platform's). */
  nextMessageNumber = 1_000_000_000_001;
  /** Whether the directory's Out-of-Office periods were seeded into this state. */
  oooSeeded = false;

  apply(ev: EhboxEvent): void {
    switch (ev.t) {
      case 'message':
        this.messages.set(ev.m.messageId, ev.m);
        this.nextMessageNumber = Math.max(this.nextMessageNumber, Number(ev.m.messageId) + 1 || 0);
        break;
      case 'entry': {
        const b = this.box(ev.box);
        b.folders[ev.e.folder].push(ev.e);
        if (!ev.e.standBy) b.bytes += this.sizeOf(ev.e.messageId);
        break;
      }
      case 'move': {
        const b = this.box(ev.box);
        const e = b.folders[ev.from].find((x) => x.messageId === ev.messageId);
        if (!e) break;
        b.folders[ev.from] = b.folders[ev.from].filter((x) => x !== e);
        e.folder = ev.to;
        b.folders[ev.to].push(e);
        break;
      }
      case 'delete':
        this.removeEntries(this.box(ev.box), ev.folder, ev.messageId);
        break;
      case 'release': {
        const b = this.box(ev.box);
        const e = b.folders.INBOX.find((x) => x.messageId === ev.messageId);
        if (e?.standBy) b.bytes += this.sizeOf(e.messageId);
        if (e) e.standBy = false;
        break;
      }
      case 'receipt': {
        let rows = this.receipts.get(ev.messageId);
        if (!rows) this.receipts.set(ev.messageId, (rows = new Map()));
        let row = rows.get(ev.recipientBox);
        if (!row) rows.set(ev.recipientBox, (row = { recipient: ev.recipient, recipientBox: ev.recipientBox }));
        const field = ev.kind === 'PUBLISHED' ? 'published' : ev.kind === 'RECEIVED' ? 'received' : 'read';
        row[field] ??= ev.at;
        break;
      }
      case 'pubid':
        this.pubIds.set(`${ev.senderBox}|${ev.publicationId}`, ev.messageId);
        break;
      case 'purge':
        for (const b of this.boxes.values()) {
          for (const f of Object.keys(b.folders) as Folder[]) this.removeEntries(b, f, ev.messageId);
        }
        this.messages.delete(ev.messageId);
        this.receipts.delete(ev.messageId);
        break;
      case 'ooo-add':
        this.box(ev.box).ooo.push(ev.ooo);
        break;
      case 'ooo-del': {
        const b = this.box(ev.box);
        b.ooo = b.ooo.filter((o) => o.oooId !== ev.oooId);
        break;
      }
      case 'seq':
        this.nextMessageNumber = Math.max(this.nextMessageNumber, ev.next);
        break;
      case 'ooo-seeded':
        this.oooSeeded = true;
        break;
      case 'reset':
        this.oooSeeded = false;
        this.messages.clear();
        this.boxes.clear();
        this.receipts.clear();
        this.pubIds.clear();
        break;
    }
  }

  /** Entries of a folder, newest first; stand-by messages are not visible to the owner. */
  list(box: string, folder: Folder): BoxEntry[] {
    const entries = this.boxes.get(box)?.folders[folder] ?? [];
    return entries.filter((e) => !e.standBy).reverse();
  }

  /** The entry of a message on one side (received or sent) of a box, if any. */
  entry(box: string, messageId: string, folder: Folder): BoxEntry | undefined {
    return this.boxes.get(box)?.folders[folder].find((e) => e.messageId === messageId && !e.standBy);
  }

  /** Where a message sits on the received or sent side of a box. */
  findOnSide(box: string, messageId: string, s: 'in' | 'out'): BoxEntry | undefined {
    const b = this.boxes.get(box);
    if (!b) return undefined;
    for (const f of Object.keys(b.folders) as Folder[]) {
      if (side(f) !== s) continue;
      const e = b.folders[f].find((x) => x.messageId === messageId && !x.standBy);
      if (e) return e;
    }
    return undefined;
  }

  standBy(box: string): BoxEntry[] {
    return (this.boxes.get(box)?.folders.INBOX ?? []).filter((e) => e.standBy);
  }

  /** Bytes used by the messages visible in a box (all folders). */
  usedBytes(box: string): number {
    return this.boxes.get(box)?.bytes ?? 0;
  }

  receiptRows(messageId: string): ReceiptRow[] {
    return [...(this.receipts.get(messageId)?.values() ?? [])];
  }

  receipt(messageId: string, recipientBox: string): ReceiptRow | undefined {
    return this.receipts.get(messageId)?.get(recipientBox);
  }

  publicationOwner(senderBox: string, publicationId: string): string | undefined {
    return this.pubIds.get(`${senderBox}|${publicationId}`);
  }

  ooo(box: string): OutOfOffice[] {
    return this.boxes.get(box)?.ooo ?? [];
  }

  /** Every box key that holds anything (for inspection). */
  boxKeys(): string[] {
    return [...this.boxes.keys()];
  }

  /** Boxes that hold an entry of the message. */
  boxesHolding(messageId: string): string[] {
    const out: string[] = [];
    for (const [k, b] of this.boxes) {
      if ((Object.keys(b.folders) as Folder[]).some((f) => b.folders[f].some((e) => e.messageId === messageId))) out.push(k);
    }
    return out;
  }

  /** A compact event list that rebuilds the current state (journal compaction). */
  snapshot(): EhboxEvent[] {
    const out: EhboxEvent[] = [{ t: 'seq', next: this.nextMessageNumber }];
    if (this.oooSeeded) out.push({ t: 'ooo-seeded' });
    for (const m of this.messages.values()) out.push({ t: 'message', m });
    for (const [box, b] of this.boxes) {
      for (const f of Object.keys(b.folders) as Folder[]) for (const e of b.folders[f]) out.push({ t: 'entry', box, e });
      for (const o of b.ooo) out.push({ t: 'ooo-add', box, ooo: o });
    }
    for (const [messageId, rows] of this.receipts) {
      for (const r of rows.values()) {
        for (const kind of ['PUBLISHED', 'RECEIVED', 'READ'] as const) {
          const at = kind === 'PUBLISHED' ? r.published : kind === 'RECEIVED' ? r.received : r.read;
          if (at) out.push({ t: 'receipt', messageId, recipientBox: r.recipientBox, recipient: r.recipient, kind, at });
        }
      }
    }
    for (const [k, messageId] of this.pubIds) {
      const i = k.lastIndexOf('|');
      out.push({ t: 'pubid', senderBox: k.slice(0, i), publicationId: k.slice(i + 1), messageId });
    }
    return out;
  }

  private sizeOf(messageId: string): number {
    return this.messages.get(messageId)?.size ?? 0;
  }

  /** Drops the entries of a message from one folder, keeping the byte count right. */
  private removeEntries(b: BoxState, folder: Folder, messageId: string): void {
    const kept = b.folders[folder].filter((x) => x.messageId !== messageId);
    if (kept.length === b.folders[folder].length) return;
    for (const x of b.folders[folder]) if (x.messageId === messageId && !x.standBy) b.bytes -= this.sizeOf(messageId);
    b.folders[folder] = kept;
  }

  private box(key: string): BoxState {
    let b = this.boxes.get(key);
    if (!b) {
      b = { folders: { INBOX: [], SENTBOX: [], BININBOX: [], BINSENTBOX: [] }, ooo: [], bytes: 0 };
      this.boxes.set(key, b);
    }
    return b;
  }
}
