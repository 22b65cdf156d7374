/**
 * ehBox v3 consultation requests (PROTOCOL.md §6) in both directions: the
 * client encodes them, the sandbox decodes them. Every request starts with
 * the optional BoxId (except getAllEhboxesMessagesList); children are
 * unqualified, only the root is in the consultation namespace.
 */
import type { Element } from '@xmldom/xmldom';
import { NS } from '../../soap/namespaces.ts';
import type {
  DeleteMessageRequest,
  DeleteOoORequest,
  GetAllEhboxesMessagesListRequest,
  GetBoxInfoRequest,
  GetMessageAcknowledgmentsStatusRequest,
  GetMessagesListRequest,
  GetOoOListRequest,
  InsertOoORequest,
  MessageRequest,
  MoveMessageRequest,
} from './consultation-messages.ts';
import type { AttachmentMap, BoxAddress, ListSource, MessageSource } from './messages.ts';
import { FOLDERS } from './types.ts';
import { boxIdEl, readBoxId, UNBOUNDED } from './common-codec.ts';
import { WireReader } from './wire-reader.ts';
import { FACETS } from './wire-values.ts';
import { counted, dateEl, each, encodeFail, intEl, opt, rootEl, textEl } from './wire-writer.ts';
import { xmlText } from '../../soap/xml.ts';

/** Prefix we bind to the consultation protocol namespace on the root element. */
export const CONSULTATION_PREFIX = 'ehboxc';
/** MessageId maxOccurs of moveMessage / deleteMessage. */
export const MAX_IDS_PER_CALL = 100;
/** Sources of getFullMessage / getHistory (MessageRequestType). */
export const MESSAGE_SOURCES: readonly MessageSource[] = ['INBOX', 'SENTBOX', 'HISTORY'];
/** StartIndex / EndIndex are xs:int with minInclusive 1. */
const MIN_INDEX = 1;

function root(local: string, ...content: string[]): string {
  return rootEl(CONSULTATION_PREFIX, NS.ehboxConsultation, local, {}, ...content);
}

function open(el: Element, local: string, attachments?: AttachmentMap): WireReader {
  return WireReader.root(el, NS.ehboxConsultation, local, attachments);
}

function folderEl(name: string, value: string, allowed: readonly string[], path: string): string {
  if (!allowed.includes(value)) encodeFail(`value must be one of ${allowed.join(', ')}`, path);
  return xmlText(name, value);
}

function rangeXml(start: number | undefined, end: number | undefined, path: string): string {
  return opt(start, (v) => intEl('StartIndex', v, 'int', MIN_INDEX, `${path}/StartIndex`)) + opt(end, (v) => intEl('EndIndex', v, 'int', MIN_INDEX, `${path}/EndIndex`));
}

function readRange(r: WireReader): { startIndex?: number; endIndex?: number } {
  const out: { startIndex?: number; endIndex?: number } = {};
  const start = r.opt('StartIndex')?.integer('int', MIN_INDEX);
  if (start !== undefined) out.startIndex = start;
  const end = r.opt('EndIndex')?.integer('int', MIN_INDEX);
  if (end !== undefined) out.endIndex = end;
  return out;
}

function readOptBoxId(r: WireReader): { boxId?: BoxAddress } {
  const b = r.opt('BoxId');
  return b ? { boxId: readBoxId(b) } : {};
}

function messageIdsXml(ids: readonly string[], min: number, max: number, path: string): string {
  return each(counted(ids, min, max, path), (id) => textEl('MessageId', id, FACETS.messageId, path));
}

/** Encodes GetBoxInfoRequest. */
export function encodeGetBoxInfoRequest(req: GetBoxInfoRequest): string {
  return root('GetBoxInfoRequest', boxIdEl('BoxId', req.boxId, 'GetBoxInfoRequest/BoxId'));
}

/** Decodes GetBoxInfoRequest. */
export function decodeGetBoxInfoRequest(el: Element, attachments?: AttachmentMap): GetBoxInfoRequest {
  const r = open(el, 'GetBoxInfoRequest', attachments);
  const out = readOptBoxId(r);
  r.end();
  return out;
}

