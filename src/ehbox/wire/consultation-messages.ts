/**
 * Typed data model of the ehBox v3 consultation requests and responses
 * (PROTOCOL.md §6), field by field as in the consultation XSD. Responses
 * extend ResponseBase; their payload is optional (absent on error answers):
 * one optional property for a multi-element group, an empty array for a
 * repeated element that is absent.
 */
import type {
  AckType,
  BoxAddress,
  ContentSpecification,
  CustomMeta,
  EhboxIdentifier,
  EncryptableContent,
  FreeInformations,
  ListSource,
  Mandate,
  MessageSource,
  Meta,
  ResponseBase,
  SenderInfo,
} from './messages.ts';
import type { Folder } from './types.ts';

/** getBoxInfo: optionally for another box of the caller. */
export interface GetBoxInfoRequest {
  boxId?: BoxAddress | undefined;
}

/** The payload of GetBoxInfoResponse. */
export interface BoxInfo {
  boxId: BoxAddress;
  nbrMessagesInStandBy: number;
  /** xs:long; sizes are far below 2^53. */
  currentSize: number;
  maxSize: number;
}

/** GetBoxInfoResponse. */
export interface GetBoxInfoResponse extends ResponseBase {
  boxInfo?: BoxInfo | undefined;
}

/** getMessagesList: one folder of one box, 1-based inclusive indexes (at most 100 per call). */
export interface GetMessagesListRequest {
  boxId?: BoxAddress | undefined;
  source: ListSource;
  startIndex?: number | undefined;
  endIndex?: number | undefined;
}

/** getAllEhboxesMessagesList: the same over every box of the caller (no BoxId). */
export interface GetAllEhboxesMessagesListRequest {
  source: ListSource;
  startIndex?: number | undefined;
  endIndex?: number | undefined;
}

/** MessageInfoType: dates are xs:date strings, `size` is a free string. */
export interface MessageInfo {
  publicationDate: string;
  expirationDate: string;
  size: string;
}

/** ContentInfoType: the list view of a message's content. */
export interface ContentInfo {
  inssPatient?: Uint8Array | undefined;
  title: string;
  mimeType: string;
  hasFreeInformations: boolean;
  hasAnnex: boolean;
}

/** One `Message` of a list answer. */
export interface MessageListItem {
  messageId: string;
  /** Which of the caller's boxes received it (not the full recipient list). */
  destination: EhboxIdentifier;
  sender: SenderInfo;
  messageInfo: MessageInfo;
  contentInfo?: ContentInfo | undefined;
  contentSpecification: ContentSpecification;
  customMetas: CustomMeta[];
}

/** The payload of a list answer: the folder and its messages (possibly none). */
export interface MessageList {
  source: ListSource;
  messages: MessageListItem[];
}

/** GetMessagesListResponse and GetAllEhboxesMessagesListResponse (GetMessageListResponseType). */
export interface GetMessagesListResponse extends ResponseBase {
  list?: MessageList | undefined;
}

/** MessageRequestType: getFullMessage and getHistory. */
export interface MessageRequest {
  boxId?: BoxAddress | undefined;
  source: MessageSource;
  messageId: string;
}

/** A recipient of a consulted message (consultation DestinationContextType: no OoOProcessed). */
export interface ConsultationDestination extends EhboxIdentifier {
  mandate?: Mandate | undefined;
}

/** ConsultationDocumentType (no Digest). */
export interface ConsultationDocument {
  title: string;
  content: EncryptableContent;
  downloadFileName: string;
  mimeType: string;
}

/** ConsultationAnnexType (no Digest); the title is base64 (encryptable). */
export interface ConsultationAnnex {
  title: Uint8Array;
  content: EncryptableContent;
  downloadFileName: string;
  mimeType: string;
}

/** AcknowledgmentType: the content of an ACKNOWLEDGMENT message. */
export interface AcknowledgmentContent {
  messageId: string;
  recipient?: EhboxIdentifier | undefined;
  ackType: AckType;
  dateTime: string;
}

