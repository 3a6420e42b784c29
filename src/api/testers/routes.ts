/**
 * The tester API (Patchew's model): POST /api/v1/testers/claim hands out the next untested series or
 * published range matching the tester's capabilities, POST /api/v1/testers/jobs/{id}/report records the
 * result and log (which become checks). A tester authenticates with an API token (or Basic); its
 * principal (token:<name>) is who holds the lease and who the checks are from. Paths are relative to /api/v1.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Database } from '../../db/client.js';
import type { TesterJobRow } from '../../db/schema/index.js';
import { guardByMethod, type Guard } from '../auth-guard.js';
import type { ApiEnv } from '../context.js';
import { originOf } from '../../http/request.js';
import { CI_HANDLER_TEST } from '../../ci/publish-hook.js';
import { claimJob, findJob, jobLog, jobSubject, listJobs, reportJob, type JobSubject } from '../../testers/service.js';
import { publicUrl } from '../../sources/git-url.js';
import { validationHook } from '../v1/validation-hook.js';
import { parsableJson } from '../v1/json-body.js';
import { commonErrors, enumQuery, errorJson, idPath, idQuery, json, security, textQuery } from '../v1/params.js';

export interface TesterDeps {
  db: Database;
  requireWrite: Guard;
  requireRead: Guard;
}

type C = Context<ApiEnv>;

const slug = z.string().min(1).max(100).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected a name of letters, digits, ., _ and -');
const glob = z.string().min(1).max(512).regex(/^[^\s\u0000-\u001f]+$/, 'expected a glob without spaces');

const claimSchema = z
  .object({
    test: slug.refine((v) => v !== CI_HANDLER_TEST, `'${CI_HANDLER_TEST}' is the CI handler's own test name`).openapi({ description: 'the name of the test this tester runs (its checks get it as context)' }),
    kinds: z.array(z.enum(['series', 'range'])).min(1).max(2).default(['series', 'range']).openapi({ description: 'what it tests: mail series, published ranges, or both' }),
    projects: z.array(glob).max(100).default([]).openapi({ description: 'globs over mail project link names (empty: every project)' }),
    repos: z.array(glob).max(100).default([]).openapi({ description: 'globs over target repositories of ranges (empty: every repository)' }),
    lease_seconds: z.number().int().min(10).max(7 * 24 * 3600).default(3600).openapi({ description: 'how long the job is the tester\'s before another may claim it' }),
  })
  .strict()
  .openapi('TesterClaim');

const reportSchema = z
  .object({
    result: z.enum(['success', 'warning', 'fail'], { message: 'expected success, warning or fail' }),
    log: z.string().max(16 * 1024 * 1024).default('').openapi({ description: 'the test log (served at log_url)' }),
    description: z.string().max(4000).optional(),
  })
  .strict()
  .openapi('TesterReport');

const jobBase = {
  id: z.number().int(),
  kind: z.enum(['series', 'range']),
  subject_id: z.number().int().openapi({ description: 'the mail series or the published range' }),
  test: z.string(),
  tester: z.string(),
  status: z.string().openapi({ description: 'running or done' }),
  attempts: z.number().int(),
  leased_at: z.string().openapi({ format: 'date-time' }),
  lease_expires_at: z.string().openapi({ format: 'date-time' }),
  result: z.string().nullable(),
  finished_at: z.string().nullable().openapi({ format: 'date-time' }),
  report_url: z.string(),
  log_url: z.string(),
};

export const testerJobSchema = z
  .union([
    z.object({
      ...jobBase,
      kind: z.literal('series'),
      repository: z.string().nullable().openapi({ description: "the project's upstream repository" }),
      base: z.null(),
      head: z.null(),
      project: z.string().nullable(),
      name: z.string().nullable(),
      version: z.number().int().nullable(),
      based_on: z.array(z.string()),
      series_url: z.string(),
      patches_url: z.string().openapi({ description: 'the series as an mbox (git am)' }),
    }),
    z.object({
      ...jobBase,
      kind: z.literal('range'),
      repository: z.string().nullable().openapi({ description: 'the upstream repository' }),
      base: z.string().nullable(),
      head: z.string().nullable(),
      upstream_branch: z.string().nullable(),
      target_repository: z.string().nullable(),
      target_branch: z.string().nullable(),
      branch: z.string().nullable(),
      pr_url: z.string().nullable(),
      range_url: z.string(),
      patches_url: z.null(),
    }),
  ])
  .openapi('TesterJob');

type TesterJobJson = z.infer<typeof testerJobSchema>;

/** What the tester needs to run the test: where the code is, base and head, where the patches are. */
function jobJson(c: C, job: TesterJobRow, subject: JobSubject): TesterJobJson {
  const origin = originOf(c);
  const base = {
    id: job.id,
    kind: job.kind,
    subject_id: job.subjectId,
    test: job.test,
    tester: job.tester,
    status: job.status,
    attempts: job.attempts,
    leased_at: job.leasedAt.toISOString(),
    lease_expires_at: job.leaseExpiresAt.toISOString(),
    result: job.result,
    finished_at: job.finishedAt?.toISOString() ?? null,
    report_url: `${origin}/api/v1/testers/jobs/${job.id}/report`,
    log_url: `${origin}/api/v1/testers/jobs/${job.id}/log`,
  };
  if (subject.kind === 'series') {
    const { series, project } = subject;
    return {
      ...base,
      kind: 'series',
      repository: project?.scmUrl || null,
      base: null,
      head: null,
      project: project?.linkName ?? null,
      name: series?.name ?? null,
      version: series?.version ?? null,
      based_on: series?.basedOn ?? [],
      series_url: `${origin}/api/1.3/series/${job.subjectId}/`,
      patches_url: `${origin}/series/${job.subjectId}/mbox/`,
    };
  }
  const { range, tracking } = subject;
  return {
    ...base,
    kind: 'range',
    repository: tracking ? publicUrl(tracking.scmRepo) : null,
    base: range?.rangeFrom ?? null,
    head: range?.rangeTo ?? null,
    upstream_branch: tracking?.scmBranch ?? null,
    target_repository: range?.targetRepo ?? null,
    target_branch: range?.targetBranch ?? null,
    branch: range?.tempBranch ?? null,
    pr_url: range?.prUrl ?? null,
    range_url: `${origin}/api/v1/ranges/${job.subjectId}`,
    patches_url: null,
  };
}

