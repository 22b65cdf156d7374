/**
 * ehBox v3 consultation responses other than getFullMessage, in both
 * directions: the sandbox encodes them, the client decodes them. Each has the
 * commons Status and attribute Id; the payload group is absent on error
 * answers, which decode to an undefined payload or empty arrays.
 */
import type { Element } from '@xmldom/xmldom';
import { xmlElement } from '../../soap/xml.ts';
import { NS } from '../../soap/namespaces.ts';
import type {
  AcknowledgmentRow,
  ContentInfo,
  GetBoxInfoResponse,
  GetHistoryResponse,
  GetMessageAcknowledgmentsStatusResponse,
  GetMessagesListResponse,
  MessageIdsResponse,
  MessageListItem,
} from './consultation-messages.ts';
import type { AttachmentMap, ResponseBase } from './messages.ts';
import { FOLDERS } from './types.ts';
import {
  boxIdEl,
  contentSpecificationFields,
  customMetasXml,
  ehboxIdentifierEl,
  readBoxId,
  readContentSpecificationFields,
  readCustomMetas,
  readEhboxIdentifier,
  readResponseBase,
  readSender,
  responseEl,
  senderEl,
  UNBOUNDED,
} from './common-codec.ts';
import { messageInfoEl, readMessageInfo } from './content-codec.ts';
import { CONSULTATION_PREFIX } from './consultation-requests.ts';
import { WireReader } from './wire-reader.ts';
import { FACETS } from './wire-values.ts';
import { base64El, boolEl, counted, dateTimeEl, each, encodeFail, intEl, opt, textEl } from './wire-writer.ts';

/** A consultation response root with Status and the given payload. */
export function consultationResponse(local: string, base: ResponseBase, ...content: string[]): string {
  return responseEl(CONSULTATION_PREFIX, NS.ehboxConsultation, local, base, {}, ...content);
}

/** Opens a consultation response root and reads its Status and Id. */
export function openResponse(el: Element, local: string, attachments?: AttachmentMap): { r: WireReader; base: ResponseBase } {
  const r = WireReader.root(el, NS.ehboxConsultation, local, attachments);
  return { r, base: readResponseBase(r) };
}

function idsXml(name: string, ids: readonly string[], facet: (typeof FACETS)[keyof typeof FACETS], path: string): string {
  return each(counted(ids, 0, UNBOUNDED, path), (id) => textEl(name, id, facet, path));
}

/** Encodes GetBoxInfoResponse. */
export function encodeGetBoxInfoResponse(res: GetBoxInfoResponse): string {
  const p = 'GetBoxInfoResponse';
  const info = res.boxInfo;
  return consultationResponse(
    p,
    res,
    opt(
      info,
      (i) =>
        boxIdEl('BoxId', i.boxId, `${p}/BoxId`) +
        intEl('NbrMessagesInStandBy', i.nbrMessagesInStandBy, 'int', undefined, `${p}/NbrMessagesInStandBy`) +
        intEl('CurrentSize', i.currentSize, 'long', undefined, `${p}/CurrentSize`) +
        intEl('MaxSize', i.maxSize, 'long', undefined, `${p}/MaxSize`),
    ),
  );
}

/** Decodes GetBoxInfoResponse. */
export function decodeGetBoxInfoResponse(el: Element, attachments?: AttachmentMap): GetBoxInfoResponse {
  const { r, base } = openResponse(el, 'GetBoxInfoResponse', attachments);
  const box = r.opt('BoxId');
  const res: GetBoxInfoResponse = { ...base };
  if (box) {
    res.boxInfo = {
      boxId: readBoxId(box),
      nbrMessagesInStandBy: r.one('NbrMessagesInStandBy').integer('int'),
      currentSize: r.one('CurrentSize').integer('long'),
      maxSize: r.one('MaxSize').integer('long'),
    };
  }
  r.end();
  return res;
}

