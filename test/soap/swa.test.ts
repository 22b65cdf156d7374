import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildEnvelope } from '../../src/soap/envelope.ts';
import { SoapError } from '../../src/soap/errors.ts';
import { NS } from '../../src/soap/namespaces.ts';
import {
  buildMultipartRelated,
  cidFromReference,
  isMultipartRelated,
  multipartStream,
  normalizeContentId,
  parseContentType,
  parseMultipartRelated,
  resolveAttachment,
} from '../../src/soap/swa.ts';

const ENVELOPE = buildEnvelope({
  body: `<p:SendMessageRequest xmlns:p="${NS.ehboxPublication}"><EncryptableBinaryContent>cid:doc-1@ehealth.fgov.be</EncryptableBinaryContent></p:SendMessageRequest>`,
});

function join(parts: Buffer[]): Buffer {
  return Buffer.concat(parts);
}

describe('buildMultipartRelated / parseMultipartRelated', () => {
  it('round-trips the envelope and binary attachments (SwA)', async () => {
    const doc = randomBytes(5000);
    const annex = Buffer.from('\r\n--not-a-boundary\r\n\r\n');
    const body = buildMultipartRelated({
      envelopeXml: ENVELOPE,
      attachments: [
        { contentId: 'doc-1@ehealth.fgov.be', data: doc },
        { contentId: 'annex 2@ehealth.fgov.be', data: annex, contentType: 'text/plain' },
      ],
    });
    expect(body.contentType).toMatch(/^multipart\/related; type="text\/xml"; boundary="uuid:[0-9a-f-]+"; start="<root\.message@ehealth\.fgov\.be>"$/);
    expect(body.length).toBe(join(body.parts).length);
    const parsed = parseMultipartRelated(join(body.parts), body.contentType);
    expect(parsed).toMatchObject({ envelopeXml: ENVELOPE, rootContentType: 'text/xml', xop: false });
    expect(parsed.attachments.get('doc-1@ehealth.fgov.be')?.equals(doc)).toBe(true);
    expect(resolveAttachment(parsed.attachments, 'cid:annex%202@ehealth.fgov.be')?.equals(annex)).toBe(true);
    const streamed: Buffer[] = [];
    for await (const chunk of multipartStream(body)) streamed.push(chunk as Buffer);
    expect(join(streamed).equals(join(body.parts))).toBe(true);
  });

  it('writes bare Content-IDs when asked, and reads them', () => {
    const body = buildMultipartRelated({ envelopeXml: ENVELOPE, attachments: [{ contentId: 'a@b', data: Buffer.from('x') }], bracketedContentIds: false });
    expect(join(body.parts).toString('latin1')).toContain('Content-ID: a@b\r\n');
    expect(parseMultipartRelated(join(body.parts), body.contentType).attachments.get('a@b')?.toString()).toBe('x');
  });

  it('resolves xop:Include in an application/xop+xml root', () => {
    const data = randomBytes(300);
    const xml = buildEnvelope({
      body: `<p:SendMessageRequest xmlns:p="${NS.ehboxPublication}"><EncryptableTextContent><xop:Include xmlns:xop="${NS.xop}" href="cid:part%2F1@x"/></EncryptableTextContent></p:SendMessageRequest>`,
    });
    const body = buildMultipartRelated({ envelopeXml: xml, attachments: [{ contentId: 'part/1@x', data }], xop: true });
    expect(body.contentType).toContain('type="application/xop+xml"; start-info="text/xml"');
    const parsed = parseMultipartRelated(join(body.parts), body.contentType);
    expect(parsed.xop).toBe(true);
    expect(parsed.envelopeXml).toContain(`<EncryptableTextContent>${data.toString('base64')}</EncryptableTextContent>`);
    expect(parsed.envelopeXml).not.toContain('Include');
  });

  it('parses a hand-written message: preamble, LF line ends, base64 part, no start parameter', () => {
    const raw =
      'preamble\n--b1\nContent-Type: text/xml\nContent-ID: <r>\n\n' +
      ENVELOPE +
      '\n--b1\nContent-ID: <x@y>\nContent-Transfer-Encoding: base64\n\naGVs\nbG8=\n--b1--\nepilogue';
    const parsed = parseMultipartRelated(Buffer.from(raw), 'Multipart/Related; boundary=b1; type=text/xml');
    expect(parsed.envelopeXml).toBe(ENVELOPE);
    expect(parsed.attachments.get('x@y')?.toString()).toBe('hello');
  });

  it.each([
    ['no boundary', 'multipart/related; type="text/xml"', '--b\r\n\r\n<a/>\r\n--b--', 'MULTIPART_MALFORMED'],
    ['not terminated', 'multipart/related; boundary=b', '--b\r\nContent-Type: text/xml\r\n\r\n<a/>', 'MULTIPART_MALFORMED'],
    ['no opening boundary', 'multipart/related; boundary=b', 'garbage', 'MULTIPART_MALFORMED'],
    ['missing start part', 'multipart/related; boundary=b; start="<zz>"', '--b\r\nContent-ID: <a>\r\n\r\n<a/>\r\n--b--', 'MULTIPART_MALFORMED'],
    ['non-XML root', 'multipart/related; boundary=b', '--b\r\nContent-Type: image/png\r\n\r\nPNG\r\n--b--', 'MULTIPART_MALFORMED'],
    ['duplicate ids', 'multipart/related; boundary=b', '--b\r\n\r\n<a/>\r\n--b\r\nContent-ID: <x>\r\n\r\n1\r\n--b\r\nContent-ID: x\r\n\r\n2\r\n--b--', 'MULTIPART_MALFORMED'],
    ['quoted-printable', 'multipart/related; boundary=b', '--b\r\n\r\n<a/>\r\n--b\r\nContent-ID: <x>\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=41\r\n--b--', 'MULTIPART_UNSUPPORTED'],
    ['bad base64', 'multipart/related; boundary=b', '--b\r\n\r\n<a/>\r\n--b\r\nContent-ID: <x>\r\nContent-Transfer-Encoding: base64\r\n\r\n#!!\r\n--b--', 'MULTIPART_MALFORMED'],
    ['unknown XOP part', 'multipart/related; boundary=b', `--b\r\nContent-Type: application/xop+xml\r\n\r\n<a><xop:Include xmlns:xop="${NS.xop}" href="cid:nope"/></a>\r\n--b--`, 'ATTACHMENT_NOT_FOUND'],
    ['invalid UTF-8 root', 'multipart/related; boundary=b', Buffer.concat([Buffer.from('--b\r\n\r\n<a>'), Buffer.from([0xff, 0xfe]), Buffer.from('</a>\r\n--b--')]), 'MULTIPART_MALFORMED'],
  ] as const)('rejects %s', (_name, ct, raw, code) => {
    expect(() => parseMultipartRelated(Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'latin1'), ct)).toThrow(expect.objectContaining({ code }));
  });

  it('enforces the part and size limits', () => {
    const body = buildMultipartRelated({
      envelopeXml: ENVELOPE,
      attachments: Array.from({ length: 5 }, (_, i) => ({ contentId: `p${i}@x`, data: Buffer.from('abc') })),
    });
    expect(() => parseMultipartRelated(join(body.parts), body.contentType, { maxParts: 3 })).toThrow(expect.objectContaining({ code: 'MULTIPART_TOO_LARGE' }));
    expect(() => parseMultipartRelated(join(body.parts), body.contentType, { maxTotalBytes: 100 })).toThrow(expect.objectContaining({ code: 'MULTIPART_TOO_LARGE' }));
  });

  it('refuses header injection through ids and types', () => {
    expect(() => buildMultipartRelated({ envelopeXml: ENVELOPE, attachments: [{ contentId: 'a\r\nX-Evil: 1', data: Buffer.alloc(1) }] })).toThrow(SoapError);
    expect(() => buildMultipartRelated({ envelopeXml: ENVELOPE, attachments: [{ contentId: 'a', data: Buffer.alloc(1), contentType: 'x\ny' }] })).toThrow(SoapError);
  });

  it('never throws anything but a SoapError on random bodies', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom('b', 'uuid:1'), (bytes, boundary) => {
        const framed = Buffer.concat([Buffer.from(`--${boundary}\r\n`), Buffer.from(bytes), Buffer.from(`\r\n--${boundary}--`)]);
        for (const input of [Buffer.from(bytes), framed]) {
          try {
            parseMultipartRelated(input, `multipart/related; boundary="${boundary}"`);
          } catch (err) {
            expect(err).toBeInstanceOf(SoapError);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('MIME helpers', () => {
  it('parse Content-Type parameters, quoted or not', () => {
    const ct = parseContentType('multipart/related; type="application/xop+xml"; boundary="uuid:a;b"; start="<r@x>"; start-info=text/xml');
    expect(ct.mediaType).toBe('multipart/related');
    expect(ct.params.get('boundary')).toBe('uuid:a;b');
    expect(ct.params.get('start-info')).toBe('text/xml');
    expect(isMultipartRelated('text/xml; charset=utf-8')).toBe(false);
    expect(isMultipartRelated(undefined)).toBe(false);
  });

  it('normalise Content-IDs and cid: references', () => {
    expect(normalizeContentId(' <a@b> ')).toBe('a@b');
    expect(normalizeContentId('a@b')).toBe('a@b');
    expect(cidFromReference('cid:a%40b%20c')).toBe('a@b c');
    expect(cidFromReference('cid:%E0%A4%A')).toBe('%E0%A4%A');
  });
});
