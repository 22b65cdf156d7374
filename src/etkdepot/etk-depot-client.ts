/**
 * ETK Depot client (GetEtk, unauthenticated): asks for a party's encryption
 * token(s) with the MatchingEtk follow-up of PROTOCOL.md §8, validates every
 * token with the crypto core before use, and caches answers (positive and
 * negative) behind a cache-aside loader that never stampedes: concurrent
 * asks for one identifier share one call.
 */
import crypto from 'node:crypto';
import { parseEtk, validateEtk, type EtkVerdict } from '../crypto/etk.ts';
import { postSoap } from '../soap/http.ts';
import { buildEnvelope } from '../soap/envelope.ts';
import { decodeGetEtkResponse, encodeGetEtkRequest } from './wire/etk-depot-codec.ts';
import { ETK_STATUS_SUCCESS, type EtkIdentifier, type GetEtkResponse } from './wire/types.ts';

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

/**
 * Shared cache for ETK answers (Redis in the gateway). `lock` is the optional
 * cross-process single-flight: a short lock on a key, so that of many
 * processes missing the same ETK only one asks the depot while the others
 * wait for the value it stores.
 */
export interface EtkCache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Takes the load lock of `key` for `ttlMs`: a release function when taken, undefined when another holder has it. */
  lock?(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined>;
}

/** The load lock outlives a normal depot call (a few hundred ms) by far, yet a crashed holder blocks others only briefly. */
export const ETK_LOAD_LOCK_TTL_MS = 10_000;
/** How often a process waiting for another's load looks for the value. */
export const ETK_LOAD_POLL_MS = 50;
/** A waiter gives up waiting (and asks the depot itself) once the lock could have expired twice over. */
export const ETK_LOAD_MAX_WAIT_MS = 2 * ETK_LOAD_LOCK_TTL_MS;

/** Options of the ETK Depot client. */
export interface EtkDepotClientOptions {
  url: string;
  timeoutMs: number;
  /** DER CA certificates an ETK's authentication certificate must chain to. */
  trustAnchorsDer: Uint8Array[];
  cache?: EtkCache | undefined;
  ttlMs?: number | undefined;
  negativeTtlMs?: number | undefined;
  /** Largest depot answer accepted (default: postSoap's). */
  maxResponseBytes?: number | undefined;
  now?: () => Date;
}

type Cached = { etks: string[] } | { error: EtkFailureCode; message: string };

/**
 * A verdict is reused this long: validating a token costs ~30 ms (signature
 * and chain checks) and its inputs — token, trust anchors, time — barely move
 * in a minute, while a busy worker asks the same recipients again and again.
 */
export const ETK_VERDICT_REUSE_MS = 60_000;
/** Verdicts kept in the process at most (oldest dropped first). */
const MAX_REUSED_VERDICTS = 2_000;
/** Validated tokens by (token, trust anchors), shared by every client of the process. */
const verdicts = new Map<string, { etk: ValidEtk; checkedAt: number }>();

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Fetches, validates and caches ETKs. */
export class EtkDepotClient {
  private readonly inFlight = new Map<string, Promise<Uint8Array[]>>();
  private trustKey: string | undefined;

  constructor(private readonly opts: EtkDepotClientOptions) {}

  /** Every valid ETK of the identifier (several when the party has one per application). */
  async getEtks(id: EtkIdentifier): Promise<ValidEtk[]> {
    const ders = await this.load(id);
    const now = (this.opts.now ?? (() => new Date()))();
    const out = ders.map((der) => this.validated(der, now, id));
    const valid = out.filter((e) => e.verdict.ok);
    if (valid.length === 0) {
      const first = out[0];
      const reasons = first ? first.verdict.reasons.map((r) => r.code).join(', ') : 'no token';
      throw new EtkLookupError('ETK_INVALID', `The ETK of ${id.type} ${id.value} is not valid: ${reasons}`, first?.verdict);
    }
    return valid;
  }

  /** The token's verdict, reused for ETK_VERDICT_REUSE_MS (never past the token's own expiry). */
  private validated(der: Uint8Array, now: Date, id: EtkIdentifier): ValidEtk {
    this.trustKey ??= crypto.createHash('sha256').update(Buffer.concat(this.opts.trustAnchorsDer)).digest('hex');
    const key = `${crypto.createHash('sha256').update(der).digest('hex')}:${this.trustKey}`;
    const hit = verdicts.get(key);
    const t = now.getTime();
    if (hit && t >= hit.checkedAt && t - hit.checkedAt < ETK_VERDICT_REUSE_MS && t < hit.etk.verdict.validity.notAfter.getTime()) return hit.etk;
    const etk = checkEtk(der, this.opts.trustAnchorsDer, now, id);
    verdicts.delete(key);
    verdicts.set(key, { etk, checkedAt: t });
    if (verdicts.size > MAX_REUSED_VERDICTS) verdicts.delete(verdicts.keys().next().value!);
    return etk;
  }

