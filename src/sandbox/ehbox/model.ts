/**
 * The sandbox's eHealthBox data model: what a box holds, independent of the
 * SOAP encoding. The XML codecs translate requests into these shapes and the
 * answers back; the store and the service never see XML.
 */

import type { AckType, BoxAddress, ContentType, Destination, Folder, SenderInfo } from '../../ehbox/wire/types.ts';

export type { AckType, BoxAddress, ContentType, Destination, Folder, SenderInfo } from '../../ehbox/wire/types.ts';
export { FOLDERS } from '../../ehbox/wire/types.ts';

/** A reference to stored bytes (sealed blobs live in the blob area, by SHA-256). */
export interface BlobRef {
  sha256: string;
  size: number;
}

/** Document or annex content. `binary` says whether it came (and goes back) as an attachment. */
export interface StoredContent {
  blob: BlobRef;
  binary: boolean;
}

export interface StoredDocument {
  title: string;
  content: StoredContent;
  downloadFileName: string;
  mimeType: string;
}

export interface StoredAnnex {
  title: BlobRef;
  content: StoredContent;
  downloadFileName: string;
  mimeType: string;
}

export type StoredFreeInformations =
  | { kind: 'text'; text: BlobRef }
  | { kind: 'table'; title?: string | undefined; rows: { left: BlobRef; right: BlobRef }[] }
  | { kind: 'old'; value: BlobRef; render: string };

export interface StoredAcknowledgment {
  messageId: string;
  recipient?: BoxAddress | undefined;
  ackType: AckType;
  dateTime: string;
}

export interface StoredError {
  code: string;
  messages: string[];
  destinations: BoxAddress[];
  publicationId?: string | undefined;
}

/** One published message, stored once whatever the number of boxes it sits in. */
export interface StoredMessage {
  messageId: string;
  publicationId?: string | undefined;
  sender: SenderInfo;
  /** Canonical key of the sender box (for SENTBOX and receipts). */
  senderBox: string;
  destinations: Destination[];
  contentType: ContentType;
  applicationName?: string | undefined;
  isImportant: boolean;
  isEncrypted: boolean;
  receipts: { published: boolean; received: boolean; read: boolean };
  document: StoredDocument;
  freeInformations?: StoredFreeInformations | undefined;
  inssPatient?: BlobRef | undefined;
  annexes: StoredAnnex[];
  acknowledgment?: StoredAcknowledgment | undefined;
  error?: StoredError | undefined;
  customMetas: { key: string; value: string }[];
  metas: { type: string; values: string[] }[];
  copyMailTo: string[];
  publicationDate: string;
  expirationDate: string;
  size: number;
}

/** A message as it sits in one box's folder. */
export interface BoxEntry {
  messageId: string;
  folder: Folder;
  /** For received messages: the address the message was delivered to (list `Destination`). */
  destination: BoxAddress;
  addedAt: string;
  standBy: boolean;
}

/** Receipt timestamps of one recipient of one message. */
export interface ReceiptRow {
  recipient: BoxAddress;
  recipientBox: string;
  published?: string | undefined;
  received?: string | undefined;
  read?: string | undefined;
}

/** An Out-of-Office period of a box. */
export interface OutOfOffice {
  oooId: string;
  startDate: string;
  endDate: string;
  substitutes: BoxAddress[];
}

/** Canonical key of a box address (aliases are resolved by the directory first). */
export function boxKey(a: BoxAddress): string {
  return `${a.type}/${a.subType ?? ''}/${a.id}/${a.quality}`;
}
