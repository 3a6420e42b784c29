/** /series/: series with their patches, cover letter and combined check state, filtered and ordered. */
import { Hono } from 'hono';
import { Related } from '../../patchwork/related.js';
import { listSeries, SERIES_ORDER } from '../../patchwork/series.js';
import type { ApiEnv } from '../context.js';
import { dateRangeParams, orderParam, personParam, projectParam, searchParam } from './filters.js';
import { parsePage, setPageLinks } from './paging.js';
import { idOf, notFound, urlsFor, type PatchworkRouteDeps } from './request.js';
import { seriesJson } from './serialize.js';

export function seriesRoutes({ db, read }: PatchworkRouteDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.get('/series', read, async (c) => {
    const u = urlsFor(c);
    const p = parsePage(c);
    const filter = {
      projectId: await projectParam(db, c),
      submitterId: await personParam(db, c, 'submitter'),
      ...dateRangeParams(c),
      q: searchParam(c),
    };
    const order = orderParam(c, SERIES_ORDER, 'id');
    const { count, rows } = await listSeries(db, filter, order, p);
    setPageLinks(c, p, count, u.origin);
    const r = await Related.load(db, { series: rows.map((x) => x.id), seriesPatches: true });
    return c.json(rows.map((x) => seriesJson(u, x, r)));
  });
  app.get('/series/:id', read, async (c) => {
    const id = idOf(c);
    const r = await Related.load(db, { series: [id], seriesPatches: true });
    const s = r.series.get(id);
    if (!s) throw notFound(`series ${id}`);
    return c.json(seriesJson(urlsFor(c), s, r));
  });
  return app;
}
