/**
 * SOAP 1.1 envelopes (PROTOCOL.md §1.1): building them as strings around
 * hand-written payloads, and parsing untrusted ones into their parts with the
 * structural checks every consumer relies on (one Header at most, exactly one
 * Body, exactly one payload element).
 */
import type { Document, Element } from '@xmldom/xmldom';
import { SoapError } from './errors.ts';
import { NS } from './namespaces.ts';
import { isElement, parseXml, type ParseXmlOptions } from './xml.ts';

export {
  SOAP_ACTIONS,
  SOAP_OPERATIONS,
  formatSoapActionHeader,
  operationForRequestElement,
  operationsForAction,
  readSoapActionHeader,
  type SoapOperation,
  type SoapOperationInfo,
} from './soap-actions.ts';

/** Prefix we use for the SOAP envelope namespace in everything we build. */
export const SOAP_PREFIX = 'soapenv';

/** ASCII subset of XML NCName, enough for the ids we generate. */
const NCNAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Content-Type of a plain (non-multipart) SOAP 1.1 message. */
export const SOAP_CONTENT_TYPE = 'text/xml; charset=utf-8';

/** Parts of an envelope to build; header and body are already-serialised XML. */
export interface BuildEnvelopeOptions {
  /** Header blocks (concatenated XML); no Header element when undefined or empty. */
  header?: string;
  /** The Body content: one payload element (or a soap:Fault). */
  body: string;
  /** When set, the Body carries `wsu:Id` with this value (the target of a WS-Security reference). */
  bodyId?: string;
}

/** Builds a SOAP 1.1 envelope string around already-serialised header blocks and body payload. */
export function buildEnvelope({ header, body, bodyId }: BuildEnvelopeOptions): string {
  const p = SOAP_PREFIX;
  const headerXml = header ? `<${p}:Header>${header}</${p}:Header>` : '';
  if (bodyId !== undefined && !NCNAME.test(bodyId)) throw new SoapError('INVALID_ARGUMENT', 'bodyId must be an XML NCName');
  const bodyAttrs = bodyId ? ` xmlns:wsu="${NS.wsu}" wsu:Id="${bodyId}"` : '';
  return `<${p}:Envelope xmlns:${p}="${NS.soap}">${headerXml}<${p}:Body${bodyAttrs}>${body}</${p}:Body></${p}:Envelope>`;
}

/** A parsed SOAP 1.1 envelope. */
export interface ParsedEnvelope {
  doc: Document;
  envelope: Element;
  header?: Element;
  body: Element;
  /** The single element child of Body (a soap:Fault for fault messages). */
  payload: Element;
  /** Set when the payload is a soap:Fault. */
  fault?: Element;
}

function envelopeError(message: string): SoapError {
  return new SoapError('ENVELOPE_INVALID', message);
}

function elementChildren(parent: Element, what: string): Element[] {
  const out: Element[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1) out.push(n as Element);
    else if ((n.nodeType === 3 || n.nodeType === 4) && (n.nodeValue ?? '').trim() !== '') {
      throw envelopeError(`Unexpected text content in ${what}`);
    }
  }
  return out;
}

/**
 * Parses a SOAP 1.1 envelope (hardened parser, see `parseXml`). Throws
 * SoapError XML_* for bad XML and ENVELOPE_INVALID when the structure is
 * not Envelope(Header?, Body(payload)).
 */
export function parseEnvelope(xml: string, options?: ParseXmlOptions): ParsedEnvelope {
  const doc = parseXml(xml, options);
  return envelopeFromDocument(doc);
}

/** Structural checks of `parseEnvelope` on an already-parsed document. */
export function envelopeFromDocument(doc: Document): ParsedEnvelope {
  const envelope = doc.documentElement!;
  const rootName = `{${envelope.namespaceURI ?? ''}}${envelope.localName}`;
  if (isElement(envelope, NS.soap12, 'Envelope')) throw envelopeError('SOAP 1.2 envelopes are not supported (SOAP 1.1 expected)');
  if (!isElement(envelope, NS.soap, 'Envelope')) {
    throw envelopeError(`Root element is ${rootName}, not a SOAP 1.1 Envelope`);
  }
  const parts = elementChildren(envelope, 'Envelope');
  let i = 0;
  let header: Element | undefined;
  if (parts[i] && isElement(parts[i], NS.soap, 'Header')) header = parts[i++];
  const body = parts[i++];
  if (!body || !isElement(body, NS.soap, 'Body')) throw envelopeError('Envelope has no Body where one is expected');
  if (i !== parts.length) throw envelopeError('Envelope has unexpected elements besides Header and Body');
  const payloads = elementChildren(body, 'Body');
  if (payloads.length !== 1) throw envelopeError(`Body must hold exactly one element, found ${payloads.length}`);
  const payload = payloads[0]!;
  const fault = isElement(payload, NS.soap, 'Fault') ? payload : undefined;
  return { doc, envelope, ...(header ? { header } : {}), body, payload, ...(fault ? { fault } : {}) };
}
