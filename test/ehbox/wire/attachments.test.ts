import { describe, expect, it } from 'vitest';
import { parseXml } from '../../../src/soap/xml.ts';
import { NS } from '../../../src/soap/namespaces.ts';
import { decodeSendMessageRequest, encodeSendMessageRequest } from '../../../src/ehbox/wire/publication-codec.ts';
import { decodeGetFullMessageResponse } from '../../../src/ehbox/wire/consultation-codec.ts';
import { isWireError } from '../../../src/ehbox/wire/wire-error.ts';
import { bytes, minimalSendRequest } from './fixtures.ts';

const root = (xml: string) => parseXml(xml).documentElement!;
const b64 = (s: string) => Buffer.from(s).toString('base64');
const xop = (href: string) => `<xop:Include xmlns:xop="${NS.xop}" href="${href}"/>`;

/** A SendMessageRequest written by hand, with the document and annex content given as raw XML. */
function sendRequest(documentContent: string, annexContent: string, annexTitle = `<EncryptableTitle>${b64('annex')}</EncryptableTitle>`): string {
  return (
    `<p:SendMessageRequest xmlns:p="${NS.ehboxPublication}">` +
    '<DestinationContext><Id>10000133</Id><Type>NIHII</Type><Quality>DOCTOR</Quality></DestinationContext>' +
    `<ContentContext><Content><Document><Title>t</Title>${documentContent}<DownloadFileName>d.pdf</DownloadFileName><MimeType>application/pdf</MimeType><Digest>x</Digest></Document>` +
    `<Annex>${annexTitle}${annexContent}<DownloadFileName>a.bin</DownloadFileName><MimeType>application/octet-stream</MimeType><Digest>y</Digest></Annex></Content>` +
    '<ContentSpecification><ContentType>DOCUMENT</ContentType><IsImportant>false</IsImportant><IsEncrypted>false</IsEncrypted>' +
    '<PublicationReceipt>false</PublicationReceipt><ReceivedReceipt>false</ReceivedReceipt><ReadReceipt>false</ReadReceipt></ContentSpecification>' +
    '</ContentContext></p:SendMessageRequest>'
  );
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isWireError(e) ? e.code : `other: ${String(e)}`;
  }
  return undefined;
}

