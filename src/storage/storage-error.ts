/**
 * Typed errors of the storage layer (S3 blobs and Redis), with stable codes
 * the API maps to HTTP: BLOB_NOT_FOUND → 404, STORE_UNAVAILABLE → 503,
 * BLOB_TAMPERED / BLOB_KEY_UNKNOWN → 500 (and an alert: data at rest was
 * altered or its key removed). Messages never carry object content.
 */

/** Stable codes of storage failures. */
export type StorageErrorCode =
  | 'BLOB_NOT_FOUND'
  | 'BLOB_TAMPERED'
  | 'BLOB_KEY_UNKNOWN'
  | 'INVALID_BLOB_KEY'
  | 'STORE_UNAVAILABLE';

/** A storage failure with a stable, machine-readable code. */
export class StorageError extends Error {
  override readonly name = 'StorageError';
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True when `err` is a StorageError, optionally of the given code. */
export function isStorageError(err: unknown, code?: StorageErrorCode): err is StorageError {
  return err instanceof StorageError && (code === undefined || err.code === code);
}
