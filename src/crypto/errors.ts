/**
 * Typed errors of the crypto core. Every failure that comes from bad input
 * (garbage blobs, wrong passwords, odd keystores) is a CryptoError with a
 * stable code, so callers and the CLI can act on it without string matching.
 */
export type CryptoErrorCode =
  | 'MALFORMED_DER'
  | 'MALFORMED_CMS'
  | 'MALFORMED_CERTIFICATE'
  | 'MALFORMED_PKCS12'
  | 'PKCS12_BAD_PASSWORD'
  | 'PKCS12_UNSUPPORTED_ALGORITHM'
  | 'KEYSTORE_NO_AUTHENTICATION_ENTRY'
  | 'KEYSTORE_NO_DECRYPTION_KEY'
  | 'ETK_MALFORMED'
  | 'UNSUPPORTED_ALGORITHM'
  | 'INPUT_TOO_LARGE'
  | 'INVALID_ARGUMENT';

/** An error from the crypto core with a stable, machine-readable code. */
export class CryptoError extends Error {
  override readonly name = 'CryptoError';
  constructor(
    readonly code: CryptoErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Runs `fn` and turns any non-CryptoError thrown into a CryptoError of `code`. */
export function wrapCrypto<T>(code: CryptoErrorCode, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof CryptoError) throw err;
    throw new CryptoError(code, `${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
