/**
 * eHealthBox v3 client: every publication and consultation operation over
 * the shared codecs, signed by an EhealthSession. A non-100 status becomes a
 * typed EhboxStatusError (permanent for the 80x business codes); an
 * Out-of-Office answer (826) comes back as a typed result listing the absent
 * recipients and their substitutes.
 */
import { EHBOX_CODECS, EHBOX_OPERATIONS, type EhboxOperation, type EhboxRequests, type EhboxResponses } from './wire/operations.ts';
import type { EhboxIdentifier, ResponseBase, SendMessageRequest } from './wire/messages.ts';
import type { EhealthEndpoints, EhealthSession } from '../ehealth/session.ts';

/** Status codes answered by ehBox for a successful call. */
const SUCCESS_CODES = new Set(['100', '200']);
/** ehBox Out-of-Office warning on sendMessage. */
export const OUT_OF_OFFICE_CODE = '826';

/** A non-success ehBox status; `code` is the platform's (801, 802, …). */
export class EhboxStatusError extends Error {
  override readonly name = 'EhboxStatusError';
  constructor(
    readonly operation: EhboxOperation,
    readonly code: string,
    message: string,
    /** The whole decoded answer (e.g. the refused substitutes of insertOoO). */
    readonly response?: ResponseBase,
  ) {
    super(`${operation}: ehBox status ${code}: ${message}`);
  }

  /** Business codes are never worth retrying. */
  get permanent(): boolean {
    return true;
  }
}

/** An absent recipient of an 826 answer. */
export interface AbsentRecipient {
  recipient: EhboxIdentifier;
  absentFrom: string;
  absentTo: string;
  substitutes: EhboxIdentifier[];
}

/** The outcome of sendMessage. */
export type SendResult = { kind: 'published'; messageId: string; publicationId?: string | undefined } | { kind: 'out-of-office'; absent: AbsentRecipient[] };

/** Typed access to the ehBox services for one session. */
export class EhboxClient {
  constructor(
    readonly session: EhealthSession,
    private readonly endpoints: Pick<EhealthEndpoints, 'ehboxPublication' | 'ehboxConsultation'>,
  ) {}

  /** Calls one operation and returns its decoded answer, whatever its status. */
  async raw<K extends EhboxOperation>(op: K, data: EhboxRequests[K]): Promise<EhboxResponses[K]> {
    const codec = EHBOX_CODECS[op];
    const encoded = codec.encodeRequest(data);
    const url = op === 'sendMessage' ? this.endpoints.ehboxPublication : this.endpoints.ehboxConsultation;
    const res = await this.session.call(url, EHBOX_OPERATIONS[op].soapAction, encoded.xml, encoded.attachments);
    return codec.decodeResponse(res.envelope.payload, res.attachments);
  }

  /** Calls one operation; a non-success status throws EhboxStatusError. */
  async call<K extends EhboxOperation>(op: K, data: EhboxRequests[K]): Promise<EhboxResponses[K]> {
    const res = await this.raw(op, data);
    check(op, res);
    return res;
  }

  /** sendMessage: published, or the Out-of-Office details (826). */
  async send(request: SendMessageRequest): Promise<SendResult> {
    const res = await this.raw('sendMessage', request);
    if (res.status.code === OUT_OF_OFFICE_CODE) {
      return {
        kind: 'out-of-office',
        absent: res.recipients
          .filter((r) => r.absence)
          .map((r) => ({ recipient: { id: r.id, type: r.type, subType: r.subType, quality: r.quality, user: r.user }, absentFrom: r.absence!.absentFrom, absentTo: r.absence!.absentTo, substitutes: r.absence!.substitutes })),
      };
    }
    check('sendMessage', res);
    if (!res.id) throw new EhboxStatusError('sendMessage', res.status.code, 'success without a MessageId', res);
    return { kind: 'published', messageId: res.id, publicationId: res.sentPublicationId };
  }

  /** Box id, size, quota and stand-by count. */
  getBoxInfo(data: EhboxRequests['getBoxInfo'] = {}) {
    return this.call('getBoxInfo', data);
  }

  /** One page (at most 100) of a folder, newest first. */
  getMessagesList(data: EhboxRequests['getMessagesList']) {
    return this.call('getMessagesList', data);
  }

  /** One page of a folder over every box of the caller. */
  getAllEhboxesMessagesList(data: EhboxRequests['getAllEhboxesMessagesList']) {
    return this.call('getAllEhboxesMessagesList', data);
  }

  /** A message with its (still sealed) content; see message-unsealer.ts to read it. */
  getFullMessage(data: EhboxRequests['getFullMessage']) {
    return this.call('getFullMessage', data);
  }

  /** getHistory (SOAPAction getMessageHistory). */
  getHistory(data: EhboxRequests['getHistory']) {
    return this.call('getHistory', data);
  }

  /** Per-recipient receipt timestamps of a sent message. */
  getMessageAcknowledgmentsStatus(data: EhboxRequests['getMessageAcknowledgmentsStatus']) {
    return this.call('getMessageAcknowledgmentsStatus', data);
  }

  /** Moves 1..100 messages (INBOX↔BININBOX, SENTBOX↔BINSENTBOX). */
  moveMessage(data: EhboxRequests['moveMessage']) {
    return this.call('moveMessage', data);
  }

  /** Deletes 1..100 messages for good. */
  deleteMessage(data: EhboxRequests['deleteMessage']) {
    return this.call('deleteMessage', data);
  }

  /** Declares an Out-of-Office period; a refusal throws with the refused substitutes in `response`. */
  insertOoO(data: EhboxRequests['insertOoO']) {
    return this.call('insertOoO', data);
  }

  /** Deletes Out-of-Office periods; answers the ids that were not found. */
  deleteOoO(data: EhboxRequests['deleteOoO']) {
    return this.call('deleteOoO', data);
  }

  /** Past, current and future Out-of-Office periods of the box. */
  getOoOList(data: EhboxRequests['getOoOList'] = {}) {
    return this.call('getOoOList', data);
  }
}

function check(op: EhboxOperation, res: ResponseBase): void {
  if (!SUCCESS_CODES.has(res.status.code)) {
    throw new EhboxStatusError(op, res.status.code, res.status.messages.map((m) => m.value).join('; '), res);
  }
}
