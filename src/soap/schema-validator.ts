/**
 * In-process XSD validation of SOAP payloads with libxml2 compiled to
 * WebAssembly (libxml2-wasm): the same engine as `xmllint`, without a
 * process per document (~0.2 ms per payload instead of ~10 ms), so the
 * sandbox can check every request it receives even under load.
 *
 * One bundle schema imports every entry schema of `schemas/`; a payload
 * element validates against its global declaration.
 */
import fs from 'node:fs';
import path from 'node:path';
import { XmlDocument, XsdValidator } from 'libxml2-wasm';
import { xmlRegisterFsInputProviders } from 'libxml2-wasm/lib/nodejs.mjs';
import { ENTRY_SCHEMAS, SCHEMA_DIR } from './xsd-validator.ts';

/** Outcome of validating one payload. */
export interface PayloadValidation {
  valid: boolean;
  errors: string[];
}

let validator: XsdValidator | undefined;

function bundle(): XsdValidator {
  if (validator) return validator;
  xmlRegisterFsInputProviders();
  const imports = ENTRY_SCHEMAS.map(([ns, rel]) => `<xs:import namespace="${ns}" schemaLocation="${path.join(SCHEMA_DIR, rel)}"/>`).join('');
  const xsd = `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:ehbox-bridge:bundle">${imports}</xs:schema>`;
  const url = path.join(SCHEMA_DIR, 'ehbox-bridge-bundle.xsd');
  if (!fs.existsSync(SCHEMA_DIR)) throw new Error(`schemas not found at ${SCHEMA_DIR}`);
  const doc = XmlDocument.fromString(xsd, { url });
  try {
    validator = XsdValidator.fromDoc(doc);
  } finally {
    doc.dispose();
  }
  return validator;
}

/** Validates one payload document (the SOAP Body's child serialised on its own). */
export function validatePayload(xml: string): PayloadValidation {
  const v = bundle();
  let doc: XmlDocument;
  try {
    doc = XmlDocument.fromString(xml);
  } catch (err) {
    return { valid: false, errors: [err instanceof Error ? err.message : String(err)] };
  }
  try {
    v.validate(doc);
    return { valid: true, errors: [] };
  } catch (err) {
    const details = (err as { details?: { message: string; line?: number }[] }).details;
    const errors = details?.map((d) => d.message.trim()) ?? [err instanceof Error ? err.message : String(err)];
    return { valid: false, errors };
  } finally {
    doc.dispose();
  }
}
