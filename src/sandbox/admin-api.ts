/**
 * The sandbox's own JSON API under `/_sandbox/` (outside the eHealth paths):
 * list parties, inspect boxes and messages (metadata and raw sealed blobs),
 * make a party send a sealed message, set fault injection, reset.
 */
import express, { type Request, type Response, type NextFunction } from 'express';
import { z } from 'zod';
import { boxKey, FOLDERS } from './ehbox/model.ts';
import { EhboxBusinessError, type EhboxContext } from './ehbox/context.ts';
import type { PartyDirectory } from './directory/party-directory.ts';
import type { SandboxMaterial } from './material.ts';
import { FaultRuleSchema, type FaultInjector } from './http/faults.ts';
import { sendAsParty } from './party-sender.ts';

const b64 = z.string().transform((s) => new Uint8Array(Buffer.from(s, 'base64')));
const SendSchema = z.object({
  from: z.string().min(1),
  to: z.array(z.string().min(1)).min(1).max(500),
  title: z.string().min(1).max(400),
  document: z.object({ filename: z.string().min(1).max(255), mimeType: z.string().min(1).max(255), content: b64 }).optional(),
  text: z.string().optional(),
  patientInss: z.string().regex(/^\d{11}$/).optional(),
  annexes: z.array(z.object({ title: z.string().min(1), filename: z.string().min(1), mimeType: z.string().min(1), content: b64 })).max(20).default([]),
  encrypted: z.boolean().default(true),
  publicationId: z.string().min(1).max(13).optional(),
  receipts: z.object({ published: z.boolean().optional(), received: z.boolean().optional(), read: z.boolean().optional() }).optional(),
});

/** What the admin API needs. */
export interface AdminDeps {
  material: SandboxMaterial;
  directory: PartyDirectory;
  ehbox: EhboxContext;
  faults: FaultInjector;
  dataDir: string;
  reset(): void;
  /** Runs the expiry sweep now; answers how many messages it removed. */
  sweep(): number;
}

function partySummary(deps: AdminDeps, name: string) {
  const p = deps.directory.party(name)!;
  const m = deps.material.parties.get(name);
  return {
    name: p.name,
    displayName: p.displayName,
    kind: p.kind,
    quality: p.quality,
    identity: p.identity,
    ssin: p.ssin,
    nihii: p.nihii,
    boxes: p.boxes,
    email: p.email ?? null,
    language: p.language,
    etk: p.etk,
    outOfOffice: p.outOfOffice ?? null,
    wards: p.wards,
    workplace: p.workplace,
    dir: m?.dir,
  };
}

/** Builds the `/_sandbox` router. */
export function createAdminRouter(deps: AdminDeps): express.Router {
  const r = express.Router();
  r.use(express.json({ limit: '32mb' }));
  r.get('/', (_req, res) => {
    res.json({ parties: deps.directory.parties.length, caChain: deps.material.chainPem, dataDir: deps.dataDir });
  });
  r.get('/parties', (req, res) => {
    const q = typeof req.query.quality === 'string' ? req.query.quality : undefined;
    res.json(deps.directory.parties.filter((p) => !q || p.quality === q).map((p) => partySummary(deps, p.name)));
  });
  r.get('/parties/:name', (req, res) => {
    if (!deps.directory.party(req.params.name)) return void res.status(404).json({ code: 'UNKNOWN_PARTY' });
    res.json(partySummary(deps, req.params.name));
  });
  r.get('/parties/:name/box', (req, res) => {
    const p = deps.directory.party(req.params.name);
    if (!p) return void res.status(404).json({ code: 'UNKNOWN_PARTY' });
    const key = boxKey(p.boxes[0]!);
    const folders = Object.fromEntries(
      FOLDERS.map((f) => [f, deps.ehbox.store.list(key, f).map((e) => messageSummary(deps.ehbox, e.messageId))]),
    );
    res.json({ box: p.boxes[0], standBy: deps.ehbox.store.standBy(key).length, usedBytes: deps.ehbox.store.usedBytes(key), folders });
  });
  r.get('/messages', (req, res) => {
    const pub = typeof req.query.publicationId === 'string' ? req.query.publicationId : undefined;
    const all = [...deps.ehbox.store.messages.values()].filter((m) => !pub || m.publicationId === pub);
    res.json(all.map((m) => messageSummary(deps.ehbox, m.messageId)));
  });
  r.get('/messages/:id', (req, res) => {
    const m = deps.ehbox.store.messages.get(req.params.id);
    if (!m) return void res.status(404).json({ code: 'MESSAGE_NOT_FOUND' });
    res.json({ ...messageSummary(deps.ehbox, m.messageId), documentBase64: deps.ehbox.blobs.get(m.document.content.blob).toString('base64') });
  });
  r.post('/send', (req, res) => {
    const body = SendSchema.parse(req.body);
    const result = sendAsParty(deps, {
      from: body.from,
      to: body.to,
      encrypted: body.encrypted,
      publicationId: body.publicationId,
      receipts: body.receipts,
      message: {
        title: body.title,
        document: body.document ?? { filename: 'letter.txt', mimeType: 'text/plain', content: new Uint8Array(Buffer.from(body.text ?? body.title)) },
        freeText: body.document ? body.text : undefined,
        patientInss: body.patientInss,
        annexes: body.annexes,
      },
    });
    res.status(result.code === '100' ? 201 : 409).json(result);
  });
  r.get('/faults', (_req, res) => res.json({ rules: deps.faults.list(), counts: Object.fromEntries(deps.faults.counts) }));
  r.put('/faults/:operation', (req, res) => res.json(deps.faults.set(req.params.operation, FaultRuleSchema.parse(req.body ?? {}))));
  r.delete('/faults/:operation', (req, res) => {
    deps.faults.clear(req.params.operation);
    res.status(204).end();
  });
  r.delete('/faults', (_req, res) => {
    deps.faults.clear();
    res.status(204).end();
  });
  r.post('/sweep', (_req, res) => {
    res.json({ removed: deps.sweep() });
  });
  r.post('/reset', (_req, res) => {
    deps.reset();
    res.status(204).end();
  });
  r.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof z.ZodError) return void res.status(422).json({ code: 'VALIDATION_FAILED', issues: err.issues });
    if (err instanceof EhboxBusinessError) return void res.status(409).json({ code: err.code, message: err.message });
    res.status(500).json({ code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) });
  });
  return r;
}

function messageSummary(ctx: EhboxContext, messageId: string) {
  const m = ctx.store.messages.get(messageId);
  if (!m) return { messageId, missing: true };
  return {
    messageId: m.messageId,
    publicationId: m.publicationId,
    contentType: m.contentType,
    sender: m.sender,
    destinations: m.destinations,
    title: m.document.title,
    isEncrypted: m.isEncrypted,
    annexes: m.annexes.length,
    size: m.size,
    publicationDate: m.publicationDate,
    receipts: ctx.store.receiptRows(m.messageId),
    acknowledgment: m.acknowledgment,
    error: m.error,
  };
}
