/**
 * Typed errors of the tenancy stores. Another tenant's id answers the same
 * *_NOT_FOUND as an id that does not exist (the API maps both to 404), so
 * ids cannot be probed across tenants.
 */

/** Stable codes of tenancy failures. */
export type TenancyErrorCode =
  | 'TENANT_NOT_FOUND'
  | 'TENANT_EXISTS'
  | 'API_KEY_NOT_FOUND'
  | 'BOX_NOT_FOUND'
  | 'BOX_EXISTS'
  | 'GROUP_NOT_FOUND'
  | 'BOX_PASSWORD_UNAVAILABLE'
  | 'RECORD_CORRUPT';

/** A tenancy failure with a stable, machine-readable code. */
export class TenancyError extends Error {
  override readonly name = 'TenancyError';
  constructor(
    readonly code: TenancyErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
