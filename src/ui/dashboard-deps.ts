/**
 * Builds the dashboard's dependencies from a running gateway, so the API
 * server needs one line to serve `/ui`: the stores (inbox included), the queues, the caught
 * e-mail folder and (in sandbox mode) counts of the in-process sandbox.
 */
import path from 'node:path';
import { InboxContent } from '../inbound/inbox-content.ts';
import { InboxStore } from '../inbound/inbox-store.ts';
import type { Gateway } from '../main/gateway.ts';
import { mailDir } from '../mail/mail-catcher.ts';
import { boxKey, FOLDERS } from '../sandbox/ehbox/model.ts';
import type { Sandbox } from '../sandbox/sandbox.ts';
import type { DashboardDeps, SandboxBoxSummary } from './dashboard-data.ts';

/** Counts every seeded party's first box in the in-process sandbox. */
export function sandboxBoxCounts(sandbox: Sandbox): SandboxBoxSummary[] {
  return sandbox.directory.parties.map((p) => {
    const key = boxKey(p.boxes[0]!);
    const folders = Object.fromEntries(FOLDERS.map((f) => [f, sandbox.ehbox.store.list(key, f).length]));
    return { party: p.name, quality: p.quality, folders, standBy: sandbox.ehbox.store.standBy(key).length, usedBytes: sandbox.ehbox.store.usedBytes(key) };
  });
}

/** The dashboard's dependencies of a gateway. */
export function dashboardDeps(gw: Gateway): DashboardDeps {
  const sandbox = gw.sandbox;
  const sandboxMode = gw.config.EHEALTH_ENV === 'sandbox';
  return {
    tenancy: gw.tenancy,
    outbound: gw.outbound,
    redis: gw.redis,
    redisPrefix: gw.config.REDIS_PREFIX,
    queues: gw.deps.queues,
    // the staging blob store is the gateway's encrypted store; the dashboard only lists, never reads content
    inbox: new InboxStore(gw.redis, gw.config.REDIS_PREFIX, new InboxContent(gw.deps.staging.blobs)),
    adminKey: gw.config.ADMIN_API_KEY,
    mailDir: sandboxMode && !gw.config.SMTP_URL ? mailDir(path.resolve(gw.config.EHBOX_DATA_DIR)) : undefined,
    sandboxBoxes: sandbox ? () => sandboxBoxCounts(sandbox) : undefined,
  };
}
