/**
 * /api/v1/checks: CI results on mail patches, whole series (a check on each of its patches) and published
 * ranges, listed with filters and their combined state; /api/v1/ranges/{id}: a published range with its
 * checks. Reads follow READ_AUTH; posting needs write access (Basic or an API token).
 */
import { Hono, type Context } from 'hono';
import type { Database } from '../../db/client.js';
import type { PublicationRow } from '../../db/schema/index.js';
import { AppError } from '../../errors.js';
import { guard, guardByMethod, type Guard } from '../auth-guard.js';
import type { ApiEnv } from '../context.js';
import { parseOrThrow, rowId } from '../schemas.js';
import { dateParam, intParam } from '../patchwork/filters.js';
import { parsePage, setPageLinks } from '../patchwork/paging.js';
import { originOf } from '../../http/request.js';
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

type C = Context<ApiEnv>;

export function checkV1Json(c: CheckRecord): Record<string, unknown> {
  return {
    id: c.id,
    ...(c.on === 'patch' ? { patch: c.subjectId } : { range: c.subjectId }),
    context: c.context,
    state: c.state,
    target_url: c.targetUrl,
    description: c.description,
    user: c.user,
    date: c.date.toISOString(),
  };
}

export function rangeV1Json(p: PublicationRow, checks: CheckRecord[]): Record<string, unknown> {
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

const postSchema = checkInputSchema.safeExtend({
  patch: rowId.optional(),
  series: rowId.optional(),
  range: rowId.optional(),
});


export function checksRoutes(deps: ChecksDeps): Hono<ApiEnv> {
  const { db } = deps;
  const app = new Hono<ApiEnv>();
  app.use('/api/v1/checks', guardByMethod(deps.requireRead, deps.requireWrite));
  app.use('/api/v1/checks/*', guard(deps.requireRead));
  app.use('/api/v1/ranges/*', guard(deps.requireRead));

  /** What a listing is about, from its filters: a patch, a series, a range, a tracking, or a whole side. */
  function subjects(c: C): CheckSubjects {
    const patch = intParam(c, 'patch');
    const series = intParam(c, 'series');
    const range = intParam(c, 'range');
    const trackingId = intParam(c, 'tracking');
    const kind = c.req.query('kind');
    if (kind !== undefined && kind !== 'patch' && kind !== 'range') throw new AppError('invalid_request', 'kind: expected patch or range', { field: 'kind' });
    if ([patch, series, range, trackingId].filter((x) => x !== undefined).length > 1) {
      throw new AppError('invalid_request', 'patch, series, range, tracking: give at most one', { field: 'patch' });
    }
    if (patch !== undefined) return { on: 'patch', ids: [patch] };
    if (series !== undefined) return { series };
    if (range !== undefined) return { on: 'range', ids: [range] };
    if (trackingId !== undefined) return { tracking: trackingId };
    if (!kind) throw new AppError('invalid_request', 'kind: give patch, series, range, tracking, or kind=patch|range', { field: 'kind' });
    return { on: kind };
  }

  function filterOf(c: C) {
    const state = c.req.query('state');
    if (state && !(CHECK_STATES as readonly string[]).includes(state)) throw new AppError('invalid_request', `state: expected one of ${CHECK_STATES.join(', ')}`, { field: 'state' });
    return { user: c.req.query('user') || undefined, state: state || undefined, context: c.req.query('context') || undefined, since: dateParam(c, 'since'), before: dateParam(c, 'before') };
  }

  app.get('/api/v1/checks', async (c) => {
    const p = parsePage(c);
    const s = subjects(c);
    const { count, rows } = await listChecks(db, s, filterOf(c), { limit: p.limit, offset: p.offset });
    setPageLinks(c, p, count, originOf(c));
    return c.json(rows.map(checkV1Json));
  });

  /** The combined state (Patchwork's rule) of a patch, a series, a range or a tracking's ranges. */
  app.get('/api/v1/checks/combined', async (c) => c.json(await combinedStateOf(db, subjects(c))));

  app.post('/api/v1/checks', async (c) => {
    const body: unknown = await c.req.json().catch(() => {
      throw new AppError('invalid_request', 'the body is not valid JSON', { field: 'body' });
    });
    const input = parseOrThrow(postSchema, body);
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
  });

  app.get('/api/v1/ranges/:id', async (c) => {
    const raw = c.req.param('id');
    if (!/^\d{1,9}$/.test(raw)) throw new AppError('invalid_request', 'id: expected a numeric id', { field: 'id' });
    const { range, checks } = await rangeWithChecks(db, Number(raw));
    return c.json(rangeV1Json(range, checks));
  });

  return app;
}
