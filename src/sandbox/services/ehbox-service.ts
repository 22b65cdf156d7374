/**
 * The sandbox eHealthBox v3 services (publication and consultation): every
 * call is authenticated (SAML holder-of-key), decoded with the shared wire
 * codecs, performed on the sandbox state, and answered with the commons
 * Status (100 on success, the business code otherwise).
 */
import { EHBOX_CODECS, type EhboxOperation, type EhboxResponses } from '../../ehbox/wire/operations.ts';
import type { FullMessage, MessageListItem } from '../../ehbox/wire/consultation-messages.ts';
import type { ContentSpecification, ResponseBase, WireStatus } from '../../ehbox/wire/messages.ts';
import type { BlobRef, StoredMessage } from '../ehbox/model.ts';
import { Codes, EhboxBusinessError, MAX_ITEMS_PER_CALL, type EhboxContext } from '../ehbox/context.ts';
import { publish, type PublishOptions } from '../ehbox/publication.ts';
import type { FaultInjector } from '../http/faults.ts';
import { acknowledgmentsStatus, boxInfo, deleteMessages, fullMessage, history, listAllBoxes, listMessages, moveMessages } from '../ehbox/consultation.ts';
import { deleteOoO, insertOoO, listOoO, type RejectedSubstitute } from '../ehbox/out-of-office.ts';
import type { PartyDirectory } from '../directory/party-directory.ts';
import type { SandboxMaterial } from '../material.ts';
import type { SoapAnswer, SoapCall, SoapService } from '../http/soap-endpoint.ts';
import { authenticateCaller, type AuthenticatedCaller } from './identity.ts';

const ok = (): WireStatus => ({ code: Codes.OK, messages: [{ value: 'SUCCESS', lang: 'EN' }] });

type Deps = { material: SandboxMaterial; directory: PartyDirectory; ehbox: EhboxContext; now: () => Date; faults?: FaultInjector | undefined };

function spec(m: StoredMessage): ContentSpecification {
  return { applicationName: m.applicationName, contentType: m.contentType, isImportant: m.isImportant, isEncrypted: m.isEncrypted };
}

function listItem(ctx: EhboxContext, m: StoredMessage, destination: StoredMessage['destinations'][number]): MessageListItem {
  return {
    messageId: m.messageId,
    destination,
    sender: m.sender,
    messageInfo: { publicationDate: m.publicationDate, expirationDate: m.expirationDate, size: String(m.size) },
    contentInfo: {
      inssPatient: m.inssPatient ? ctx.blobs.get(m.inssPatient) : undefined,
      title: m.document.title,
      mimeType: m.document.mimeType,
      hasFreeInformations: m.freeInformations !== undefined,
      hasAnnex: m.annexes.length > 0,
    },
    contentSpecification: spec(m),
    customMetas: m.customMetas,
  };
}

function full(ctx: EhboxContext, m: StoredMessage): FullMessage {
  const b = (r: BlobRef) => new Uint8Array(ctx.blobs.get(r));
  const f = m.freeInformations;
  return {
    sender: m.sender,
    messageInfo: { publicationDate: m.publicationDate, expirationDate: m.expirationDate, size: String(m.size) },
    message: {
      messageId: m.messageId,
      publicationId: m.publicationId,
      destinations: m.destinations.map((d) => ({ id: d.id, type: d.type, subType: d.subType, quality: d.quality, user: d.user })),
      document: { title: m.document.title, content: { bytes: b(m.document.content.blob), binary: m.document.content.binary }, downloadFileName: m.document.downloadFileName, mimeType: m.document.mimeType },
      freeInformations:
        f?.kind === 'text' ? { kind: 'text', text: b(f.text) } : f?.kind === 'old' ? { kind: 'old', value: b(f.value), render: f.render } : f ? { kind: 'table', title: f.title, rows: f.rows.map((r) => ({ left: b(r.left), right: b(r.right) })) } : undefined,
      inssPatient: m.inssPatient ? b(m.inssPatient) : undefined,
      annexes: m.annexes.map((a) => ({ title: b(a.title), content: { bytes: b(a.content.blob), binary: a.content.binary }, downloadFileName: a.downloadFileName, mimeType: a.mimeType })),
      acknowledgment: m.acknowledgment,
      error: m.error ? { code: m.error.code, messages: m.error.messages, destinations: m.error.destinations, failures: [], publicationId: m.error.publicationId } : undefined,
      contentSpecification: spec(m),
      customMetas: m.customMetas,
      metas: m.metas,
      copyMailTo: m.copyMailTo,
    },
  };
}

