/**
 * Where the client conformance suites run: the in-process sandbox (always),
 * and eHealth acceptance when a real keystore is configured:
 *
 *   EHEALTH_CONFORMANCE_ENV=acceptance EHEALTH_KEYSTORE=/path/keystore.p12 \
 *   EHEALTH_PASSWORD=… EHEALTH_QUALITY=doctor EHEALTH_TRUST=/path/ehealth-ca-chain.pem \
 *   npx vitest run test/clients/
 *
 * (optional: EHEALTH_CONFORMANCE_SELF_NAME = your name or institution name as
 * the Addressbook lists it, EHEALTH_CONFORMANCE_AMBIGUOUS_NAME = a last name
 * many professionals share). Without these variables the acceptance variant is
 * not defined at all. Every target's traffic goes through a recording relay
 * so the suites can count calls and validate each request against the XSDs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readCertificates } from '../../../src/crypto/certificates.ts';
import { loadKeystore } from '../../../src/crypto/keystore.ts';
import type { Keystore } from '../../../src/crypto/types.ts';
import { createDrbg } from '../../../src/crypto/drbg.ts';
import { generateSsin } from '../../../src/common/identifiers.ts';
import { createEhealthClients, type EhealthClients, type EhealthClientsConfig, type EhealthEnv } from '../../../src/ehealth/ehealth-clients.ts';
import { endpointsAt, PLATFORM_BASE_URLS } from '../../../src/ehealth/session.ts';
import type { SearchCriteria } from '../../../src/addressbook/recipient-resolver.ts';
import type { Sandbox } from '../../../src/sandbox/sandbox.ts';
import { keystoreOf, partyWith, startTestSandbox } from '../../helpers/sandbox.ts';
import { RecordingProxy } from './recording-proxy.ts';

/** Time for one call in the suites: generous for acceptance, far below the test timeout. */
export const CONFORMANCE_TIMEOUT_MS = 15_000;

/** One endpoint with credentials, ready for a suite. */
export interface ConformanceTarget {
  name: string;
  env: EhealthEnv;
  keystore: Keystore;
  quality: string;
  trustAnchorsDer: Uint8Array[];
  proxy: RecordingProxy;
  /** Clients for the target's identity whose traffic goes through the relay. */
  clients(overrides?: Partial<EhealthClientsConfig>): EhealthClients;
  /** A valid SSIN (check digits) that has no ETK. */
  unknownSsin: string;
  /** Criteria that find the target's own identity only, when known. */
  selfSearch?: SearchCriteria | undefined;
  /** Criteria that match several professionals, when known. */
  ambiguousSearch?: SearchCriteria | undefined;
  /** The in-process sandbox, for sandbox-only checks (fault injection, seeded parties). */
  sandbox?: Sandbox | undefined;
  close(): Promise<void>;
}

/** A named way to get a target; what it can probe is known before it starts (tests are defined, never skipped). */
export interface TargetFactory {
  name: string;
  /** The target provides `selfSearch`. */
  hasSelfSearch: boolean;
  /** The target provides `ambiguousSearch`. */
  hasAmbiguousSearch: boolean;
  create(): Promise<ConformanceTarget>;
}

function build(base: Omit<ConformanceTarget, 'clients' | 'unknownSsin'>): ConformanceTarget {
  return {
    ...base,
    unknownSsin: generateSsin(createDrbg('ehbox-bridge-conformance-unknown-ssin')),
    clients: (overrides = {}) =>
      createEhealthClients({
        env: base.env,
        keystore: base.keystore,
        quality: base.quality,
        trustAnchorsDer: base.trustAnchorsDer,
        timeoutMs: CONFORMANCE_TIMEOUT_MS,
        endpoints: endpointsAt(base.proxy.url),
        ...overrides,
      }),
  };
}

/** The in-process sandbox, acting as a seeded party (default: the first hospital). */
export function sandboxTarget(quality = 'HOSPITAL'): TargetFactory {
  return {
    name: 'sandbox',
    hasSelfSearch: true,
    hasAmbiguousSearch: true,
    async create() {
      const sandbox = await startTestSandbox();
      const party = partyWith(sandbox, quality);
      const proxy = await RecordingProxy.start(sandbox.url);
      return build({
        name: 'sandbox',
        env: 'sandbox',
        keystore: keystoreOf(sandbox, party.name),
        quality: party.quality,
        trustAnchorsDer: readCertificates(fs.readFileSync(path.join(sandbox.material.dir, 'ca', 'chain.pem'))),
        proxy,
        selfSearch: party.kind === 'organisation' ? { institutionName: party.displayName } : { lastName: party.lastName, firstName: party.firstName },
        ambiguousSearch: { lastName: 'Claes' },
        sandbox,
        async close() {
          await proxy.close();
          await sandbox.close();
        },
      });
    },
  };
}

/** eHealth acceptance with the keystore of the environment variables (module comment), or undefined. */
export function acceptanceTargetFromEnv(env: NodeJS.ProcessEnv = process.env): TargetFactory | undefined {
  const { EHEALTH_CONFORMANCE_ENV, EHEALTH_KEYSTORE, EHEALTH_PASSWORD, EHEALTH_QUALITY, EHEALTH_TRUST } = env;
  if (EHEALTH_CONFORMANCE_ENV !== 'acceptance' || !EHEALTH_KEYSTORE || EHEALTH_PASSWORD === undefined || !EHEALTH_QUALITY || !EHEALTH_TRUST) return undefined;
  const selfName = env.EHEALTH_CONFORMANCE_SELF_NAME;
  const ambiguous = env.EHEALTH_CONFORMANCE_AMBIGUOUS_NAME;
  return {
    name: 'acceptance',
    hasSelfSearch: Boolean(selfName),
    hasAmbiguousSearch: Boolean(ambiguous),
    async create() {
      const proxy = await RecordingProxy.start(PLATFORM_BASE_URLS.acceptance);
      return build({
        name: 'acceptance',
        env: 'acceptance',
        keystore: loadKeystore(fs.readFileSync(EHEALTH_KEYSTORE), EHEALTH_PASSWORD),
        quality: EHEALTH_QUALITY,
        trustAnchorsDer: readCertificates(fs.readFileSync(EHEALTH_TRUST)),
        proxy,
        selfSearch: selfName ? { name: selfName } : undefined,
        ambiguousSearch: ambiguous ? { lastName: ambiguous } : undefined,
        close: () => proxy.close(),
      });
    },
  };
}

/** The sandbox always; acceptance when configured. */
export function conformanceTargets(): TargetFactory[] {
  const acceptance = acceptanceTargetFromEnv();
  return acceptance ? [sandboxTarget(), acceptance] : [sandboxTarget()];
}
