/**
 * `/v1/inbox`: what the tenant's boxes received, decrypted and verified —
 * list (cursor paging, oldest first), one message with its decrypted small
 * fields and verdicts, the document and annexes streamed from S3 with their
 * original MIME type and file name, and the acknowledgment the integration
 * engine sends once it stored a message. `POST /v1/boxes/:id/poll` (the
 * `boxesPollRouter`) polls a box now. Mounted behind authentication: the
 * tenant comes from `tenantOf(res)`; another tenant's id answers 404
 * INBOX_MESSAGE_NOT_FOUND, like an unknown one.
 */
import { pipeline } from 'node:stream/promises';
import { Router, type ErrorRequestHandler, type Request, type Response } from 'express';
import { z } from 'zod';
import { INBOX_ID_PATTERN, INBOX_STATES, type InboxRecord } from '../../inbound/inbox-record.ts';
import { decodeInboxCursor, MAX_INBOX_PAGE, DEFAULT_INBOX_PAGE, type InboxStore } from '../../inbound/inbox-store.ts';
import { inboxDetail, inboxListItem } from '../../inbound/inbox-views.ts';
import type { PollLocks } from '../../inbound/poll-lock.ts';
import { entityIdSchema } from '../../tenancy/recipient-ref.ts';
import type { TenancyStores } from '../../tenancy/tenancy.ts';
import { requestPoll } from '../../workers/poll.ts';
import type { QueueRegistry } from '../../workers/queues.ts';
import { requestIdOf, tenantOf } from '../request-context.ts';

/** Stable codes of the inbox routes. */
export type InboxErrorCode = 'INBOX_MESSAGE_NOT_FOUND' | 'INBOX_CONTENT_UNAVAILABLE';

const STATUS: Record<InboxErrorCode, number> = { INBOX_MESSAGE_NOT_FOUND: 404, INBOX_CONTENT_UNAVAILABLE: 404 };

/** A refusal of the inbox routes (answered by this router in the API's error shape). */
export class InboxError extends Error {
  override readonly name = 'InboxError';
  readonly status: number;
  constructor(
    readonly code: InboxErrorCode,
    message: string,
  ) {
    super(message);
    this.status = STATUS[code];
  }
}

/** A MIME type as ehBox gave it, if it is one (it is the sender's word, so it is checked before being echoed). */
const MIME = /^[A-Za-z0-9][\w.+-]*\/[A-Za-z0-9][\w.+-]*$/;

const listQuery = z.strictObject({
  box: entityIdSchema.optional(),
  state: z.enum(INBOX_STATES).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  cursor: z.string().max(200).refine((c) => decodeInboxCursor(c) !== undefined, 'a cursor from a previous page').optional(),
  limit: z.coerce.number().int().min(1).max(MAX_INBOX_PAGE).default(DEFAULT_INBOX_PAGE),
});

/** What the inbox routes need. */
export interface InboxApiDeps {
  inbox: InboxStore;
  tenancy: Pick<TenancyStores, 'boxes'>;
}

/** What `POST /v1/boxes/:id/poll` needs. */
export interface BoxesPollDeps {
  tenancy: Pick<TenancyStores, 'boxes'>;
  queues: QueueRegistry;
  locks: PollLocks;
}

async function record(deps: InboxApiDeps, req: Request, res: Response): Promise<InboxRecord> {
  const id = String(req.params.id);
  const rec = INBOX_ID_PATTERN.test(id) ? await deps.inbox.get(tenantOf(res).id, id) : undefined;
  if (!rec) throw new InboxError('INBOX_MESSAGE_NOT_FOUND', 'No such inbox message');
  return rec;
}

async function streamPart(deps: InboxApiDeps, req: Request, res: Response, which: 'document' | 'annex'): Promise<void> {
  const rec = await record(deps, req, res);
  let part = rec.meta.document;
  let n: number | 'document' = 'document';
  if (which === 'annex') {
    const raw = String(req.params.n);
    n = /^\d{1,3}$/.test(raw) ? Number(raw) : -1;
    const annex = rec.meta.annexes[n];
    if (!annex) throw new InboxError('INBOX_CONTENT_UNAVAILABLE', `This message has no annex ${raw}`);
    part = annex;
  }
  if (!part.available) throw new InboxError('INBOX_CONTENT_UNAVAILABLE', 'This part could not be decrypted; see the verdict');
  const stream = await deps.inbox.content.open(rec.meta.tenantId, rec.meta.id, n);
  res.status(200);
  res.attachment(part.filename);
  res.type(MIME.test(part.mimeType) ? part.mimeType : 'application/octet-stream');
  res.set({ 'Content-Length': String(part.size), 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store', 'X-Ehbox-Verdict': rec.meta.verdict.ok ? 'ok' : 'flagged' });
  try {
    await pipeline(stream, res);
  } catch (err) {
    // a failure after the first byte (e.g. an altered object) can only cut the answer short
    if (res.headersSent) res.destroy();
    else throw err;
  }
}

/** Answers InboxError in the API's `{ requestId, code, message }` shape; passes anything else on. */
const inboxErrors: ErrorRequestHandler = (err: unknown, _req, res, next) => {
  if (!(err instanceof InboxError) || res.headersSent) return next(err);
  res.status(err.status).json({ requestId: requestIdOf(res), code: err.code, message: err.message });
};

/** The inbox router (mount at `/v1/inbox`, behind authentication). */
export function inboxRouter(deps: InboxApiDeps): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const tenant = tenantOf(res);
    const q = listQuery.parse(req.query);
    if (q.box) await deps.tenancy.boxes.require(tenant.id, q.box);
    const page = await deps.inbox.list(tenant.id, { box: q.box, state: q.state, sinceMs: q.since ? Date.parse(q.since) : undefined, cursor: q.cursor, limit: q.limit });
    const titles = await Promise.all(page.items.map((r) => deps.inbox.content.fields(tenant.id, r.meta.id).catch(() => undefined)));
    res.set('Cache-Control', 'no-store');
    res.json({ items: page.items.map((r, i) => inboxListItem(r, titles[i])), ...(page.cursor ? { cursor: page.cursor } : {}) });
  });
  router.get('/:id', async (req, res) => {
    const rec = await record(deps, req, res);
    const fields = await deps.inbox.content.fields(rec.meta.tenantId, rec.meta.id);
    res.set('Cache-Control', 'no-store');
    res.json(inboxDetail(rec, fields));
  });
  router.get('/:id/document', (req, res) => streamPart(deps, req, res, 'document'));
  router.get('/:id/annexes/:n', (req, res) => streamPart(deps, req, res, 'annex'));
  router.post('/:id/ack', async (req, res) => {
    const rec = await record(deps, req, res);
    const acked = await deps.inbox.ack(rec.meta.tenantId, rec.meta.id);
    res.json({ id: rec.meta.id, state: acked?.state ?? 'acked', ackedAt: acked?.ackedAt });
  });
  router.use(inboxErrors);
  return router;
}

/** `POST /:id/poll` (mount at `/v1/boxes`, behind authentication): polls one of the tenant's boxes now. */
export function boxesPollRouter(deps: BoxesPollDeps): Router {
  const router = Router();
  router.post('/:id/poll', async (req, res) => {
    const tenant = tenantOf(res);
    const box = await deps.tenancy.boxes.require(tenant.id, String(req.params.id));
    await requestPoll(deps, tenant.id, box.id);
    res.status(202).json({ box: box.id, state: 'queued' });
  });
  return router;
}
