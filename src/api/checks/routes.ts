/**
 * /api/v1/checks: CI results on mail patches, whole series (a check on each of its patches) and published
 * ranges, listed with filters and their combined state; /api/v1/ranges/{id}: a published range with its
 * checks. Reads follow READ_AUTH; posting needs write access (Basic or an API token). Paths are relative to
 * /api/v1 (mounted there with the rest of the OpenAPI document).
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Database } from '../../db/client.js';
import type { PublicationRow } from '../../db/schema/index.js';
import { AppError } from '../../errors.js';
import { guard, guardByMethod, type Guard } from '../auth-guard.js';
import type { ApiEnv } from '../context.js';
import { rowId } from '../../input.js';
import { parsePage, setPageLinks } from '../patchwork/paging.js';
import { originOf } from '../../http/request.js';
import { validationHook } from '../v1/validation-hook.js';
import { commonErrors, dateQuery, enumQuery, errorJson, idPath, idQuery, json, pageQuery, security, textQuery } from '../v1/params.js';
import { parsableJson } from '../v1/json-body.js';
import {
  CHECK_STATES,
  checkInputSchema,
  combinedState,
  combinedStateOf,
  createPatchCheck,
  createRangeCheck,
  createSeriesChecks,
  listChecks,
  rangeWithChecks,
  type CheckRecord,
  type CheckSubjects,
} from '../../checks/service.js';

export interface ChecksDeps {
  db: Database;
  requireWrite: Guard;
  requireRead: Guard;
}

const checkState = z.enum(CHECK_STATES);

export const checkSchema = z
  .object({
    id: z.number().int(),
    patch: z.number().int().optional().openapi({ description: 'the mail patch checked (a check on a patch)' }),
    range: z.number().int().optional().openapi({ description: 'the published range checked (a check on a range)' }),
    context: z.string(),
    state: checkState,
    target_url: z.string().nullable(),
    description: z.string().nullable(),
    user: z.string().openapi({ description: 'who posted it (user name or token:<name>)' }),
    date: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('Check');

export const rangeSchema = z
  .object({
    id: z.number().int(),
    tracking_id: z.number().int().nullable(),
    from: z.string(),
    to: z.string(),
    step: z.string().openapi({ description: 'how far publishing got (recorded when done)' }),
    target_repo: z.string(),
    target_branch: z.string(),
    branch: z.string().openapi({ description: 'the branch the PR comes from' }),
    commits: z.array(z.object({ sha: z.string(), subject: z.string() })),
    patch_files: z.array(z.string()),
    issue_url: z.string().nullable(),
    pr_url: z.string().nullable(),
    check: checkState.openapi({ description: 'combined state of its checks' }),
    checks: z.array(checkSchema),
    created_at: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('Range');

export function checkV1Json(c: CheckRecord): z.infer<typeof checkSchema> {
  return {
    id: c.id,
    ...(c.on === 'patch' ? { patch: c.subjectId } : { range: c.subjectId }),
    context: c.context,
    state: c.state as z.infer<typeof checkState>,
    target_url: c.targetUrl,
    description: c.description,
    user: c.user,
    date: c.date.toISOString(),
  };
}

export function rangeV1Json(p: PublicationRow, checks: CheckRecord[]): z.infer<typeof rangeSchema> {
  return {
    id: p.id,
    tracking_id: p.trackingId,
    from: p.rangeFrom,
    to: p.rangeTo,
    step: p.step,
    target_repo: p.targetRepo,
    target_branch: p.targetBranch,
    branch: p.tempBranch,
    commits: p.commits.map((x) => ({ sha: x.sha, subject: x.subject })),
    patch_files: p.patchFiles,
    issue_url: p.issueUrl,
    pr_url: p.prUrl,
    check: combinedState(checks.map((x) => ({ ...x }))),
    checks: checks.map(checkV1Json),
    created_at: p.createdAt.toISOString(),
  };
}

const postSchema = checkInputSchema
  .safeExtend({
    patch: rowId.optional().openapi({ description: 'a mail patch' }),
    series: rowId.optional().openapi({ description: 'a mail series: one check on each of its patches' }),
    range: rowId.optional().openapi({ description: 'a published range' }),
  })
  .openapi('CheckInput', { description: 'exactly one of patch, series, range' });

/** What a listing is about: at most one of patch, series, range, tracking; else a whole side (kind). */
const subjectQuery = {
  patch: idQuery('patch', 'checks on this mail patch'),
  series: idQuery('series', "checks on this mail series' patches"),
  range: idQuery('range', 'checks on this published range'),
  tracking: idQuery('tracking', "checks on this tracking's published ranges"),
  kind: enumQuery(['patch', 'range'], 'every check on patches or on ranges (when no subject is given)'),
};
const subjectQuerySchema = z.object(subjectQuery);

