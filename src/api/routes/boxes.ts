/**
 * `/v1/boxes`: the tenant's sender boxes, read-only for API keys (they are
 * managed with `ehbox-bridge admin box`). Only the public identity is shown —
 * never the keystore path or the password reference.
 */
import { Router } from 'express';
import type { SenderBox } from '../../tenancy/sender-box-store.ts';
import type { TenancyStores } from '../../tenancy/tenancy.ts';
import type { BoxStatus } from '../../inbound/box-health.ts';
import { tenantOf } from '../request-context.ts';

/** A sender box as the API shows it. */
export function boxView(b: SenderBox) {
  return { id: b.id, label: b.label, box: b.box, quality: b.quality };
}

/** Reads a box's recorded health (usage, stand-by, full, last poll); undefined before its first poll. */
export type BoxStatusReader = (tenantId: string, boxId: string) => Promise<BoxStatus | undefined>;

/** The boxes router (mounted behind authentication); with `status`, each box carries its health when known. */
export function boxesRouter(tenancy: Pick<TenancyStores, 'boxes'>, status?: BoxStatusReader): Router {
  const router = Router();
  const view = async (b: SenderBox) => {
    const s = status ? await status(b.tenantId, b.id) : undefined;
    return s ? { ...boxView(b), status: s } : boxView(b);
  };
  router.get('/', async (_req, res) => {
    res.json({ items: await Promise.all((await tenancy.boxes.list(tenantOf(res).id)).map(view)) });
  });
  router.get('/:id', async (req, res) => {
    res.json(await view(await tenancy.boxes.require(tenantOf(res).id, String(req.params.id))));
  });
  return router;
}
