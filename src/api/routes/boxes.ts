/**
 * `/v1/boxes`: the tenant's sender boxes, read-only for API keys (they are
 * managed with `ehbox-bridge admin box`). Only the public identity is shown —
 * never the keystore path or the password reference.
 */
import { Router } from 'express';
import type { SenderBox } from '../../tenancy/sender-box-store.ts';
import type { TenancyStores } from '../../tenancy/tenancy.ts';
import { tenantOf } from '../request-context.ts';

/** A sender box as the API shows it. */
export function boxView(b: SenderBox) {
  return { id: b.id, label: b.label, box: b.box, quality: b.quality };
}

/** The boxes router (mounted behind authentication). */
export function boxesRouter(tenancy: Pick<TenancyStores, 'boxes'>): Router {
  const router = Router();
  router.get('/', async (_req, res) => {
    res.json({ items: (await tenancy.boxes.list(tenantOf(res).id)).map(boxView) });
  });
  router.get('/:id', async (req, res) => {
    res.json(boxView(await tenancy.boxes.require(tenantOf(res).id, String(req.params.id))));
  });
  return router;
}
