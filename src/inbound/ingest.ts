/**
 * One INBOX message through the inbound steps, each safe to repeat:
 *   already handled? (dedupe key) → getFullMessage → unseal → S3 → Redis
 *   (SET NX dedupe + record + indexes in one script) → webhook enqueued once
 * ACKNOWLEDGMENT and ERROR messages are not letters: they update the outbound
 * rows they are about and are only marked handled. The caller moves or
 * deletes the ehBox copy afterwards, only for results that say `clean`.
 * Content is never logged: only ids, codes and counts.
 */
import { notifyInbound } from '../workers/notify.ts';
import { EhboxStatusError } from '../ehbox/ehbox-client.ts';
import { systemNoticeOf, unsealMessage, type SystemNotice } from '../ehbox/message-unsealer.ts';
import type { FullMessage } from '../ehbox/wire/consultation-messages.ts';
import type { Sender } from '../outbound/sender-registry.ts';
import type { SenderBox } from '../tenancy/sender-box-store.ts';
import { redisKey, withRedis } from '../storage/redis.ts';
import { jobId } from '../workers/queues.ts';
import type { InboundDeps } from './inbound-deps.ts';
import { inboxIdFor, type InboxMeta } from './inbox-record.ts';
import { NOTICE_MARK } from './inbox-store.ts';
import { applyAcknowledgment, applyError, type LinkOutcome } from './outbound-links.ts';

/** Unmatched notices kept per tenant for inspection (metadata only). */
const UNMATCHED_LOG_LENGTH = 1000;

/** Where a poll is: the tenant's box and its open session. */
export interface PollContext {
  deps: InboundDeps;
  box: SenderBox;
  sender: Sender;
}

/** What happened to one message; `clean` says whether its ehBox copy may now be moved or deleted. */
export type IngestResult =
  | { kind: 'letter'; clean: true; inboxId: string; created: boolean; flagged: boolean }
  | { kind: 'notice'; clean: true; outcome: LinkOutcome | 'handled' }
  | { kind: 'deferred'; clean: false }
  | { kind: 'skipped'; clean: false; code: string };

/** Errors that concern one message only (it stays in INBOX and is tried again at the next poll). */
function messageLevelCode(err: unknown): string | undefined {
  if (err instanceof EhboxStatusError) return `EHBOX_${err.code}`;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('WIRE_') ? code : undefined;
}

/** Enqueues `message.received` (deterministic job id) and records that it was. */
export async function announce(deps: InboundDeps, meta: InboxMeta): Promise<void> {
  const deliveryId = jobId(meta.id, 'received');
  const link = `/v1/inbox/${meta.id}`;
  await deps.outbound.queues.add(
    'webhook',
    {
      tenantId: meta.tenantId,
      event: 'message.received',
      deliveryId,
      payload: {
        inboxId: meta.id,
        link,
        documentLink: `${link}/document`,
        box: meta.boxId,
        ehboxMessageId: meta.ehboxMessageId,
        receivedAt: meta.receivedAt,
        sender: { id: meta.sender.id, type: meta.sender.type, subType: meta.sender.subType, quality: meta.sender.quality, name: meta.sender.name, firstName: meta.sender.firstName },
        verdict: { ok: meta.verdict.ok, status: meta.verdict.status, flagged: meta.verdict.flagged, codes: meta.verdict.problems.map((p) => p.code) },
        annexes: meta.annexes.length,
      },
    },
    { jobId: deliveryId, attempts: deps.webhookMaxAttempts },
  );
  // staff of the receiving box get an update-info e-mail (digested; no content)
  await notifyInbound(deps.outbound.queues, meta.tenantId, meta.boxId, meta.receivedAt, meta.ehboxMessageId);
  await deps.inbox.markAnnounced(meta.id);
}

