/**
 * Where the eHealth services live (PROTOCOL.md §1.2). The sandbox serves the
 * same paths as the real platform, so switching environments only changes the
 * base URL: the SOAP clients have one code path (CONVENTIONS §2.6).
 */
import { ConfigError } from './config-error.ts';
import type { Config } from './config.ts';

/** The services the gateway calls, by role. */
export interface EhealthEndpoints {
  /** STS, SAML 1.1 "legacy" (samlp:Request). */
  sts: string;
  ehboxPublication: string;
  ehboxConsultation: string;
  etkDepot: string;
  addressbook: string;
}

/** Paths of the services, identical on acceptance, production and the sandbox. */
export const EHEALTH_PATHS: Readonly<EhealthEndpoints> = Object.freeze({
  sts: '/IAM/Saml11TokenService/Legacy/v1',
  ehboxPublication: '/ehBoxPublication/v3',
  ehboxConsultation: '/ehBoxConsultation/v3',
  etkDepot: '/EtkDepot/v1',
  addressbook: '/AddressBook/v1',
});

/** Base URLs of the real platform (`acpt` = acceptance). */
export const EHEALTH_BASE_URLS = Object.freeze({
  acceptance: 'https://services-acpt.ehealth.fgov.be',
  production: 'https://services.ehealth.fgov.be',
});

/** Wildcard listen addresses cannot be dialled portably; the sandbox is then reached on loopback. */
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);

function sandboxBase(config: Config, sandboxUrl: string | undefined): string {
  if (sandboxUrl !== undefined) return sandboxUrl;
  if (config.EHEALTH_SANDBOX_URL !== undefined) return config.EHEALTH_SANDBOX_URL;
  if (config.SANDBOX_PORT === 0) {
    throw new ConfigError([{ variable: 'SANDBOX_PORT', message: 'port 0: pass the URL the sandbox actually listens on' }]);
  }
  const host = WILDCARD_HOSTS.has(config.HOST) ? '127.0.0.1' : config.HOST;
  const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `http://${hostPart}:${config.SANDBOX_PORT}`;
}

/**
 * The endpoint of every service for the configured environment. In sandbox
 * mode the base is `sandboxUrl` (the in-process sandbox's real address, e.g.
 * when it listens on port 0), else EHEALTH_SANDBOX_URL, else HOST:SANDBOX_PORT.
 */
export function ehealthEndpoints(config: Config, sandboxUrl?: string): Readonly<EhealthEndpoints> {
  return endpointsAt(config.EHEALTH_ENV === 'sandbox' ? sandboxBase(config, sandboxUrl) : EHEALTH_BASE_URLS[config.EHEALTH_ENV]);
}

/** Every service's endpoint under one base URL (the sandbox, or a platform host). */
export function endpointsAt(baseUrl: string): Readonly<EhealthEndpoints> {
  const base = baseUrl.replace(/\/+$/, '');
  return Object.freeze({
    sts: base + EHEALTH_PATHS.sts,
    ehboxPublication: base + EHEALTH_PATHS.ehboxPublication,
    ehboxConsultation: base + EHEALTH_PATHS.ehboxConsultation,
    etkDepot: base + EHEALTH_PATHS.etkDepot,
    addressbook: base + EHEALTH_PATHS.addressbook,
  });
}
