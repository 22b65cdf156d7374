/**
 * ehBox v3 publication codec (PROTOCOL.md §5): SendMessageRequest and
 * SendMessageResponse in both directions. The client encodes requests and
 * decodes responses; the sandbox decodes requests and encodes responses.
 * Only the root element is in the publication namespace; binary content is
 * referenced as `cid:` and returned beside the XML.
 */
import type { Element } from '@xmldom/xmldom';
import { xmlElement } from '../../soap/xml.ts';
import { NS } from '../../soap/namespaces.ts';
import type {
  AttachmentMap,
  EncodedPayload,
  EncodeOptions,
  PublicationAnnex,
  PublicationDestination,
  PublicationDocument,
  SendMessageRecipient,
  SendMessageRequest,
  SendMessageResponse,
} from './messages.ts';
import {
  boxIdEl,
  contentSpecificationFields,
  customMetasXml,
  ehboxIdentifierEl,
  ehboxIdentifierFields,
  mandateEl,
  metasAndCopyMailXml,
  readBoxId,
  readContentSpecificationFields,
  readCustomMetas,
  readEhboxIdentifier,
  readEhboxIdentifierFields,
  readMandate,
  readMetasAndCopyMail,
  readResponseBase,
  responseEl,
  UNBOUNDED,
} from './common-codec.ts';
import { annexXml, documentXml, freeInformationsEl, readContent, readFreeInformations } from './content-codec.ts';
import { WireReader } from './wire-reader.ts';
import { FACETS } from './wire-values.ts';
import { AttachmentSink, base64El, boolEl, checked, counted, dateEl, each, opt, rootEl } from './wire-writer.ts';

/** Prefix we bind to the publication protocol namespace on the root element. */
export const PUBLICATION_PREFIX = 'ehboxp';

const REQ = 'SendMessageRequest';
const RES = 'SendMessageResponse';

function destinationXml(d: PublicationDestination, path: string): string {
  return xmlElement(
    'DestinationContext',
    undefined,
    ehboxIdentifierFields(d, path),
    mandateEl(d.mandate, `${path}/Mandate`),
    opt(d.oooProcessed, (v) => boolEl('OoOProcessed', v, `${path}/OoOProcessed`)),
  );
}



/** Encodes a SendMessageRequest payload; binary contents become attachments. */
export function encodeSendMessageRequest(req: SendMessageRequest, options?: EncodeOptions): EncodedPayload {
  const sink = new AttachmentSink(options);
  const cc = `${REQ}/ContentContext`;
  const content = xmlElement(
    'Content',
    undefined,
    documentXml(req.document, sink, `${cc}/Content/Document`),
    freeInformationsEl(req.freeInformations, `${cc}/Content/FreeInformations`),
    opt(req.inssPatient, (v) => base64El('EncryptableINSSPatient', v, undefined, `${cc}/Content/EncryptableINSSPatient`)),
    each(counted(req.annexes, 0, UNBOUNDED, `${cc}/Content/Annex`), (a, i) => annexXml(a, sink, `${cc}/Content/Annex[${i + 1}]`)),
  );
  const spec = req.contentSpecification;
  const specPath = `${cc}/ContentSpecification`;
  const contentContext = xmlElement(
    'ContentContext',
    undefined,
    content,
    xmlElement(
      'ContentSpecification',
      undefined,
      contentSpecificationFields(spec, specPath),
      boolEl('PublicationReceipt', spec.publicationReceipt, `${specPath}/PublicationReceipt`),
      boolEl('ReceivedReceipt', spec.receivedReceipt, `${specPath}/ReceivedReceipt`),
      boolEl('ReadReceipt', spec.readReceipt, `${specPath}/ReadReceipt`),
    ),
    customMetasXml(req.customMetas, `${cc}/CustomMeta`),
  );
  const xml = rootEl(
    PUBLICATION_PREFIX,
    NS.ehboxPublication,
    REQ,
    { PublicationId: req.publicationId === undefined ? undefined : checked(req.publicationId, FACETS.publicationId, `${REQ}/@PublicationId`) },
    boxIdEl('BoxId', req.boxId, `${REQ}/BoxId`),
    each(counted(req.destinations, 1, UNBOUNDED, `${REQ}/DestinationContext`), (d, i) => destinationXml(d, `${REQ}/DestinationContext[${i + 1}]`)),
    contentContext,
    metasAndCopyMailXml(req.metas, req.copyMailTo, REQ),
  );
  return { xml, attachments: sink.attachments };
}

function readDestination(r: WireReader): PublicationDestination {
  const d: PublicationDestination = readEhboxIdentifierFields(r);
  const mandate = readMandate(r.opt('Mandate'));
  if (mandate) d.mandate = mandate;
  const ooo = r.optBool('OoOProcessed');
  if (ooo !== undefined) d.oooProcessed = ooo;
  r.end();
  return d;
}