export function testerRoutes(deps: TesterDeps) {
  const { db } = deps;
  const app = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });
  app.use('/testers/*', guardByMethod(deps.requireRead, deps.requireWrite));

  const jobAnswer = async (c: C, job: TesterJobRow) => jobJson(c, job, await jobSubject(db, job));
  const jobErrors = { ...commonErrors, 404: errorJson('no such job') };

  app.openapi(
    createRoute({
      method: 'post',
      path: '/testers/claim',
      summary: "Claim the next untested series or range matching the tester's capabilities",
      security,
      middleware: [parsableJson],
      request: { body: { content: { 'application/json': { schema: claimSchema } }, required: true } },
      responses: { 200: json(testerJobSchema, 'the job, leased to the caller'), 204: { description: 'nothing to test now' }, ...commonErrors, 415: errorJson('the body is not application/json') },
    }),
    async (c) => {
      const input = c.req.valid('json');
      const tester = c.get('principal') ?? 'anonymous';
      const job = await claimJob(db, tester, { test: input.test, kinds: input.kinds, projects: input.projects, repos: input.repos, leaseSeconds: input.lease_seconds });
      if (!job) return c.body(null, 204);
      return c.json(await jobAnswer(c, job), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/testers/jobs/{id}/report',
      summary: 'Report the result and log of a claimed job (they become a check)',
      security,
      middleware: [parsableJson],
      request: { params: idPath, body: { content: { 'application/json': { schema: reportSchema } }, required: true } },
      responses: { 200: json(testerJobSchema, 'the finished job'), ...jobErrors, 409: errorJson('the job is leased to another tester or finished'), 415: errorJson('the body is not application/json') },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const input = c.req.valid('json');
      const tester = c.get('principal') ?? 'anonymous';
      const done = await reportJob(db, id, tester, { result: input.result, log: input.log, description: input.description, targetUrl: `${originOf(c)}/api/v1/testers/jobs/${id}/log` });
      return c.json(await jobAnswer(c, done), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/testers/jobs/{id}',
      summary: 'One job',
      request: { params: idPath },
      responses: { 200: json(testerJobSchema, 'the job'), ...jobErrors },
    }),
    async (c) => c.json(await jobAnswer(c, await findJob(db, c.req.valid('param').id)), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/testers/jobs/{id}/log',
      summary: "A reported job's log",
      request: { params: idPath },
      responses: { 200: { description: 'the log', content: { 'text/plain': { schema: z.string() } } }, ...commonErrors, 404: errorJson('no such job, or not reported yet') },
    }),
    async (c) => c.text(await jobLog(db, c.req.valid('param').id), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/testers/jobs',
      summary: 'List jobs, newest first',
      request: {
        query: z.object({
          kind: enumQuery(['series', 'range'], 'only jobs on series or on ranges'),
          subject: idQuery('subject', 'only jobs on this series or range'),
          test: textQuery('only jobs of this test'),
          status: textQuery('only jobs in this status (running, done)'),
        }),
      },
      responses: { 200: json(z.array(testerJobSchema), 'the jobs'), ...commonErrors },
    }),
    async (c) => {
      const { kind, subject, test, status } = c.req.valid('query');
      const rows = await listJobs(db, { kind, subjectId: subject, test, status });
      return c.json(await Promise.all(rows.map((r) => jobAnswer(c, r))), 200);
    },
  );

  return app;
}
