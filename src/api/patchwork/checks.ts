/** /patches/{id}/checks/: a patch's CI results, filtered, one of them, and posting a new one (write access). */
import { Hono } from 'hono';
import { getPatchCheck, patchExists } from '../../patchwork/patches.js';
import { checkInputSchema, createPatchCheck, listChecks } from '../../checks/service.js';
import type { ApiEnv } from '../context.js';
import { parseOrThrow } from '../../input.js';
import { dateParam } from './filters.js';
import { parsePage, setPageLinks } from './paging.js';
import { bodyOf, idOf, notFound, urlsFor, type PatchworkRouteDeps } from './request.js';
import { checkJson } from './serialize.js';

export function checkRoutes({ db, read, writeCheck }: PatchworkRouteDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.get('/patches/:id/checks', read, async (c) => {
    const u = urlsFor(c);
    const id = idOf(c);
    if (!(await patchExists(db, id))) throw notFound(`patch ${id}`);
    const p = parsePage(c);
    const filter = {
      user: c.req.query('user') || undefined,
      state: c.req.query('state') || undefined,
      context: c.req.query('context') || undefined,
      since: dateParam(c, 'since'),
      before: dateParam(c, 'before'),
    };
    const { count, rows } = await listChecks(db, { on: 'patch', ids: [id] }, filter, { limit: p.limit, offset: p.offset });
    setPageLinks(c, p, count, u.origin);
    return c.json(rows.map((x) => checkJson(u, x)));
  });
  app.get('/patches/:id/checks/:cid', read, async (c) => {
    const row = await getPatchCheck(db, idOf(c), idOf(c, 'cid'));
    if (!row) throw notFound('check');
    return c.json(checkJson(urlsFor(c), row));
  });
  app.post('/patches/:id/checks', writeCheck, async (c) => {
    const id = idOf(c);
    const input = parseOrThrow(checkInputSchema, await bodyOf(c));
    const check = await createPatchCheck(db, id, c.get('principal') ?? 'anonymous', input);
    return c.json(checkJson(urlsFor(c), check), 201);
  });
  return app;
}
