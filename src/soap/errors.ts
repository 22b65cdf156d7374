/**
 * Typed errors of the SOAP foundation. Bad input (hostile XML, broken
 * envelopes, malformed multipart bodies, wrong arguments) always ends in a
 * SoapError with a stable code, never in a crash or a hang, so that callers,
 * workers and the sandbox can act on it without string matching.
 */
export type SoapErrorCode =
  | 'XML_MALFORMED'
  | 'XML_DTD_FORBIDDEN'
  | 'XML_TOO_LARGE'
  | 'XML_INVALID_CHARACTER'
  | 'ENVELOPE_INVALID'
  | 'FAULT_INVALID'
  | 'MULTIPART_MALFORMED'
  | 'MULTIPART_TOO_LARGE'
  | 'MULTIPART_UNSUPPORTED'
  | 'ATTACHMENT_NOT_FOUND'
  | 'XSD_INVALID'
  | 'XSD_UNAVAILABLE'
  | 'WSSEC_SIGN_FAILED'
  | 'INVALID_ARGUMENT';

/** An error of the SOAP layer with a stable, machine-readable code. */
export class SoapError extends Error {
  override readonly name: string = 'SoapError';
  constructor(
    readonly code: SoapErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The subset of SoapError raised by the hardened XML parser (same class, narrower code). */
export type XmlErrorCode = Extract<SoapErrorCode, `XML_${string}`>;

/** Narrow helper: true when `err` is a SoapError whose code is one of `codes`. */
export function isSoapError(err: unknown, ...codes: SoapErrorCode[]): err is SoapError {
  return err instanceof SoapError && (codes.length === 0 || codes.includes(err.code));
}

/** Message of an unknown thrown value, for wrapping it into a typed error. */
export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
