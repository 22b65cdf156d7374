/**
 * ETK Depot v1 payloads (`GetEtkRequest`, `GetEtkResponse`), both directions:
 * the client encodes requests and decodes answers, the sandbox does the
 * reverse. Request/response elements are qualified in the etkdepot namespace;
 * the response `Status` is the global element of commons 1_0 core whose
 * `Code`/`Message` children are unqualified (PROTOCOL.md §1.4, §8). Encoders
 * return the payload element only; bad input fails with WireError WIRE_INVALID.
 */
import type { Element } from '@xmldom/xmldom';
import { NS } from '../../soap/namespaces.ts';
import { xmlElement, xmlText } from '../../soap/xml.ts';
import { wireInvalid } from '../../addressbook/wire/wire-error.ts';
import { WireReader, checkNonEmpty, expectRoot, simpleText } from '../../addressbook/wire/wire-xml.ts';
import { ETK_STATUS_SUCCESS, type EtkIdentifier, type EtkMessageLang, type EtkResult, type EtkStatus, type GetEtkRequest, type GetEtkResponse } from './types.ts';

/** commons 1_0 core namespace (owner of the response `Status`); not in the shared NS table yet. */
export const COMMONS_1_0_CORE_NS = 'urn:be:fgov:ehealth:commons:1_0:core';

const E = NS.etkDepot;
const EP = 'etk';
const CP = 'c10';
const e = (local: string): string => `${EP}:${local}`;
const LANGS: readonly EtkMessageLang[] = ['FR', 'NL', 'EN', 'DE', 'NA'];
/** Lexical base64 after removing XML whitespace (xs:base64Binary, canonical padding). */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

// ---- encoding -------------------------------------------------------------

function encodeIdentifier(id: EtkIdentifier): string {
  return xmlElement(e('Identifier'), undefined, xmlText(e('Type'), id.type), xmlText(e('Value'), id.value), xmlText(e('ApplicationID'), id.applicationId));
}

function encodeCriteria(name: string, ids: readonly EtkIdentifier[]): string {
  checkNonEmpty(ids, `${name}/Identifier`);
  return xmlElement(e(name), undefined, ids.map(encodeIdentifier).join(''));
}

function encodeStatus(s: EtkStatus): string {
  checkNonEmpty(s.messages, 'Status/Message');
  const messages = s.messages.map((m) => {
    if (m.lang !== undefined && !LANGS.includes(m.lang)) throw wireInvalid(`Status/Message Lang must be one of ${LANGS.join(', ')}`);
    return xmlText('Message', m.value, { Lang: m.lang });
  });
  return xmlElement(`${CP}:Status`, undefined, xmlText('Code', s.code), messages.join(''));
}

function encodeResult(result: EtkResult): string {
  switch (result.kind) {
    case 'etk':
      if (result.etk.length === 0) throw wireInvalid('ETK must not be empty');
      return xmlText(e('ETK'), Buffer.from(result.etk.buffer, result.etk.byteOffset, result.etk.byteLength).toString('base64'));
    case 'matches':
      checkNonEmpty(result.matches, 'MatchingEtk');
      return result.matches.map((m) => encodeCriteria('MatchingEtk', m.identifiers)).join('');
    case 'errors':
      checkNonEmpty(result.errors, 'Error');
      return result.errors.map((x) => xmlElement(e('Error'), undefined, xmlText(e('Code'), x.code), xmlText(e('Message'), x.message))).join('');
  }
}

/** `GetEtkRequest` payload. */
export function encodeGetEtkRequest(q: GetEtkRequest): string {
  return xmlElement(e('GetEtkRequest'), { [`xmlns:${EP}`]: E }, encodeCriteria('SearchCriteria', q.identifiers));
}

/**
 * `GetEtkResponse` payload. `xmlns=""` on the root keeps the unqualified
 * Code/Message in no namespace even inside an envelope with a default namespace.
 */
