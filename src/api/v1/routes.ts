/**
 * /api/v1: trackings, issues and API tokens with real status codes (the other /api/v1 routers are mounted
 * on this one, so one document describes them all). Every route is declared with its zod
 * schemas once; the same declaration validates requests and produces the OpenAPI 3.1 document.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Database } from '../../db/client.js';
import {
  deleteTrackingById,
  getIssue,
  getTracking,
  listIssues,
  listTrackings,
  updateTracking,
  upsertTracking,
  findTracking,
} from '../../db/trackings.js';
import { createApiToken, listApiTokens, revokeApiToken } from '../../auth/tokens.js';
import { guard, guardByMethod, type Guard } from '../auth-guard.js';
import { combinedStateOfTrackings } from '../../checks/service.js';
import type { ResolveCommit } from '../compat.js';
import type { ApiEnv } from '../context.js';
import { AppError } from '../../errors.js';
import { assertUpstreamAllowed, type UpstreamPolicy } from '../../sources/upstream-policy.js';
import { scanOnDemand, type ScanNow } from '../../tracker/scan.js';
import { upstreamedReportOf, type AnalyseTracking } from '../../upstreamed/report.js';
import { decimalText, patchedTracking, rowIdText, toTrackingInput, trackingInputSchema, trackingPatchSchema } from '../../input.js';
import { validationHook } from './validation-hook.js';
import { json, security } from './params.js';
import { errorSchema, issueJson, issueSchema, scanResultJson, scanResultSchema, tokenInputSchema, tokenJson, tokenSchema, trackingJson, trackingSchema, upstreamedJson, upstreamedSchema } from './representations.js';

export interface V1Deps {
  db: Database;
  requireWrite: Guard;
  requireRead: Guard;
  /** API tokens (and mailing-list projects) are managed by admins only */
  requireAdmin: Guard;
  /** run one tracking now (the engine); absent when the engine is not wired */
  scanNow?: ScanNow;
  resolveCommit?: ResolveCommit;
  /** which upstream URLs a tracking may name */
  upstreamPolicy: UpstreamPolicy;
  /** the spec patches compared with the upstream (src/upstreamed); absent when this process reads no upstreams */
  upstreamed?: AnalyseTracking;
}

const idParam = z.object({ id: rowIdText.openapi({ param: { name: 'id', in: 'path' } }) });

const pageQuery = {
  limit: decimalText(1, 500).default(100).openapi({ description: 'page size (1-500)' }),
  after: decimalText(0).optional().openapi({ description: 'return rows whose id is greater (from the Link header)' }),
};

const boolParam = z.enum(['true', 'false']).transform((v) => v === 'true');

const trackingListQuery = z
  .object({
    repo: z.string().min(1).optional(),
    branch: z.string().min(1).optional(),
    enabled: boolParam.optional(),
    version_control: z.string().min(1).optional(),
    status: z.string().min(1).optional(),
    ...pageQuery,
  })
  .strict();

const issueListQuery = z
  .object({
    repo: z.string().min(1).optional(),
    branch: z.string().min(1).optional(),
    state: z.string().min(1).optional(),
    tracking_id: rowIdText.optional(),
    ...pageQuery,
  })
  .strict();

const errors = {
  400: { description: 'invalid request', content: { 'application/json': { schema: errorSchema } } },
  401: { description: 'authentication required', content: { 'application/json': { schema: errorSchema } } },
  404: { description: 'not found', content: { 'application/json': { schema: errorSchema } } },
};


function setNextLink(c: Context, rows: { id: number }[], limit: number) {
  if (rows.length < limit) return;
  const url = new URL(c.req.url);
  url.searchParams.set('after', String(rows[rows.length - 1]!.id));
  url.searchParams.set('limit', String(limit));
  c.header('Link', `<${url.pathname}${url.search}>; rel="next"`);
}

