/**
 * /api/v1/events: mail and range events in id order, for CI to poll with `after=<last id seen>`;
 * /api/1.3/events/ (Patchwork's shape) is served by the Patchwork routes from the same stream and the same
 * filters (patchwork/filters.ts eventFilterParams). Paths are relative to /api/v1.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Database } from '../../db/client.js';
import { guard, type Guard } from '../auth-guard.js';
import type { ApiEnv } from '../context.js';
import { eventFilterParams } from '../patchwork/filters.js';
import { EVENT_CATEGORIES, listEvents, type EventRecord } from '../../events/service.js';
import { validationHook } from '../v1/validation-hook.js';
import { commonErrors, dateQuery, idQuery, json, textQuery } from '../v1/params.js';

export interface EventsDeps {
  db: Database;
  requireRead: Guard;
}

export const eventSchema = z
  .object({
    id: z.number().int().openapi({ description: 'increasing: poll with after=<the last id seen>' }),
    category: z.string().openapi({ enum: [...EVENT_CATEGORIES] }),
    date: z.string().openapi({ format: 'date-time' }),
    actor: z.string().nullable(),
    project_id: z.number().int().nullable(),
    patch_id: z.number().int().nullable(),
    cover_id: z.number().int().nullable(),
    series_id: z.number().int().nullable(),
    tracking_id: z.number().int().nullable(),
    range_id: z.number().int().nullable(),
    payload: z.record(z.string(), z.unknown()).openapi({ description: "the category's details (as in Patchwork's events)" }),
  })
  .openapi('Event');

export function eventV1Json(e: EventRecord): z.infer<typeof eventSchema> {
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

const categories = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .refine((v) => [v ?? []].flat().every((x) => x === '' || EVENT_CATEGORIES.includes(x)), { message: `expected one of ${EVENT_CATEGORIES.join(', ')}` })
  .openapi({ type: 'array', items: { type: 'string', enum: [...EVENT_CATEGORIES] }, description: 'only these categories (repeat the parameter for several)' });

const eventsQuery = z.object({
  category: categories,
  project: textQuery('only events of this mail project (id or link name)'),
  patch: idQuery('patch', 'only events of this mail patch'),
  cover: idQuery('cover', 'only events of this cover letter'),
  series: idQuery('series', 'only events of this mail series'),
  tracking: idQuery('tracking', 'only events of this tracking'),
  range: idQuery('range', 'only events of this published range'),
  since: dateQuery('since', 'only events at or after this time'),
  before: dateQuery('before', 'only events before this time'),
  after: idQuery('after', 'only events with a greater id (the last id seen)'),
  limit: z
    .string()
    .regex(/^\d{1,4}$/, 'expected 1 to 500')
    .transform(Number)
    .refine((n) => n >= 1 && n <= 500, 'expected 1 to 500')
    .default(100)
    .openapi({ type: 'string', description: 'at most this many events (1-500, default 100); a Link header points to the next ones' }),
});

export function eventsRoutes(deps: EventsDeps) {
  const app = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });
  app.use('/events', guard(deps.requireRead));
  app.openapi(
    createRoute({
      method: 'get',
      path: '/events',
      summary: 'Mail and range events in id order (poll with after=)',
      request: { query: eventsQuery },
      responses: { 200: json(z.array(eventSchema), 'the events, oldest first'), ...commonErrors },
    }),
    async (c) => {
      const { limit, after } = c.req.valid('query');
      // the filters as the Patchwork events API reads them (project by id or name is looked up there)
      const { rows } = await listEvents(deps.db, { ...(await eventFilterParams(deps.db, c)), afterId: after }, { limit, offset: 0, newestFirst: false });
      if (rows.length === limit) {
        const url = new URL(c.req.url);
        url.searchParams.set('after', String(rows.at(-1)!.id));
        c.header('Link', `<${url.pathname}${url.search}>; rel="next"`);
      }
      return c.json(rows.map(eventV1Json), 200);
    },
  );
  return app;
}