/** ErrorType: the content of an ERROR message; at most one of `destinations` / `failures` is non-empty. */
export interface ErrorContent {
  code: string;
  messages: string[];
  destinations: EhboxIdentifier[];
  failures: string[];
  publicationId?: string | undefined;
}

/** ConsultationMessageType, ContentContext and Content flattened. */
export interface ConsultationMessage {
  messageId?: string | undefined;
  publicationId?: string | undefined;
  destinations: ConsultationDestination[];
  document: ConsultationDocument;
  freeInformations?: FreeInformations | undefined;
  inssPatient?: Uint8Array | undefined;
  annexes: ConsultationAnnex[];
  acknowledgment?: AcknowledgmentContent | undefined;
  error?: ErrorContent | undefined;
  contentSpecification: ContentSpecification;
  customMetas: CustomMeta[];
  metas: Meta[];
  copyMailTo: string[];
}

/** The payload of GetFullMessageResponse. */
export interface FullMessage {
  sender: SenderInfo;
  message: ConsultationMessage;
  messageInfo: MessageInfo;
}

/** GetFullMessageResponse. */
export interface GetFullMessageResponse extends ResponseBase {
  fullMessage?: FullMessage | undefined;
}

/** GetHistoryResponse: a list of message ids (empty when absent). */
export interface GetHistoryResponse extends ResponseBase {
  messageIds: string[];
}

/** getMessageAcknowledgmentsStatus for one sent message. */
export interface GetMessageAcknowledgmentsStatusRequest {
  boxId?: BoxAddress | undefined;
  messageId: string;
  startIndex?: number | undefined;
  endIndex?: number | undefined;
}

/** One recipient's receipt timestamps (xs:dateTime strings). */
export interface AcknowledgmentRow {
  recipient: EhboxIdentifier;
  published?: string | undefined;
  received?: string | undefined;
  read?: string | undefined;
}

/** GetMessageAcknowledgmentsStatusResponse: rows of AcknowledgmentsStatus (empty when absent). */
export interface GetMessageAcknowledgmentsStatusResponse extends ResponseBase {
  rows: AcknowledgmentRow[];
}

/** moveMessage: 1..100 ids from one folder to another. */
export interface MoveMessageRequest {
  boxId?: BoxAddress | undefined;
  source: Folder;
  destination: Folder;
  messageIds: string[];
}

/** deleteMessage: 1..100 ids of one folder. */
export interface DeleteMessageRequest {
  boxId?: BoxAddress | undefined;
  source: Folder;
  messageIds: string[];
}

/** MoveMessageResponse / DeleteMessageResponse: message ids (empty when absent). */
export interface MessageIdsResponse extends ResponseBase {
  messageIds: string[];
}

/** insertOoO: one period (xs:date strings) and its substitutes. */
export interface InsertOoORequest {
  boxId?: BoxAddress | undefined;
  startDate: string;
  endDate: string;
  substitutes: BoxAddress[];
}

/** SubstituteType: a substitute echoed by insertOoO, with its own absence when that is why it was refused. */
export interface OoOSubstitute extends BoxAddress {
  absentFrom?: string | undefined;
  absentTo?: string | undefined;
}

/** InsertOoOResponse: the refused substitutes (empty on success). */
export interface InsertOoOResponse extends ResponseBase {
  substitutes: OoOSubstitute[];
}

/** deleteOoO: one or more period ids. */
export interface DeleteOoORequest {
  boxId?: BoxAddress | undefined;
  oooIds: string[];
}

/** DeleteOoOResponse: the ids that were not found (empty when absent). */
export interface DeleteOoOResponse extends ResponseBase {
  oooIds: string[];
}

/** getOoOList. */
export interface GetOoOListRequest {
  boxId?: BoxAddress | undefined;
}

/** One Out-of-Office period of GetOoOListResponse. */
export interface OoOPeriod {
  oooId: string;
  startDate: string;
  endDate: string;
  substitutes: BoxAddress[];
}

/** GetOoOListResponse: past, current and future periods (empty when absent). */
export interface GetOoOListResponse extends ResponseBase {
  periods: OoOPeriod[];
}