  /** Raw ETK bytes for an identifier, through the cache; one load per key at a time in this process. */
  private async load(id: EtkIdentifier): Promise<Uint8Array[]> {
    const key = `etk:${id.type}:${id.value}:${id.applicationId ?? ''}`;
    const hit = await this.cacheGet(key);
    if (hit) return fromCached(hit);
    let p = this.inFlight.get(key);
    if (!p) {
      p = this.loadShared(key, id).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, p);
    }
    return p;
  }

  /** Across processes: the lock holder asks the depot, the others poll the cache for its answer (bounded). */
  private async loadShared(key: string, id: EtkIdentifier): Promise<Uint8Array[]> {
    const cache = this.opts.cache;
    if (!cache?.lock) return this.fetchAndStore(key, id);
    const deadline = Date.now() + ETK_LOAD_MAX_WAIT_MS;
    for (;;) {
      let release: (() => Promise<void>) | undefined;
      try {
        release = await cache.lock(key, ETK_LOAD_LOCK_TTL_MS);
      } catch {
        // no coordination possible (cache down): ask the depot ourselves
        return this.fetchAndStore(key, id);
      }
      if (release) {
        try {
          // the previous holder may have stored the answer between our miss and our lock
          const hit = await this.cacheGet(key);
          return hit ? fromCached(hit) : await this.fetchAndStore(key, id);
        } finally {
          await release().catch(() => undefined);
        }
      }
      await sleep(ETK_LOAD_POLL_MS);
      const hit = await this.cacheGet(key);
      if (hit) return fromCached(hit);
      if (Date.now() > deadline) return this.fetchAndStore(key, id);
    }
  }

  /** Asks the depot and stores the answer: the tokens, or "none" for the negative TTL. */
  private async fetchAndStore(key: string, id: EtkIdentifier): Promise<Uint8Array[]> {
    try {
      const etks = await this.fetch(id);
      await this.cacheSet(key, { etks: etks.map((e) => Buffer.from(e).toString('base64')) }, this.opts.ttlMs ?? DEFAULT_ETK_TTL_MS);
      return etks;
    } catch (err) {
      if (err instanceof EtkLookupError && err.code === 'ETK_NOT_FOUND') {
        await this.cacheSet(key, { error: err.code, message: err.message }, this.opts.negativeTtlMs ?? DEFAULT_NEGATIVE_TTL_MS);
      }
      throw err;
    }
  }

  /** A cache outage must not stop sending: read errors count as misses. */
  private async cacheGet(key: string): Promise<Cached | undefined> {
    try {
      const raw = await this.opts.cache?.get(key);
      return raw ? (JSON.parse(raw) as Cached) : undefined;
    } catch {
      return undefined;
    }
  }

  private async cacheSet(key: string, value: Cached, ttlMs: number): Promise<void> {
    try {
      await this.opts.cache?.set(key, JSON.stringify(value), ttlMs);
    } catch {
      // the depot stays the source of truth; the next ask fetches again
    }
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

  /** One GetEtk call (no cache, no follow-up); a non-200 status throws ETK_DEPOT_ERROR. */
  async getEtk(id: EtkIdentifier): Promise<GetEtkResponse> {
    const res = await postSoap({
      url: this.opts.url,
      soapAction: null,
      body: buildEnvelope({ body: encodeGetEtkRequest({ identifiers: [id] }) }),
      timeoutMs: this.opts.timeoutMs,
      ...(this.opts.maxResponseBytes !== undefined ? { maxResponseBytes: this.opts.maxResponseBytes } : {}),
    });
    const decoded = decodeGetEtkResponse(res.envelope.payload);
    if (decoded.status.code !== ETK_STATUS_SUCCESS) {
      throw new EtkLookupError('ETK_DEPOT_ERROR', `ETK Depot status ${decoded.status.code}: ${decoded.status.messages.map((m) => m.value).join('; ')}`);
    }
    return decoded;
  }
}

/** Parses and validates one token; a token that does not even parse is ETK_INVALID. */
function checkEtk(der: Uint8Array, trustAnchorsDer: Uint8Array[], at: Date, id: EtkIdentifier): ValidEtk {
  let etk;
  try {
    etk = parseEtk(der);
  } catch (err) {
    throw new EtkLookupError('ETK_INVALID', `The ETK of ${id.type} ${id.value} does not parse: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { der, encryptionCertDer: etk.encryption.der, verdict: validateEtk(etk, { trustAnchorsDer, at }) };
}

function fromCached(c: Cached): Uint8Array[] {
  // a negative answer replays as the same typed error
  if ('error' in c) throw new EtkLookupError(c.error, c.message);
  return c.etks.map((b) => new Uint8Array(Buffer.from(b, 'base64')));
}
