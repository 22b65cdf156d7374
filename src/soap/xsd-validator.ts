/**
 * Validation of SOAP messages and payloads against the official eHealth XSDs
 * in `schemas/` (CONVENTIONS §3: everything we send and the sandbox answers
 * validates). xmllint (libxml2-utils) does the work; one xmllint call takes
 * one schema, so at first use we write, in a temp dir, a bundle schema that
 * imports every entry schema by absolute path plus a small SOAP 1.1 envelope
 * schema of our own (the official one is not vendored) whose Body and fault
 * detail demand a declared element (strict wildcard) and whose Header is
 * lax (WS-Security has no vendored schema; a SAML assertion or ds:Signature
 * inside it is still checked). A bare payload validates against its global
 * declaration directly.
 *
 * Cost: xmllint compiles the whole bundle on every call; measured ~8-15 ms
 * per call on the dev machine, which is negligible next to a SOAP round trip,
 * so there is no resident validator process. WS-Trust payloads are reported
 * invalid: their schema is not vendored.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SoapError, describeError } from './errors.ts';
import { NS } from './namespaces.ts';
import { assertNoDtd } from './xml.ts';

/** Outcome of one validation. */
export interface XsdResult {
  valid: boolean;
  errors: string[];
}

/** xmllint binary (Debian package libxml2-utils). */
export const XMLLINT = 'xmllint';
/** Kill xmllint after this long: a validation that takes longer is stuck, not slow. */
const XMLLINT_TIMEOUT_MS = 60_000;
/** Files per xmllint call in validateFiles, to stay far below the OS argument length limit. */
const FILES_PER_CALL = 200;
/** Cap on the error lines kept per document: the first ones are the useful ones. */
const MAX_ERRORS_PER_DOC = 50;

/** Directory of the vendored schemas, resolved relative to this module. */
export const SCHEMA_DIR = fileURLToPath(new URL('../../schemas/', import.meta.url));

/** Entry schemas imported by the bundle: namespace → path relative to SCHEMA_DIR. */
export const ENTRY_SCHEMAS: readonly (readonly [string, string])[] = [
  [NS.ehboxPublication, 'ehealth-ehbox/XSD/ehealth-ehBox-publication-schema-protocol-3_0.xsd'],
  [NS.ehboxConsultation, 'ehealth-ehbox/XSD/ehealth-ehBox-consultation-schema-protocol-3_0.xsd'],
  [NS.addressbookProtocol, 'ehealth-addressbook/XSD/ehealth-addressbook-protocol-1_1.xsd'],
  [NS.etkDepot, 'ehealth-etee/XSD/ehealth-etkdepot-schema-protocol-1_0.xsd'],
  [NS.soaErrors, 'ehealth-errors/XSD/ehealth-errors-schema-soa-1_1.xsd'],
  [NS.samlp, 'external/XSD/oasis-sstc-saml-schema-protocol-1.1.xsd'],
  [NS.saml, 'external/XSD/oasis-sstc-saml-schema-assertion-1.1.xsd'],
  [NS.ds, 'external/XSD/xmldsig-core-schema.xsd'],
];

/** SOAP 1.1 envelope structure (our own minimal schema, see the module comment). */
const SOAP_ENVELOPE_XSD = `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:tns="${NS.soap}" targetNamespace="${NS.soap}" elementFormDefault="unqualified">
  <xs:element name="Envelope"><xs:complexType><xs:sequence>
    <xs:element ref="tns:Header" minOccurs="0"/><xs:element ref="tns:Body"/>
  </xs:sequence><xs:anyAttribute namespace="##other" processContents="lax"/></xs:complexType></xs:element>
  <xs:element name="Header"><xs:complexType><xs:sequence>
    <xs:any namespace="##other" processContents="lax" minOccurs="0" maxOccurs="unbounded"/>
  </xs:sequence><xs:anyAttribute namespace="##other" processContents="lax"/></xs:complexType></xs:element>
  <xs:element name="Body"><xs:complexType><xs:sequence>
    <xs:any namespace="##any" processContents="strict" minOccurs="1" maxOccurs="1"/>
  </xs:sequence><xs:anyAttribute namespace="##other" processContents="lax"/></xs:complexType></xs:element>
  <xs:element name="Fault"><xs:complexType><xs:sequence>
    <xs:element name="faultcode" type="xs:QName"/>
    <xs:element name="faultstring" type="xs:string"/>
    <xs:element name="faultactor" type="xs:anyURI" minOccurs="0"/>
    <xs:element name="detail" minOccurs="0"><xs:complexType><xs:sequence>
      <xs:any namespace="##any" processContents="strict" minOccurs="0" maxOccurs="unbounded"/>
    </xs:sequence><xs:anyAttribute namespace="##any" processContents="lax"/></xs:complexType></xs:element>
  </xs:sequence></xs:complexType></xs:element>
</xs:schema>
`;

function bundleXsd(envelopeXsdPath: string): string {
  const imports = [[NS.soap, envelopeXsdPath] as const, ...ENTRY_SCHEMAS.map(([ns, rel]) => [ns, path.join(SCHEMA_DIR, rel)] as const)]
    .map(([ns, p]) => `  <xs:import namespace="${ns}" schemaLocation="${p}"/>`)
    .join('\n');
  return `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:x-ehbox-bridge:schema-bundle">\n${imports}\n</xs:schema>\n`;
}

let bundlePromise: Promise<string> | undefined;

