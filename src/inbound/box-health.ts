/**
 * Health of each polled box, recorded at every poll from getBoxInfo: how
 * full it is, how many messages wait in stand-by because it is full, and how
 * the last poll went. `GET /v1/boxes` (and metrics) read it with `boxStatus`.
 *
 * Redis key: `inbox:health:<tenant>:<box>` → JSON BoxStatus.
 */
import type { Redis } from 'ioredis';
import type { BoxInfo } from '../ehbox/wire/consultation-messages.ts';
import { redisKey, withRedis } from '../storage/redis.ts';

/** Usage ratio from which a box counts as (nearly) full: new mail goes to stand-by at 100 %. */
export const BOX_FULL_RATIO = 0.95;

/** How the last poll of a box ended. */
export interface PollSummary {
  at: string;
  ok: boolean;
  /** Messages listed in INBOX that were new to us. */
  fetched: number;
  /** Letters stored (flagged ones included). */
  stored: number;
  flagged: number;
  /** ACKNOWLEDGMENT / ERROR messages applied to outbound rows. */
  notices: number;
  /** Messages moved to BININBOX or deleted. */
  cleaned: number;
  /** Stable code of the failure, when the poll failed. */
  error?: string | undefined;
}

/** What is known about a box. */
export interface BoxStatus {
  boxId: string;
  checkedAt?: string | undefined;
  currentSize?: number | undefined;
  maxSize?: number | undefined;
  /** currentSize / maxSize (0..1). */
  usage?: number | undefined;
  standBy?: number | undefined;
  /** True when new mail waits in stand-by or the box is nearly full. */
  full?: boolean | undefined;
  lastPoll?: PollSummary | undefined;
}

function healthKey(prefix: string, tenantId: string, boxId: string): string {
  return redisKey(prefix, 'inbox', 'health', tenantId, boxId);
}

/** Records getBoxInfo's answer. */
export async function recordBoxInfo(redis: Redis, prefix: string, tenantId: string, boxId: string, info: BoxInfo, at = new Date()): Promise<BoxStatus> {
  const current = (await boxStatus(redis, prefix, tenantId, boxId)) ?? { boxId };
  const usage = info.maxSize > 0 ? info.currentSize / info.maxSize : 0;
  const next: BoxStatus = {
    ...current,
    checkedAt: at.toISOString(),
    currentSize: info.currentSize,
    maxSize: info.maxSize,
    usage,
    standBy: info.nbrMessagesInStandBy,
    full: info.nbrMessagesInStandBy > 0 || usage >= BOX_FULL_RATIO,
  };
  await withRedis(() => redis.set(healthKey(prefix, tenantId, boxId), JSON.stringify(next)));
  return next;
}

/** Records how a poll ended. */
export async function recordPoll(redis: Redis, prefix: string, tenantId: string, boxId: string, summary: PollSummary): Promise<void> {
  const current = (await boxStatus(redis, prefix, tenantId, boxId)) ?? { boxId };
  await withRedis(() => redis.set(healthKey(prefix, tenantId, boxId), JSON.stringify({ ...current, lastPoll: summary })));
}

/** The recorded status of a tenant's box; undefined before its first poll. */
export async function boxStatus(redis: Redis, prefix: string, tenantId: string, boxId: string): Promise<BoxStatus | undefined> {
  const raw = await withRedis(() => redis.get(healthKey(prefix, tenantId, boxId)));
  return raw ? (JSON.parse(raw) as BoxStatus) : undefined;
}
