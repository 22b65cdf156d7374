/**
 * `/v1/messages`: accept a message (JSON with base64 contents, or multipart
 * streamed to staging), read one, list, and retry failed recipients. Every
 * route sees only the caller's tenant: another tenant's id is 404.
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { MESSAGE_STATES, messageInputSchema, type MessageInput } from '../../outbound/message-input.ts';
import { OutboundError } from '../../outbound/outbound-errors.ts';
import { decodeMessageCursor } from '../../outbound/message-store.ts';
import { MESSAGE_ID_PATTERN, messageView, newMessageId, type OutboundService } from '../../outbound/outbound-service.ts';
import type { Tenant } from '../../tenancy/tenant-store.ts';
import { decodeJsonFiles, idempotencyKeyOf, refuseInlineContents, requestHash } from '../message-body.ts';
import { bodyKind, jsonParser, MESSAGE_JSON_LIMIT_BYTES } from '../middleware/body.ts';
import { receiveMultipart } from '../multipart-upload.ts';
import { tenantOf } from '../request-context.ts';

/** Page size of `GET /v1/messages` when none is asked. */
const DEFAULT_PAGE = 50;
/** Largest page (each item is one Redis read). */
const MAX_PAGE = 200;

const listQuery = z.strictObject({
  state: z.enum(MESSAGE_STATES).optional(),
  cursor: z.string().max(200).refine((c) => decodeMessageCursor(c) !== undefined, 'a cursor from a previous page').optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(DEFAULT_PAGE),
});

function location(id: string): string {
  return `/v1/messages/${id}`;
}

/** 404 for ids that cannot exist, before any Redis call. */
function messageId(req: Request): string {
  const id = String(req.params.id);
  if (!MESSAGE_ID_PATTERN.test(id)) throw new OutboundError('MESSAGE_NOT_FOUND', 'No such message');
  return id;
}

/** Answers an accepted (or replayed) message. */
async function answerAccepted(res: Response, outbound: OutboundService, tenant: Tenant, result: { id: string; duplicate: boolean }): Promise<void> {
  let state = 'accepted';
  if (result.duplicate) {
    // The first request may still be in flight: its record can be missing for a moment.
    state = await outbound.get(tenant.id, result.id).then((m) => messageView(m).state, () => 'accepted');
    res.set('Idempotent-Replayed', 'true');
  }
  res.status(202).location(location(result.id)).json({ id: result.id, state, location: location(result.id) });
}

async function postJson(req: Request, res: Response, outbound: OutboundService): Promise<void> {
  const tenant = tenantOf(res);
  const idempotencyKey = idempotencyKeyOf(req);
  const input = messageInputSchema.parse(req.body);
  const files = decodeJsonFiles(input);
  const idempotency = idempotencyKey === undefined ? undefined : { key: idempotencyKey, bodyHash: requestHash(input, files.hashes) };
  const result = await outbound.accept(tenant, input, { document: files.document, annexes: files.annexes }, idempotency);
  await answerAccepted(res, outbound, tenant, result);
}

async function postMultipart(req: Request, res: Response, outbound: OutboundService): Promise<void> {
  const tenant = tenantOf(res);
  const idempotencyKey = idempotencyKeyOf(req);
  const messageId = newMessageId();
  const upload = await receiveMultipart(req, {
    metadata: async (raw): Promise<MessageInput> => {
      const input = messageInputSchema.parse(raw);
      refuseInlineContents(input);
      await outbound.precheck(tenant, input);
      return input;
    },
    stage: (part, body) => outbound.stageFile(messageId, part, body),
    discard: (annexCount) => outbound.discardStaged(messageId, annexCount),
  });
  const idempotency = idempotencyKey === undefined ? undefined : { key: idempotencyKey, bodyHash: requestHash(upload.input, upload.hashes) };
  const staged = { messageId, document: upload.documentSize, annexes: upload.annexSizes };
  const result = await outbound.accept(tenant, upload.input, { staged }, idempotency);
  await answerAccepted(res, outbound, tenant, result);
}

/** The messages router (mounted behind authentication). */
export function messagesRouter(outbound: OutboundService): Router {
  const router = Router();
  const json = jsonParser(MESSAGE_JSON_LIMIT_BYTES);

  router.post('/', (req, res, next) => {
    if (bodyKind(req, ['json', 'multipart']) === 'multipart') {
      postMultipart(req, res, outbound).catch(next);
      return;
    }
    json(req, res, (err?: unknown) => {
      if (err) next(err);
      else postJson(req, res, outbound).catch(next);
    });
  });

  router.get('/', async (req, res) => {
    const query = listQuery.parse(req.query);
    res.json(await outbound.list(tenantOf(res).id, query));
  });

  router.get('/:id', async (req, res) => {
    res.json(messageView(await outbound.get(tenantOf(res).id, messageId(req))));
  });

  router.post('/:id/retry', async (req, res) => {
    res.status(202).json(messageView(await outbound.retry(tenantOf(res).id, messageId(req))));
  });

  return router;
}
