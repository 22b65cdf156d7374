/**
 * What the outbound processors share about outcomes: how a failure is
 * described on a recipient row (stable code, readable reason, permanent or
 * not) and how a final state is recorded and announced.
 */
import { EhboxStatusError } from '../ehbox/ehbox-client.ts';
import type { MessageMeta } from '../outbound/message-store.ts';
import { classifyError } from '../soap/fault.ts';
import type { OutboundDeps } from './outbound-deps.ts';

/** A failure's stable code and whether retrying can help. */
export function describeFailure(err: unknown): { code: string; reason: string; permanent: boolean } {
  const e = err as { code?: unknown; permanent?: unknown; message?: unknown };
  const code = err instanceof EhboxStatusError ? `EHBOX_${err.code}` : typeof e?.code === 'string' ? e.code : 'DELIVERY_ERROR';
  const permanent = e?.permanent === true || classifyError(err) === 'permanent';
  return { code, reason: typeof e?.message === 'string' ? e.message : String(err), permanent };
}

/** Records a row's final state and tells the listeners (webhook, e-mail). */
export async function finalRow(deps: OutboundDeps, meta: MessageMeta, idx: number, patch: Parameters<OutboundDeps['store']['updateRow']>[2]): Promise<void> {
  const row = await deps.store.updateRow(meta.id, idx, patch);
  if (row && row.state === patch.state) await deps.onRowChange?.(meta, row);
}

