/**
 * ehBox v3 values as they travel on the wire, shared by the client codecs
 * and the sandbox: addresses, folders, message kinds and receipts.
 */

/** The four folders of a box (PROTOCOL.md §6). */
export type Folder = 'INBOX' | 'SENTBOX' | 'BININBOX' | 'BINSENTBOX';
export const FOLDERS: readonly Folder[] = ['INBOX', 'SENTBOX', 'BININBOX', 'BINSENTBOX'];

/** ehBox message kinds (ContentSpecification/ContentType). */
export type ContentType = 'DOCUMENT' | 'NEWS' | 'ACKNOWLEDGMENT' | 'ERROR';

/** Receipt kinds (AcknowledgmentType/AckType). */
export type AckType = 'PUBLISHED' | 'RECEIVED' | 'READ';

/** An ehBox address as on the wire: Id, Type, SubType?, Quality (BoxIdType). */
export interface BoxAddress {
  id: string;
  type: string;
  subType?: string | undefined;
  quality: string;
}

/** The optional `User` of an EhboxIdentifierType: a person inside an organisation box. */
export interface BoxUser {
  inss: string;
  firstName: string;
  lastName: string;
}

/** Who sent a message, as shown to recipients (SenderType). */
export interface SenderInfo extends BoxAddress {
  name: string;
  firstName?: string | undefined;
  personInOrganisation?: string | undefined;
}

/** A destination of a publication (DestinationContext), with the per-recipient flags. */
export interface Destination extends BoxAddress {
  user?: BoxUser | undefined;
  oooProcessed?: boolean | undefined;
}
