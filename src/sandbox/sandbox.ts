/**
 * The eHealth sandbox: one HTTP server that speaks the real SOAP protocols of
 * the STS, eHealthBox v3 (publication + consultation), ETK Depot and
 * Addressbook 1.1 on the platform's paths, backed by a seeded directory of
 * parties with their keystores, plus a JSON admin API under `/_sandbox/`.
 */
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { BlobArea } from './blob-area.ts';
import { Journal, type Durability } from './journal.ts';
import { EhboxStore, type EhboxEvent } from './ehbox/store.ts';
import { EhboxContext } from './ehbox/context.ts';
import { seedOoO } from './ehbox/out-of-office.ts';
import { sweepExpired } from './ehbox/consultation.ts';
import { isoDate, addDays } from './ehbox/context.ts';
import { DEFAULT_SIZE, seedDirectory, type DirectorySize } from './directory/seed.ts';
import { PartyDirectory } from './directory/party-directory.ts';
import { loadOrCreateMaterial, type SandboxMaterial } from './material.ts';
import { FaultInjector } from './http/faults.ts';
import { TrafficRecorder } from './http/recorder.ts';
import { handleSoapRequest, type EndpointOptions, type SoapService } from './http/soap-endpoint.ts';
import { createStsService } from './services/sts-service.ts';
import { createAdminRouter } from './admin-api.ts';
import { createEhboxServices } from './services/ehbox-service.ts';
import { createEtkDepotService } from './services/etk-depot-service.ts';
import { createAddressbookService } from './services/addressbook-service.ts';

/** Paths of the services, as on the real platform (PROTOCOL.md §1.2). */
export const SANDBOX_PATHS = {
  sts: '/IAM/Saml11TokenService/Legacy/v1',
  ehboxPublication: '/ehBoxPublication/v3',
  ehboxConsultation: '/ehBoxConsultation/v3',
  etkDepot: '/EtkDepot/v1',
  addressbook: '/AddressBook/v1',
} as const;

/** How often the sandbox removes expired messages (PROTOCOL.md §5.8 works in days; hourly is plenty). */
const EXPIRY_SWEEP_INTERVAL_MS = 3600_000;

/** How to start a sandbox. */
export interface SandboxOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  seed?: string;
  size?: DirectorySize;
  /** Keeps keys, parties and state across restarts; a temp dir is used (and kept for keys only) when absent. */
  dataDir?: string;
  /** Where keys and parties live when they should outlive (or be shared beyond) `dataDir`; default dataDir. */
  materialDir?: string;
  /** Writes every request/response envelope there; default the SANDBOX_RECORD_DIR environment variable. */
  recordDir?: string;
  /** Check every request against the XSDs (default true). */
  validateRequests?: boolean;
  /** 'fsync' (default with a data dir) makes every change durable before the answer. */
  durability?: Durability;
  now?: () => Date;
  log?: (line: string) => void;
}

/** A running sandbox. */
export interface Sandbox {
  url: string;
  port: number;
  dataDir: string;
  /** Where traffic is recorded, when it is. */
  recordDir: string | undefined;
  material: SandboxMaterial;
  directory: PartyDirectory;
  ehbox: EhboxContext;
  faults: FaultInjector;
  close(): Promise<void>;
}

/** Gives the parties seeded as absent their Out-of-Office period, once per state. */
function seedOutOfOffice(ctx: EhboxContext, directory: PartyDirectory): void {
  if (ctx.store.oooSeeded) return;
  for (const p of directory.parties) {
    if (!p.outOfOffice) continue;
    const sub = p.outOfOffice.substitute ? directory.party(p.outOfOffice.substitute) : undefined;
    const today = ctx.now();
    seedOoO(ctx, p.boxes[0]!, {
      startDate: isoDate(addDays(today, -1)),
      endDate: isoDate(addDays(today, 300)),
      substitutes: sub ? [sub.boxes[0]!] : [],
    });
  }
  const events: EhboxEvent[] = [];
  ctx.emit(events, { t: 'ooo-seeded' });
  ctx.persist(events);
}

/** Starts a sandbox and resolves once it listens. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const log = options.log ?? (() => {});
  const now = options.now ?? (() => new Date());
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ehbox-sandbox-'));
  const parties = seedDirectory(options.seed ?? 'ehbox-bridge', options.size ?? DEFAULT_SIZE);
  const directory = new PartyDirectory(parties);
  const material = await loadOrCreateMaterial(options.materialDir ?? dataDir, parties, log);
  const store = new EhboxStore();
  const journal = options.dataDir ? new Journal<EhboxEvent>(path.join(dataDir, 'state', 'ehbox.jsonl'), options.durability ?? 'fsync') : undefined;
  if (journal) for (const e of journal.load()) store.apply(e);
  const blobs = new BlobArea(options.dataDir ? path.join(dataDir, 'state', 'blobs') : undefined);
  const ehbox = new EhboxContext(store, blobs, directory, journal, now);
  seedOutOfOffice(ehbox, directory);
  sweepExpired(ehbox);
  const sweeper = setInterval(() => sweepExpired(ehbox), EXPIRY_SWEEP_INTERVAL_MS);
  sweeper.unref();
  const faults = new FaultInjector();
  const recordDir = options.recordDir ?? (process.env.SANDBOX_RECORD_DIR || undefined);
  const hanging = new Set<http.ServerResponse>();
  const endpoint: EndpointOptions = {
    faults,
    recorder: recordDir ? new TrafficRecorder(recordDir) : undefined,
    validateRequests: options.validateRequests ?? true,
    onHang: (res) => {
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
    },
  };
  const deps = { material, directory, ehbox, now, faults };
  const services: [string, SoapService][] = [
    [SANDBOX_PATHS.sts, createStsService(deps)],
    ...createEhboxServices(deps).map((s): [string, SoapService] => [s.path, s.service]),
    [SANDBOX_PATHS.etkDepot, createEtkDepotService(deps)],
    [SANDBOX_PATHS.addressbook, createAddressbookService(deps)],
  ];
  const app = express();
  app.disable('x-powered-by');
  for (const [p, service] of services) {
    app.post(p, (req, res) => {
      handleSoapRequest(req, res, service, endpoint).catch(() => res.destroy());
    });
  }
  app.use(
    '/_sandbox',
    createAdminRouter({
      ...deps,
      dataDir,
      reset: () => {
        resetState(ehbox, journal);
        seedOutOfOffice(ehbox, directory);
      },
      sweep: () => sweepExpired(ehbox),
    }),
  );
  const server = http.createServer(app);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://${options.host ?? '127.0.0.1'}:${port}`;
  return {
    url,
    port,
    dataDir,
    recordDir,
    material,
    directory,
    ehbox,
    faults,
    async close() {
      clearInterval(sweeper);
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      journal?.close();
    },
  };
}

/** Empties the eHealthBox state (and its journal and blobs); keys and parties stay. */
function resetState(ctx: EhboxContext, journal: Journal<EhboxEvent> | undefined): void {
  ctx.emit([], { t: 'reset' });
  journal?.rewrite(ctx.store.snapshot());
  ctx.blobs.clear();
}