/** Encodes GetMessagesListRequest. */
export function encodeGetMessagesListRequest(req: GetMessagesListRequest): string {
  const p = 'GetMessagesListRequest';
  return root(p, boxIdEl('BoxId', req.boxId, `${p}/BoxId`), folderEl('Source', req.source, FOLDERS, `${p}/Source`), rangeXml(req.startIndex, req.endIndex, p));
}

/** Decodes GetMessagesListRequest. */
export function decodeGetMessagesListRequest(el: Element, attachments?: AttachmentMap): GetMessagesListRequest {
  const r = open(el, 'GetMessagesListRequest', attachments);
  const out = { ...readOptBoxId(r), source: r.one('Source').oneOf<ListSource>(FOLDERS), ...readRange(r) };
  r.end();
  return out;
}

/** Encodes GetAllEhboxesMessagesListRequest (no BoxId in this request). */
export function encodeGetAllEhboxesMessagesListRequest(req: GetAllEhboxesMessagesListRequest): string {
  const p = 'GetAllEhboxesMessagesListRequest';
  return root(p, folderEl('Source', req.source, FOLDERS, `${p}/Source`), rangeXml(req.startIndex, req.endIndex, p));
}

/** Decodes GetAllEhboxesMessagesListRequest. */
export function decodeGetAllEhboxesMessagesListRequest(el: Element, attachments?: AttachmentMap): GetAllEhboxesMessagesListRequest {
  const r = open(el, 'GetAllEhboxesMessagesListRequest', attachments);
  const out = { source: r.one('Source').oneOf<ListSource>(FOLDERS), ...readRange(r) };
  r.end();
  return out;
}

function encodeMessageRequest(local: string, req: MessageRequest): string {
  return root(
    local,
    boxIdEl('BoxId', req.boxId, `${local}/BoxId`),
    folderEl('Source', req.source, MESSAGE_SOURCES, `${local}/Source`),
    textEl('MessageId', req.messageId, FACETS.messageId, `${local}/MessageId`),
  );
}

function decodeMessageRequest(el: Element, local: string, attachments?: AttachmentMap): MessageRequest {
  const r = open(el, local, attachments);
  const out = { ...readOptBoxId(r), source: r.one('Source').oneOf(MESSAGE_SOURCES), messageId: r.str('MessageId', FACETS.messageId) };
  r.end();
  return out;
}

/** Encodes GetFullMessageRequest. */
export function encodeGetFullMessageRequest(req: MessageRequest): string {
  return encodeMessageRequest('GetFullMessageRequest', req);
}

/** Decodes GetFullMessageRequest. */
export function decodeGetFullMessageRequest(el: Element, attachments?: AttachmentMap): MessageRequest {
  return decodeMessageRequest(el, 'GetFullMessageRequest', attachments);
}

/** Encodes GetHistoryRequest (SOAPAction getMessageHistory). */
export function encodeGetHistoryRequest(req: MessageRequest): string {
  return encodeMessageRequest('GetHistoryRequest', req);
}

/** Decodes GetHistoryRequest. */
export function decodeGetHistoryRequest(el: Element, attachments?: AttachmentMap): MessageRequest {
  return decodeMessageRequest(el, 'GetHistoryRequest', attachments);
}

/** Encodes GetMessageAcknowledgmentsStatusRequest. */
export function encodeGetMessageAcknowledgmentsStatusRequest(req: GetMessageAcknowledgmentsStatusRequest): string {
  const p = 'GetMessageAcknowledgmentsStatusRequest';
  return root(p, boxIdEl('BoxId', req.boxId, `${p}/BoxId`), textEl('MessageId', req.messageId, FACETS.messageId, `${p}/MessageId`), rangeXml(req.startIndex, req.endIndex, p));
}

/** Decodes GetMessageAcknowledgmentsStatusRequest. */
export function decodeGetMessageAcknowledgmentsStatusRequest(el: Element, attachments?: AttachmentMap): GetMessageAcknowledgmentsStatusRequest {
  const r = open(el, 'GetMessageAcknowledgmentsStatusRequest', attachments);
  const out = { ...readOptBoxId(r), messageId: r.str('MessageId', FACETS.messageId), ...readRange(r) };
  r.end();
  return out;
}