function contentInfoEl(c: ContentInfo | undefined, path: string): string {
  return opt(c, (ci) =>
    xmlElement(
      'ContentInfo',
      undefined,
      opt(ci.inssPatient, (v) => base64El('EncryptableINSSPatient', v, undefined, `${path}/EncryptableINSSPatient`)),
      textEl('Title', ci.title, FACETS.title, `${path}/Title`),
      textEl('MimeType', ci.mimeType, FACETS.mimeType, `${path}/MimeType`),
      boolEl('HasFreeInformations', ci.hasFreeInformations, `${path}/HasFreeInformations`),
      boolEl('HasAnnex', ci.hasAnnex, `${path}/HasAnnex`),
    ),
  );
}

function readContentInfo(r: WireReader | undefined): ContentInfo | undefined {
  if (!r) return undefined;
  const inss = r.opt('EncryptableINSSPatient')?.base64();
  const c: ContentInfo = { title: r.str('Title', FACETS.title), mimeType: r.str('MimeType', FACETS.mimeType), hasFreeInformations: r.bool('HasFreeInformations'), hasAnnex: r.bool('HasAnnex') };
  r.end();
  return inss === undefined ? c : { inssPatient: inss, ...c };
}

function listItemXml(m: MessageListItem, path: string): string {
  return xmlElement(
    'Message',
    undefined,
    textEl('MessageId', m.messageId, FACETS.messageId, `${path}/MessageId`),
    ehboxIdentifierEl('Destination', m.destination, `${path}/Destination`),
    senderEl('Sender', m.sender, `${path}/Sender`),
    messageInfoEl(m.messageInfo, `${path}/MessageInfo`),
    contentInfoEl(m.contentInfo, `${path}/ContentInfo`),
    xmlElement('ContentSpecification', undefined, contentSpecificationFields(m.contentSpecification, `${path}/ContentSpecification`)),
    customMetasXml(m.customMetas, `${path}/CustomMeta`, UNBOUNDED),
  );
}

function readListItem(r: WireReader): MessageListItem {
  const messageId = r.str('MessageId', FACETS.messageId);
  const destination = readEhboxIdentifier(r.one('Destination'));
  const sender = readSender(r.one('Sender'));
  const messageInfo = readMessageInfo(r.one('MessageInfo'));
  const contentInfo = readContentInfo(r.opt('ContentInfo'));
  const specEl = r.one('ContentSpecification');
  const contentSpecification = readContentSpecificationFields(specEl);
  specEl.end();
  const customMetas = readCustomMetas(r, UNBOUNDED);
  r.end();
  const item: MessageListItem = { messageId, destination, sender, messageInfo, contentSpecification, customMetas };
  if (contentInfo) item.contentInfo = contentInfo;
  return item;
}

function encodeList(local: string, res: GetMessagesListResponse): string {
  const list = res.list;
  return consultationResponse(
    local,
    res,
    opt(list, (l) => {
      if (!FOLDERS.includes(l.source)) encodeFail(`value must be one of ${FOLDERS.join(', ')}`, `${local}/Source`);
      return textEl('Source', l.source) + each(counted(l.messages, 0, UNBOUNDED, `${local}/Message`), (m, i) => listItemXml(m, `${local}/Message[${i + 1}]`));
    }),
  );
}

function decodeList(el: Element, local: string, attachments?: AttachmentMap): GetMessagesListResponse {
  const { r, base } = openResponse(el, local, attachments);
  const source = r.opt('Source')?.oneOf(FOLDERS);
  const res: GetMessagesListResponse = { ...base };
  if (source !== undefined) res.list = { source, messages: r.many('Message').map(readListItem) };
  r.end();
  return res;
}

/** Encodes GetMessagesListResponse. */
export function encodeGetMessagesListResponse(res: GetMessagesListResponse): string {
  return encodeList('GetMessagesListResponse', res);
}

/** Decodes GetMessagesListResponse. */
export function decodeGetMessagesListResponse(el: Element, attachments?: AttachmentMap): GetMessagesListResponse {
  return decodeList(el, 'GetMessagesListResponse', attachments);
}

/** Encodes GetAllEhboxesMessagesListResponse (same type as GetMessagesListResponse). */
export function encodeGetAllEhboxesMessagesListResponse(res: GetMessagesListResponse): string {
  return encodeList('GetAllEhboxesMessagesListResponse', res);
}