function subjectsOf(q: z.infer<typeof subjectQuerySchema>): CheckSubjects {
  const { patch, series, range, tracking, kind } = q;
  if ([patch, series, range, tracking].filter((x) => x !== undefined).length > 1) {
    throw new AppError('invalid_request', 'patch, series, range, tracking: give at most one', { field: 'patch' });
  }
  if (patch !== undefined) return { on: 'patch', ids: [patch] };
  if (series !== undefined) return { series };
  if (range !== undefined) return { on: 'range', ids: [range] };
  if (tracking !== undefined) return { tracking };
  if (!kind) throw new AppError('invalid_request', 'kind: give patch, series, range, tracking, or kind=patch|range', { field: 'kind' });
  return { on: kind };
}

export function checksRoutes(deps: ChecksDeps) {
  const { db } = deps;
  const app = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });
  app.use('/checks', guardByMethod(deps.requireRead, deps.requireWrite));
  app.use('/checks/*', guard(deps.requireRead));
  app.use('/ranges/*', guard(deps.requireRead));

  app.openapi(
    createRoute({
      method: 'get',
      path: '/checks',
      summary: 'List checks (Patchwork pagination: page, per_page, Link header)',
      request: {
        query: z.object({
          ...subjectQuery,
          state: enumQuery(CHECK_STATES, 'only checks in this state'),
          user: textQuery('only checks posted by this user'),
          context: textQuery('only checks with this context'),
          since: dateQuery('since', 'only checks at or after this time'),
          before: dateQuery('before', 'only checks before this time'),
          ...pageQuery,
        }),
      },
      responses: { 200: json(z.array(checkSchema), 'the checks, oldest first'), ...commonErrors, 404: errorJson('a page past the end') },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const p = parsePage(c);
      const { count, rows } = await listChecks(db, subjectsOf(q), { user: q.user, state: q.state, context: q.context, since: q.since, before: q.before }, { limit: p.limit, offset: p.offset });
      setPageLinks(c, p, count, originOf(c));
      return c.json(rows.map(checkV1Json), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/checks/combined',
      summary: "The combined state (Patchwork's rule) of a patch, a series, a range or a tracking's ranges",
      request: { query: subjectQuerySchema },
      responses: {
        200: json(z.object({ state: checkState, checks: z.number().int().openapi({ description: 'how many checks it combines' }) }).openapi('CombinedCheckState'), 'the combined state'),
        ...commonErrors,
      },
    }),
    async (c) => c.json(await combinedStateOf(db, subjectsOf(c.req.valid('query'))), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/checks',
      summary: 'Post a check on a patch, on each patch of a series, or on a published range',
      security,
      middleware: [parsableJson],
      request: { body: { content: { 'application/json': { schema: postSchema } }, required: true } },
      responses: {
        201: json(z.array(checkSchema), 'the checks created (one per patch for a series)'),
        ...commonErrors,
        404: errorJson('no such patch, series or range'),
        415: errorJson('the body is not application/json'),
      },
    }),
    async (c) => {
      const input = c.req.valid('json');
      const targets = [input.patch, input.series, input.range].filter((x) => x !== undefined);
      if (targets.length !== 1) throw new AppError('invalid_request', 'patch, series, range: give exactly one', { field: 'patch' });
      const user = c.get('principal') ?? 'anonymous';
      let created: CheckRecord[];
      if (input.patch !== undefined) created = [await createPatchCheck(db, input.patch, user, input)];
      else if (input.range !== undefined) created = [await createRangeCheck(db, input.range, user, input)];
      else {
        created = await createSeriesChecks(db, input.series!, user, input);
        if (!created.length) throw new AppError('not_found', `no series ${input.series} (or it has no patches)`, { field: 'series' });
      }
      return c.json(created.map(checkV1Json), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/ranges/{id}',
      summary: 'A published range (one PR) with its checks',
      request: { params: idPath },
      responses: { 200: json(rangeSchema, 'the range'), ...commonErrors, 404: errorJson('no such range') },
    }),
    async (c) => {
      const { range, checks } = await rangeWithChecks(db, c.req.valid('param').id);
      return c.json(rangeV1Json(range, checks), 200);
    },
  );

  return app;
}
