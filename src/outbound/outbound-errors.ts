/**
 * Errors of the outbound pipeline with the stable codes the API answers
 * (`{ requestId, code, message, details? }`) and the HTTP status they map to.
 */

/** Stable error codes of the message API. */
export type OutboundErrorCode =
  | 'VALIDATION_FAILED'
  | 'ATTACHMENT_TOO_LARGE'
  | 'IDEMPOTENCY_CONFLICT'
  | 'GROUP_NOT_FOUND'
  | 'SENDER_BOX_NOT_FOUND'
  | 'MESSAGE_NOT_FOUND'
  | 'NOTHING_TO_RETRY'
  | 'STORE_UNAVAILABLE'
  | 'ENCRYPTION_REQUIRED';

const STATUS: Record<OutboundErrorCode, number> = {
  VALIDATION_FAILED: 422,
  ATTACHMENT_TOO_LARGE: 413,
  IDEMPOTENCY_CONFLICT: 409,
  GROUP_NOT_FOUND: 422,
  SENDER_BOX_NOT_FOUND: 422,
  MESSAGE_NOT_FOUND: 404,
  NOTHING_TO_RETRY: 409,
  STORE_UNAVAILABLE: 503,
  ENCRYPTION_REQUIRED: 422,
};

/** A refusal of the outbound API with its HTTP status. */
export class OutboundError extends Error {
  override readonly name = 'OutboundError';
  readonly status: number;
  constructor(
    readonly code: OutboundErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.status = STATUS[code];
  }
}
