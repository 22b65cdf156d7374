/**
 * Typed error of the payload codecs (Addressbook, ETK Depot). A payload that
 * lacks a required part, carries a part twice, or holds a value the schema
 * forbids ends in a WireError with a stable code, on decode (untrusted input)
 * and on encode (we never emit schema-invalid XML). Messages name element
 * paths, never values: values are personal data.
 */
export type WireErrorCode = 'WIRE_INVALID';

/** A payload that does not fit its message model or schema; permanent, retrying cannot help. */
export class WireError extends Error {
  override readonly name = 'WireError';
  constructor(
    readonly code: WireErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Shorthand for the only code so far. */
export function wireInvalid(message: string, options?: { cause?: unknown }): WireError {
  return new WireError('WIRE_INVALID', message, options);
}
