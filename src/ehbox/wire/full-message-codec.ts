/**
 * GetFullMessageResponse in both directions: Sender, the full
 * ConsultationMessageType (destinations, document, free informations,
 * patient, annexes, acknowledgment or error content, specification, metas)
 * and MessageInfo. The sandbox answers binary content as SwA `cid:` parts;
 * the client resolves `cid:` and XOP references.
 */
import type { Element } from '@xmldom/xmldom';
import { xmlElement, xmlText } from '../../soap/xml.ts';
import type {
  AcknowledgmentContent,
  ConsultationAnnex,
  ConsultationDestination,
  ConsultationDocument,
  ConsultationMessage,
  ErrorContent,
  GetFullMessageResponse,
} from './consultation-messages.ts';
import type { AckType, AttachmentMap, EncodedPayload, EncodeOptions } from './messages.ts';
import {
  contentSpecificationFields,
  customMetasXml,
  ehboxIdentifierEl,
  ehboxIdentifierFields,
  mandateEl,
  metasAndCopyMailXml,
  readContentSpecificationFields,
  readCustomMetas,
  readEhboxIdentifier,
  readEhboxIdentifierFields,
  readMandate,
  readMetasAndCopyMail,
  readSender,
  senderEl,
  UNBOUNDED,
} from './common-codec.ts';
import { annexXml, documentXml, freeInformationsEl, messageInfoEl, readContent, readFreeInformations, readMessageInfo } from './content-codec.ts';
import { consultationResponse, openResponse } from './consultation-responses.ts';
import type { WireReader } from './wire-reader.ts';
import { FACETS } from './wire-values.ts';
import { AttachmentSink, base64El, checked, counted, dateTimeEl, each, encodeFail, opt, textEl } from './wire-writer.ts';

const RES = 'GetFullMessageResponse';
const MSG = `${RES}/Message`;
const ACK_TYPES: readonly AckType[] = ['PUBLISHED', 'RECEIVED', 'READ'];

function destinationXml(d: ConsultationDestination, path: string): string {
  return xmlElement('DestinationContext', undefined, ehboxIdentifierFields(d, path), mandateEl(d.mandate, `${path}/Mandate`));
}



function acknowledgmentXml(a: AcknowledgmentContent, path: string): string {
  if (!ACK_TYPES.includes(a.ackType)) encodeFail('AckType must be PUBLISHED, RECEIVED or READ', `${path}/AckType`);
  return xmlElement(
    'Acknowledgment',
    undefined,
    textEl('MessageId', a.messageId, FACETS.messageId, `${path}/MessageId`),
    opt(a.recipient, (rc) => ehboxIdentifierEl('Recipient', rc, `${path}/Recipient`)),
    xmlText('AckType', a.ackType),
    dateTimeEl('DateTime', a.dateTime, `${path}/DateTime`),
  );
}

function errorXml(e: ErrorContent, path: string): string {
  const destinations = counted(e.destinations, 0, UNBOUNDED, `${path}/Destination`);
  const failures = counted(e.failures, 0, UNBOUNDED, `${path}/Failure`);
  if (destinations.length > 0 && failures.length > 0) encodeFail('an Error carries Destination or Failure elements, not both', path);
  return xmlElement(
    'Error',
    { PublicationId: e.publicationId === undefined ? undefined : checked(e.publicationId, FACETS.any, `${path}/@PublicationId`) },
    textEl('Code', e.code, FACETS.any, `${path}/Code`),
    each(counted(e.messages, 1, UNBOUNDED, `${path}/Message`), (m) => textEl('Message', m, FACETS.any, `${path}/Message`)),
    each(destinations, (d, i) => ehboxIdentifierEl('Destination', d, `${path}/Destination[${i + 1}]`)),
    each(failures, (f) => textEl('Failure', f, FACETS.any, `${path}/Failure`)),
  );
}

function contentContextXml(m: ConsultationMessage, sink: AttachmentSink): string {
  const c = `${MSG}/ContentContext/Content`;
  const content = xmlElement(
    'Content',
    undefined,
    documentXml(m.document, sink, `${c}/Document`),
    freeInformationsEl(m.freeInformations, `${c}/FreeInformations`),
    opt(m.inssPatient, (v) => base64El('EncryptableINSSPatient', v, undefined, `${c}/EncryptableINSSPatient`)),
    each(counted(m.annexes, 0, UNBOUNDED, `${c}/Annex`), (a, i) => annexXml(a, sink, `${c}/Annex[${i + 1}]`)),
    opt(m.acknowledgment, (a) => acknowledgmentXml(a, `${c}/Acknowledgment`)),
    opt(m.error, (e) => errorXml(e, `${c}/Error`)),
  );
  return xmlElement(
    'ContentContext',
    undefined,
    content,
    xmlElement('ContentSpecification', undefined, contentSpecificationFields(m.contentSpecification, `${MSG}/ContentContext/ContentSpecification`)),
    customMetasXml(m.customMetas, `${MSG}/ContentContext/CustomMeta`),
  );
}