function readDocument(r: WireReader): PublicationDocument {
  const d: PublicationDocument = {
    title: r.str('Title', FACETS.title),
    content: readContent(r),
    downloadFileName: r.str('DownloadFileName', FACETS.fileName),
    mimeType: r.str('MimeType', FACETS.mimeType),
    digest: r.str('Digest'),
  };
  r.end();
  return d;
}

function readAnnex(r: WireReader): PublicationAnnex {
  const a: PublicationAnnex = {
    title: r.one('EncryptableTitle').base64(),
    content: readContent(r),
    downloadFileName: r.str('DownloadFileName', FACETS.fileName),
    mimeType: r.str('MimeType', FACETS.mimeType),
    digest: r.str('Digest'),
  };
  r.end();
  return a;
}

/** Decodes a SendMessageRequest element; `attachments` resolves its `cid:` / XOP references. */
export function decodeSendMessageRequest(el: Element, attachments?: AttachmentMap): SendMessageRequest {
  const r = WireReader.root(el, NS.ehboxPublication, REQ, attachments);
  const publicationId = r.attr('PublicationId', FACETS.publicationId);
  const boxIdEl = r.opt('BoxId');
  const boxId = boxIdEl ? readBoxId(boxIdEl) : undefined;
  const destinations = r.many('DestinationContext', 1).map(readDestination);
  const cc = r.one('ContentContext');
  const content = cc.one('Content');
  const document = readDocument(content.one('Document'));
  const freeInformations = readFreeInformations(content.opt('FreeInformations'));
  const inssPatient = content.opt('EncryptableINSSPatient')?.base64();
  const annexes = content.many('Annex').map(readAnnex);
  content.end();
  const specEl = cc.one('ContentSpecification');
  const contentSpecification = {
    ...readContentSpecificationFields(specEl),
    publicationReceipt: specEl.bool('PublicationReceipt'),
    receivedReceipt: specEl.bool('ReceivedReceipt'),
    readReceipt: specEl.bool('ReadReceipt'),
  };
  specEl.end();
  const customMetas = readCustomMetas(cc);
  cc.end();
  const { metas, copyMailTo } = readMetasAndCopyMail(r);
  r.end();
  const req: SendMessageRequest = { destinations, document, annexes, contentSpecification, customMetas, metas, copyMailTo };
  if (publicationId !== undefined) req.publicationId = publicationId;
  if (boxId) req.boxId = boxId;
  if (freeInformations) req.freeInformations = freeInformations;
  if (inssPatient) req.inssPatient = inssPatient;
  return req;
}

function recipientXml(rc: SendMessageRecipient, path: string): string {
  const abs = rc.absence;
  const absence = opt(abs, (a) =>
    dateEl('AbsentFrom', a.absentFrom, `${path}/AbsentFrom`) +
    dateEl('AbsentTo', a.absentTo, `${path}/AbsentTo`) +
    each(counted(a.substitutes, 0, UNBOUNDED, `${path}/Substitute`), (s, i) => ehboxIdentifierEl('Substitute', s, `${path}/Substitute[${i + 1}]`)),
  );
  return xmlElement('Recipient', undefined, ehboxIdentifierFields(rc, path), absence);
}

/** Encodes a SendMessageResponse payload (no attachments possible). */
export function encodeSendMessageResponse(res: SendMessageResponse): string {
  const sent = res.sentPublicationId;
  return responseEl(
    PUBLICATION_PREFIX,
    NS.ehboxPublication,
    RES,
    res,
    { SentPublicationId: sent === undefined ? undefined : checked(sent, FACETS.publicationId, `${RES}/@SentPublicationId`) },
    each(counted(res.recipients, 0, UNBOUNDED, `${RES}/Recipient`), (rc, i) => recipientXml(rc, `${RES}/Recipient[${i + 1}]`)),
  );
}

function readRecipient(r: WireReader): SendMessageRecipient {
  const rc: SendMessageRecipient = readEhboxIdentifierFields(r);
  const from = r.optDate('AbsentFrom');
  if (from !== undefined) {
    rc.absence = { absentFrom: from, absentTo: r.date('AbsentTo'), substitutes: r.many('Substitute').map(readEhboxIdentifier) };
  }
  r.end();
  return rc;
}

/** Decodes a SendMessageResponse element (status-only error answers included). */
export function decodeSendMessageResponse(el: Element, attachments?: AttachmentMap): SendMessageResponse {
  const r = WireReader.root(el, NS.ehboxPublication, RES, attachments);
  const base = readResponseBase(r);
  const recipients = r.many('Recipient').map(readRecipient);
  r.end();
  const res: SendMessageResponse = { ...base, recipients };
  const sent = r.attr('SentPublicationId', FACETS.publicationId);
  if (sent !== undefined) res.sentPublicationId = sent;
  return res;
}
