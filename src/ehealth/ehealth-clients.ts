/**
 * One factory for every eHealth client, so that switching between the
 * sandbox, acceptance and production is configuration only: the same SOAP
 * code talks to the endpoints of PROTOCOL.md §1.2 or to a sandbox URL. Every
 * call has a timeout; connections are reused (postSoap's keep-alive agents).
 */
import { parseHolderIdentity, type HolderIdentity } from '../crypto/certificate-names.ts';
import type { Keystore } from '../crypto/types.ts';
import { toEhboxType } from '../common/identifiers.ts';
import { AddressbookClient } from '../addressbook/addressbook-client.ts';
import { RecipientResolver } from '../addressbook/recipient-resolver.ts';
import { EhboxClient } from '../ehbox/ehbox-client.ts';
import type { BoxAddress } from '../ehbox/wire/types.ts';
import { EtkDepotClient, type EtkCache, type ValidEtk } from '../etkdepot/etk-depot-client.ts';
import { qualityProfile } from '../sts/attributes.ts';
import { StsClient, type TokenCache } from '../sts/sts-client.ts';
import { MemoryTtlCache } from './memory-cache.ts';
import { DEFAULT_EHEALTH_TIMEOUT_MS, EHEALTH_PATHS, EhealthSession, endpointsAt, PLATFORM_BASE_URLS, type EhealthEndpoints } from './session.ts';

/** Where the clients talk to. */
export type EhealthEnv = 'sandbox' | 'acceptance' | 'production';
/** Every environment name, for option parsing. */
export const EHEALTH_ENVS: readonly EhealthEnv[] = ['sandbox', 'acceptance', 'production'];

/** A configuration that cannot work (unknown environment, missing sandbox URL, unknown quality, keystore without identity). */
export class EhealthConfigError extends Error {
  override readonly name = 'EhealthConfigError';
  readonly code = 'EHEALTH_CONFIG_INVALID';
  readonly permanent = true;
}

/** What the clients are built from. */
export interface EhealthClientsConfig {
  env: EhealthEnv;
  /** Base URL of the sandbox (required with env=sandbox), e.g. http://127.0.0.1:8081. */
  sandboxUrl?: string | undefined;
  keystore: Keystore;
  /** STS quality (doctor, nurse, hospital, … or the ehBox spelling DOCTOR, HOSPITAL, …). */
  quality: string;
  timeoutMs?: number | undefined;
  /** CA certificates ETKs (and sealed content) must chain to. */
  trustAnchorsDer: Uint8Array[];
  /** Shared caches (Redis); in-process ones are used for what is not given. */
  caches?: { token?: TokenCache | undefined; etk?: EtkCache | undefined } | undefined;
  etkTtlMs?: number | undefined;
  etkNegativeTtlMs?: number | undefined;
  /** Largest answer accepted from any service. */
  maxResponseBytes?: number | undefined;
  /** Per-service URLs replacing the environment's (e.g. a relay in front of eHealth); all five make `sandboxUrl` unnecessary. */
  endpoints?: Partial<EhealthEndpoints> | undefined;
}

/** The clients of one identity. */
export interface EhealthClients {
  env: EhealthEnv;
  endpoints: EhealthEndpoints;
  sts: StsClient;
  session: EhealthSession;
  ehbox: EhboxClient;
  etkDepot: EtkDepotClient;
  addressbook: AddressbookClient;
  resolver: RecipientResolver;
  /** Identity of the keystore's authentication certificate (ETK Depot spelling). */
  identity: HolderIdentity;
  /** The identity's own box for the configured quality. */
  ownBox: BoxAddress;
  /** The identity's own validated ETK(s): sealing adds them so the sender can read its SENTBOX. */
  ownEtks(): Promise<ValidEtk[]>;
}

/** Endpoints of an environment: the platform's for acceptance/production, the sandbox URL's otherwise. */
export function endpointsFor(env: EhealthEnv, sandboxUrl?: string): EhealthEndpoints {
  if (env === 'acceptance' || env === 'production') return endpointsAt(PLATFORM_BASE_URLS[env]);
  if (env !== 'sandbox') throw new EhealthConfigError(`Unknown eHealth environment ${String(env)} (sandbox, acceptance or production)`);
  if (!sandboxUrl) throw new EhealthConfigError('env=sandbox needs the sandbox base URL');
  let url: URL;
  try {
    url = new URL(sandboxUrl);
  } catch {
    throw new EhealthConfigError(`Not a URL: ${sandboxUrl}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new EhealthConfigError(`The sandbox URL must be http(s): ${sandboxUrl}`);
  return endpointsAt(sandboxUrl);
}

function resolveEndpoints(cfg: EhealthClientsConfig): EhealthEndpoints {
  const override = cfg.endpoints ?? {};
  const keys = Object.keys(EHEALTH_PATHS) as (keyof EhealthEndpoints)[];
  if (keys.every((k) => override[k])) return { ...EHEALTH_PATHS, ...override };
  return { ...endpointsFor(cfg.env, cfg.sandboxUrl), ...override };
}

/** Builds every client for one keystore and quality. */
export function createEhealthClients(cfg: EhealthClientsConfig): EhealthClients {
  if (!EHEALTH_ENVS.includes(cfg.env)) throw new EhealthConfigError(`Unknown eHealth environment ${String(cfg.env)} (sandbox, acceptance or production)`);
  const endpoints = resolveEndpoints(cfg);
  const profile = qualityProfile(cfg.quality);
  if (!profile) throw new EhealthConfigError(`Unknown quality ${cfg.quality}`);
  const identity = parseHolderIdentity(cfg.keystore.authentication.certificate);
  if (!identity) throw new EhealthConfigError('The authentication certificate carries no eHealth identifier');
  const timeoutMs = cfg.timeoutMs ?? DEFAULT_EHEALTH_TIMEOUT_MS;
  const sts = new StsClient({ url: endpoints.sts, timeoutMs, cache: cfg.caches?.token });
  const session = new EhealthSession(cfg.keystore, cfg.quality, sts, timeoutMs, { maxResponseBytes: cfg.maxResponseBytes });
  const etkDepot = new EtkDepotClient({
    url: endpoints.etkDepot,
    timeoutMs,
    trustAnchorsDer: cfg.trustAnchorsDer,
    cache: cfg.caches?.etk ?? new MemoryTtlCache(),
    ttlMs: cfg.etkTtlMs,
    negativeTtlMs: cfg.etkNegativeTtlMs,
    maxResponseBytes: cfg.maxResponseBytes,
  });
  const addressbook = new AddressbookClient(session, endpoints);
  const ownEtkId = { type: identity.type, value: identity.id, ...(identity.applicationId ? { applicationId: identity.applicationId } : {}) };
  return {
    env: cfg.env,
    endpoints,
    sts,
    session,
    ehbox: new EhboxClient(session, endpoints),
    etkDepot,
    addressbook,
    resolver: new RecipientResolver(addressbook, etkDepot),
    identity,
    ownBox: { id: identity.id, ...toEhboxType(identity.type), quality: profile.ehboxQuality },
    ownEtks: () => etkDepot.getEtks(ownEtkId),
  };
}
