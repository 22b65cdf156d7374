/**
 * The commons v2 parts every Addressbook message shares: request attributes
 * (Id?, IssueInstant), paging attributes, response attributes (Id,
 * InResponseTo?, IssueInstant) and the `Status` element with its nested
 * StatusCode chain (ehealth-commons-schema-{core,protocol}-2_0.xsd).
 */
import { xmlElement, xmlText, type XmlAttrs } from '../../soap/xml.ts';
import { AB_NS, cc } from './namespaces.ts';
import { AB_STATUS_SUCCESS, type AbPagination, type AbRequestHeader, type AbResponseHeader, type AbStatus } from './types.ts';
import { wireInvalid } from './wire-error.ts';
import { MAX_NESTING, WireReader, checkXsDateTime, collapse, checkXsId, checkXsInt, parseXsInt } from './wire-xml.ts';

const C = AB_NS.commonsCore;

/** Root attributes of a request; throws WIRE_INVALID for values the schema refuses. */
export function encodeRequestAttrs(h: AbRequestHeader): XmlAttrs {
  return {
    Id: h.id === undefined ? undefined : checkXsId(h.id, 'Request Id'),
    IssueInstant: checkXsDateTime(h.issueInstant, 'IssueInstant'),
  };
}

/** Offset and MaxElements attributes. */
export function encodePaginationAttrs(p: AbPagination): XmlAttrs {
  return { Offset: checkXsInt(p.offset, 'Offset'), MaxElements: checkXsInt(p.maxElements, 'MaxElements') };
}

/** Root attributes of a response (without paging). */
export function encodeResponseAttrs(h: AbResponseHeader): XmlAttrs {
  return {
    Id: checkXsId(h.id, 'Response Id'),
    InResponseTo: h.inResponseTo,
    IssueInstant: checkXsDateTime(h.issueInstant, 'IssueInstant'),
  };
}

/** `cc:Status` with the StatusCode chain built inside out. */
export function encodeStatus(s: AbStatus): string {
  const codes = [s.code, ...s.subCodes];
  if (codes.length > MAX_NESTING) throw wireInvalid(`Status nests more than ${MAX_NESTING} codes`);
  let inner: string | undefined;
  for (let i = codes.length - 1; i >= 0; i--) {
    inner = xmlElement(cc('StatusCode'), { Value: codes[i] }, inner);
  }
  return xmlElement(cc('Status'), undefined, inner, xmlText(cc('StatusMessage'), s.message));
}

/** Reads Id? and IssueInstant from a request root. */
export function decodeRequestAttrs(r: WireReader): AbRequestHeader {
  const id = r.optAttr('Id');
  return { id: id === undefined ? undefined : checkXsId(collapse(id), `${r.path}@Id`), issueInstant: checkXsDateTime(collapse(r.attr('IssueInstant')), `${r.path}@IssueInstant`) };
}

/** Reads Offset and MaxElements. */
export function decodePaginationAttrs(r: WireReader): AbPagination {
  return { offset: parseXsInt(r.attr('Offset'), `${r.path}@Offset`), maxElements: parseXsInt(r.attr('MaxElements'), `${r.path}@MaxElements`) };
}

function decodeStatus(r: WireReader): AbStatus {
  const codes: string[] = [];
  let level: WireReader | undefined = r.sub(r.one(C, 'StatusCode'));
  while (level) {
    if (codes.length >= MAX_NESTING) throw wireInvalid(`${r.path} nests more than ${MAX_NESTING} StatusCode levels`);
    codes.push(level.attr('Value'));
    const next = level.opt(C, 'StatusCode');
    level.done();
    level = next ? level.sub(next) : undefined;
  }
  const message = r.optText(C, 'StatusMessage');
  r.opt(C, 'StatusDetail'); // allowed, not modelled
  r.done();
  const [code, ...subCodes] = codes as [string, ...string[]];
  return { code, subCodes, message };
}

/** Reads the response attributes and the Status child (the caller reads the rest and calls `done()`). */
export function decodeResponseHeader(r: WireReader): AbResponseHeader {
  return {
    id: checkXsId(collapse(r.attr('Id')), `${r.path}@Id`),
    inResponseTo: r.optAttr('InResponseTo'),
    issueInstant: checkXsDateTime(collapse(r.attr('IssueInstant')), `${r.path}@IssueInstant`),
    status: decodeStatus(r.sub(r.one(C, 'Status'))),
  };
}

/** True when the Status says success (top code `urn:be:fgov:ehealth:2.0:status:Success`). */
export function isAbSuccess(status: AbStatus): boolean {
  return status.code === AB_STATUS_SUCCESS;
}
