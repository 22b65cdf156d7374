/**
 * Typed errors of the ehBox wire codecs. A payload that does not follow the
 * ehBox v3 schemas (missing or misplaced element, bad value, unresolvable
 * attachment) and data that cannot be encoded into a schema-valid payload end
 * here with a stable code, so the client can fail permanently and the sandbox
 * can answer with a clean fault instead of crashing.
 */

/** Stable codes of WireError. */
export type WireErrorCode =
  /** A decoded payload breaks the schema: element missing, unexpected, out of order, or a value of the wrong type. */
  | 'WIRE_INVALID'
  /** A `cid:` reference or `xop:Include` names an attachment that was not received. */
  | 'WIRE_ATTACHMENT_MISSING'
  /** Data given to an encoder cannot produce a schema-valid payload (cardinality, length, pattern). */
  | 'WIRE_ENCODE_INVALID';

/**
 * An error of the ehBox wire codecs. `path` names the offending element
 * (e.g. `SendMessageRequest/ContentContext/Content/Document/Title`); values
 * are never copied into the message because they may be medical content.
 */
export class WireError extends Error {
  override readonly name: string = 'WireError';
  constructor(
    readonly code: WireErrorCode,
    message: string,
    readonly path?: string,
    options?: { cause?: unknown },
  ) {
    super(path ? `${message} (at ${path})` : message, options);
  }
}

/** Narrow helper: true when `err` is a WireError whose code is one of `codes` (any code when none given). */
export function isWireError(err: unknown, ...codes: WireErrorCode[]): err is WireError {
  return err instanceof WireError && (codes.length === 0 || codes.includes(err.code));
}
