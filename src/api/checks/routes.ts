/**
 * /api/v1/checks: CI results on mail patches, whole series (a check on each of its patches) and published
 * ranges, listed with filters and their combined state; /api/v1/ranges/{id}: a published range with its
 * checks. Reads follow READ_AUTH; posting needs write access (Basic or an API token).
 */
import { z } from '@hono/zod-openapi';
import { eq, inArray } from 'drizzle-orm';
import { Hono, type Context } from 'hono';
import type { Database } from '../../db/client.js';
import { publication, rangeCheck, type PublicationRow } from '../../db/schema/index.js';
import { mailCheck, mailPatch } from '../../db/schema/mail.js';
import { AppError } from '../../errors.js';
import { guard, guardByMethod, type Guard } from '../auth-guard.js';
import type { ApiEnv } from '../context.js';
import { parseOrThrow } from '../schemas.js';
import { dateParam, intParam } from '../patchwork/filters.js';
import { parsePage, setPageLinks } from '../patchwork/paging.js';
import { originOf } from '../patchwork/urls.js';
import {
  CHECK_STATES,
  checkInputSchema,
  combinedState,
  createPatchCheck,
  createRangeCheck,
  listPatchChecks,
  listRangeChecks,
  type CheckRecord,
} from './service.js';

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
  patch: z.number().int().positive().optional(),
  series: z.number().int().positive().optional(),
  range: z.number().int().positive().optional(),
});


export function checksRoutes(deps: ChecksDeps): Hono<ApiEnv> {
  const { db } = deps;
  const app = new Hono<ApiEnv>();
  app.use('/api/v1/checks', guardByMethod(deps.requireRead, deps.requireWrite));
  app.use('/api/v1/checks/*', guard(deps.requireRead));
  app.use('/api/v1/ranges/*', guard(deps.requireRead));

  /** Which side a listing is about, from its filters: patch ids or publication ids. */
  async function subjects(c: C): Promise<{ kind: 'patch'; ids?: number[] } | { kind: 'range'; ids?: number[] }> {
    const patch = intParam(c, 'patch');
    const series = intParam(c, 'series');
    const range = intParam(c, 'range');
    const trackingId = intParam(c, 'tracking');
    const kind = c.req.query('kind');
    if (kind !== undefined && kind !== 'patch' && kind !== 'range') throw new AppError('invalid_request', 'kind: expected patch or range', { field: 'kind' });
    if ([patch, series, range, trackingId].filter((x) => x !== undefined).length > 1) {
      throw new AppError('invalid_request', 'patch, series, range, tracking: give at most one', { field: 'patch' });
    }
    if (patch !== undefined) return { kind: 'patch', ids: [patch] };
    if (series !== undefined) {
      const rows = await db.select({ id: mailPatch.id }).from(mailPatch).where(eq(mailPatch.seriesId, series));
      return { kind: 'patch', ids: rows.map((r) => r.id) };
    }
    if (range !== undefined) return { kind: 'range', ids: [range] };
    if (trackingId !== undefined) {
      const rows = await db.select({ id: publication.id }).from(publication).where(eq(publication.trackingId, trackingId));
      return { kind: 'range', ids: rows.map((r) => r.id) };
    }
    if (!kind) throw new AppError('invalid_request', 'kind: give patch, series, range, tracking, or kind=patch|range', { field: 'kind' });
    return { kind };
  }

  function filterOf(c: C) {
    const state = c.req.query('state');
    if (state && !(CHECK_STATES as readonly string[]).includes(state)) throw new AppError('invalid_request', `state: expected one of ${CHECK_STATES.join(', ')}`, { field: 'state' });
    return { user: c.req.query('user') || undefined, state: state || undefined, context: c.req.query('context') || undefined, since: dateParam(c, 'since'), before: dateParam(c, 'before') };
  }

  app.get('/api/v1/checks', async (c) => {
    const p = parsePage(c);
    const s = await subjects(c);
    const f = filterOf(c);
    const page = { limit: p.limit, offset: p.offset };
    const { count, rows } = s.kind === 'patch' ? await listPatchChecks(db, { ...f, patchIds: s.ids }, page) : await listRangeChecks(db, { ...f, rangeIds: s.ids }, page);
    setPageLinks(c, p, count, originOf(c));
    return c.json(rows.map(checkV1Json));
  });

  /** The combined state (Patchwork's rule) of a patch, a series, a range or a tracking's ranges. */
  app.get('/api/v1/checks/combined', async (c) => {
    const s = await subjects(c);
    if (!s.ids) throw new AppError('invalid_request', 'patch, series, range or tracking is required', { field: 'patch' });
    const rows =
      s.kind === 'patch'
        ? s.ids.length
          ? (await db.select().from(mailCheck).where(inArray(mailCheck.patchId, s.ids))).map((r) => ({ ...r, context: `${r.context}\0${r.patchId}` }))
          : []
        : s.ids.length
          ? (await db.select().from(rangeCheck).where(inArray(rangeCheck.publicationId, s.ids))).map((r) => ({ ...r, context: `${r.context}\0${r.publicationId}` }))
          : [];
    return c.json({ state: combinedState(rows), checks: rows.length });
  });

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
      const patches = await db.select({ id: mailPatch.id }).from(mailPatch).where(eq(mailPatch.seriesId, input.series!));
      if (!patches.length) throw new AppError('not_found', `no series ${input.series} (or it has no patches)`, { field: 'series' });
      created = [];
      for (const p of patches) created.push(await createPatchCheck(db, p.id, user, input));
    }
    return c.json(created.map(checkV1Json), 201);
  });

  app.get('/api/v1/ranges/:id', async (c) => {
    const raw = c.req.param('id');
    if (!/^\d{1,9}$/.test(raw)) throw new AppError('invalid_request', 'id: expected a numeric id', { field: 'id' });
    const [p] = await db.select().from(publication).where(eq(publication.id, Number(raw)));
    if (!p) throw new AppError('not_found', `no published range ${raw}`);
    const { rows } = await listRangeChecks(db, { rangeIds: [p.id] }, { limit: 1000, offset: 0 });
    return c.json(rangeV1Json(p, rows));
  });

  return app;
}