/** The asynchronous delivery failures set by fault injection (`deliveryFailure` of the sendMessage rule). */
function deliveryFailures(deps: Deps): PublishOptions {
  const rule = deps.faults?.deliveryFailure('sendMessage', deps.now());
  if (!rule) return {};
  const hit = rule.recipients ? new Set(rule.recipients) : undefined;
  return {
    deliveryFailure: ({ address, requested }) => {
      const aliases = deps.directory.partyOfBox(address)?.boxes.map((b) => b.id) ?? [address.id];
      const matches = !hit || hit.has(requested.id) || aliases.some((id) => hit.has(id));
      return matches ? { code: rule.code, message: rule.message } : undefined;
    },
  };
}

/** Performs one operation; returns the response data (without status failures). */
function perform(op: EhboxOperation, call: SoapCall, caller: AuthenticatedCaller, deps: Deps): EhboxResponses[EhboxOperation] {
  const ctx = deps.ehbox;
  const base = (): ResponseBase => ({ status: ok() });
  switch (op) {
    case 'sendMessage': {
      const req = EHBOX_CODECS.sendMessage.decodeRequest(call.payload, call.attachments);
      const r = publish(ctx, caller, req, deliveryFailures(deps));
      if (r.code === Codes.OK) return { id: r.messageId, status: ok(), sentPublicationId: r.publicationId, recipients: [] };
      return {
        status: { code: Codes.OUT_OF_OFFICE, messages: [{ value: 'At least one recipient is absent (Out-of-Office)', lang: 'EN' }] },
        recipients: r.absent.map((a) => ({ ...a.recipient, absence: { absentFrom: a.absentFrom, absentTo: a.absentTo, substitutes: a.substitutes } })),
      };
    }
    case 'getBoxInfo': {
      const req = EHBOX_CODECS.getBoxInfo.decodeRequest(call.payload);
      return { ...base(), boxInfo: boxInfo(ctx, caller, req.boxId) };
    }
    case 'getMessagesList': {
      const req = EHBOX_CODECS.getMessagesList.decodeRequest(call.payload);
      const page = listMessages(ctx, caller, { boxId: req.boxId, source: req.source, start: req.startIndex ?? 1, end: req.endIndex ?? MAX_ITEMS_PER_CALL });
      return { ...base(), list: { source: req.source, messages: page.map((p) => listItem(ctx, p.message, p.entry.destination)) } };
    }
    case 'getAllEhboxesMessagesList': {
      const req = EHBOX_CODECS.getAllEhboxesMessagesList.decodeRequest(call.payload);
      const page = listAllBoxes(ctx, caller, { source: req.source, start: req.startIndex ?? 1, end: req.endIndex ?? MAX_ITEMS_PER_CALL });
      return { ...base(), list: { source: req.source, messages: page.map((p) => listItem(ctx, p.message, p.entry.destination)) } };
    }
    case 'getFullMessage': {
      const req = EHBOX_CODECS.getFullMessage.decodeRequest(call.payload);
      return { ...base(), fullMessage: full(ctx, fullMessage(ctx, caller, req).message) };
    }
    case 'getHistory': {
      const req = EHBOX_CODECS.getHistory.decodeRequest(call.payload);
      return { ...base(), messageIds: history(ctx, caller, req) };
    }
    case 'getMessageAcknowledgmentsStatus': {
      const req = EHBOX_CODECS.getMessageAcknowledgmentsStatus.decodeRequest(call.payload);
      const rows = acknowledgmentsStatus(ctx, caller, { boxId: req.boxId, messageId: req.messageId, start: req.startIndex ?? 1, end: req.endIndex ?? 100 });
      return { ...base(), rows: rows.map((r) => ({ recipient: r.recipient, published: r.published, received: r.received, read: r.read })) };
    }
    case 'moveMessage': {
      const req = EHBOX_CODECS.moveMessage.decodeRequest(call.payload);
      return { ...base(), messageIds: moveMessages(ctx, caller, req) };
    }
    case 'deleteMessage': {
      const req = EHBOX_CODECS.deleteMessage.decodeRequest(call.payload);
      return { ...base(), messageIds: deleteMessages(ctx, caller, req) };
    }
    case 'insertOoO': {
      const req = EHBOX_CODECS.insertOoO.decodeRequest(call.payload);
      insertOoO(ctx, caller, req);
      return { ...base(), substitutes: [] };
    }
    case 'deleteOoO': {
      const req = EHBOX_CODECS.deleteOoO.decodeRequest(call.payload);
      return { ...base(), oooIds: deleteOoO(ctx, caller, req) };
    }
    case 'getOoOList': {
      const req = EHBOX_CODECS.getOoOList.decodeRequest(call.payload);
      return { ...base(), periods: listOoO(ctx, caller, req) };
    }
  }
}

