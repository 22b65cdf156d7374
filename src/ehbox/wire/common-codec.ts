/**
 * Codecs of the ehBox v3 pieces shared by publication and consultation:
 * box addresses (BoxIdType, EhboxIdentifierType, SenderType, MandateType),
 * the commons Status and response base, content specification and metas
 * (content pieces are in content-codec.ts). Each `xxxFields` encoder returns the children of an element (the caller names the element);
 * each `readXxx` decoder consumes them from a WireReader in schema order.
 */
import { xmlElement, xmlText, type XmlAttrs } from '../../soap/xml.ts';
import type {
  BoxAddress,
  ContentSpecification,
  ContentType,
  CustomMeta,
  EhboxIdentifier,
  Mandate,
  Meta,
  ResponseBase,
  SenderInfo,
  WireStatus,
} from './messages.ts';
import { STATUS_LANGS } from './messages.ts';
import { FACETS } from './wire-values.ts';
import type { WireReader } from './wire-reader.ts';
import { boolEl, checked, counted, each, encodeFail, opt, rootEl, textEl } from './wire-writer.ts';

/** The four ContentType values, for decoding. */
export const CONTENT_TYPES: readonly ContentType[] = ['DOCUMENT', 'NEWS', 'ACKNOWLEDGMENT', 'ERROR'];
/** CustomMeta maxOccurs in ContentContext. */
export const MAX_CUSTOM_METAS = 100;
/** Unbounded maxOccurs. */
export const UNBOUNDED = Number.POSITIVE_INFINITY;

/** Id, Type, SubType? (commons IdentifierType). */
function identifierFields(a: { id: string; type: string; subType?: string | undefined }, path: string): string {
  if (!a || typeof a !== 'object') encodeFail('an identifier is required', path);
  return textEl('Id', a.id, FACETS.any, `${path}/Id`) + textEl('Type', a.type, FACETS.any, `${path}/Type`) + opt(a.subType, (v) => textEl('SubType', v, FACETS.any, `${path}/SubType`));
}

function readIdentifier(r: WireReader): { id: string; type: string; subType?: string } {
  const id = r.str('Id');
  const type = r.str('Type');
  const subType = r.optStr('SubType');
  return subType === undefined ? { id, type } : { id, type, subType };
}

/** Children of a BoxIdType element. */
export function boxIdFields(a: BoxAddress, path: string): string {
  return identifierFields(a, path) + textEl('Quality', a.quality, FACETS.any, `${path}/Quality`);
}

/** `<name>` of BoxIdType; '' when undefined. */
export function boxIdEl(name: string, a: BoxAddress | undefined, path = name): string {
  return a === undefined ? '' : xmlElement(name, undefined, boxIdFields(a, path));
}

/** Reads the children of a BoxIdType element (the caller calls `end()` or reads extensions). */
export function readBoxIdFields(r: WireReader): BoxAddress {
  const ident = readIdentifier(r);
  return { ...ident, quality: r.str('Quality') };
}

/** Reads a complete BoxIdType element. */
export function readBoxId(r: WireReader): BoxAddress {
  const a = readBoxIdFields(r);
  r.end();
  return a;
}

/** Children of an EhboxIdentifierType element (BoxIdType + `User?`). */
export function ehboxIdentifierFields(a: EhboxIdentifier, path: string): string {
  const user = a.user;
  const userXml =
    user === undefined
      ? ''
      : xmlText('User', checked(user.inss, FACETS.inss, `${path}/User`), {
          FirstName: checked(user.firstName, FACETS.personName, `${path}/User/@FirstName`),
          LastName: checked(user.lastName, FACETS.personName, `${path}/User/@LastName`),
        });
  return boxIdFields(a, path) + userXml;
}

/** `<name>` of EhboxIdentifierType. */
export function ehboxIdentifierEl(name: string, a: EhboxIdentifier, path = name): string {
  return xmlElement(name, undefined, ehboxIdentifierFields(a, path));
}

/** Reads the children of an EhboxIdentifierType element (extensions may follow). */
export function readEhboxIdentifierFields(r: WireReader): EhboxIdentifier {
  const a: EhboxIdentifier = readBoxIdFields(r);
  const u = r.opt('User');
  if (u) {
    a.user = { inss: u.text(FACETS.inss), firstName: u.reqAttr('FirstName', FACETS.personName), lastName: u.reqAttr('LastName', FACETS.personName) };
  }
  return a;
}

/** Reads a complete EhboxIdentifierType element. */
export function readEhboxIdentifier(r: WireReader): EhboxIdentifier {
  const a = readEhboxIdentifierFields(r);
  r.end();
  return a;
}

/** `<name>` of SenderType. */
export function senderEl(name: string, s: SenderInfo, path = name): string {
  return xmlElement(
    name,
    undefined,
    boxIdFields(s, path),
    textEl('Name', s.name, FACETS.any, `${path}/Name`),
    opt(s.firstName, (v) => textEl('FirstName', v, FACETS.any, `${path}/FirstName`)),
    opt(s.personInOrganisation, (v) => textEl('PersonInOrganisation', v, FACETS.any, `${path}/PersonInOrganisation`)),
  );
}

/** Reads a complete SenderType element. */
export function readSender(r: WireReader): SenderInfo {
  const s: SenderInfo = { ...readBoxIdFields(r), name: r.str('Name') };
  const firstName = r.optStr('FirstName');
  if (firstName !== undefined) s.firstName = firstName;
  const pio = r.optStr('PersonInOrganisation');
  if (pio !== undefined) s.personInOrganisation = pio;
  r.end();
  return s;
}

/** `<Mandate>` (MandateType); '' when undefined. */
export function mandateEl(m: Mandate | undefined, path: string): string {
  if (m === undefined) return '';
  return xmlElement('Mandate', undefined, identifierFields(m, path), opt(m.name, (v) => textEl('Name', v, FACETS.any, `${path}/Name`)));
}

