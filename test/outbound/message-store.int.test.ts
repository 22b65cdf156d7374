/**
 * The outbound message store on real Redis: rows never go back, the `open`
 * count follows final states (what lets a delivery decide "all final" without
 * reading every row), and partial reads return exactly the rows asked for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessageStore, type MessageMeta, type RecipientRow } from '../../src/outbound/message-store.ts';
import { createTestRedis, type TestRedis } from '../helpers/redis.ts';

let t: TestRedis;
let store: MessageStore;

beforeAll(async () => {
  t = await createTestRedis('message-store');
  store = new MessageStore(t.redis, t.prefix);
});
afterAll(async () => {
  await t.cleanup();
});

function meta(id: string, recipientCount: number, tenantId = 'tenant-a', createdAt = new Date().toISOString()): MessageMeta {
  return {
    id,
    tenantId,
    senderBoxId: 'box-1',
    createdAt,
    mode: 'individual',
    encrypted: true,
    important: false,
    receipts: { published: true, received: false, read: false },
    notifyRecipients: false,
    customMetas: [],
    parts: { document: { filename: 'a.pdf', mimeType: 'application/pdf', size: 10 }, annexes: [], freeText: false, table: false, patient: false },
    recipientCount,
  };
}

function rows(n: number): RecipientRow[] {
  return Array.from({ length: n }, (_, idx) => ({
    idx,
    ref: { type: 'NIHII', id: String(10000000 + idx), quality: 'DOCTOR' },
    state: 'pending' as const,
    publicationId: `pub-${idx}`,
    updatedAt: new Date().toISOString(),
  }));
}

describe('MessageStore', () => {
  it('counts rows that are not final, through transitions, refused downgrades and forced retries', async () => {
    await store.create(meta('m1', 3), rows(3));
    expect(await store.allFinal('m1')).toBe(false);
    await store.updateRow('m1', 0, { state: 'published' });
    await store.updateRow('m1', 0, { state: 'received' }); // final → final: no change in the count
    await store.updateRow('m1', 1, { state: 'failed', code: 'X', reason: 'r' });
    expect(await store.allFinal('m1')).toBe(false);
    await store.updateRow('m1', 0, { state: 'sending' }); // refused: published never goes back
    expect(await store.allFinal('m1')).toBe(false);
    await store.updateRow('m1', 2, { state: 'published' });
    expect(await store.allFinal('m1')).toBe(true);
    await store.updateRow('m1', 1, { state: 'pending' }, true); // retry of the failed row
    expect(await store.allFinal('m1')).toBe(false);
    await store.updateRow('m1', 1, { state: 'published' });
    expect(await store.allFinal('m1')).toBe(true);
    expect(await t.redis.hget(store.key('m1'), 'open')).toBe('0');
  });

  it('reads the meta and only the requested rows, in the requested order', async () => {
    await store.create(meta('m2', 5), rows(5));
    await store.updateRow('m2', 3, { state: 'sealing' });
    const got = await store.getRows('m2', [3, 1, 9]);
    expect(got?.meta.recipientCount).toBe(5);
    expect(got?.rows.map((r) => r && [r.idx, r.state])).toEqual([[3, 'sealing'], [1, 'pending'], undefined]);
    expect(await store.getRows('unknown', [0])).toBeUndefined();
    expect(await store.allFinal('unknown')).toBeUndefined();
  });

  it('falls back to reading the rows for a hash without a count', async () => {
    await store.create(meta('m3', 2), rows(2));
    await t.redis.hdel(store.key('m3'), 'open');
    expect(await store.allFinal('m3')).toBe(false);
    await store.updateRow('m3', 0, { state: 'published' });
    expect(await store.allFinal('m3')).toBe(false);
    await store.updateRow('m3', 1, { state: 'failed', code: 'X', reason: 'r' });
    expect(await store.allFinal('m3')).toBe(true);
    expect(await t.redis.hexists(store.key('m3'), 'open')).toBe(0);
  });

  it('pages newest first without skipping or repeating messages created in the same millisecond', async () => {
    const id = (n: number) => `m${String(n).padStart(24, '0')}`;
    const at = (ms: number) => new Date(Date.UTC(2026, 10, 25, 12, 0, 0, ms)).toISOString();
    // seven messages, five of them in one millisecond (the page boundaries fall inside it)
    const plan: [number, string][] = [[1, at(1)], [2, at(5)], [3, at(5)], [4, at(5)], [5, at(5)], [6, at(5)], [7, at(9)]];
    for (const [n, createdAt] of plan) await store.create(meta(id(n), 1, 'tenant-pages', createdAt), rows(1));
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const res = await store.list('tenant-pages', { limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...res.ids);
      cursor = res.cursor;
      if (!cursor) break;
    }
    expect(seen).toEqual([id(7), id(6), id(5), id(4), id(3), id(2), id(1)]);
    // an older bare-time cursor still means "created before"
    expect((await store.list('tenant-pages', { limit: 10, cursor: String(Date.parse(at(5))) })).ids).toEqual([id(1)]);
  });

  it('records that the inner signatures are saved', async () => {
    await store.create(meta('m4', 1), rows(1));
    expect((await store.get(undefined, 'm4'))?.innerSaved).toBeUndefined();
    await store.markInnerSaved('m4');
    expect((await store.get(undefined, 'm4'))?.innerSaved).toBe(true);
    expect((await store.get(undefined, 'm4'))?.rows).toHaveLength(1); // the mark is not a row
  });
});
