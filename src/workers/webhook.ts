/**
 * Queue `webhook`: tells the tenant's integration engine what happened
 * (`message.status` on every recipient state change, `message.received` for
 * inbound mail) — metadata and links only, never content. Each delivery is
 * an HTTP POST signed with HMAC-SHA256 of the body under the tenant's
 * secret (`X-Ehbox-Signature: sha256=<hex>`), retried with backoff and
 * dead-lettered (kept in a Redis list) after the configured attempts.
 */
import crypto from 'node:crypto';
import type { Redis } from 'ioredis';
import { UnrecoverableError, type Job } from 'bullmq';
import type { TenancyStores } from '../tenancy/tenancy.ts';
import type { JobData, QueueRegistry } from './queues.ts';
import { jobId } from './queues.ts';

/** How long the receiving end may take. */
const WEBHOOK_TIMEOUT_MS = 10_000;

/** The signature header value of a body. */
export function webhookSignature(secret: string, body: string): string {
  return 'sha256=' + crypto.createHmac('sha256', secret).update(body).digest('hex');
}

/** Dependencies of the webhook worker. */
export interface WebhookDeps {
  tenancy: TenancyStores;
  redis: Redis;
  prefix: string;
  maxAttempts: number;
  fetch?: typeof fetch;
}

/** Processor of the webhook queue. */
export async function processWebhook(data: JobData<'webhook'>, deps: WebhookDeps, job?: Pick<Job, 'attemptsMade'>): Promise<void> {
  const tenant = await deps.tenancy.tenants.get(data.tenantId);
  if (!tenant?.webhook) return;
  const body = JSON.stringify({ id: data.deliveryId, event: data.event, createdAt: new Date().toISOString(), data: data.payload });
  let res: Response;
  try {
    res = await (deps.fetch ?? fetch)(tenant.webhook.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-ehbox-event': data.event, 'x-ehbox-delivery': data.deliveryId, 'x-ehbox-signature': webhookSignature(tenant.webhook.secret, body) },
      body,
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
  } catch (err) {
    return failed(deps, data, job, `unreachable: ${err instanceof Error ? err.name : 'error'}`);
  }
  if (res.status >= 200 && res.status < 300) return;
  return failed(deps, data, job, `HTTP ${res.status}`);
}

async function failed(deps: WebhookDeps, data: JobData<'webhook'>, job: Pick<Job, 'attemptsMade'> | undefined, why: string): Promise<void> {
  const attempt = (job?.attemptsMade ?? 0) + 1;
  if (attempt >= deps.maxAttempts) {
    await deps.redis.lpush(`${deps.prefix}deadletter:webhook:${data.tenantId}`, JSON.stringify({ ...data, failedAt: new Date().toISOString(), why }));
    throw new UnrecoverableError(`webhook dead-lettered after ${attempt} attempts: ${why}`);
  }
  throw new Error(`webhook delivery failed: ${why}`);
}

/** Enqueues a status event for one recipient row (idempotent per message, row and state). */
export async function emitStatus(queues: QueueRegistry, tenantId: string, messageId: string, row: { idx: number; state: string; code?: string | undefined; type?: string | undefined; id?: string | undefined; quality?: string | undefined }, maxAttempts: number): Promise<void> {
  const deliveryId = jobId(messageId, row.idx, row.state, 'webhook');
  await queues.add(
    'webhook',
    {
      tenantId,
      event: 'message.status',
      deliveryId,
      payload: { messageId, link: `/v1/messages/${messageId}`, recipient: { index: row.idx, type: row.type, id: row.id, quality: row.quality }, state: row.state, ...(row.code ? { code: row.code } : {}) },
    },
    { jobId: deliveryId, attempts: maxAttempts },
  );
}