export function v1Routes(deps: V1Deps) {
  const { db } = deps;
  const app = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });
  app.openAPIRegistry.registerComponent('securitySchemes', 'basicAuth', { type: 'http', scheme: 'basic' });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer' });

  app.use('/trackings/*', guardByMethod(deps.requireRead, deps.requireWrite));
  app.use('/trackings', guardByMethod(deps.requireRead, deps.requireWrite));
  app.use('/issues/*', guard(deps.requireRead));
  app.use('/issues', guard(deps.requireRead));
  app.use('/tokens/*', guard(deps.requireAdmin));
  app.use('/tokens', guard(deps.requireAdmin));

  app.openapi(
    createRoute({
      method: 'get',
      path: '/trackings',
      summary: 'List trackings',
      request: { query: trackingListQuery },
      responses: { 200: json(z.array(trackingSchema), 'trackings, ordered by id; a Link header points to the next page'), ...errors },
    }),
    async (c) => {
      const { limit, after, version_control, ...filter } = c.req.valid('query');
      const rows = await listTrackings(db, { ...filter, versionControl: version_control }, { limit, afterId: after });
      setNextLink(c, rows, limit);
      const checks = await combinedStateOfTrackings(db, rows.map((r) => r.id));
      return c.json(rows.map((r) => trackingJson(r, checks.get(r.id))), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/trackings',
      summary: 'Create a tracking',
      security,
      request: { body: { content: { 'application/json': { schema: trackingInputSchema } }, required: true } },
      responses: {
        201: json(trackingSchema, 'created'),
        409: json(errorSchema, 'a tracking for this repo and branch exists (PATCH it instead)'),
        ...errors,
      },
    }),
    async (c) => {
      const input = c.req.valid('json');
      if (await findTracking(db, input.repo, input.branch)) {
        throw new AppError('conflict', `a tracking for ${input.repo} ${input.branch} exists already`, { field: 'repo' });
      }
      const value = toTrackingInput(input);
      await assertUpstreamAllowed(deps.upstreamPolicy, value);
      const { row } = await upsertTracking(db, deps.resolveCommit ? await deps.resolveCommit(value) : value);
      c.header('Location', `/api/v1/trackings/${row.id}`);
      return c.json(trackingJson(row), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/trackings/{id}',
      summary: 'Get one tracking',
      request: { params: idParam },
      responses: { 200: json(trackingSchema, 'the tracking'), ...errors },
    }),
    async (c) => {
      const row = await getTracking(db, c.req.valid('param').id);
      if (!row) throw new AppError('not_found', 'no such tracking');
      const checks = await combinedStateOfTrackings(db, [row.id]);
      return c.json(trackingJson(row, checks.get(row.id)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/trackings/{id}',
      summary: 'Change a tracking (e.g. {"enabled": false})',
      security,
      request: { params: idParam, body: { content: { 'application/json': { schema: trackingPatchSchema } }, required: true } },
      responses: { 200: json(trackingSchema, 'the changed tracking'), ...errors },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const current = await getTracking(db, id);
      if (!current) throw new AppError('not_found', 'no such tracking');
      const patch = c.req.valid('json');
      const next = patchedTracking(current, patch);
      // an upstream already stored is not judged again for an unrelated change (e.g. pausing it)
      if (patch.scm_repo !== undefined || patch.version_control !== undefined) {
        await assertUpstreamAllowed(deps.upstreamPolicy, { versionControl: next.version_control, scmRepo: next.scm_repo });
      }
      let scmCommit = patch.scm_commit;
      if (scmCommit && deps.resolveCommit) {
        // the abbreviation names a commit of the upstream the tracking will have after this change
        const upstream = { versionControl: next.version_control, scmRepo: next.scm_repo, scmBranch: next.scm_branch };
        scmCommit = (await deps.resolveCommit({ ...upstream, scmCommit, repo: current.repo, branch: current.branch, enabled: next.enabled })).scmCommit;
      }
      const row = await updateTracking(db, id, {
        versionControl: next.version_control,
        scmRepo: next.scm_repo,
        scmBranch: next.scm_branch,
        scmCommit,
        enabled: next.enabled,
      });
      if (!row) throw new AppError('not_found', 'no such tracking');
      return c.json(trackingJson(row), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/trackings/{id}',
      summary: 'Delete a tracking',
      security,
      request: { params: idParam },
      responses: { 204: { description: 'deleted' }, ...errors },
    }),
    async (c) => {
      if (!(await deleteTrackingById(db, c.req.valid('param').id))) throw new AppError('not_found', 'no such tracking');
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/trackings/{id}/scan',
      summary: 'Scan a tracking now (dry_run=true: show what would be published, write nothing)',
      security,
      request: { params: idParam, query: z.object({ dry_run: boolParam.optional() }).strict() },
      responses: {
        200: json(scanResultSchema, 'what the scan did (action: initialized, up_to_date, advanced, published) or would do (dry_run)'),
        409: json(errorSchema, 'a scan of the tracking is running already (tracking_busy), or the tracking is paused (tracking_paused)'),
        503: json(errorSchema, 'the engine is not running'),
        ...errors,
      },
    }),
    async (c) => {
      const result = await scanOnDemand(db, deps.scanNow, c.req.valid('param').id, { dryRun: c.req.valid('query').dry_run ?? false });
      return c.json(scanResultJson(result), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/trackings/{id}/upstreamed',
      summary: "Which of the spec's patches the upstream already has, at the release the spec builds (a report: nothing is written)",
      request: { params: idParam },
      responses: {
        200: json(upstreamedSchema, 'each spec patch: upstream (with the method and commit), uncertain or not upstream'),
        422: json(errorSchema, 'the tracking follows a mailing list: there is no upstream tree (upstream_unsupported)'),
        502: json(errorSchema, 'the upstream could not be read'),
        503: json(errorSchema, 'this process reads no upstreams (analysis_unavailable)'),
        ...errors,
      },
    }),
    async (c) => c.json(upstreamedJson(await upstreamedReportOf(db, deps.upstreamed, c.req.valid('param').id)), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/issues',
      summary: 'List issues and PRs the bot opened',
      request: { query: issueListQuery },
      responses: { 200: json(z.array(issueSchema), 'issues, ordered by id; a Link header points to the next page'), ...errors },
    }),
    async (c) => {
      const { limit, after, tracking_id, ...filter } = c.req.valid('query');
      const rows = await listIssues(db, { ...filter, trackingId: tracking_id }, { limit, afterId: after });
      setNextLink(c, rows, limit);
      return c.json(rows.map(issueJson), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/issues/{id}',
      summary: 'Get one issue',
      request: { params: idParam },
      responses: { 200: json(issueSchema, 'the issue'), ...errors },
    }),
    async (c) => {
      const row = await getIssue(db, c.req.valid('param').id);
      if (!row) throw new AppError('not_found', 'no such issue');
      return c.json(issueJson(row), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/tokens',
      summary: 'Create an API token with its scopes (the token is shown in this answer only; admin scope)',
      security,
      request: {
        body: {
          content: { 'application/json': { schema: tokenInputSchema } },
          required: true,
        },
      },
      responses: { 201: json(tokenSchema.extend({ token: z.string() }), 'created'), ...errors },
    }),
    async (c) => {
      const input = c.req.valid('json');
      const { token, row } = await createApiToken(db, input.name, input.scopes, input.user);
      return c.json({ ...tokenJson(row), token }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/tokens',
      summary: 'List API tokens and their scopes (never the tokens themselves; admin scope)',
      security,
      responses: { 200: json(z.array(tokenSchema), 'tokens'), ...errors },
    }),
    async (c) => c.json((await listApiTokens(db)).map(tokenJson), 200),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/tokens/{id}',
      summary: 'Revoke an API token (admin scope)',
      security,
      request: { params: idParam },
      responses: { 204: { description: 'revoked' }, ...errors },
    }),
    async (c) => {
      if (!(await revokeApiToken(db, c.req.valid('param').id))) throw new AppError('not_found', 'no such live token');
      return c.body(null, 204);
    },
  );

  return app;
}
