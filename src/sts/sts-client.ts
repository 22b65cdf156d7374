/**
 * Client of the eHealth STS ("legacy" SAML 1.1 endpoint): asks a
 * holder-of-key token for a keystore and a quality, signs the request with
 * the authentication certificate (X.509 BinarySecurityToken), and keeps the
 * token until shortly before it expires. Concurrent asks for the same
 * identity share one STS call; an optional shared cache (Redis) lets several
 * processes reuse a token.
 */
import crypto from 'node:crypto';
import { describeName, parseHolderIdentity } from '../crypto/certificate-names.ts';
import type { Keystore } from '../crypto/types.ts';
import { postSoap } from '../soap/http.ts';
import { SOAP_ACTIONS } from '../soap/soap-actions.ts';
import { signWithX509Bst, verifyAssertionSignature } from '../soap/wssec.ts';
import { child, serializeStandalone, attr } from '../soap/xml.ts';
import { NS } from '../soap/namespaces.ts';
import { SoapError } from '../soap/errors.ts';
import { qualityProfile } from './attributes.ts';
import { buildTokenRequest, parseAssertion } from './saml.ts';

/** Renew this long before NotOnOrAfter, so a token never expires in flight. */
export const TOKEN_RENEW_MARGIN_MS = 5 * 60_000;
/** Validity asked for a new token (the STS may give less). */
export const TOKEN_LIFETIME_MS = 12 * 3600_000;

/** A token ready to sign ehBox/Addressbook calls with. */
export interface SamlToken {
  assertionXml: string;
  assertionId: string;
  notOnOrAfter: string;
  quality: string;
}

/** A cache shared between processes (e.g. Redis); values are tokens as JSON. */
export interface TokenCache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
}

/** Typed STS failure (refused request, unknown quality). */
export class StsError extends Error {
  override readonly name = 'StsError';
  /** A refused or untrustworthy token answer does not improve by retrying. */
  readonly permanent = true;
  constructor(
    readonly code: 'STS_REFUSED' | 'STS_UNKNOWN_QUALITY' | 'STS_BAD_ANSWER' | 'STS_UNTRUSTED',
    message: string,
  ) {
    super(message);
  }
}

/** Options of the STS client. */
export interface StsClientOptions {
  url: string;
  timeoutMs: number;
  /**
   * Certificates (DER) of the STS whose signature an assertion must carry.
   * Given: an unsigned or foreign-signed assertion is refused (STS_UNTRUSTED)
   * before it is ever used. Absent: the assertion is taken as received, as
   * the eHealth connector does (the services check it anyway).
   */
  trustedSignersDer?: readonly Uint8Array[] | undefined;
  cache?: TokenCache | undefined;
  now?: () => Date;
}

/** Gets and caches holder-of-key tokens. */
export class StsClient {
  private readonly memory = new Map<string, SamlToken>();
  private readonly inFlight = new Map<string, Promise<SamlToken>>();

  constructor(private readonly opts: StsClientOptions) {}

  /** A valid token for this keystore and quality (cached, renewed before expiry). */
  async token(keystore: Keystore, quality: string): Promise<SamlToken> {
    const key = `${Buffer.from(crypto.createHash('sha256').update(keystore.authentication.certificateDer).digest()).toString('hex')}:${quality.toLowerCase()}`;
    const now = (this.opts.now ?? (() => new Date()))().getTime();
    const fresh = (t: SamlToken | undefined) => t && Date.parse(t.notOnOrAfter) - TOKEN_RENEW_MARGIN_MS > now;
    const mem = this.memory.get(key);
    if (fresh(mem)) return mem!;
    const shared = await this.opts.cache?.get(`sts:${key}`);
    if (shared) {
      const t = JSON.parse(shared) as SamlToken;
      if (fresh(t)) {
        this.memory.set(key, t);
        return t;
      }
    }
    let p = this.inFlight.get(key);
    if (!p) {
      p = this.request(keystore, quality).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, p);
    }
    const t = await p;
    this.memory.set(key, t);
    await this.opts.cache?.set(`sts:${key}`, JSON.stringify(t), Math.max(1000, Date.parse(t.notOnOrAfter) - TOKEN_RENEW_MARGIN_MS - now));
    return t;
  }

  /** Asks the STS for a new token (no cache). */
  async request(keystore: Keystore, quality: string): Promise<SamlToken> {
    const profile = qualityProfile(quality);
    if (!profile) throw new StsError('STS_UNKNOWN_QUALITY', `Unknown quality ${quality}`);
    const auth = keystore.authentication;
    const identity = parseHolderIdentity(auth.certificate);
    if (!identity) throw new StsError('STS_REFUSED', 'The authentication certificate carries no eHealth identifier');
    const now = (this.opts.now ?? (() => new Date()))();
    const body = buildTokenRequest({
      subjectDn: describeName(auth.certificate.subject),
      issuerDn: describeName(auth.certificate.issuer),
      hokCertificate: auth.certificateDer,
      notBefore: now.toISOString(),
      notOnOrAfter: new Date(now.getTime() + TOKEN_LIFETIME_MS).toISOString(),
      claimed: profile.asserted.map((a) => ({ ...a, values: [identity.id] })),
      designators: profile.requested,
    });
    const envelopeXml = signWithX509Bst({ body, privateKey: auth.privateKey, certificateDer: auth.certificateDer });
    const res = await postSoap({ url: this.opts.url, soapAction: SOAP_ACTIONS.stsRequestSecureToken, body: envelopeXml, timeoutMs: this.opts.timeoutMs });
    const response = res.envelope.payload;
    if (response.namespaceURI !== NS.samlp || response.localName !== 'Response') throw new StsError('STS_BAD_ANSWER', 'The STS did not answer a samlp:Response');
    const status = child(response, NS.samlp, 'Status');
    const code = status && child(status, NS.samlp, 'StatusCode');
    const value = code ? (attr(code, null, 'Value') ?? '') : '';
    if (!value.includes('Success')) throw new StsError('STS_REFUSED', `The STS refused the request (${value || 'no status'})`);
    const assertionEl = child(response, NS.saml, 'Assertion');
    if (!assertionEl) throw new StsError('STS_BAD_ANSWER', 'The STS answer holds no assertion');
    if (this.opts.trustedSignersDer) {
      const signed = verifyAssertionSignature(assertionEl, this.opts.trustedSignersDer);
      if (!signed.ok) throw new StsError('STS_UNTRUSTED', `The STS assertion is not signed by a trusted STS certificate (${signed.code})`);
    }
    let parsed;
    try {
      parsed = parseAssertion(assertionEl);
    } catch (err) {
      if (err instanceof SoapError) throw new StsError('STS_BAD_ANSWER', err.message);
      throw err;
    }
    return { assertionXml: serializeStandalone(assertionEl), assertionId: parsed.assertionId, notOnOrAfter: parsed.notOnOrAfter.toISOString(), quality: profile.ehboxQuality };
  }
}