describe('attachment resolution', () => {
  const doc = new Uint8Array([1, 2, 3, 4]);
  const annex = bytes('annex bytes');
  const title = bytes('xop title');

  it('resolves XOP includes (MTOM) in swaRef and base64Binary fields', () => {
    const xml = sendRequest(
      `<EncryptableBinaryContent>${xop('cid:doc-1%40example.test')}</EncryptableBinaryContent>`,
      `<EncryptableTextContent>\n  ${xop('cid:annex-1@example.test')}\n</EncryptableTextContent>`,
      `<EncryptableTitle>${xop('cid:title-1@example.test')}</EncryptableTitle>`,
    );
    const att = new Map([
      ['doc-1@example.test', doc],
      ['annex-1@example.test', annex],
      ['title-1@example.test', title],
    ]);
    const req = decodeSendMessageRequest(root(xml), att);
    expect(req.document.content).toEqual({ bytes: doc, binary: true });
    expect(req.annexes[0]?.content).toEqual({ bytes: annex, binary: false });
    expect(req.annexes[0]?.title).toEqual(title);
  });

  it('URL-decodes SwA cid: references and keeps inline base64 text content', () => {
    const xml = sendRequest('<EncryptableBinaryContent> cid:a%2Fb%40ehealth.fgov.be </EncryptableBinaryContent>', `<EncryptableTextContent>${b64('inline')}</EncryptableTextContent>`);
    const req = decodeSendMessageRequest(root(xml), new Map([['a/b@ehealth.fgov.be', doc]]));
    expect(req.document.content).toEqual({ bytes: doc, binary: true });
    expect(req.annexes[0]?.content).toEqual({ bytes: bytes('inline'), binary: false });
  });

  it('resolves XOP includes in a GetFullMessageResponse', () => {
    const xml =
      `<c:GetFullMessageResponse xmlns:c="${NS.ehboxConsultation}" Id="x"><Status><Code>100</Code><Message>ok</Message></Status>` +
      '<Sender><Id>71000436</Id><Type>NIHII</Type><SubType>HOSPITAL</SubType><Quality>HOSPITAL</Quality><Name>H</Name></Sender>' +
      '<Message MessageId="1000010173227"><DestinationContext><Id>10000133</Id><Type>NIHII</Type><Quality>DOCTOR</Quality></DestinationContext>' +
      `<ContentContext><Content><Document><Title>t</Title><EncryptableBinaryContent>${xop('cid:root-doc@x')}</EncryptableBinaryContent><DownloadFileName>d</DownloadFileName><MimeType>m</MimeType></Document>` +
      `<Annex><EncryptableTitle>${b64('a')}</EncryptableTitle><EncryptableBinaryContent>cid:annex@x</EncryptableBinaryContent><DownloadFileName>a</DownloadFileName><MimeType>m</MimeType></Annex></Content>` +
      '<ContentSpecification><ContentType>DOCUMENT</ContentType><IsImportant>false</IsImportant><IsEncrypted>true</IsEncrypted></ContentSpecification></ContentContext></Message>' +
      '<MessageInfo><PublicationDate>2026-11-20</PublicationDate><ExpirationDate>2027-11-20</ExpirationDate><Size>4</Size></MessageInfo></c:GetFullMessageResponse>';
    const res = decodeGetFullMessageResponse(root(xml), new Map([['root-doc@x', doc], ['annex@x', annex]]));
    expect(res.fullMessage?.message.document.content).toEqual({ bytes: doc, binary: true });
    expect(res.fullMessage?.message.annexes[0]?.content).toEqual({ bytes: annex, binary: true });
    expect(res.fullMessage?.message.messageId).toBe('1000010173227');
  });

  it('reports unresolved and malformed references with stable codes', () => {
    const text = `<EncryptableTextContent>${b64('x')}</EncryptableTextContent>`;
    const cases: [string, string, string][] = [
      ['missing SwA part', '<EncryptableBinaryContent>cid:nope@x</EncryptableBinaryContent>', 'WIRE_ATTACHMENT_MISSING'],
      ['missing XOP part', `<EncryptableBinaryContent>${xop('cid:nope@x')}</EncryptableBinaryContent>`, 'WIRE_ATTACHMENT_MISSING'],
      ['not a cid: URI', `<EncryptableBinaryContent>${b64('inline bytes')}</EncryptableBinaryContent>`, 'WIRE_INVALID'],
      ['http href', `<EncryptableBinaryContent>${xop('http://example.test/x')}</EncryptableBinaryContent>`, 'WIRE_INVALID'],
      ['XOP beside text', `<EncryptableBinaryContent>cid:a@x${xop('cid:a@x')}</EncryptableBinaryContent>`, 'WIRE_INVALID'],
      ['bad percent-encoding', '<EncryptableBinaryContent>cid:%E0%A4%A</EncryptableBinaryContent>', 'WIRE_INVALID'],
      ['no content at all', '', 'WIRE_INVALID'],
      ['bad base64', '<EncryptableTextContent>@@@@</EncryptableTextContent>', 'WIRE_INVALID'],
    ];
    for (const [what, content, code] of cases) {
      expect(codeOf(() => decodeSendMessageRequest(root(sendRequest(content, text)), new Map([['a@x', doc]]))), what).toBe(code);
    }
  });

  it('regression: a 10 MB inline base64 content decodes (a regex check overflowed the stack)', () => {
    const big = new Uint8Array(10 * 1024 * 1024).map((_, i) => i % 251);
    const req = { ...minimalSendRequest(), document: { ...minimalSendRequest().document, content: { bytes: big, binary: false } } };
    const xml = encodeSendMessageRequest(req).xml.replace(/(<EncryptableTextContent>[A-Za-z0-9+/]{76})/, '$1\n');
    const back = decodeSendMessageRequest(root(xml));
    expect(back.document.content.binary).toBe(false);
    expect(Buffer.compare(back.document.content.bytes, big)).toBe(0);
  });
});
