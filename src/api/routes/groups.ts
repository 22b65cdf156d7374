/**
 * `/v1/groups`: the tenant's distribution lists (members are recipient
 * references, validated like message recipients). Another tenant's group id
 * answers 404, exactly like an unknown one.
 */
import { Router } from 'express';
import type { Group, GroupInput } from '../../tenancy/group-store.ts';
import type { TenancyStores } from '../../tenancy/tenancy.ts';
import { jsonBody, SMALL_JSON_LIMIT_BYTES } from '../middleware/body.ts';
import { tenantOf } from '../request-context.ts';

/** A group as the API shows it (the tenant is implied by the key). */
export function groupView(g: Group) {
  return { id: g.id, name: g.name, members: g.members, createdAt: g.createdAt, updatedAt: g.updatedAt };
}

/** The groups router (mounted behind authentication). */
export function groupsRouter(tenancy: Pick<TenancyStores, 'groups'>): Router {
  const router = Router();
  const { groups } = tenancy;
  const json = jsonBody(SMALL_JSON_LIMIT_BYTES);

  // Bodies go to the store unchecked on purpose: it parses them with groupInputSchema (ZodError → 422).
  router.post('/', ...json, async (req, res) => {
    const group = await groups.create(tenantOf(res).id, req.body as GroupInput);
    res.status(201).location(`/v1/groups/${group.id}`).json(groupView(group));
  });

  router.get('/', async (_req, res) => {
    res.json({ items: (await groups.list(tenantOf(res).id)).map(groupView) });
  });

  router.get('/:id', async (req, res) => {
    res.json(groupView(await groups.require(tenantOf(res).id, String(req.params.id))));
  });

  router.put('/:id', ...json, async (req, res) => {
    res.json(groupView(await groups.replace(tenantOf(res).id, String(req.params.id), req.body as GroupInput)));
  });

  router.delete('/:id', async (req, res) => {
    await groups.delete(tenantOf(res).id, String(req.params.id));
    res.status(204).end();
  });

  return router;
}
