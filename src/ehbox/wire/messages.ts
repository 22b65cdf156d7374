/**
 * Typed data model of the ehBox v3 payloads shared by publication and
 * consultation, and of sendMessage. The model follows the XSDs field by field
 * (same order, same optionality); wrapper-only elements (ContentContext,
 * Content) are flattened. Base64 fields are bytes, dates stay ISO strings
 * exactly as on the wire, and a payload group that the schema makes optional
 * as a whole (absent on error answers) is one optional property or an array
 * that is empty when absent.
 */
import type { BoxAddress, BoxUser, ContentType, Folder } from './types.ts';

export type { AckType, BoxAddress, BoxUser, ContentType, Folder, SenderInfo } from './types.ts';

/** Languages of a commons `Message` (LangageType). */
export type StatusLang = 'FR' | 'NL' | 'EN' | 'DE' | 'NA';
/** Every StatusLang, for decoding. */
export const STATUS_LANGS: readonly StatusLang[] = ['FR', 'NL', 'EN', 'DE', 'NA'];

/** One localised status message (commons LocalisedString). */
export interface StatusMessage {
  value: string;
  lang?: StatusLang | undefined;
}

/** The commons v1 `Status` of every ehBox answer: `Code` and at least one `Message`. */
export interface WireStatus {
  code: string;
  messages: StatusMessage[];
}

/** Fields every ehBox answer carries (protocol ResponseType): `Status` and attribute `Id`. */
export interface ResponseBase {
  /** Attribute `Id`; on sendMessage this is the MessageId assigned by ehBox. */
  id?: string | undefined;
  status: WireStatus;
}

/** An EhboxIdentifierType: a box address with the optional `User` (a person inside an organisation box). */
export interface EhboxIdentifier extends BoxAddress {
  user?: BoxUser | undefined;
}

/** A legacy v1 mandate (MandateType): IdentifierType plus an optional `Name`. */
export interface Mandate {
  id: string;
  type: string;
  subType?: string | undefined;
  name?: string | undefined;
}

/** A user-defined key/value (CustomMetaType, at most 100 per message). */
export interface CustomMeta {
  key: string;
  value: string;
}

/** A system meta defined by eHealth (MetaType): a type and one or more values. */
export interface Meta {
  type: string;
  values: string[];
}

/**
 * Document or annex content. `binary` = EncryptableBinaryContent (swaRef,
 * bytes in a MIME part); otherwise EncryptableTextContent (inline base64).
 */
export interface EncryptableContent {
  bytes: Uint8Array;
  binary: boolean;
}

/** One row of a free-information table: two base64 cells. */
export interface TableRow {
  left: Uint8Array;
  right: Uint8Array;
}

/** FreeInformationsType: free text, a table (title never encrypted) or the legacy rendered form. */
export type FreeInformations =
  | { kind: 'text'; text: Uint8Array }
  | { kind: 'table'; title?: string | undefined; rows: TableRow[] }
  | { kind: 'old'; value: Uint8Array; render: string };

/** ehBox core ContentSpecificationType (what list and full-message answers carry). */
export interface ContentSpecification {
  applicationName?: string | undefined;
  contentType: ContentType;
  isImportant: boolean;
  isEncrypted: boolean;
}

/** Publication ContentSpecificationType: the core fields plus the receipts the sender wants. */
export interface PublicationContentSpecification extends ContentSpecification {
  publicationReceipt: boolean;
  receivedReceipt: boolean;
  readReceipt: boolean;
}

/** The main document of a published message (PublicationDocumentType). */
export interface PublicationDocument {
  /** Never encrypted, 1..400 characters. */
  title: string;
  content: EncryptableContent;
  downloadFileName: string;
  mimeType: string;
  /** Base64 SHA-256 of the bytes sent (PROTOCOL.md §5.5). */
  digest: string;
}

/** An annex of a published message (PublicationAnnexType); the title is base64 (encryptable). */
export interface PublicationAnnex {
  title: Uint8Array;
  content: EncryptableContent;
  downloadFileName: string;
  mimeType: string;
  digest: string;
}

/** A recipient of a publication (publication DestinationContextType). */
export interface PublicationDestination extends EhboxIdentifier {
  mandate?: Mandate | undefined;
  /** True when the sender already handled this recipient's Out-of-Office (no new 826 for it). */
  oooProcessed?: boolean | undefined;
}

/** SendMessageRequest (PublicationMessageType), ContentContext and Content flattened. */
export interface SendMessageRequest {
  publicationId?: string | undefined;
  boxId?: BoxAddress | undefined;
  destinations: PublicationDestination[];
  document: PublicationDocument;
  freeInformations?: FreeInformations | undefined;
  inssPatient?: Uint8Array | undefined;
  annexes: PublicationAnnex[];
  contentSpecification: PublicationContentSpecification;
  customMetas: CustomMeta[];
  metas: Meta[];
  copyMailTo: string[];
}

/** The absence of a recipient reported with code 826, with the substitutes it named. */
export interface RecipientAbsence {
  absentFrom: string;
  absentTo: string;
  substitutes: EhboxIdentifier[];
}

/** A `Recipient` of SendMessageResponse. */
export interface SendMessageRecipient extends EhboxIdentifier {
  absence?: RecipientAbsence | undefined;
}

/** SendMessageResponse: `id` is the MessageId; recipients are listed for Out-of-Office (826) answers. */
export interface SendMessageResponse extends ResponseBase {
  sentPublicationId?: string | undefined;
  recipients: SendMessageRecipient[];
}

/** Bytes that travel beside the XML as a MIME part (SwA), referenced as `cid:<cid>` in the payload. */
export interface WireAttachment {
  /** Content id without `cid:` and without angle brackets. */
  cid: string;
  bytes: Uint8Array;
}

/** An encoded payload element (no SOAP envelope) and the attachments it references. */
export interface EncodedPayload {
  xml: string;
  attachments: WireAttachment[];
}

/** Options of encoders that may produce attachments. */
export interface EncodeOptions {
  /** Content id generator (default `<uuid>@ehealth.fgov.be`, as the eHealth connector does). */
  newContentId?: () => string;
}

/** Received attachments by content id (no `cid:` prefix, no angle brackets). */
export type AttachmentMap = ReadonlyMap<string, Uint8Array>;

/** The folders a message list may come from. */
export type ListSource = Folder;
/** Where getFullMessage and getHistory may look (bins are not in this enumeration). */
export type MessageSource = 'INBOX' | 'SENTBOX' | 'HISTORY';
