/**
 * Shared shapes of the crypto core: a credential is a private key with the
 * certificate chain it signs or decrypts with; a keystore is what an eHealth
 * PKCS#12 holds (one authentication credential, one or more encryption keys).
 */
import type { KeyObject } from 'node:crypto';
import type * as pkijs from 'pkijs';

/** A private key and its certificate chain (leaf first, as stored in the keystore). */
export interface Credential {
  /** The keystore alias (friendlyName) of the entry, when it has one. */
  alias: string | undefined;
  privateKey: KeyObject;
  /** Leaf certificate, parsed. */
  certificate: pkijs.Certificate;
  /** DER of the leaf certificate. */
  certificateDer: Uint8Array;
  /** The rest of the chain (without the leaf), DER, in keystore order. */
  chainDer: Uint8Array[];
}

/** An eHealth keystore: the `authentication` entry plus every private key it holds. */
export interface Keystore {
  authentication: Credential;
  /** Every private-key entry, including the authentication one; used to find decryption keys. */
  entries: Credential[];
}
