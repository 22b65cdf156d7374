/**
 * What the gateway keeps about one received ehBox message: the metadata and
 * verification verdict (Redis) and the decrypted small fields (an encrypted
 * blob in S3, beside the document and the annexes). Metadata holds no
 * content: no title, no free text, no patient, no annex title, no file name
 * of the sender's choosing beyond what the download needs.
 */
import crypto from 'node:crypto';
import type { FieldVerdict, MessageVerdict } from '../ehbox/message-unsealer.ts';
import type { ContentType, SenderInfo } from '../ehbox/wire/messages.ts';

/** Hand-over states: `new` until the integration engine acknowledges it. */
export const INBOX_STATES = ['new', 'acked'] as const;
/** A hand-over state. */
export type InboxState = (typeof INBOX_STATES)[number];

/** Inbox ids: `inb_` + 24 hex digits derived from (tenant, box, ehBox MessageId). */
export const INBOX_ID_PATTERN = /^inb_[0-9a-f]{24}$/;

/**
 * The inbox id of an ehBox message received in a tenant's box. Deterministic,
 * so that a poll that crashed and runs again writes the same S3 keys and
 * meets the same dedupe key instead of making a second copy.
 */
export function inboxIdFor(tenantId: string, boxId: string, ehboxMessageId: string): string {
  return 'inb_' + crypto.createHash('sha256').update(`${tenantId}/${boxId}/${ehboxMessageId}`).digest('hex').slice(0, 24);
}

/** A stored part (document or annex): where its bytes are and whether they could be read. */
export interface StoredPart {
  filename: string;
  mimeType: string;
  /** Plaintext bytes (0 when unavailable). */
  size: number;
  /** False when the part could not be decrypted (fatal verdict): there is nothing to download. */
  available: boolean;
}

/** Immutable metadata of a received message (Redis). */
export interface InboxMeta {
  id: string;
  tenantId: string;
  boxId: string;
  ehboxMessageId: string;
  publicationId?: string | undefined;
  contentType: ContentType;
  sender: SenderInfo;
  /** When the gateway stored it (ISO). */
  receivedAt: string;
  /** ehBox dates (xs:date). */
  publicationDate: string;
  expirationDate: string;
  important: boolean;
  encrypted: boolean;
  applicationName?: string | undefined;
  document: StoredPart;
  annexes: StoredPart[];
  hasFreeText: boolean;
  hasTable: boolean;
  hasPatient: boolean;
  /** Overall verdict; `ok=false` means the message is flagged (never pass it on as valid). */
  verdict: MessageVerdict;
  /** Per-field verdicts (codes, layers, signers — no content). */
  fields: FieldVerdict[];
}

/** The decrypted small fields, stored as one encrypted JSON blob. Absent values could not be decrypted. */
export interface InboxFields {
  title: string;
  freeText?: { text?: string | undefined; render?: string | undefined } | undefined;
  table?: { title?: string | undefined; rows: { left?: string | undefined; right?: string | undefined }[] } | undefined;
  patientInss?: string | undefined;
  annexTitles: (string | undefined)[];
  customMetas: { key: string; value: string }[];
  copyMailTo: string[];
}

/** A stored message as read back: metadata plus the mutable hand-over fields. */
export interface InboxRecord {
  meta: InboxMeta;
  state: InboxState;
  /** When the `message.received` webhook was enqueued. */
  announcedAt?: string | undefined;
  /** When the ehBox copy was moved to BININBOX or deleted. */
  cleanedAt?: string | undefined;
  ackedAt?: string | undefined;
}