/** Writes the bundle (once per process, removed at exit) and returns its path. */
export function schemaBundlePath(): Promise<string> {
  bundlePromise ??= (async () => {
    // a private directory per process (mkdtemp, mode 0700): no other user can plant a schema in it
    const dir = await mkdtemp(path.join(tmpdir(), 'ehbox-bridge-xsd-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const envelopePath = path.join(dir, 'soap-envelope-1_1.xsd');
    const bundlePath = path.join(dir, 'bundle.xsd');
    await writeFile(envelopePath, SOAP_ENVELOPE_XSD);
    await writeFile(bundlePath, bundleXsd(envelopePath));
    return bundlePath;
  })().catch((err: unknown) => {
    bundlePromise = undefined;
    throw new SoapError('XSD_UNAVAILABLE', `Cannot write the schema bundle: ${describeError(err)}`, { cause: err });
  });
  return bundlePromise;
}

interface XmllintRun {
  code: number | null;
  stderr: string;
}

function runXmllint(args: string[], stdin?: string): Promise<XmllintRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(XMLLINT, args, { stdio: ['pipe', 'ignore', 'pipe'], timeout: XMLLINT_TIMEOUT_MS });
    const chunks: Buffer[] = [];
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', (err) => reject(new SoapError('XSD_UNAVAILABLE', `Cannot run ${XMLLINT}: ${err.message}`, { cause: err })));
    child.on('close', (code, signal) => {
      if (signal) reject(new SoapError('XSD_UNAVAILABLE', `${XMLLINT} was stopped by ${signal}`));
      else resolve({ code, stderr: Buffer.concat(chunks).toString('utf8') });
    });
    child.stdin.on('error', () => undefined); // EPIPE when xmllint exits early; the exit code tells the story
    child.stdin.end(stdin ?? '');
  });
}

/** xmllint exit codes 4 and 5: the schema itself could not be compiled. */
function assertSchemaCompiled(run: XmllintRun): void {
  if (run.code === 4 || run.code === 5) {
    throw new SoapError('XSD_UNAVAILABLE', `The schema bundle does not compile: ${run.stderr.slice(0, 2000)}`);
  }
}

const BASE_ARGS = ['--noout', '--nonet', '--nocatalogs', '--schema'];

/** Validates one XML string (an envelope or a bare payload element). */
export async function validateXml(xml: string): Promise<XsdResult> {
  try {
    assertNoDtd(xml);
  } catch (err) {
    return { valid: false, errors: [describeError(err)] };
  }
  const bundle = await schemaBundlePath();
  const run = await runXmllint([...BASE_ARGS, bundle, '-'], xml);
  assertSchemaCompiled(run);
  const errors = run.stderr
    .split('\n')
    .filter((l) => l.trim() !== '' && l.trim() !== '- validates' && l.trim() !== '- fails to validate')
    .slice(0, MAX_ERRORS_PER_DOC);
  const valid = run.code === 0;
  return { valid, errors: valid ? [] : errors.length > 0 ? errors : [`${XMLLINT} exit code ${run.code}`] };
}

/** Like validateXml, but throws SoapError XSD_INVALID (a permanent error) listing the first problems. */
export async function assertValidXml(xml: string, what = 'SOAP message'): Promise<void> {
  const result = await validateXml(xml);
  if (!result.valid) throw new SoapError('XSD_INVALID', `${what} is not schema-valid: ${result.errors.slice(0, 5).join(' | ')}`);
}

/** Splits xmllint's stderr of a multi-file run into per-file results (files are processed in order). */
function attributeOutput(paths: readonly string[], stderr: string, results: Map<string, XsdResult>): void {
  let cursor = 0;
  for (const line of stderr.split('\n')) {
    if (line.trim() === '') continue;
    const idx = paths.findIndex(
      (p, i) => i >= cursor && (line.startsWith(`${p}:`) || line.startsWith(`${p} `) || line.includes(`"${p}"`)),
    );
    if (idx >= 0) cursor = idx;
    const p = paths[cursor]!;
    const r = results.get(p)!;
    if (line === `${p} validates`) r.valid = true;
    else if (line !== `${p} fails to validate` && r.errors.length < MAX_ERRORS_PER_DOC) r.errors.push(line);
  }
}

/**
 * Validates many files with few xmllint calls (recorded traffic). Returns a
 * result per path, in input order. A file with a DOCTYPE is reported invalid
 * without being handed to xmllint.
 */
export async function validateFiles(paths: readonly string[]): Promise<Map<string, XsdResult>> {
  const bundle = await schemaBundlePath();
  const results = new Map<string, XsdResult>();
  const absolute = new Map<string, XsdResult>(); // xmllint has no `--`: absolute paths never look like options
  for (const p of paths) {
    if (results.has(p)) continue;
    const known = absolute.get(path.resolve(p));
    if (known) {
      results.set(p, known);
      continue;
    }
    const r: XsdResult = { valid: false, errors: [] };
    results.set(p, r);
    try {
      assertNoDtd(await readFile(p, 'utf8'));
      absolute.set(path.resolve(p), r);
    } catch (err) {
      r.errors.push(`${p}: ${describeError(err)}`);
    }
  }
  const toRun = [...absolute.keys()];
  for (let i = 0; i < toRun.length; i += FILES_PER_CALL) {
    const batch = toRun.slice(i, i + FILES_PER_CALL);
    const run = await runXmllint([...BASE_ARGS, bundle, ...batch]);
    assertSchemaCompiled(run);
    attributeOutput(batch, run.stderr, absolute);
  }
  for (const r of results.values()) if (r.valid) r.errors = [];
  return results;
}