/** Decodes GetAllEhboxesMessagesListResponse. */
export function decodeGetAllEhboxesMessagesListResponse(el: Element, attachments?: AttachmentMap): GetMessagesListResponse {
  return decodeList(el, 'GetAllEhboxesMessagesListResponse', attachments);
}

function encodeIds(local: string, res: MessageIdsResponse): string {
  return consultationResponse(local, res, idsXml('MessageId', res.messageIds, FACETS.messageId, `${local}/MessageId`));
}

function decodeIds(el: Element, local: string, attachments?: AttachmentMap): MessageIdsResponse {
  const { r, base } = openResponse(el, local, attachments);
  const messageIds = r.many('MessageId').map((m) => m.text(FACETS.messageId));
  r.end();
  return { ...base, messageIds };
}

/** Encodes GetHistoryResponse. */
export function encodeGetHistoryResponse(res: GetHistoryResponse): string {
  return encodeIds('GetHistoryResponse', res);
}

/** Decodes GetHistoryResponse. */
export function decodeGetHistoryResponse(el: Element, attachments?: AttachmentMap): GetHistoryResponse {
  return decodeIds(el, 'GetHistoryResponse', attachments);
}

/** Encodes MoveMessageResponse. */
export function encodeMoveMessageResponse(res: MessageIdsResponse): string {
  return encodeIds('MoveMessageResponse', res);
}

/** Decodes MoveMessageResponse. */
export function decodeMoveMessageResponse(el: Element, attachments?: AttachmentMap): MessageIdsResponse {
  return decodeIds(el, 'MoveMessageResponse', attachments);
}

/** Encodes DeleteMessageResponse. */
export function encodeDeleteMessageResponse(res: MessageIdsResponse): string {
  return encodeIds('DeleteMessageResponse', res);
}

/** Decodes DeleteMessageResponse. */
export function decodeDeleteMessageResponse(el: Element, attachments?: AttachmentMap): MessageIdsResponse {
  return decodeIds(el, 'DeleteMessageResponse', attachments);
}

function ackRowXml(row: AcknowledgmentRow, path: string): string {
  return xmlElement(
    'Row',
    undefined,
    ehboxIdentifierEl('Recipient', row.recipient, `${path}/Recipient`),
    opt(row.published, (v) => dateTimeEl('Published', v, `${path}/Published`)),
    opt(row.received, (v) => dateTimeEl('Received', v, `${path}/Received`)),
    opt(row.read, (v) => dateTimeEl('Read', v, `${path}/Read`)),
  );
}

function readAckRow(r: WireReader): AcknowledgmentRow {
  const row: AcknowledgmentRow = { recipient: readEhboxIdentifier(r.one('Recipient')) };
  const published = r.opt('Published')?.dateTime();
  if (published !== undefined) row.published = published;
  const received = r.opt('Received')?.dateTime();
  if (received !== undefined) row.received = received;
  const read = r.opt('Read')?.dateTime();
  if (read !== undefined) row.read = read;
  r.end();
  return row;
}

/** Encodes GetMessageAcknowledgmentsStatusResponse (no AcknowledgmentsStatus when there are no rows). */
export function encodeGetMessageAcknowledgmentsStatusResponse(res: GetMessageAcknowledgmentsStatusResponse): string {
  const p = 'GetMessageAcknowledgmentsStatusResponse';
  const rows = counted(res.rows, 0, UNBOUNDED, `${p}/AcknowledgmentsStatus/Row`);
  const status = rows.length === 0 ? '' : xmlElement('AcknowledgmentsStatus', undefined, each(rows, (row, i) => ackRowXml(row, `${p}/AcknowledgmentsStatus/Row[${i + 1}]`)));
  return consultationResponse(p, res, status);
}

/** Decodes GetMessageAcknowledgmentsStatusResponse. */
export function decodeGetMessageAcknowledgmentsStatusResponse(el: Element, attachments?: AttachmentMap): GetMessageAcknowledgmentsStatusResponse {
  const { r, base } = openResponse(el, 'GetMessageAcknowledgmentsStatusResponse', attachments);
  const ack = r.opt('AcknowledgmentsStatus');
  const rows = ack ? ack.many('Row', 1).map(readAckRow) : [];
  ack?.end();
  r.end();
  return { ...base, rows };
}