function messageXml(m: ConsultationMessage, sink: AttachmentSink): string {
  return xmlElement(
    'Message',
    { MessageId: m.messageId === undefined ? undefined : checked(m.messageId, FACETS.messageId, `${MSG}/@MessageId`) },
    opt(m.publicationId, (v) => textEl('PublicationId', v, FACETS.publicationId, `${MSG}/PublicationId`)),
    each(counted(m.destinations, 1, UNBOUNDED, `${MSG}/DestinationContext`), (d, i) => destinationXml(d, `${MSG}/DestinationContext[${i + 1}]`)),
    contentContextXml(m, sink),
    metasAndCopyMailXml(m.metas, m.copyMailTo, MSG),
  );
}

/** Encodes GetFullMessageResponse; binary contents become attachments. */
export function encodeGetFullMessageResponse(res: GetFullMessageResponse, options?: EncodeOptions): EncodedPayload {
  const sink = new AttachmentSink(options);
  const full = res.fullMessage;
  const payload = opt(full, (f) => senderEl('Sender', f.sender, `${RES}/Sender`) + messageXml(f.message, sink) + messageInfoEl(f.messageInfo, `${RES}/MessageInfo`));
  return { xml: consultationResponse(RES, res, payload), attachments: sink.attachments };
}

function readDestination(r: WireReader): ConsultationDestination {
  const d: ConsultationDestination = readEhboxIdentifierFields(r);
  const mandate = readMandate(r.opt('Mandate'));
  if (mandate) d.mandate = mandate;
  r.end();
  return d;
}

function readDocument(r: WireReader): ConsultationDocument {
  const d = { title: r.str('Title', FACETS.title), content: readContent(r), downloadFileName: r.str('DownloadFileName', FACETS.fileName), mimeType: r.str('MimeType', FACETS.mimeType) };
  r.end();
  return d;
}

function readAnnex(r: WireReader): ConsultationAnnex {
  const a = { title: r.one('EncryptableTitle').base64(), content: readContent(r), downloadFileName: r.str('DownloadFileName', FACETS.fileName), mimeType: r.str('MimeType', FACETS.mimeType) };
  r.end();
  return a;
}

function readAcknowledgment(r: WireReader): AcknowledgmentContent {
  const messageId = r.str('MessageId', FACETS.messageId);
  const recipientEl = r.opt('Recipient');
  const ack: AcknowledgmentContent = { messageId, ackType: r.one('AckType').oneOf(ACK_TYPES), dateTime: r.one('DateTime').dateTime() };
  if (recipientEl) ack.recipient = readEhboxIdentifier(recipientEl);
  r.end();
  return ack;
}

function readError(r: WireReader): ErrorContent {
  const e: ErrorContent = {
    code: r.str('Code'),
    messages: r.many('Message', 1).map((m) => m.text()),
    destinations: r.many('Destination').map(readEhboxIdentifier),
    failures: [],
  };
  if (e.destinations.length === 0) e.failures = r.many('Failure').map((f) => f.text());
  r.end();
  const publicationId = r.attr('PublicationId');
  if (publicationId !== undefined) e.publicationId = publicationId;
  return e;
}

function readContentBlock(r: WireReader): Pick<ConsultationMessage, 'document' | 'freeInformations' | 'inssPatient' | 'annexes' | 'acknowledgment' | 'error'> {
  const document = readDocument(r.one('Document'));
  const freeInformations = readFreeInformations(r.opt('FreeInformations'));
  const inssPatient = r.opt('EncryptableINSSPatient')?.base64();
  const annexes = r.many('Annex').map(readAnnex);
  const ackEl = r.opt('Acknowledgment');
  const acknowledgment = ackEl ? readAcknowledgment(ackEl) : undefined;
  const errEl = r.opt('Error');
  const error = errEl ? readError(errEl) : undefined;
  r.end();
  const out: ReturnType<typeof readContentBlock> = { document, annexes };
  if (freeInformations) out.freeInformations = freeInformations;
  if (inssPatient) out.inssPatient = inssPatient;
  if (acknowledgment) out.acknowledgment = acknowledgment;
  if (error) out.error = error;
  return out;
}

function readMessage(r: WireReader): ConsultationMessage {
  const publicationId = r.optStr('PublicationId', FACETS.publicationId);
  const destinations = r.many('DestinationContext', 1).map(readDestination);
  const cc = r.one('ContentContext');
  const content = readContentBlock(cc.one('Content'));
  const specEl = cc.one('ContentSpecification');
  const contentSpecification = readContentSpecificationFields(specEl);
  specEl.end();
  const customMetas = readCustomMetas(cc);
  cc.end();
  const { metas, copyMailTo } = readMetasAndCopyMail(r);
  r.end();
  const m: ConsultationMessage = { destinations, ...content, contentSpecification, customMetas, metas, copyMailTo };
  const messageId = r.attr('MessageId', FACETS.messageId);
  if (messageId !== undefined) m.messageId = messageId;
  if (publicationId !== undefined) m.publicationId = publicationId;
  return m;
}

/** Decodes GetFullMessageResponse; `attachments` resolves its `cid:` / XOP references. */
export function decodeGetFullMessageResponse(el: Element, attachments?: AttachmentMap): GetFullMessageResponse {
  const { r, base } = openResponse(el, RES, attachments);
  const res: GetFullMessageResponse = { ...base };
  const senderReader = r.opt('Sender');
  if (senderReader) {
    res.fullMessage = { sender: readSender(senderReader), message: readMessage(r.one('Message')), messageInfo: readMessageInfo(r.one('MessageInfo')) };
  }
  r.end();
  return res;
}
