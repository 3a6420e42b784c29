/** /events/: what happened to patches, covers, series and published ranges, newest first unless ordered. */
import { Hono } from 'hono';
import { loadEventSubjects } from '../../patchwork/event-subjects.js';
import type { ApiEnv } from '../context.js';
import { listEvents } from '../../events/service.js';
import { eventsJson } from './events-json.js';
import { eventFilterParams, orderParam } from './filters.js';
import { parsePage, setPageLinks } from './paging.js';
import { urlsFor, type PatchworkRouteDeps } from './request.js';

export function eventRoutes({ db, read }: PatchworkRouteDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.get('/events', read, async (c) => {
    const u = urlsFor(c);
    const p = parsePage(c);
    const order = orderParam(c, ['date'] as const, 'date');
    const newestFirst = c.req.query('order') ? order.desc : true;
    const filter = await eventFilterParams(db, c);
    const { count, rows } = await listEvents(db, filter, { limit: p.limit, offset: p.offset, newestFirst });
    setPageLinks(c, p, count, u.origin);
    return c.json(eventsJson(u, rows, await loadEventSubjects(db, rows)));
  });
  return app;
}
