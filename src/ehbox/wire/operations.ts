/**
 * The ehBox v3 operations as one typed table: operation name → request and
 * response data types, payload elements, namespace and SOAPAction (taken
 * from src/soap/soap-actions.ts, not duplicated), plus generic
 * encode/decode entry points so the client and the sandbox router can work
 * from the operation name alone. Passing the wrong data type for an
 * operation does not compile.
 */
import type { Element } from '@xmldom/xmldom';
import { SOAP_OPERATIONS } from '../../soap/soap-actions.ts';
import type {
  DeleteMessageRequest,
  DeleteOoORequest,
  DeleteOoOResponse,
  GetAllEhboxesMessagesListRequest,
  GetBoxInfoRequest,
  GetBoxInfoResponse,
  GetFullMessageResponse,
  GetHistoryResponse,
  GetMessageAcknowledgmentsStatusRequest,
  GetMessageAcknowledgmentsStatusResponse,
  GetMessagesListRequest,
  GetMessagesListResponse,
  GetOoOListRequest,
  GetOoOListResponse,
  InsertOoORequest,
  InsertOoOResponse,
  MessageIdsResponse,
  MessageRequest,
  MoveMessageRequest,
} from './consultation-messages.ts';
import type { AttachmentMap, EncodedPayload, EncodeOptions, SendMessageRequest, SendMessageResponse } from './messages.ts';
import * as C from './consultation-codec.ts';
import * as P from './publication-codec.ts';
import { WireError } from './wire-error.ts';

/** Request data type of each ehBox operation. */
export interface EhboxRequests {
  sendMessage: SendMessageRequest;
  getBoxInfo: GetBoxInfoRequest;
  getMessagesList: GetMessagesListRequest;
  getAllEhboxesMessagesList: GetAllEhboxesMessagesListRequest;
  getFullMessage: MessageRequest;
  getHistory: MessageRequest;
  getMessageAcknowledgmentsStatus: GetMessageAcknowledgmentsStatusRequest;
  moveMessage: MoveMessageRequest;
  deleteMessage: DeleteMessageRequest;
  insertOoO: InsertOoORequest;
  deleteOoO: DeleteOoORequest;
  getOoOList: GetOoOListRequest;
}

/** Response data type of each ehBox operation. */
export interface EhboxResponses {
  sendMessage: SendMessageResponse;
  getBoxInfo: GetBoxInfoResponse;
  getMessagesList: GetMessagesListResponse;
  getAllEhboxesMessagesList: GetMessagesListResponse;
  getFullMessage: GetFullMessageResponse;
  getHistory: GetHistoryResponse;
  getMessageAcknowledgmentsStatus: GetMessageAcknowledgmentsStatusResponse;
  moveMessage: MessageIdsResponse;
  deleteMessage: MessageIdsResponse;
  insertOoO: InsertOoOResponse;
  deleteOoO: DeleteOoOResponse;
  getOoOList: GetOoOListResponse;
}

/** Name of an ehBox v3 operation (publication or consultation). */
export type EhboxOperation = keyof EhboxRequests;

/** Wire facts of one operation. */
export interface EhboxOperationInfo {
  readonly requestElement: string;
  readonly responseElement: string;
  /** Namespace of both payload roots (publication or consultation protocol). */
  readonly namespace: string;
  readonly soapAction: string;
}

function info(op: EhboxOperation, responseElement: string): EhboxOperationInfo {
  const o = SOAP_OPERATIONS[op];
  return { requestElement: o.requestElement, responseElement, namespace: o.requestNs, soapAction: o.action };
}

/** Operation → payload elements, namespace and SOAPAction (PROTOCOL.md §1.3). */
export const EHBOX_OPERATIONS: { readonly [K in EhboxOperation]: EhboxOperationInfo } = {
  sendMessage: info('sendMessage', 'SendMessageResponse'),
  getBoxInfo: info('getBoxInfo', 'GetBoxInfoResponse'),
  getMessagesList: info('getMessagesList', 'GetMessagesListResponse'),
  getAllEhboxesMessagesList: info('getAllEhboxesMessagesList', 'GetAllEhboxesMessagesListResponse'),
  getFullMessage: info('getFullMessage', 'GetFullMessageResponse'),
  getHistory: info('getHistory', 'GetHistoryResponse'),
  getMessageAcknowledgmentsStatus: info('getMessageAcknowledgmentsStatus', 'GetMessageAcknowledgmentsStatusResponse'),
  moveMessage: info('moveMessage', 'MoveMessageResponse'),
  deleteMessage: info('deleteMessage', 'DeleteMessageResponse'),
  insertOoO: info('insertOoO', 'InsertOoOResponse'),
  deleteOoO: info('deleteOoO', 'DeleteOoOResponse'),
  getOoOList: info('getOoOList', 'GetOoOListResponse'),
};

/** Every ehBox operation name. */
export const EHBOX_OPERATION_NAMES = Object.keys(EHBOX_OPERATIONS) as EhboxOperation[];

/** The four directions of one operation's codec. */
export interface EhboxCodec<Req, Res> {
  encodeRequest(data: Req, options?: EncodeOptions): EncodedPayload;
  decodeRequest(el: Element, attachments?: AttachmentMap): Req;
  encodeResponse(data: Res, options?: EncodeOptions): EncodedPayload;
  decodeResponse(el: Element, attachments?: AttachmentMap): Res;
}

/** Wraps a string encoder (no binary content possible) into an EncodedPayload encoder. */
function plain<T>(encode: (data: T) => string): (data: T) => EncodedPayload {
  return (data) => ({ xml: encode(data), attachments: [] });
}

