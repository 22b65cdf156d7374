/**
 * What the inbound side (poll, receipts, inbox API) shares, built once by the
 * composition root from the adapters the outbound side already has: the
 * Redis connection and prefix, the encrypted blob store, the sandbox or
 * eHealth trust anchors, and the outbound dependencies (message store, sender
 * registry with each box's session, queues, row-change listeners).
 */
import type { Redis } from 'ioredis';
import type { BlobStore } from '../storage/blob-store.ts';
import type { OutboundDeps } from '../workers/outbound-deps.ts';
import type { QueueRegistry } from '../workers/queues.ts';
import type { TenancyStores } from '../tenancy/tenancy.ts';
import { InboxContent } from './inbox-content.ts';
import { InboxStore } from './inbox-store.ts';
import { OutboundLinks } from './outbound-links.ts';
import { PollLocks } from './poll-lock.ts';

/** Receipts are polled this often by default: the platform asks integrators not to poll it hard. */
export const DEFAULT_RECEIPTS_INTERVAL_MS = 5 * 60_000;
/** …for at most this long after the message was accepted (then its receipt tracking ends). */
export const DEFAULT_RECEIPTS_MAX_AGE_MS = 7 * 86_400_000;
/**
 * An ACKNOWLEDGMENT or ERROR that matches no outbound row yet stays in INBOX
 * this long (the row may not be indexed yet: the platform can report before
 * our delivery worker recorded the publication); after that it is consumed
 * as unmatched (e.g. mail sent from this box by other software).
 */
export const DEFAULT_NOTICE_GRACE_MS = 15 * 60_000;

/** A step of a poll, for tracing and metrics. Throwing from the observer aborts the poll as a crash would. */
export type PollStepEvent =
  | { step: 'stored'; tenantId: string; boxId: string; ehboxMessageId: string; inboxId: string }
  | { step: 'announced'; tenantId: string; boxId: string; ehboxMessageId: string; inboxId: string }
  | { step: 'before-cleanup'; tenantId: string; boxId: string; ehboxMessageIds: string[] }
  | { step: 'cleaned'; tenantId: string; boxId: string; ehboxMessageIds: string[] };

/** Everything the inbound processors need. */
export interface InboundDeps {
  redis: Redis;
  prefix: string;
  inbox: InboxStore;
  links: OutboundLinks;
  locks: PollLocks;
  outbound: OutboundDeps;
  /** DER CA certificates a sender's certificate must chain to. */
  trustAnchorsDer: readonly Uint8Array[];
  webhookMaxAttempts: number;
  pollIntervalMs: number;
  receiptsIntervalMs: number;
  receiptsMaxAgeMs: number;
  noticeGraceMs: number;
  observe?: ((event: PollStepEvent) => void | Promise<void>) | undefined;
  log?: ((line: string) => void) | undefined;
}

/** Inputs of createInboundDeps; tuning values default to the constants above. */
export interface InboundDepsInput {
  redis: Redis;
  prefix: string;
  /** The encrypted-at-rest blob store. */
  blobs: BlobStore;
  outbound: OutboundDeps;
  trustAnchorsDer: readonly Uint8Array[];
  pollIntervalMs: number;
  webhookMaxAttempts: number;
  receiptsIntervalMs?: number | undefined;
  receiptsMaxAgeMs?: number | undefined;
  noticeGraceMs?: number | undefined;
  observe?: InboundDeps['observe'];
  log?: InboundDeps['log'];
}

/** Builds the inbound dependencies. */
export function createInboundDeps(input: InboundDepsInput): InboundDeps {
  return {
    redis: input.redis,
    prefix: input.prefix,
    inbox: new InboxStore(input.redis, input.prefix, new InboxContent(input.blobs)),
    links: new OutboundLinks(input.redis, input.prefix),
    locks: new PollLocks(input.redis, input.prefix),
    outbound: input.outbound,
    trustAnchorsDer: input.trustAnchorsDer,
    webhookMaxAttempts: input.webhookMaxAttempts,
    pollIntervalMs: input.pollIntervalMs,
    receiptsIntervalMs: input.receiptsIntervalMs ?? DEFAULT_RECEIPTS_INTERVAL_MS,
    receiptsMaxAgeMs: input.receiptsMaxAgeMs ?? DEFAULT_RECEIPTS_MAX_AGE_MS,
    noticeGraceMs: input.noticeGraceMs ?? DEFAULT_NOTICE_GRACE_MS,
    observe: input.observe,
    log: input.log,
  };
}

/**
 * What the inbox routes (`inboxRouter`, `boxesPollRouter` in
 * src/api/routes/inbox.ts) need, from the adapters the API process has.
 */
export function createInboxApiDeps(input: { redis: Redis; prefix: string; blobs: BlobStore; queues: QueueRegistry; tenancy: Pick<TenancyStores, 'boxes'> }) {
  return {
    inbox: new InboxStore(input.redis, input.prefix, new InboxContent(input.blobs)),
    locks: new PollLocks(input.redis, input.prefix),
    queues: input.queues,
    tenancy: input.tenancy,
  };
}
