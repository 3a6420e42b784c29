/**
 * GET /api/v1/series/{id}/compare?with={other}: what changed between two versions of a mail series
 * (range-diff content; `method` says whether git range-diff ran on the upstream mirror or the stored diffs
 * were compared). Reads follow READ_AUTH.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Database } from '../../db/client.js';
import { compareSeries, type CompareOptions } from '../../mail/compare/compare.js';
import { guard, type Guard } from '../auth-guard.js';
import type { ApiEnv } from '../context.js';
import { errorSchema } from './representations.js';
import { validationHook } from './validation-hook.js';

export interface SeriesCompareDeps {
  db: Database;
  requireRead: Guard;
  /** where the upstream mirrors live; without it the stored diffs are compared */
  compare?: CompareOptions;
}

const seriesSchema = z.object({ id: z.number().int(), name: z.string().nullable(), version: z.number().int() });
const patchSchema = z.object({ id: z.number().int(), position: z.number().int().openapi({ description: '1-based place in its series' }), name: z.string() });

const comparisonSchema = z
  .object({
    method: z.enum(['git-range-diff', 'diff-compare']),
    reason: z.string().optional().openapi({ description: 'why git range-diff was not used (diff-compare only)' }),
    series: seriesSchema,
    with: seriesSchema,
    patches: z.array(
      z.object({
        status: z.enum(['unchanged', 'changed', 'added', 'dropped']),
        older: patchSchema.nullable(),
        newer: patchSchema.nullable(),
        reordered: z.boolean(),
        interdiff: z.string().nullable().openapi({ description: "range-diff's diff of the pair (metadata, commit message, diff); null unless changed" }),
      }),
    ),
    added: z.array(z.number().int()).openapi({ description: 'ids of the patches only the series has' }),
    dropped: z.array(z.number().int()).openapi({ description: 'ids of the patches only the other series has' }),
    reordered: z.array(z.number().int()).openapi({ description: 'ids (in the series) of the patches that moved' }),
  })
  .openapi('SeriesComparison');

const errorJson = (description: string) => ({ description, content: { 'application/json': { schema: errorSchema } } });

export function seriesCompareRoutes(deps: SeriesCompareDeps) {
  const app = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });
  app.use('/series/*', guard(deps.requireRead));
  app.openapi(
    createRoute({
      method: 'get',
      path: '/series/{id}/compare',
      summary: 'What changed between two versions of a mail series (a range-diff)',
      request: {
        params: z.object({ id: z.coerce.number().int().positive().openapi({ param: { name: 'id', in: 'path' } }) }),
        query: z
          .object({ with: z.coerce.number().int().positive().optional().openapi({ description: 'the series to compare with (default: the version this one revises)' }) })
          .strict(),
      },
      responses: {
        200: { description: 'the comparison', content: { 'application/json': { schema: comparisonSchema } } },
        400: errorJson('invalid request'),
        401: errorJson('authentication required'),
        404: errorJson('no such series, or no earlier version to compare with'),
      },
    }),
    async (c) => {
      const result = await compareSeries(deps.db, c.req.valid('param').id, c.req.valid('query').with, deps.compare);
      return c.json(result, 200);
    },
  );
  return app;
}
