/**
 * The tester API (Patchew's model): POST /api/v1/testers/claim hands out the next untested series or
 * published range matching the tester's capabilities, POST /api/v1/testers/jobs/{id}/report records the
 * result and log (which become checks). A tester authenticates with an API token (or Basic); its
 * principal (token:<name>) is who holds the lease and who the checks are from.
 */
import { z } from '@hono/zod-openapi';
import { Hono, type Context } from 'hono';
import type { Database } from '../../db/client.js';
import type { TesterJobRow } from '../../db/schema/index.js';
import { AppError } from '../../errors.js';
import { guardByMethod, type Guard } from '../auth-guard.js';
import type { ApiEnv } from '../context.js';
import { parseOrThrow } from '../schemas.js';
import { intParam } from '../patchwork/filters.js';
import { originOf } from '../../http/request.js';
import { CI_HANDLER_TEST } from '../../ci/publish-hook.js';
import { claimJob, findJob, jobLog, jobSubject, listJobs, reportJob, type JobSubject } from '../../testers/service.js';
import { publicUrl } from '../../sources/git-url.js';

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
    test: slug.refine((v) => v !== CI_HANDLER_TEST, `'${CI_HANDLER_TEST}' is the CI handler's own test name`),
    kinds: z.array(z.enum(['series', 'range'])).min(1).max(2).default(['series', 'range']),
    projects: z.array(glob).max(100).default([]),
    repos: z.array(glob).max(100).default([]),
    lease_seconds: z.number().int().min(10).max(7 * 24 * 3600).default(3600),
  })
  .strict();

const reportSchema = z
  .object({
    result: z.enum(['success', 'warning', 'fail'], { message: 'expected success, warning or fail' }),
    log: z.string().max(16 * 1024 * 1024).default(''),
    description: z.string().max(4000).optional(),
  })
  .strict();


async function jsonBody(c: C): Promise<unknown> {
  return c.req.json().catch(() => {
    throw new AppError('invalid_request', 'the body is not valid JSON', { field: 'body' });
  });
}

/** What the tester needs to run the test: where the code is, base and head, where the patches are. */
function jobJson(c: C, job: TesterJobRow, subject: JobSubject): Record<string, unknown> {
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

export function testerRoutes(deps: TesterDeps): Hono<ApiEnv> {
  const { db } = deps;
  const app = new Hono<ApiEnv>();
  app.use('/api/v1/testers/*', guardByMethod(deps.requireRead, deps.requireWrite));

  const jobAnswer = async (c: C, job: TesterJobRow) => jobJson(c, job, await jobSubject(db, job));

  app.post('/api/v1/testers/claim', async (c) => {
    const input = parseOrThrow(claimSchema, await jsonBody(c));
    const tester = c.get('principal') ?? 'anonymous';
    const job = await claimJob(db, tester, { test: input.test, kinds: input.kinds, projects: input.projects, repos: input.repos, leaseSeconds: input.lease_seconds });
    if (!job) return c.body(null, 204);
    return c.json(await jobAnswer(c, job), 200);
  });

  const jobId = (c: C) => {
    const v = c.req.param('id') ?? '';
    if (!/^\d{1,9}$/.test(v)) throw new AppError('invalid_request', 'id: expected a numeric id', { field: 'id' });
    return Number(v);
  };

  app.post('/api/v1/testers/jobs/:id/report', async (c) => {
    const id = jobId(c);
    const input = parseOrThrow(reportSchema, await jsonBody(c));
    const tester = c.get('principal') ?? 'anonymous';
    const done = await reportJob(db, id, tester, { result: input.result, log: input.log, description: input.description, targetUrl: `${originOf(c)}/api/v1/testers/jobs/${id}/log` });
    return c.json(await jobAnswer(c, done), 200);
  });

  app.get('/api/v1/testers/jobs/:id', async (c) => {
    const job = await findJob(db, jobId(c));
    return c.json(await jobAnswer(c, job));
  });

  app.get('/api/v1/testers/jobs/:id/log', async (c) => c.text(await jobLog(db, jobId(c))));

  app.get('/api/v1/testers/jobs', async (c) => {
    const kind = c.req.query('kind') || undefined;
    if (kind !== undefined && kind !== 'series' && kind !== 'range') throw new AppError('invalid_request', 'kind: expected series or range', { field: 'kind' });
    const rows = await listJobs(db, { kind, subjectId: intParam(c, 'subject'), test: c.req.query('test') || undefined, status: c.req.query('status') || undefined });
    return c.json(await Promise.all(rows.map((r) => jobAnswer(c, r))));
  });

  return app;
}
