/** /projects/: the mailing-list projects, searchable by name (`q`), and one by id or link name. */
import { Hono } from 'hono';
import { findProject, listProjects } from '../../patchwork/projects.js';
import type { ApiEnv } from '../context.js';
import { searchParam } from './filters.js';
import { parsePage, setPageLinks } from './paging.js';
import { notFound, urlsFor, type PatchworkRouteDeps } from './request.js';
import { projectJson } from './serialize.js';

export function projectRoutes({ db, read }: PatchworkRouteDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.get('/projects', read, async (c) => {
    const u = urlsFor(c);
    const p = parsePage(c);
    const { count, rows } = await listProjects(db, { q: searchParam(c) }, p);
    setPageLinks(c, p, count, u.origin);
    return c.json(rows.map((r) => projectJson(u, r)));
  });
  app.get('/projects/:id', read, async (c) => {
    const ref = c.req.param('id');
    const row = await findProject(db, ref);
    if (!row) throw notFound(`project ${ref}`);
    return c.json(projectJson(urlsFor(c), row));
  });
  return app;
}