/** Unseals and stores a letter (S3, then Redis), then announces it. */
async function storeLetter(ctx: PollContext, full: FullMessage, ehboxMessageId: string): Promise<IngestResult> {
  const { deps, box } = ctx;
  const unsealed = unsealMessage(full, { credentials: ctx.sender.session.keystore, trustAnchorsDer: deps.trustAnchorsDer });
  const id = inboxIdFor(box.tenantId, box.id, ehboxMessageId);
  const parts = await deps.inbox.content.put(box.tenantId, id, unsealed);
  const meta: InboxMeta = {
    id,
    tenantId: box.tenantId,
    boxId: box.id,
    ehboxMessageId,
    publicationId: unsealed.publicationId,
    contentType: unsealed.contentType,
    sender: unsealed.sender,
    receivedAt: new Date().toISOString(),
    publicationDate: unsealed.messageInfo.publicationDate,
    expirationDate: unsealed.messageInfo.expirationDate,
    important: unsealed.important,
    encrypted: unsealed.verdict.encrypted,
    applicationName: unsealed.applicationName,
    document: parts.document,
    annexes: parts.annexes,
    hasFreeText: unsealed.freeText !== undefined,
    hasTable: unsealed.table !== undefined,
    hasPatient: unsealed.patientInss !== undefined,
    verdict: unsealed.verdict,
    fields: unsealed.fields,
  };
  const created = await deps.inbox.commit(meta);
  const event = { tenantId: box.tenantId, boxId: box.id, ehboxMessageId, inboxId: id };
  await deps.observe?.({ step: 'stored', ...event });
  // not created: a concurrent or earlier run stored it first; its record is the one that counts
  const rec = created ? { meta, announcedAt: undefined } : await deps.inbox.get(box.tenantId, id);
  if (rec && !rec.announcedAt) {
    await announce(deps, rec.meta);
    await deps.observe?.({ step: 'announced', ...event });
  }
  return { kind: 'letter', clean: true, inboxId: id, created, flagged: !(rec?.meta ?? meta).verdict.ok };
}

/** Keeps an unmatched notice in INBOX during the grace period; true once it may be consumed. */
async function graceOver(deps: InboundDeps, box: SenderBox, ehboxMessageId: string): Promise<boolean> {
  const key = redisKey(deps.prefix, 'inbox', 'notice-wait', box.tenantId, box.id, ehboxMessageId);
  const now = Date.now();
  await withRedis(() => deps.redis.set(key, String(now), 'PX', deps.noticeGraceMs * 4, 'NX'));
  const first = Number(await withRedis(() => deps.redis.get(key))) || now;
  return now - first >= deps.noticeGraceMs;
}

/** Applies an ACKNOWLEDGMENT or ERROR message to the outbound rows it is about. */
async function handleNotice(ctx: PollContext, notice: SystemNotice | undefined, ehboxMessageId: string): Promise<IngestResult> {
  const { deps, box } = ctx;
  const linkDeps = { store: deps.outbound.store, onRowChange: deps.outbound.onRowChange, links: deps.links };
  let outcome: LinkOutcome = 'unmatched';
  if (notice?.kind === 'acknowledgment') outcome = await applyAcknowledgment(linkDeps, box.tenantId, box.id, notice);
  else if (notice?.kind === 'error') outcome = await applyError(linkDeps, box.tenantId, box.id, notice);
  if (outcome === 'unmatched') {
    if (!(await graceOver(deps, box, ehboxMessageId))) return { kind: 'deferred', clean: false };
    const entry = { ehboxMessageId, kind: notice?.kind ?? 'unknown', about: notice?.kind === 'acknowledgment' ? notice.messageId : notice?.publicationId, code: notice?.kind === 'error' ? notice.code : undefined, at: new Date().toISOString() };
    const list = redisKey(deps.prefix, 'inbox', 'unmatched', box.tenantId);
    await withRedis(() => deps.redis.multi().lpush(list, JSON.stringify(entry)).ltrim(list, 0, UNMATCHED_LOG_LENGTH - 1).exec());
  }
  await deps.inbox.markNotice(box.tenantId, box.id, ehboxMessageId);
  return { kind: 'notice', clean: true, outcome };
}

/** Runs the steps for one message listed in INBOX. */
export async function ingestOne(ctx: PollContext, ehboxMessageId: string): Promise<IngestResult> {
  const { deps, box } = ctx;
  const handled = await deps.inbox.handled(box.tenantId, box.id, ehboxMessageId);
  if (handled === NOTICE_MARK) return { kind: 'notice', clean: true, outcome: 'handled' };
  if (handled) {
    // stored by an earlier poll that stopped before the end: finish the hand-over, then the move
    const rec = await deps.inbox.get(box.tenantId, handled);
    if (rec && !rec.announcedAt) await announce(deps, rec.meta);
    return { kind: 'letter', clean: true, inboxId: handled, created: false, flagged: rec ? !rec.meta.verdict.ok : false };
  }
  let full: FullMessage | undefined;
  try {
    full = (await ctx.sender.ehbox.getFullMessage({ boxId: box.box, source: 'INBOX', messageId: ehboxMessageId })).fullMessage;
  } catch (err) {
    const code = messageLevelCode(err);
    if (!code) throw err;
    return { kind: 'skipped', clean: false, code };
  }
  if (!full) return { kind: 'skipped', clean: false, code: 'EHBOX_EMPTY_ANSWER' };
  const type = full.message.contentSpecification.contentType;
  if (type === 'ACKNOWLEDGMENT' || type === 'ERROR') {
    return handleNotice(ctx, systemNoticeOf(full.message), ehboxMessageId);
  }
  return storeLetter(ctx, full, ehboxMessageId);
}
