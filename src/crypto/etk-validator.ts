/**
 * ETK validation: the checks of the Java library's EncryptionTokenChecker
 * (SEALING.md §2.3 items 1–5) as a verdict with named reasons. Revocation
 * (item 6) needs OCSP and is reported as not checked.
 */
import { X509Certificate } from 'node:crypto';
import type * as pkijs from 'pkijs';
import {
  certificateBasicConstraints,
  certificateKeyUsage,
  describeName,
  namesEqual,
  parseHolderIdentity,
  type KeyUsage,
} from './certificates.ts';
import { verifyCertificatePath } from './certificate-path.ts';
import type { Etk } from './etk.ts';

/** Sealing uses RSA PKCS#1 v1.5 key transport to this key; eHealth requires RSA ≥ 2048 (§2.3). */
const MIN_ENCRYPTION_KEY_BITS = 2048;

/** Stable reason codes (names of the Java library where it has one). */
export type EtkReasonCode =
  | 'ETK_ENCRYPTION_CERT_SIGNATURE_NOT_VALID'
  | 'ETK_ENCRYPTION_CERT_HAS_INVALID_KEY'
  | 'ETK_ENCRYPTION_CERT_EXPIRED'
  | 'ETK_ENCRYPTION_CERT_NOT_YET_VALID'
  | 'ETK_AUTHENTICATION_CERT_EXPIRED'
  | 'ETK_AUTHENTICATION_CERT_NOT_YET_VALID'
  | 'ETK_ENCRYPTION_CERT_HAS_INVALID_KEYUSAGE'
  | 'ETK_AUTHENTICATION_CERT_HAS_INVALID_KEYUSAGE'
  | 'ETK_CERTS_DO_NOT_MATCH'
  | 'ETK_CERTIFICATE_CHAIN_NOT_TRUSTED';

/** One failed check. */
export interface EtkReason {
  code: EtkReasonCode;
  message: string;
}

/** The result of validateEtk. */
export interface EtkVerdict {
  ok: boolean;
  /** Every failed check, in check order (empty when ok). */
  reasons: EtkReason[];
  /** Who the ETK belongs to, from the authentication certificate DN (type/id absent when the DN has no identifier). */
  holder: { type?: string; id?: string; applicationId?: string; subject: string };
  /** Window in which both certificates are valid (the ETK's usable lifetime). */
  validity: { notBefore: Date; notAfter: Date };
  /** OCSP/CRL checks are not performed. */
  revocation: 'NOT_CHECKED';
}

/** Inputs of validateEtk. */
export interface ValidateEtkOptions {
  /** Trusted CA certificates (DER): roots or issuing CAs. */
  trustAnchorsDer: Uint8Array[];
  /** Time of validation; default now. */
  at?: Date;
}

function timeReason(
  cert: pkijs.Certificate,
  at: Date,
  which: 'ENCRYPTION' | 'AUTHENTICATION',
): EtkReason | undefined {
  const label = which === 'ENCRYPTION' ? 'encryption' : 'authentication';
  if (at < cert.notBefore.value) {
    return { code: `ETK_${which}_CERT_NOT_YET_VALID`, message: `${label} certificate is valid only from ${cert.notBefore.value.toISOString()}` };
  }
  if (at > cert.notAfter.value) {
    return { code: `ETK_${which}_CERT_EXPIRED`, message: `${label} certificate expired on ${cert.notAfter.value.toISOString()}` };
  }
  return undefined;
}

function keyUsageProblem(cert: pkijs.Certificate, required: KeyUsage[]): string | undefined {
  try {
    if (certificateBasicConstraints(cert).cA) return 'is a CA certificate';
    const usages = certificateKeyUsage(cert);
    if (!usages) return 'has no key usage extension';
    const missing = required.filter((u) => !usages.has(u));
    return missing.length ? `lacks key usage ${missing.join(', ')}` : undefined;
  } catch {
    return 'has a malformed key usage or basic constraints extension';
  }
}

/** Item 1: the encryption certificate is signed by the authentication key, and is an RSA key we can seal to. */
function signatureReasons(etk: Etk): EtkReason[] {
  const reasons: EtkReason[] = [];
  let signed: boolean;
  try {
    const auth = new X509Certificate(etk.authentication.der);
    signed = new X509Certificate(etk.encryption.der).verify(auth.publicKey);
  } catch {
    signed = false;
  }
  if (!signed) {
    reasons.push({ code: 'ETK_ENCRYPTION_CERT_SIGNATURE_NOT_VALID', message: 'the encryption certificate is not signed by the authentication certificate key' });
  }
  let bits: number;
  try {
    const key = new X509Certificate(etk.encryption.der).publicKey;
    bits = key.asymmetricKeyType === 'rsa' ? (key.asymmetricKeyDetails?.modulusLength ?? 0) : 0;
  } catch {
    bits = 0;
  }
  if (bits < MIN_ENCRYPTION_KEY_BITS) {
    reasons.push({ code: 'ETK_ENCRYPTION_CERT_HAS_INVALID_KEY', message: `the encryption key must be RSA of at least ${MIN_ENCRYPTION_KEY_BITS} bits` });
  }
  return reasons;
}

/**
 * Validates an ETK: encryption cert signed by the auth key (1), both
 * certificates valid at `at` (2), key usages (3), identical subject DNs (4),
 * and a path from the auth certificate through the embedded CAs to a trust
 * anchor (5). Never throws for a parsed ETK.
 */
export function validateEtk(etk: Etk, options: ValidateEtkOptions): EtkVerdict {
  const at = options.at ?? new Date();
  const enc = etk.encryption.certificate;
  const auth = etk.authentication.certificate;
  const reasons: EtkReason[] = signatureReasons(etk);
  for (const r of [timeReason(enc, at, 'ENCRYPTION'), timeReason(auth, at, 'AUTHENTICATION')]) if (r) reasons.push(r);

  const encUsage = keyUsageProblem(enc, ['keyEncipherment', 'dataEncipherment']);
  if (encUsage) reasons.push({ code: 'ETK_ENCRYPTION_CERT_HAS_INVALID_KEYUSAGE', message: `encryption certificate ${encUsage}` });
  const authUsage = keyUsageProblem(auth, ['digitalSignature']);
  if (authUsage) reasons.push({ code: 'ETK_AUTHENTICATION_CERT_HAS_INVALID_KEYUSAGE', message: `authentication certificate ${authUsage}` });

  if (!namesEqual(enc.subject, auth.subject)) {
    reasons.push({
      code: 'ETK_CERTS_DO_NOT_MATCH',
      message: `subject DNs differ: encryption "${describeName(enc.subject)}" vs authentication "${describeName(auth.subject)}"`,
    });
  }

  const path = verifyCertificatePath(etk.authentication.der, etk.caChain.map((c) => c.der), options.trustAnchorsDer, at);
  if (!path.trusted) {
    reasons.push({ code: 'ETK_CERTIFICATE_CHAIN_NOT_TRUSTED', message: `authentication certificate chain is not trusted: ${path.problem ?? 'unknown'}` });
  }

  const identity = parseHolderIdentity(auth);
  return {
    ok: reasons.length === 0,
    reasons,
    holder: { ...identity, subject: describeName(auth.subject) },
    validity: {
      notBefore: new Date(Math.max(enc.notBefore.value.getTime(), auth.notBefore.value.getTime())),
      notAfter: new Date(Math.min(enc.notAfter.value.getTime(), auth.notAfter.value.getTime())),
    },
    revocation: 'NOT_CHECKED',
  };
}