/** Reads an optional `<Mandate>`. */
export function readMandate(r: WireReader | undefined): Mandate | undefined {
  if (!r) return undefined;
  const m: Mandate = readIdentifier(r);
  const name = r.optStr('Name');
  if (name !== undefined) m.name = name;
  r.end();
  return m;
}

/** `<Status>` (commons StatusType, unqualified children). */
export function statusEl(s: WireStatus, path = 'Status'): string {
  if (!s || typeof s !== 'object') encodeFail('a status is required', path);
  const messages = counted(s.messages, 1, UNBOUNDED, `${path}/Message`);
  return xmlElement(
    'Status',
    undefined,
    textEl('Code', s.code, FACETS.any, `${path}/Code`),
    each(messages, (m) => xmlText('Message', checked(m.value, FACETS.any, `${path}/Message`), { Lang: m.lang })),
  );
}

/** The root of a response: attribute `Id`, then `<Status>`, then `content`. */
export function responseEl(prefix: string, ns: string, local: string, base: ResponseBase, attrs: XmlAttrs, ...content: string[]): string {
  return rootEl(prefix, ns, local, { Id: base.id === undefined ? undefined : checked(base.id, FACETS.any, `${local}/@Id`), ...attrs }, statusEl(base.status, `${local}/Status`), ...content);
}

/** Reads `<Status>` and the `Id` attribute of a response root. */
export function readResponseBase(r: WireReader): ResponseBase {
  const s = r.one('Status');
  const code = s.str('Code');
  const messages = s.many('Message', 1).map((m) => {
    const lang = m.attr('Lang');
    if (lang !== undefined && !(STATUS_LANGS as readonly string[]).includes(lang)) m.fail('attribute Lang must be FR, NL, EN, DE or NA');
    const value = m.text();
    return lang === undefined ? { value } : { value, lang: lang as WireStatus['messages'][number]['lang'] };
  });
  s.end();
  const id = r.attr('Id');
  const base: ResponseBase = { status: { code, messages } };
  if (id !== undefined) base.id = id;
  return base;
}

/** Children of the core ContentSpecificationType. */
export function contentSpecificationFields(c: ContentSpecification, path: string): string {
  if (!CONTENT_TYPES.includes(c.contentType)) encodeFail('ContentType must be DOCUMENT, NEWS, ACKNOWLEDGMENT or ERROR', `${path}/ContentType`);
  return (
    opt(c.applicationName, (v) => textEl('ApplicationName', v, FACETS.applicationName, `${path}/ApplicationName`)) +
    xmlText('ContentType', c.contentType) +
    boolEl('IsImportant', c.isImportant, `${path}/IsImportant`) +
    boolEl('IsEncrypted', c.isEncrypted, `${path}/IsEncrypted`)
  );
}

/** Reads the children of a core ContentSpecificationType (extensions may follow). */
export function readContentSpecificationFields(r: WireReader): ContentSpecification {
  const applicationName = r.optStr('ApplicationName', FACETS.applicationName);
  const contentType = r.one('ContentType').oneOf(CONTENT_TYPES);
  const c: ContentSpecification = { contentType, isImportant: r.bool('IsImportant'), isEncrypted: r.bool('IsEncrypted') };
  return applicationName === undefined ? c : { applicationName, ...c };
}

/** `<CustomMeta>*` (at most `max`: 100 in a ContentContext, unbounded in list items). */
export function customMetasXml(metas: readonly CustomMeta[], path: string, max = MAX_CUSTOM_METAS): string {
  return each(counted(metas, 0, max, path), (m) =>
    xmlElement('CustomMeta', undefined, textEl('Key', m.key, FACETS.meta, `${path}/Key`), textEl('Value', m.value, FACETS.meta, `${path}/Value`)),
  );
}

/** Reads `<CustomMeta>*` (at most `max`: 100 in a ContentContext, unbounded in list items). */
export function readCustomMetas(r: WireReader, max = MAX_CUSTOM_METAS): CustomMeta[] {
  return r.many('CustomMeta', 0, max).map((m) => {
    const meta = { key: m.str('Key', FACETS.meta), value: m.str('Value', FACETS.meta) };
    m.end();
    return meta;
  });
}

/** `<Meta>*` then `<CopyMailTo>*`, the tail of publication and consultation messages. */
export function metasAndCopyMailXml(metas: readonly Meta[], copyMailTo: readonly string[], path: string): string {
  const metaXml = each(counted(metas, 0, UNBOUNDED, `${path}/Meta`), (m) =>
    xmlElement(
      'Meta',
      undefined,
      textEl('Type', m.type, FACETS.meta, `${path}/Meta/Type`),
      each(counted(m.values, 1, UNBOUNDED, `${path}/Meta/Value`), (v) => textEl('Value', v, FACETS.meta, `${path}/Meta/Value`)),
    ),
  );
  return metaXml + each(counted(copyMailTo, 0, UNBOUNDED, `${path}/CopyMailTo`), (m) => textEl('CopyMailTo', m, FACETS.copyMailTo, `${path}/CopyMailTo`));
}

/** Reads `<Meta>*` then `<CopyMailTo>*`. */
export function readMetasAndCopyMail(r: WireReader): { metas: Meta[]; copyMailTo: string[] } {
  const metas = r.many('Meta').map((m) => {
    const meta = { type: m.str('Type', FACETS.meta), values: m.many('Value', 1).map((v) => v.text(FACETS.meta)) };
    m.end();
    return meta;
  });
  return { metas, copyMailTo: r.many('CopyMailTo').map((c) => c.text(FACETS.copyMailTo)) };
}