function failure(op: EhboxOperation, err: EhboxBusinessError): EhboxResponses[EhboxOperation] {
  const status: WireStatus = { code: err.code, messages: [{ value: err.message, lang: 'EN' }] };
  switch (op) {
    case 'sendMessage': {
      // a reused PublicationId names the message it already published (sandbox choice, see docs/sandbox.md)
      const prior = (err.details as { messageId?: unknown } | undefined)?.messageId;
      return { ...(typeof prior === 'string' ? { id: prior } : {}), status, recipients: [] };
    }
    case 'insertOoO':
      return { status, substitutes: Array.isArray(err.details) ? (err.details as RejectedSubstitute[]) : [] };
    case 'getHistory':
    case 'moveMessage':
    case 'deleteMessage':
      return { status, messageIds: [] };
    case 'deleteOoO':
      return { status, oooIds: [] };
    case 'getOoOList':
      return { status, periods: [] };
    case 'getMessageAcknowledgmentsStatus':
      return { status, rows: [] };
    default:
      return { status };
  }
}

function answer(op: EhboxOperation, data: EhboxResponses[EhboxOperation]): SoapAnswer {
  const encoded = (EHBOX_CODECS[op].encodeResponse as (d: unknown) => { xml: string; attachments: { cid: string; bytes: Uint8Array }[] })(data);
  return { payloadXml: encoded.xml, attachments: encoded.attachments };
}

function service(deps: Deps, operations: EhboxOperation[]): SoapService {
  return {
    operations,
    handle(call: SoapCall): SoapAnswer {
      const op = call.operation as EhboxOperation;
      const caller = authenticateCaller(call.envelope.doc, { ...deps, now: deps.now() });
      let data: EhboxResponses[EhboxOperation];
      try {
        data = perform(op, call, caller, deps);
      } catch (err) {
        if (!(err instanceof EhboxBusinessError)) throw err;
        data = failure(op, err);
      }
      return answer(op, data);
    },
    // ehBox answers its business codes in the response Status, not as SOAP faults
    statusAnswer(call: SoapCall, code: string, message: string): SoapAnswer {
      authenticateCaller(call.envelope.doc, { ...deps, now: deps.now() });
      const op = call.operation as EhboxOperation;
      return answer(op, failure(op, new EhboxBusinessError(code, message)));
    },
  };
}

/** The publication and consultation services with their paths. */
export function createEhboxServices(deps: Deps): { path: string; service: SoapService }[] {
  return [
    { path: '/ehBoxPublication/v3', service: service(deps, ['sendMessage']) },
    {
      path: '/ehBoxConsultation/v3',
      service: service(deps, ['getBoxInfo', 'getMessagesList', 'getAllEhboxesMessagesList', 'getFullMessage', 'getHistory', 'getMessageAcknowledgmentsStatus', 'moveMessage', 'deleteMessage', 'insertOoO', 'deleteOoO', 'getOoOList']),
    },
  ];
}
