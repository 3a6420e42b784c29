/** /covers/: the cover letters with Patchwork's filters and order, and one with the headers of its mail. */
import { Hono } from 'hono';
import { COVER_ORDER, getCover, listCovers } from '../../patchwork/covers.js';
import { rawMessage } from '../../patchwork/patches.js';
import { Related } from '../../patchwork/related.js';
import type { ApiEnv } from '../context.js';
import { dateRangeParams, intParam, msgidParam, orderParam, personParam, projectParam, searchParam } from './filters.js';
import { parsePage, setPageLinks } from './paging.js';
import { idOf, notFound, urlsFor, type PatchworkRouteDeps } from './request.js';
import { coverJson } from './serialize.js';

export function coverRoutes({ db, read }: PatchworkRouteDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.get('/covers', read, async (c) => {
    const u = urlsFor(c);
    const p = parsePage(c);
    const filter = {
      projectId: await projectParam(db, c),
      submitterId: await personParam(db, c, 'submitter'),
      seriesId: intParam(c, 'series'),
      msgid: msgidParam(c),
      ...dateRangeParams(c),
      q: searchParam(c),
    };
    const order = orderParam(c, COVER_ORDER, 'id');
    const { count, rows } = await listCovers(db, filter, order, p);
    setPageLinks(c, p, count, u.origin);
    const r = await Related.load(db, { projects: rows.map((x) => x.projectId), people: rows.map((x) => x.submitterId), series: rows.map((x) => x.seriesId) });
    return c.json(rows.map((x) => coverJson(u, x, r)));
  });
  app.get('/covers/:id', read, async (c) => {
    const id = idOf(c);
    const row = await getCover(db, id);
    if (!row) throw notFound(`cover ${id}`);
    const raw = await rawMessage(db, row.messageId);
    const r = await Related.load(db, { projects: [row.projectId], people: [row.submitterId], series: [row.seriesId] });
    return c.json(coverJson(urlsFor(c), row, r, { raw }));
  });
  return app;
}
