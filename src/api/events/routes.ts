/**
 * /api/v1/events: mail and range events in id order, for CI to poll with `after=<last id seen>`;
 * /api/1.3/events/ (Patchwork's shape) is served by the Patchwork routes from the same stream.
 */
import { Hono, type Context } from 'hono';
import type { Database } from '../../db/client.js';
import { AppError } from '../../errors.js';
import type { Guard } from '../auth-guard.js';
import type { ApiEnv } from '../context.js';
import { eventFilterParams, intParam } from '../patchwork/filters.js';
import { listEvents, type EventRecord } from '../../events/service.js';

export interface EventsDeps {
  db: Database;
  requireRead: Guard;
}

export function eventV1Json(e: EventRecord): Record<string, unknown> {
  return {
    id: e.id,
    category: e.category,
    date: e.date.toISOString(),
    actor: e.actor,
    project_id: e.projectId,
    patch_id: e.patchId,
    cover_id: e.coverId,
    series_id: e.seriesId,
    tracking_id: e.trackingId,
    range_id: e.publicationId,
    payload: e.payload,
  };
}

export function eventsRoutes(deps: EventsDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.use('/api/v1/events', async (c, next) => (await deps.requireRead(c)) ?? next());
  app.get('/api/v1/events', async (c: Context<ApiEnv>) => {
    const limitRaw = c.req.query('limit') ?? '100';
    if (!/^\d{1,4}$/.test(limitRaw) || Number(limitRaw) < 1 || Number(limitRaw) > 500) throw new AppError('invalid_request', 'limit: expected 1 to 500', { field: 'limit' });
    const limit = Number(limitRaw);
    const after = intParam(c, 'after');
    const { rows } = await listEvents(
      deps.db,
      { ...(await eventFilterParams(deps.db, c)), afterId: after },
      { limit, offset: 0, newestFirst: false },
    );
    if (rows.length === limit) {
      const url = new URL(c.req.url);
      url.searchParams.set('after', String(rows.at(-1)!.id));
      c.header('Link', `<${url.pathname}${url.search}>; rel="next"`);
    }
    return c.json(rows.map(eventV1Json));
  });
  return app;
}
