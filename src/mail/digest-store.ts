/**
 * Digest windows of update-info e-mails in Redis: one e-mail per recipient
 * address per window, however many messages arrive.
 *
 * Per address (hashed, so addresses do not appear in key names) two keys:
 * - `notify:win:<digest>` = the open window's id, with TTL = the window;
 *   the first message after it expired opens a new window;
 * - `notify:entries:<digest>` = hash `#to` → address, `<windowId>|<ref>` →
 *   entry JSON (one per message: idempotent when a job runs twice).
 * Adding and claiming are Lua scripts, so an entry lands either in the window
 * the digest job claims or in the next one — never lost between the two.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { redisKey } from '../storage/redis.ts';

/** Provider notifications (outbound) and staff notifications (inbound) are digested separately. */
export const DIGEST_KINDS = ['provider', 'staff'] as const;
/** Which digest an address belongs to. */
export type DigestKind = (typeof DIGEST_KINDS)[number];

/** What is kept about one message in a window: never a title, patient or content. */
export interface DigestEntry {
  tenantId: string;
  /** Sending institution (provider digests) or receiving box (staff digests). */
  institution: string;
  /** When the message was published or received (ISO). */
  at: string;
  /** Provider's language from the Addressbook, when known. */
  language?: string | undefined;
  /** Outbound message and row, to skip it when it was read before the window closed. */
  messageId?: string | undefined;
  idx?: number | undefined;
}

/** A claimed window: the address and its entries by ref. */
export interface ClaimedWindow {
  to: string;
  entries: Map<string, DigestEntry>;
}

/** Entries outlive their window by this much, to cover the retries of the digest e-mail (hours of SMTP outage). */
const ENTRY_RETENTION_MS = 7 * 86_400_000;

const ADD = `
local id = redis.call('GET', KEYS[1])
if not id then
  id = ARGV[1]
  redis.call('SET', KEYS[1], id, 'PX', ARGV[2])
end
redis.call('HSET', KEYS[2], '#to', ARGV[5], id .. '|' .. ARGV[3], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
return {id, redis.call('PTTL', KEYS[1])}
`;

const CLAIM = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return redis.call('HGETALL', KEYS[2])
`;

type Scripts = {
  ehbNotifyAdd(win: string, entries: string, id: string, windowMs: string, ref: string, entry: string, to: string, retentionMs: string): Promise<[string, number]>;
  ehbNotifyClaim(win: string, entries: string, id: string): Promise<string[]>;
};

/** The digest id of an address: kind + a hash of the lower-cased address (a valid job id and key part). */
export function digestIdOf(kind: DigestKind, address: string): string {
  return `${kind}.${createHash('sha256').update(address.trim().toLowerCase()).digest('hex').slice(0, 32)}`;
}

/** Valid digest ids (as `digestIdOf` makes them). */
export const DIGEST_ID = /^(provider|staff)\.[0-9a-f]{32}$/;

/** Digest windows over one Redis connection and key prefix. */
export class DigestStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    /** Length of a window (MAIL_DIGEST_MINUTES). */
    readonly windowMs: number,
  ) {
    redis.defineCommand('ehbNotifyAdd', { numberOfKeys: 2, lua: ADD });
    redis.defineCommand('ehbNotifyClaim', { numberOfKeys: 2, lua: CLAIM });
  }

  private keys(digest: string): [string, string] {
    return [redisKey(this.prefix, 'notify', 'win', digest), redisKey(this.prefix, 'notify', 'entries', digest)];
  }

  private get scripts(): Scripts {
    return this.redis as unknown as Scripts;
  }

  /**
   * Adds a message to the address's open window (opening one if none):
   * returns the window id and how long until it closes.
   */
  async add(kind: DigestKind, address: string, ref: string, entry: DigestEntry): Promise<{ digest: string; windowId: string; delayMs: number }> {
    const digest = digestIdOf(kind, address);
    const [win, entries] = this.keys(digest);
    const fresh = Date.now().toString(36) + randomBytes(6).toString('hex');
    const [windowId, ttl] = await this.scripts.ehbNotifyAdd(win, entries, fresh, String(this.windowMs), ref, JSON.stringify(entry), address, String(this.windowMs + ENTRY_RETENTION_MS));
    return { digest, windowId, delayMs: Math.max(0, Number(ttl)) };
  }

  /**
   * Closes the window (if still open) and returns its entries; undefined
   * when none are left (already sent, or expired).
   */
  async claim(digest: string, windowId: string): Promise<ClaimedWindow | undefined> {
    const [win, entries] = this.keys(digest);
    const flat = await this.scripts.ehbNotifyClaim(win, entries, windowId);
    const mine = new Map<string, DigestEntry>();
    let to: string | undefined;
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const field = flat[i]!;
      if (field === '#to') to = flat[i + 1];
      else if (field.startsWith(`${windowId}|`)) mine.set(field.slice(windowId.length + 1), JSON.parse(flat[i + 1]!) as DigestEntry);
    }
    return to !== undefined && mine.size > 0 ? { to, entries: mine } : undefined;
  }

  /** Forgets a window's entries once its e-mail was sent, skipped or given up. */
  async finish(digest: string, windowId: string, refs: Iterable<string>): Promise<void> {
    const fields = [...refs].map((r) => `${windowId}|${r}`);
    if (fields.length > 0) await this.redis.hdel(this.keys(digest)[1], ...fields);
  }
}
