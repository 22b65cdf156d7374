/**
 * One authenticated identity toward eHealth: a keystore, the quality it acts
 * in, the endpoints, and the STS token it signs every ehBox/Addressbook call
 * with (holder-of-key). The same code serves the sandbox, acceptance and
 * production — only the endpoints differ.
 */
import type { Keystore } from '../crypto/types.ts';
import { buildMultipartRelated } from '../soap/swa.ts';
import { postSoap, type SoapHttpResponse } from '../soap/http.ts';
import { signWithSamlHokAsync } from '../soap/wssec.ts';
import type { StsClient } from '../sts/sts-client.ts';

export { EHEALTH_PATHS, endpointsAt, type EhealthEndpoints } from '../config/ehealth-endpoints.ts';
/** The acceptance and production hosts (PROTOCOL.md §1.2). */
export { EHEALTH_BASE_URLS as PLATFORM_BASE_URLS } from '../config/ehealth-endpoints.ts';

/** Default time for one eHealth call. */
export const DEFAULT_EHEALTH_TIMEOUT_MS = 30_000;

/** Transport limits of a session beyond the total timeout (defaults: those of postSoap). */
export interface SessionTransportOptions {
  /** Largest answer accepted (bytes); larger ones fail as SOAP_RESPONSE_TOO_LARGE. */
  maxResponseBytes?: number | undefined;
  connectTimeoutMs?: number | undefined;
}

/** An identity that can make signed calls. */
export class EhealthSession {
  constructor(
    readonly keystore: Keystore,
    /** STS quality name (doctor, nurse, hospital, …). */
    readonly quality: string,
    readonly sts: StsClient,
    readonly timeoutMs: number = DEFAULT_EHEALTH_TIMEOUT_MS,
    readonly transport: SessionTransportOptions = {},
  ) {}

  /** Posts a payload signed with the session's holder-of-key token. */
  async call(url: string, soapAction: string, payloadXml: string, attachments: readonly { cid: string; bytes: Uint8Array }[] = []): Promise<SoapHttpResponse> {
    const token = await this.sts.token(this.keystore, this.quality);
    const envelopeXml = await signWithSamlHokAsync({ body: payloadXml, assertionXml: token.assertionXml, privateKey: this.keystore.authentication.privateKey });
    const body = attachments.length === 0 ? envelopeXml : buildMultipartRelated({ envelopeXml, attachments: attachments.map((a) => ({ contentId: a.cid, data: a.bytes })) });
    return postSoap({
      url,
      soapAction,
      body,
      timeoutMs: this.timeoutMs,
      ...(this.transport.maxResponseBytes !== undefined ? { maxResponseBytes: this.transport.maxResponseBytes } : {}),
      ...(this.transport.connectTimeoutMs !== undefined ? { connectTimeoutMs: this.transport.connectTimeoutMs } : {}),
    });
  }
}
