/**
 * ETK Depot client (GetEtk, unauthenticated): asks for a party's encryption
 * token(s) with the MatchingEtk follow-up of PROTOCOL.md §8, validates every
 * token with the crypto core before use, and caches answers (positive and
 * negative) behind a cache-aside loader that never stampedes: concurrent
 * asks for one identifier share one call.
 */
import { parseEtk, validateEtk, type EtkVerdict } from '../crypto/etk.ts';
import { postSoap } from '../soap/http.ts';
import { buildEnvelope } from '../soap/envelope.ts';
import { decodeGetEtkResponse, encodeGetEtkRequest } from './wire/etk-depot-codec.ts';
import { ETK_STATUS_SUCCESS, type EtkIdentifier } from './wire/types.ts';

/** Default lifetimes of cached answers (issue: 24 h for tokens, 10 min for "none"). */
export const DEFAULT_ETK_TTL_MS = 24 * 3600_000;
export const DEFAULT_NEGATIVE_TTL_MS = 10 * 60_000;

/** Why no usable ETK could be had. */
export type EtkFailureCode = 'ETK_NOT_FOUND' | 'ETK_INVALID' | 'ETK_DEPOT_ERROR';

/** A typed failure of the ETK lookup; permanent (retrying the same identifier gives the same answer). */
export class EtkLookupError extends Error {
  override readonly name = 'EtkLookupError';
  readonly permanent = true;
  constructor(
    readonly code: EtkFailureCode,
    message: string,
    readonly verdict?: EtkVerdict,
  ) {
    super(message);
  }
}

/** A validated ETK. */
export interface ValidEtk {
  der: Uint8Array;
  /** DER of the encryption certificate: what sealing encrypts for. */
  encryptionCertDer: Uint8Array;
  verdict: EtkVerdict;
}

/** Shared cache for ETK answers (Redis in the gateway). */
export interface EtkCache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
}

/** Options of the ETK Depot client. */
export interface EtkDepotClientOptions {
  url: string;
  timeoutMs: number;
  /** DER CA certificates an ETK's authentication certificate must chain to. */
  trustAnchorsDer: Uint8Array[];
  cache?: EtkCache | undefined;
  ttlMs?: number;
  negativeTtlMs?: number;
  now?: () => Date;
}

type Cached = { etks: string[] } | { error: EtkFailureCode; message: string };

/** Fetches, validates and caches ETKs. */
export class EtkDepotClient {
  private readonly inFlight = new Map<string, Promise<Uint8Array[]>>();

  constructor(private readonly opts: EtkDepotClientOptions) {}

  /** Every valid ETK of the identifier (several when the party has one per application). */
  async getEtks(id: EtkIdentifier): Promise<ValidEtk[]> {
    const ders = await this.load(id);
    const now = (this.opts.now ?? (() => new Date()))();
    const out = ders.map((der) => {
      const verdict = validateEtk(parseEtk(der), { trustAnchorsDer: this.opts.trustAnchorsDer, at: now });
      return { der, encryptionCertDer: parseEtk(der).encryption.der, verdict };
    });
    const valid = out.filter((e) => e.verdict.ok);
    if (valid.length === 0) {
      const first = out[0]!;
      throw new EtkLookupError('ETK_INVALID', `The ETK of ${id.type} ${id.value} is not valid: ${first.verdict.reasons.map((r) => r.code).join(', ')}`, first.verdict);
    }
    return valid;
  }

  /** Raw ETK bytes for an identifier, through the cache. */
  private async load(id: EtkIdentifier): Promise<Uint8Array[]> {
    const key = `etk:${id.type}:${id.value}:${id.applicationId ?? ''}`;
    const hit = await this.opts.cache?.get(key);
    if (hit) return fromCached(JSON.parse(hit) as Cached);
    let p = this.inFlight.get(key);
    if (!p) {
      p = this.fetch(id)
        .then(async (etks) => {
          await this.opts.cache?.set(key, JSON.stringify({ etks: etks.map((e) => Buffer.from(e).toString('base64')) } satisfies Cached), this.opts.ttlMs ?? DEFAULT_ETK_TTL_MS);
          return etks;
        })
        .catch(async (err: unknown) => {
          if (err instanceof EtkLookupError && err.code === 'ETK_NOT_FOUND') {
            await this.opts.cache?.set(key, JSON.stringify({ error: err.code, message: err.message } satisfies Cached), this.opts.negativeTtlMs ?? DEFAULT_NEGATIVE_TTL_MS);
          }
          throw err;
        })
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, p);
    }
    return p;
  }

  /** GetEtk, following MatchingEtk answers when no application id was given. */
  private async fetch(id: EtkIdentifier): Promise<Uint8Array[]> {
    const res = await this.getEtk(id);
    if (res.result?.kind === 'etk') return [res.result.etk];
    if (res.result?.kind === 'matches' && !id.applicationId) {
      const out: Uint8Array[] = [];
      for (const m of res.result.matches) {
        const again = await this.getEtk(m.identifiers[0]!);
        if (again.result?.kind === 'etk') out.push(again.result.etk);
      }
      if (out.length > 0) return out;
    }
    const message = res.result?.kind === 'errors' ? res.result.errors.map((e) => `${e.code}: ${e.message}`).join('; ') : 'no ETK in the answer';
    throw new EtkLookupError('ETK_NOT_FOUND', `No ETK for ${id.type} ${id.value}${id.applicationId ? `/${id.applicationId}` : ''} (${message})`);
  }

  private async getEtk(id: EtkIdentifier) {
    const res = await postSoap({ url: this.opts.url, soapAction: null, body: buildEnvelope({ body: encodeGetEtkRequest({ identifiers: [id] }) }), timeoutMs: this.opts.timeoutMs });
    const decoded = decodeGetEtkResponse(res.envelope.payload);
    if (decoded.status.code !== ETK_STATUS_SUCCESS) {
      throw new EtkLookupError('ETK_DEPOT_ERROR', `ETK Depot status ${decoded.status.code}: ${decoded.status.messages.map((m) => m.value).join('; ')}`);
    }
    return decoded;
  }
}

function fromCached(c: Cached): Uint8Array[] {
  if ('error' in c) throw new EtkLookupError(c.error, c.message);
  return c.etks.map((b) => new Uint8Array(Buffer.from(b, 'base64')));
}