export function encodeGetEtkResponse(m: GetEtkResponse): string {
  if (m.result && !m.givenSearchCriteria) throw wireInvalid('GetEtkResponse: a result needs GivenSearchCriteria before it');
  return xmlElement(
    e('GetEtkResponse'),
    { [`xmlns:${EP}`]: E, [`xmlns:${CP}`]: COMMONS_1_0_CORE_NS, xmlns: '', Id: m.id },
    encodeStatus(m.status),
    m.givenSearchCriteria && encodeCriteria('GivenSearchCriteria', m.givenSearchCriteria),
    m.result && encodeResult(m.result),
  );
}

// ---- decoding -------------------------------------------------------------

function decodeIdentifier(r: WireReader): EtkIdentifier {
  const id = { type: r.text(E, 'Type'), value: r.text(E, 'Value'), applicationId: r.optText(E, 'ApplicationID') };
  r.done();
  return id;
}

function decodeCriteria(r: WireReader): EtkIdentifier[] {
  const ids = r.many(E, 'Identifier', 1).map((el) => decodeIdentifier(r.sub(el)));
  r.done();
  return ids;
}

function decodeStatus(r: WireReader): EtkStatus {
  const code = r.text(null, 'Code');
  const messages = r.many(null, 'Message', 1).map((el) => {
    const m = r.sub(el);
    const lang = m.optAttr('Lang');
    if (lang !== undefined && !LANGS.includes(lang as EtkMessageLang)) throw wireInvalid(`${m.path}@Lang is not one of ${LANGS.join(', ')}`);
    return { value: simpleText(el, m.path), lang: lang as EtkMessageLang | undefined };
  });
  r.done();
  return { code, messages };
}

/** Strict base64 (XML whitespace allowed, as xs:base64Binary does) to bytes. */
function decodeBase64(raw: string, what: string): Uint8Array {
  const compact = raw.replace(/[\t\n\r ]+/g, '');
  if (!BASE64.test(compact)) throw wireInvalid(`${what} is not valid base64`);
  if (compact.length === 0) throw wireInvalid(`${what} is empty`);
  return new Uint8Array(Buffer.from(compact, 'base64'));
}

function decodeResult(r: WireReader): EtkResult | undefined {
  const etk = r.opt(E, 'ETK');
  const matches = r.many(E, 'MatchingEtk');
  const errors = r.many(E, 'Error');
  if ([etk !== undefined, matches.length > 0, errors.length > 0].filter(Boolean).length > 1) {
    throw wireInvalid(`${r.path} holds more than one of ETK, MatchingEtk, Error`);
  }
  if (etk) return { kind: 'etk', etk: decodeBase64(simpleText(etk, `${r.path}/ETK`), `${r.path}/ETK`) };
  if (matches.length > 0) return { kind: 'matches', matches: matches.map((el) => ({ identifiers: decodeCriteria(r.sub(el)) })) };
  if (errors.length > 0) {
    return {
      kind: 'errors',
      errors: errors.map((el) => {
        const x = r.sub(el);
        const err = { code: x.text(E, 'Code'), message: x.text(E, 'Message') };
        x.done();
        return err;
      }),
    };
  }
  return undefined;
}

/** Decodes a `GetEtkRequest` element. */
export function decodeGetEtkRequest(el: Element): GetEtkRequest {
  const r = expectRoot(el, E, 'GetEtkRequest');
  const identifiers = decodeCriteria(r.sub(r.one(E, 'SearchCriteria')));
  r.done();
  return { identifiers };
}

/** Decodes a `GetEtkResponse` element (like the schema, refuses a result without GivenSearchCriteria). */
export function decodeGetEtkResponse(el: Element): GetEtkResponse {
  const r = expectRoot(el, E, 'GetEtkResponse');
  const status = decodeStatus(r.sub(r.one(COMMONS_1_0_CORE_NS, 'Status')));
  const given = r.opt(E, 'GivenSearchCriteria');
  const m: GetEtkResponse = {
    id: r.optAttr('Id'),
    status,
    givenSearchCriteria: given ? decodeCriteria(r.sub(given)) : undefined,
    result: decodeResult(r),
  };
  r.done();
  if (m.result && !given) throw wireInvalid('GetEtkResponse has a result without GivenSearchCriteria');
  return m;
}

/** True when the depot answered with the success code `200`. */
export function isEtkSuccess(status: EtkStatus): boolean {
  return status.code.trim() === ETK_STATUS_SUCCESS;
}
