/**
 * Bodies of SOAP HTTP messages: plain `text/xml`, or `multipart/related`
 * (SOAP-with-Attachments and XOP) when binary content travels beside the
 * envelope.
 */
import { SOAP_CONTENT_TYPE } from '../../soap/envelope.ts';
import { SoapError } from '../../soap/errors.ts';
import { buildMultipartRelated, isMultipartRelated, parseMultipartRelated } from '../../soap/swa.ts';

/** The envelope text and the attachments by content id (no `cid:`, no angle brackets). */
export interface DecodedBody {
  envelopeXml: string;
  attachments: ReadonlyMap<string, Uint8Array>;
}

/** Reads an HTTP body according to its Content-Type. */
export function decodeSoapBody(contentType: string, body: Buffer, maxBytes?: number): DecodedBody {
  if (isMultipartRelated(contentType)) {
    const parsed = parseMultipartRelated(body, contentType, maxBytes === undefined ? {} : { maxTotalBytes: maxBytes });
    return { envelopeXml: parsed.envelopeXml, attachments: parsed.attachments };
  }
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type === 'text/xml' || type === 'application/soap+xml' || type === '') {
    return { envelopeXml: body.toString('utf8'), attachments: new Map() };
  }
  throw new SoapError('ENVELOPE_INVALID', `Unsupported Content-Type ${type}`);
}

/** Writes an envelope (and attachments, as SOAP-with-Attachments) as an HTTP body. */
export function encodeSoapBody(envelopeXml: string, attachments: readonly { cid: string; bytes: Uint8Array }[]): { contentType: string; data: Buffer } {
  if (attachments.length === 0) return { contentType: SOAP_CONTENT_TYPE, data: Buffer.from(envelopeXml, 'utf8') };
  const body = buildMultipartRelated({ envelopeXml, attachments: attachments.map((a) => ({ contentId: a.cid, data: a.bytes })) });
  return { contentType: body.contentType, data: Buffer.concat(body.parts, body.length) };
}
