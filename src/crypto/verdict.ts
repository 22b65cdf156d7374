/**
 * The result of unsealing, as a value: which checks failed, on which layer,
 * with the eHealth notification codes of SEALING.md §3.5, so callers can act
 * on a named reason instead of a boolean (CONVENTIONS §2.10).
 */

/** The three layers of a sealed message (SEALING.md §1). */
export type EteeLayer = 'outer' | 'envelope' | 'inner';

/** Warnings the unsealer emits (informational; `ok` stays true). */
export type EteeWarningCode = 'SIGNING_TIME_MISSING' | 'SIGNING_TIME_EXPIRED';

type SignatureLayerCheck =
  | 'SIGNATURE_ALGORITHM_UNAUTHORIZED'
  | 'SIGNATURE_DIGEST_ALGORITHM_UNAUTHORIZED'
  | 'SIGNATURE_KEY_LENGTH_UNAUTHORIZED'
  | 'CERTIFICATE_EXPECTED_BUT_NOT_PRESENT'
  | 'CERTIFICATE_HAS_INVALID_KEYUSAGE'
  | 'CERTIFICATE_EXPIRED'
  | 'CERTIFICATE_NOT_YET_VALID'
  | 'CERTIFICATE_CHAIN_NOT_TRUSTED'
  | 'SIGNATURE_COULD_NOT_BE_VERIFIED';

/** Errors the unsealer emits: content may still be returned, but `ok` is false. */
export type EteeErrorCode =
  | `INNER_${SignatureLayerCheck}`
  | `OUTER_${SignatureLayerCheck}`
  | 'INNER_SIGNATURE_DOES_NOT_MATCH_SIGNATURE_CERTIFICATE'
  | 'OUTER_SIGNATURE_DOES_NOT_MATCH_AUTHENTICATION_CERTIFICATE'
  | 'MESSAGE_INTEGRITY_INVALID'
  | 'DECRYPTION_ASYMMETRIC_KEY_ALGORITHM_UNAUTHORIZED'
  | 'DECRYPTION_ASYMMETRIC_KEY_LENGTH_UNAUTHORIZED'
  | 'DECRYPTION_SYMMETRIC_KEY_ALGORITHM_UNAUTHORIZED'
  | 'DECRYPTION_SYMMETRIC_KEY_LENGTH_UNAUTHORIZED';

/** Fatals: processing stopped, no content is returned. */
export type EteeFatalCode =
  | 'OUTER_SIGNED_DATA_STRUCTURE_INCORRECT'
  | 'INNER_SIGNED_DATA_STRUCTURE_INCORRECT'
  | 'ENVELOPED_DATA_STRUCTURE_INCORRECT'
  | 'OUTER_SIGNED_DATA_CONTENT_MISSING'
  | 'INNER_SIGNED_DATA_CONTENT_MISSING'
  | 'OUTER_SIGNED_DATA_CONTAINS_INCORRECTLY_ENCODED_CERTIFICATES_SET'
  | 'INNER_SIGNED_DATA_CONTAINS_INCORRECTLY_ENCODED_CERTIFICATES_SET'
  | 'MESSAGE_OUTER_SIGNED_PART_HAS_NO_SIGNER_INFORMATION'
  | 'MESSAGE_INNER_SIGNED_PART_HAS_NO_SIGNER_INFORMATION'
  | 'MESSAGE_OUTER_SIGNED_PART_HAS_MORE_THAN_ONE_SIGNER_INFORMATION'
  | 'MESSAGE_INNER_SIGNED_PART_HAS_MORE_THAN_ONE_SIGNER_INFORMATION'
  | 'DECRYPTION_PRIVATE_KEY_NOT_FOUND'
  | 'ENVELOPED_DATA_CONTAINS_NO_KEYTRANSRECIPIENTINFOS'
  | 'ENVELOPED_DATA_CONTAINS_NO_KEKRECIPIENTINFOS'
  | 'SECRET_KEY_CAN_NOT_DECRYPT_KEKRECIPIENTINFOS'
  | 'DECRYPTION_SYMMETRIC_KEY_ALGORITHM_PADDING_UNAUTHORIZED'
  | 'DECRYPTION_SYMMETRIC_KEY_ALGORITHM_UNAUTHORIZED'
  | 'DECRYPTION_ASYMMETRIC_KEY_ALGORITHM_UNAUTHORIZED';

/** Every eHealth code (SEALING.md §3.5) this unsealer can emit. */
export type EteeCode = EteeWarningCode | EteeErrorCode | EteeFatalCode;

/** One finding: its code, the layer it concerns, and a human explanation (no key material, no content). */
export interface Issue {
  code: EteeCode;
  layer: EteeLayer;
  message: string;
}

/** Who signed a layer, from the certificate used to verify it. */
export interface SignerIdentity {
  subject: string;
  issuer: string;
  /** Decimal serial number (the eHealth alias convention). */
  serial: string;
}

/**
 * The verification status of one unseal. `ok` is true only with no fatal and no
 * error; warnings (e.g. SIGNING_TIME_EXPIRED for any message read >10 min after
 * sending) do not clear it.
 */
export interface Verdict {
  ok: boolean;
  fatal?: Issue;
  errors: Issue[];
  warnings: Issue[];
  /** Layer of the fatal, else of the first error. */
  layer?: EteeLayer;
  /** Message of the fatal, else of the first error. */
  reason?: string;
  /** The outer (authentication) signer: the sender. */
  signer?: SignerIdentity;
  /** The inner (author) signer, when the inner layer was reached. */
  innerSigner?: SignerIdentity;
  /** The claimed outer signing time, when present. */
  signingTime?: Date;
}

/** Collects issues while unsealing and freezes them into a Verdict. */
export class VerdictBuilder {
  private readonly errors: Issue[] = [];
  private readonly warnings: Issue[] = [];
  private fatalIssue: Issue | undefined;
  signer: SignerIdentity | undefined;
  innerSigner: SignerIdentity | undefined;
  signingTime: Date | undefined;

  /** Records a warning. */
  warn(code: EteeWarningCode, layer: EteeLayer, message: string): void {
    this.warnings.push({ code, layer, message });
  }

  /** Records an error (content may still be returned, with ok=false). */
  error(code: EteeErrorCode, layer: EteeLayer, message: string): void {
    if (!this.errors.some((e) => e.code === code && e.layer === layer)) this.errors.push({ code, layer, message });
  }

  /** Records the fatal that stops unsealing (the first one wins). */
  fatal(code: EteeFatalCode, layer: EteeLayer, message: string): void {
    this.fatalIssue ??= { code, layer, message };
  }

  /** True once a fatal was recorded. */
  get stopped(): boolean {
    return this.fatalIssue !== undefined;
  }

  /** The immutable verdict. */
  build(): Verdict {
    const first = this.fatalIssue ?? this.errors[0];
    const verdict: Verdict = {
      ok: first === undefined,
      errors: [...this.errors],
      warnings: [...this.warnings],
    };
    if (this.fatalIssue) verdict.fatal = this.fatalIssue;
    if (first) {
      verdict.layer = first.layer;
      verdict.reason = first.message;
    }
    if (this.signer) verdict.signer = this.signer;
    if (this.innerSigner) verdict.innerSigner = this.innerSigner;
    if (this.signingTime) verdict.signingTime = this.signingTime;
    return verdict;
  }
}
