/**
 * Codecs of the content pieces shared by publication and consultation:
 * FreeInformations (text, table, legacy rendered), the binary-or-text
 * content choice of documents and annexes (SwA `cid:` or inline base64), and
 * MessageInfo.
 */
import { xmlElement, xmlText } from '../../soap/xml.ts';
import type { EncryptableContent, FreeInformations } from './messages.ts';
import type { MessageInfo } from './consultation-messages.ts';
import { UNBOUNDED } from './common-codec.ts';
import { FACETS } from './wire-values.ts';
import type { WireReader } from './wire-reader.ts';
import { base64El, checked, counted, dateEl, each, encodeFail, textEl, type AttachmentSink } from './wire-writer.ts';

/** `<FreeInformations>` (FreeInformationsType); '' when undefined. */
export function freeInformationsEl(f: FreeInformations | undefined, path: string): string {
  if (f === undefined) return '';
  let inner: string;
  if (f.kind === 'text') inner = base64El('EncryptableFreeText', f.text, undefined, `${path}/EncryptableFreeText`);
  else if (f.kind === 'table') {
    const rows = counted(f.rows, 1, UNBOUNDED, `${path}/Table/Row`);
    inner = xmlElement(
      'Table',
      { Title: f.title === undefined ? undefined : checked(f.title, FACETS.any, `${path}/Table/@Title`) },
      each(rows, (row) => xmlElement('Row', undefined, base64El('EncryptableLeftCell', row.left), base64El('EncryptableRightCell', row.right))),
    );
  } else if (f.kind === 'old') {
    inner = base64El('EncryptableOldFreeInformation', f.value, { Render: checked(f.render, FACETS.render, `${path}/@Render`) });
  } else encodeFail('kind must be text, table or old', path);
  return xmlElement('FreeInformations', undefined, inner);
}

/** Reads an optional `<FreeInformations>`. */
export function readFreeInformations(r: WireReader | undefined): FreeInformations | undefined {
  if (!r) return undefined;
  const out = readFreeInformationsChoice(r);
  r.end();
  return out;
}

function readFreeInformationsChoice(r: WireReader): FreeInformations {
  const text = r.opt('EncryptableFreeText');
  if (text) return { kind: 'text', text: text.base64() };
  const table = r.opt('Table');
  if (table) {
    const rows = table.many('Row', 1).map((row) => {
      const cells = { left: row.one('EncryptableLeftCell').base64(), right: row.one('EncryptableRightCell').base64() };
      row.end();
      return cells;
    });
    table.end();
    const title = table.attr('Title');
    return title === undefined ? { kind: 'table', rows } : { kind: 'table', title, rows };
  }
  const old = r.opt('EncryptableOldFreeInformation');
  if (old) return { kind: 'old', value: old.base64(), render: old.reqAttr('Render', FACETS.render) };
  return r.fail('expected EncryptableFreeText, Table or EncryptableOldFreeInformation');
}

/** The EncryptableBinaryContent (swaRef) | EncryptableTextContent (base64) choice. */
export function contentXml(c: EncryptableContent, sink: AttachmentSink, path: string): string {
  if (!c || !(c.bytes instanceof Uint8Array)) encodeFail('content bytes must be a Uint8Array', path);
  if (c.binary) return xmlText('EncryptableBinaryContent', sink.add(c.bytes, path));
  return base64El('EncryptableTextContent', c.bytes, undefined, path);
}

/** Reads the binary-or-text content choice. */
export function readContent(r: WireReader): EncryptableContent {
  const bin = r.opt('EncryptableBinaryContent');
  if (bin) return { bytes: bin.swaRef(), binary: true };
  const txt = r.opt('EncryptableTextContent');
  if (txt) return { bytes: txt.base64(), binary: false };
  return r.fail('expected EncryptableBinaryContent or EncryptableTextContent');
}

/** `<MessageInfo>` (MessageInfoType). */
export function messageInfoEl(m: MessageInfo, path = 'MessageInfo'): string {
  return xmlElement(
    'MessageInfo',
    undefined,
    dateEl('PublicationDate', m.publicationDate, `${path}/PublicationDate`),
    dateEl('ExpirationDate', m.expirationDate, `${path}/ExpirationDate`),
    textEl('Size', m.size, FACETS.any, `${path}/Size`),
  );
}

/** Reads a complete `<MessageInfo>`. */
export function readMessageInfo(r: WireReader): MessageInfo {
  const m = { publicationDate: r.date('PublicationDate'), expirationDate: r.date('ExpirationDate'), size: r.str('Size') };
  r.end();
  return m;
}

/** A document or annex as both publication (with Digest) and consultation (without) carry it. */
interface PartFields {
  content: EncryptableContent;
  downloadFileName: string;
  mimeType: string;
  digest?: string | undefined;
}

/** Content, DownloadFileName, MimeType and (publication only) Digest of a Document or Annex. */
function partTail(p: PartFields, sink: AttachmentSink, path: string): string[] {
  return [
    contentXml(p.content, sink, `${path}/Content`),
    textEl('DownloadFileName', p.downloadFileName, FACETS.fileName, `${path}/DownloadFileName`),
    textEl('MimeType', p.mimeType, FACETS.mimeType, `${path}/MimeType`),
    p.digest === undefined ? '' : textEl('Digest', p.digest, FACETS.any, `${path}/Digest`),
  ];
}

/** A `Document` element (Title never encrypted). */
export function documentXml(d: PartFields & { title: string }, sink: AttachmentSink, path: string): string {
  return xmlElement('Document', undefined, textEl('Title', d.title, FACETS.title, `${path}/Title`), ...partTail(d, sink, path));
}

/** An `Annex` element (EncryptableTitle base64). */
export function annexXml(a: PartFields & { title: Uint8Array }, sink: AttachmentSink, path: string): string {
  return xmlElement('Annex', undefined, base64El('EncryptableTitle', a.title, undefined, `${path}/EncryptableTitle`), ...partTail(a, sink, path));
}