/** Encodes MoveMessageRequest (1..100 ids). */
export function encodeMoveMessageRequest(req: MoveMessageRequest): string {
  const p = 'MoveMessageRequest';
  return root(
    p,
    boxIdEl('BoxId', req.boxId, `${p}/BoxId`),
    folderEl('Source', req.source, FOLDERS, `${p}/Source`),
    folderEl('Destination', req.destination, FOLDERS, `${p}/Destination`),
    messageIdsXml(req.messageIds, 1, MAX_IDS_PER_CALL, `${p}/MessageId`),
  );
}

/** Decodes MoveMessageRequest. */
export function decodeMoveMessageRequest(el: Element, attachments?: AttachmentMap): MoveMessageRequest {
  const r = open(el, 'MoveMessageRequest', attachments);
  const out = {
    ...readOptBoxId(r),
    source: r.one('Source').oneOf(FOLDERS),
    destination: r.one('Destination').oneOf(FOLDERS),
    messageIds: r.many('MessageId', 1, MAX_IDS_PER_CALL).map((m) => m.text(FACETS.messageId)),
  };
  r.end();
  return out;
}

/** Encodes DeleteMessageRequest (1..100 ids). */
export function encodeDeleteMessageRequest(req: DeleteMessageRequest): string {
  const p = 'DeleteMessageRequest';
  return root(p, boxIdEl('BoxId', req.boxId, `${p}/BoxId`), folderEl('Source', req.source, FOLDERS, `${p}/Source`), messageIdsXml(req.messageIds, 1, MAX_IDS_PER_CALL, `${p}/MessageId`));
}

/** Decodes DeleteMessageRequest. */
export function decodeDeleteMessageRequest(el: Element, attachments?: AttachmentMap): DeleteMessageRequest {
  const r = open(el, 'DeleteMessageRequest', attachments);
  const out = {
    ...readOptBoxId(r),
    source: r.one('Source').oneOf(FOLDERS),
    messageIds: r.many('MessageId', 1, MAX_IDS_PER_CALL).map((m) => m.text(FACETS.messageId)),
  };
  r.end();
  return out;
}

/** Encodes InsertOoORequest. */
export function encodeInsertOoORequest(req: InsertOoORequest): string {
  const p = 'InsertOoORequest';
  return root(
    p,
    boxIdEl('BoxId', req.boxId, `${p}/BoxId`),
    dateEl('StartDate', req.startDate, `${p}/StartDate`),
    dateEl('EndDate', req.endDate, `${p}/EndDate`),
    each(counted(req.substitutes, 0, UNBOUNDED, `${p}/Substitute`), (s, i) => boxIdEl('Substitute', s, `${p}/Substitute[${i + 1}]`)),
  );
}

/** Decodes InsertOoORequest. */
export function decodeInsertOoORequest(el: Element, attachments?: AttachmentMap): InsertOoORequest {
  const r = open(el, 'InsertOoORequest', attachments);
  const out = { ...readOptBoxId(r), startDate: r.date('StartDate'), endDate: r.date('EndDate'), substitutes: r.many('Substitute').map(readBoxId) };
  r.end();
  return out;
}

/** Encodes DeleteOoORequest (at least one id). */
export function encodeDeleteOoORequest(req: DeleteOoORequest): string {
  const p = 'DeleteOoORequest';
  return root(p, boxIdEl('BoxId', req.boxId, `${p}/BoxId`), each(counted(req.oooIds, 1, UNBOUNDED, `${p}/OoOId`), (id) => textEl('OoOId', id, FACETS.oooId, `${p}/OoOId`)));
}

/** Decodes DeleteOoORequest. */
export function decodeDeleteOoORequest(el: Element, attachments?: AttachmentMap): DeleteOoORequest {
  const r = open(el, 'DeleteOoORequest', attachments);
  const out = { ...readOptBoxId(r), oooIds: r.many('OoOId', 1).map((o) => o.text(FACETS.oooId)) };
  r.end();
  return out;
}

/** Encodes GetOoOListRequest. */
export function encodeGetOoOListRequest(req: GetOoOListRequest): string {
  return root('GetOoOListRequest', boxIdEl('BoxId', req.boxId, 'GetOoOListRequest/BoxId'));
}

/** Decodes GetOoOListRequest. */
export function decodeGetOoOListRequest(el: Element, attachments?: AttachmentMap): GetOoOListRequest {
  const r = open(el, 'GetOoOListRequest', attachments);
  const out = readOptBoxId(r);
  r.end();
  return out;
}