/** Operation → its codec. */
export const EHBOX_CODECS: { readonly [K in EhboxOperation]: EhboxCodec<EhboxRequests[K], EhboxResponses[K]> } = {
  sendMessage: { encodeRequest: P.encodeSendMessageRequest, decodeRequest: P.decodeSendMessageRequest, encodeResponse: plain(P.encodeSendMessageResponse), decodeResponse: P.decodeSendMessageResponse },
  getBoxInfo: { encodeRequest: plain(C.encodeGetBoxInfoRequest), decodeRequest: C.decodeGetBoxInfoRequest, encodeResponse: plain(C.encodeGetBoxInfoResponse), decodeResponse: C.decodeGetBoxInfoResponse },
  getMessagesList: { encodeRequest: plain(C.encodeGetMessagesListRequest), decodeRequest: C.decodeGetMessagesListRequest, encodeResponse: plain(C.encodeGetMessagesListResponse), decodeResponse: C.decodeGetMessagesListResponse },
  getAllEhboxesMessagesList: {
    encodeRequest: plain(C.encodeGetAllEhboxesMessagesListRequest),
    decodeRequest: C.decodeGetAllEhboxesMessagesListRequest,
    encodeResponse: plain(C.encodeGetAllEhboxesMessagesListResponse),
    decodeResponse: C.decodeGetAllEhboxesMessagesListResponse,
  },
  getFullMessage: { encodeRequest: plain(C.encodeGetFullMessageRequest), decodeRequest: C.decodeGetFullMessageRequest, encodeResponse: C.encodeGetFullMessageResponse, decodeResponse: C.decodeGetFullMessageResponse },
  getHistory: { encodeRequest: plain(C.encodeGetHistoryRequest), decodeRequest: C.decodeGetHistoryRequest, encodeResponse: plain(C.encodeGetHistoryResponse), decodeResponse: C.decodeGetHistoryResponse },
  getMessageAcknowledgmentsStatus: {
    encodeRequest: plain(C.encodeGetMessageAcknowledgmentsStatusRequest),
    decodeRequest: C.decodeGetMessageAcknowledgmentsStatusRequest,
    encodeResponse: plain(C.encodeGetMessageAcknowledgmentsStatusResponse),
    decodeResponse: C.decodeGetMessageAcknowledgmentsStatusResponse,
  },
  moveMessage: { encodeRequest: plain(C.encodeMoveMessageRequest), decodeRequest: C.decodeMoveMessageRequest, encodeResponse: plain(C.encodeMoveMessageResponse), decodeResponse: C.decodeMoveMessageResponse },
  deleteMessage: { encodeRequest: plain(C.encodeDeleteMessageRequest), decodeRequest: C.decodeDeleteMessageRequest, encodeResponse: plain(C.encodeDeleteMessageResponse), decodeResponse: C.decodeDeleteMessageResponse },
  insertOoO: { encodeRequest: plain(C.encodeInsertOoORequest), decodeRequest: C.decodeInsertOoORequest, encodeResponse: plain(C.encodeInsertOoOResponse), decodeResponse: C.decodeInsertOoOResponse },
  deleteOoO: { encodeRequest: plain(C.encodeDeleteOoORequest), decodeRequest: C.decodeDeleteOoORequest, encodeResponse: plain(C.encodeDeleteOoOResponse), decodeResponse: C.decodeDeleteOoOResponse },
  getOoOList: { encodeRequest: plain(C.encodeGetOoOListRequest), decodeRequest: C.decodeGetOoOListRequest, encodeResponse: plain(C.encodeGetOoOListResponse), decodeResponse: C.decodeGetOoOListResponse },
};

function codecOf<K extends EhboxOperation>(op: K): EhboxCodec<EhboxRequests[K], EhboxResponses[K]> {
  if (!Object.hasOwn(EHBOX_CODECS, op)) throw new WireError('WIRE_ENCODE_INVALID', `unknown ehBox operation ${String(op)}`);
  return EHBOX_CODECS[op];
}

/** Encodes the request payload of `op` (client side). */
export function encodeEhboxRequest<K extends EhboxOperation>(op: K, data: EhboxRequests[K], options?: EncodeOptions): EncodedPayload {
  return codecOf(op).encodeRequest(data, options);
}

/** Decodes the request payload of `op` (sandbox side). */
export function decodeEhboxRequest<K extends EhboxOperation>(op: K, el: Element, attachments?: AttachmentMap): EhboxRequests[K] {
  return codecOf(op).decodeRequest(el, attachments);
}

/** Encodes the response payload of `op` (sandbox side). */
export function encodeEhboxResponse<K extends EhboxOperation>(op: K, data: EhboxResponses[K], options?: EncodeOptions): EncodedPayload {
  return codecOf(op).encodeResponse(data, options);
}

/** Decodes the response payload of `op` (client side). */
export function decodeEhboxResponse<K extends EhboxOperation>(op: K, el: Element, attachments?: AttachmentMap): EhboxResponses[K] {
  return codecOf(op).decodeResponse(el, attachments);
}

/** The operation whose request or response root is `{ns}local`, if any (for routing and diagnostics). */
export function ehboxOperationForElement(ns: string | null, local: string): { operation: EhboxOperation; kind: 'request' | 'response' } | undefined {
  for (const operation of EHBOX_OPERATION_NAMES) {
    const o = EHBOX_OPERATIONS[operation];
    if (o.namespace !== ns) continue;
    if (o.requestElement === local) return { operation, kind: 'request' };
    if (o.responseElement === local) return { operation, kind: 'response' };
  }
  return undefined;
}
