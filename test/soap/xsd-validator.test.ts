import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildEnvelope } from '../../src/soap/envelope.ts';
import { buildFault } from '../../src/soap/fault.ts';
import { NS } from '../../src/soap/namespaces.ts';
import { assertValidXml, validateFiles, validateXml } from '../../src/soap/xsd-validator.ts';

const LIST_OK = `<ns:GetMessagesListRequest xmlns:ns="${NS.ehboxConsultation}"><Source>INBOX</Source><StartIndex>1</StartIndex><EndIndex>100</EndIndex></ns:GetMessagesListRequest>`;
const LIST_QUALIFIED = `<ns:GetMessagesListRequest xmlns:ns="${NS.ehboxConsultation}"><ns:Source>INBOX</ns:Source></ns:GetMessagesListRequest>`;
const ETK_OK =
  `<etk:GetEtkRequest xmlns:etk="${NS.etkDepot}"><etk:SearchCriteria><etk:Identifier><etk:Type>CBE</etk:Type>` +
  '<etk:Value>0000000097</etk:Value><etk:ApplicationID></etk:ApplicationID></etk:Identifier></etk:SearchCriteria></etk:GetEtkRequest>';
const ETK_UNQUALIFIED = `<etk:GetEtkRequest xmlns:etk="${NS.etkDepot}"><SearchCriteria><Identifier><Type>CBE</Type><Value>0000000097</Value></Identifier></SearchCriteria></etk:GetEtkRequest>`;
const FAULT = buildFault({
  faultcode: 'Client',
  faultstring: 'Invalid request',
  detail: { kind: 'business', origin: 'Consumer', code: 'ERROR', messages: [{ lang: 'en', text: 'bad' }], environment: 'Simulation' },
});

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('validateXml', () => {
  it('accepts an ehBox request with unqualified children, bare or in an envelope', async () => {
    expect(await validateXml(LIST_OK)).toEqual({ valid: true, errors: [] });
    expect(await validateXml(buildEnvelope({ body: LIST_OK }))).toEqual({ valid: true, errors: [] });
  });

  it('rejects the same request with a qualified child', async () => {
    const bare = await validateXml(LIST_QUALIFIED);
    expect(bare.valid).toBe(false);
    expect(bare.errors.join('\n')).toContain('Source');
    expect((await validateXml(buildEnvelope({ body: LIST_QUALIFIED }))).valid).toBe(false);
  });

  it('accepts a qualified ETK Depot request and rejects an unqualified one', async () => {
    expect(await validateXml(buildEnvelope({ body: ETK_OK }))).toEqual({ valid: true, errors: [] });
    expect((await validateXml(buildEnvelope({ body: ETK_UNQUALIFIED }))).valid).toBe(false);
  });

  it('accepts a fault whose detail is a BusinessError, and checks the detail', async () => {
    expect(await validateXml(buildEnvelope({ body: FAULT }))).toEqual({ valid: true, errors: [] });
    const broken = FAULT.replace('<soa:Environment>Simulation</soa:Environment>', '<Environment>Simulation</Environment>');
    expect((await validateXml(buildEnvelope({ body: broken }))).valid).toBe(false);
  });

  it('rejects undeclared payloads, broken XML and DTDs', async () => {
    const unknown = await validateXml(buildEnvelope({ body: `<ns:GetMessageListRequest xmlns:ns="${NS.ehboxConsultation}"/>` }));
    expect(unknown.valid).toBe(false);
    expect((await validateXml('<a><b></a>')).valid).toBe(false);
    const dtd = await validateXml('<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/hostname">]><a>&x;</a>');
    expect(dtd).toMatchObject({ valid: false });
    expect(dtd.errors[0]).toContain('DOCTYPE');
    await expect(assertValidXml(LIST_QUALIFIED)).rejects.toMatchObject({ code: 'XSD_INVALID' });
  });
});

describe('validateFiles', () => {
  it('validates a batch and attributes errors to the right file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'soap-xsd-'));
    dirs.push(dir);
    const files = {
      ok: [buildEnvelope({ body: LIST_OK })],
      qualified: [buildEnvelope({ body: LIST_QUALIFIED })],
      broken: ['<soapenv:Envelope'],
      etk: [buildEnvelope({ body: ETK_OK })],
      dtd: ['<!DOCTYPE a><a/>'],
    };
    const paths = Object.entries(files).map(([name, [content]]) => {
      const p = path.join(dir, `${name}.xml`);
      writeFileSync(p, content!);
      return p;
    });
    const missing = path.join(dir, 'missing.xml');
    const results = await validateFiles([...paths, missing]);
    const byName = (n: string) => results.get(path.join(dir, `${n}.xml`))!;
    expect(byName('ok')).toEqual({ valid: true, errors: [] });
    expect(byName('etk')).toEqual({ valid: true, errors: [] });
    expect(byName('qualified').valid).toBe(false);
    expect(byName('qualified').errors.join('\n')).toContain('qualified.xml');
    expect(byName('broken').valid).toBe(false);
    expect(byName('broken').errors.join('\n')).toContain('broken.xml');
    expect(byName('dtd').valid).toBe(false);
    expect(results.get(missing)?.valid).toBe(false);
  });
});
