/**
 * Queue `cleanup`: removes a message's staged plaintext (and inner
 * signatures) once every recipient is final and the retention time passed.
 * The message record stays (metadata only) and says when it was purged.
 */
import { FINAL_STATES } from '../outbound/message-input.ts';
import { forget } from '../outbound/inner-cache.ts';
import type { OutboundDeps } from './outbound-deps.ts';
import type { JobData } from './queues.ts';

/** Processor of the cleanup queue. */
export async function processCleanup(data: JobData<'cleanup'>, deps: Pick<OutboundDeps, 'store' | 'staging'>): Promise<void> {
  const m = await deps.store.get(undefined, data.messageId);
  if (!m || m.meta.purgedAt || !m.rows.every((r) => FINAL_STATES.has(r.state))) return;
  await deps.staging.purge(m.meta);
  forget(m.meta.id);
  await deps.store.setMeta({ ...m.meta, purgedAt: new Date().toISOString() });
}
