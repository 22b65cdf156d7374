import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processPoll } from '../../src/workers/poll.ts';
import type { InboundDeps } from '../../src/inbound/inbound-deps.ts';
import type { PlainMessage } from '../../src/ehbox/message-sealer.ts';
import { providers, folder, publishToHospital, startInboundBench, type InboundBench } from './helpers.ts';

let b: InboundBench;

beforeAll(async () => {
  b = await startInboundBench('inbound-flood');
}, 120_000);

afterAll(async () => {
  await b?.close();
});

/** Already waiting when the poll starts. */
const BEFORE = 20;
/** Arriving while the poll pages: faster than it can fetch, so INBOX grows past one page and pages shift both ways. */
const DURING = 250;
/** Sent per step. */
const BATCH = 10;

const note = (n: number): PlainMessage => ({
  title: `Lab result ${n}`,
  document: { filename: `r${n}.txt`, mimeType: 'text/plain', content: new Uint8Array(Buffer.from(`fictitious lab value ${n}`)) },
  annexes: [],
});

describe('poll under a flood', () => {
  it('stores each of 250 messages arriving while it pages exactly once, and leaves nothing in INBOX', async () => {
    const [gpA, gpB] = providers(b.sandbox);
    const sent: string[] = [];
    for (let i = 0; i < BEFORE; i++) sent.push(publishToHospital(b, gpA!, note(i)));

    let storedSoFar = 0;
    let sentWhilePolling = 0;
    let polling = true;
    const deps: InboundDeps = b.inboundDeps({
      observe: (e) => {
        if (e.step === 'stored') storedSoFar++;
      },
    });
    // arrivals are paced by the poll's progress so that they always stay ahead of it, whatever the machine's speed:
    // INBOX never runs empty while the flood lasts, and the poll pages over a box that keeps changing
    const sender = (async () => {
      for (let i = 0; i < DURING; i += BATCH) {
        while (storedSoFar < 1 + i / 2) await new Promise((r) => setTimeout(r, 2));
        for (let j = i; j < Math.min(i + BATCH, DURING); j++) {
          sent.push(publishToHospital(b, gpB!, note(1000 + j)));
          if (polling) sentWhilePolling++;
        }
      }
    })();
    const first = await processPoll({ tenantId: b.tenant.id, boxId: b.box.id }, deps);
    polling = false;
    await sender;
    // the whole flood arrived while the first poll was paging, and that poll kept up with most of it
    expect(sentWhilePolling).toBe(DURING);
    expect(first!.stored).toBeGreaterThan(BEFORE + DURING / 2);

    const last = await processPoll({ tenantId: b.tenant.id, boxId: b.box.id }, deps);
    expect(first!.stored + last!.stored).toBe(BEFORE + DURING);
    expect(folder(b, 'INBOX')).toEqual([]);

    const stored = await deps.inbox.list(b.tenant.id, { limit: 200 });
    const all = [...stored.items];
    let cursor = stored.cursor;
    while (cursor) {
      const page = await deps.inbox.list(b.tenant.id, { limit: 200, cursor });
      all.push(...page.items);
      cursor = page.cursor;
    }
    const counts = new Map<string, number>();
    for (const r of all) counts.set(r.meta.ehboxMessageId, (counts.get(r.meta.ehboxMessageId) ?? 0) + 1);
    expect(all).toHaveLength(BEFORE + DURING);
    expect(sent.every((id) => counts.get(id) === 1)).toBe(true);
    expect(all.every((r) => r.meta.verdict.ok)).toBe(true);
    const bin = folder(b, 'BININBOX');
    expect(new Set(bin).size).toBe(bin.length);
    expect(sent.every((id) => bin.includes(id))).toBe(true);
  }, 60_000);
});
