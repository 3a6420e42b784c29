/** How rows look in /api/v1: snake_case like the old API, timestamps in ISO 8601. Schemas double as OpenAPI docs. */
import { z } from '@hono/zod-openapi';
import type { ApiTokenRow, IssueRow, TrackingRow } from '../../db/schema/index.js';
import { isScope, SCOPE_DESCRIPTIONS, SCOPES } from '../../auth/scopes.js';
import { publicUrl } from '../../sources/git-url.js';
import type { RunResult } from '../../tracker/run.js';
import type { UpstreamedReport } from '../../upstreamed/report.js';

const timestamp = z.string().nullable().openapi({ format: 'date-time' });

export const trackingSchema = z
  .object({
    id: z.number().int(),
    version_control: z.string(),
    scm_repo: z.string().openapi({ description: 'the upstream, without any credentials it was given with' }),
    scm_branch: z.string(),
    scm_commit: z.string().nullable(),
    repo: z.string(),
    branch: z.string(),
    enabled: z.boolean(),
    status: z.string().openapi({ description: 'idle, ok, queued, running, error, blocked or paused (disabled)' }),
    last_checked_at: timestamp,
    last_head: z.string().nullable(),
    last_error: z.string().nullable(),
    consecutive_failures: z.number().int(),
    next_attempt_at: timestamp,
    check: z
      .enum(['pending', 'success', 'warning', 'fail'])
      .nullable()
      .openapi({ description: "combined state of the CI checks on the newest published range (null: nothing published yet)" }),
    created_at: z.string().openapi({ format: 'date-time' }),
    updated_at: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('Tracking');

/**
 * The keys both tracking representations share, in the old program's order (its clients read these keys
 * first), then the engine's status: the compat answer as it is, the /api/v1 one with more keys after them.
 */
export function trackingCore(row: TrackingRow) {
  return {
    version_control: row.versionControl,
    scm_repo: publicUrl(row.scmRepo),
    scm_branch: row.scmBranch,
    scm_commit: row.scmCommit,
    repo: row.repo,
    branch: row.branch,
    enabled: row.enabled,
    id: row.id,
    status: row.status,
    last_checked_at: row.lastCheckedAt?.toISOString() ?? null,
    last_head: row.lastHead,
    last_error: row.lastError,
    next_attempt_at: row.nextAttemptAt?.toISOString() ?? null,
  };
}

export function trackingJson(row: TrackingRow, check: z.infer<typeof trackingSchema>['check'] = null): z.infer<typeof trackingSchema> {
  return {
    ...trackingCore(row),
    consecutive_failures: row.consecutiveFailures,
    check,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

export const issueSchema = z
  .object({
    id: z.number().int(),
    issue: z.string().openapi({ description: 'forge issue number (Gitee: I1ABCD)' }),
    repo: z.string(),
    branch: z.string(),
    tracking_id: z.number().int().nullable(),
    forge: z.string(),
    issue_url: z.string().nullable(),
    pr_number: z.string().nullable(),
    pr_url: z.string().nullable(),
    state: z.string().openapi({ description: 'open, merged, closed or rejected' }),
    range_from: z.string().nullable(),
    range_to: z.string().nullable(),
    temp_branch: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    merged_at: timestamp,
    closed_at: timestamp,
  })
  .openapi('Issue');

export function issueJson(row: IssueRow): z.infer<typeof issueSchema> {
  return {
    id: row.id,
    issue: row.issue,
    repo: row.repo,
    branch: row.branch,
    tracking_id: row.trackingId,
    forge: row.forge,
    issue_url: row.issueUrl,
    pr_number: row.prNumber,
    pr_url: row.prUrl,
    state: row.state,
    range_from: row.rangeFrom,
    range_to: row.rangeTo,
    temp_branch: row.tempBranch,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
    merged_at: row.mergedAt?.toISOString() ?? null,
    closed_at: row.closedAt?.toISOString() ?? null,
  };
}

export const tokenSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    prefix: z.string().openapi({ description: 'the first characters of the token, to recognise it' }),
    scopes: z.array(z.enum(SCOPES)).openapi({ description: 'what the token may do' }),
    user_id: z.number().int().nullable().openapi({ description: 'the user the token acts as; null: the service admin' }),
    created_at: z.string(),
    last_used_at: timestamp,
    revoked_at: timestamp,
  })
  .openapi('ApiToken');

const scopeList = SCOPES.map((s) => `\`${s}\`: ${SCOPE_DESCRIPTIONS[s]}`).join('; ');

export const tokenInputSchema = z
  .object({
    name: z.string().min(1).max(100),
    scopes: z
      .array(z.enum(SCOPES))
      .min(1)
      .openapi({ description: `what the token may do, at least one of: ${scopeList}. \`admin\` implies every scope; any scope implies \`read\`.` }),
    user: z.string().min(1).max(64).optional().openapi({ description: "a user's name: the token acts as that user (maintainer and submitter rules apply)" }),
  })
  .strict()
  .openapi('ApiTokenInput');

export function tokenJson(row: ApiTokenRow): z.infer<typeof tokenSchema> {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes.filter(isScope),
    user_id: row.userId,
    created_at: row.createdAt.toISOString(),
    last_used_at: row.lastUsedAt?.toISOString() ?? null,
    revoked_at: row.revokedAt?.toISOString() ?? null,
  };
}

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      field: z.string().optional(),
    }),
  })
  .openapi('Error');

const publishedSchema = z.object({
  range: z.string().openapi({ description: '<from>..<to> (commits), or the series name and version (mail)' }),
  commits: z.number().int(),
  issue: z.string().nullable(),
  issue_url: z.string().nullable(),
  pr: z.string().nullable(),
  pr_url: z.string().nullable(),
  resumed: z.boolean().openapi({ description: 'an earlier, interrupted run had started it' }),
});

const dryRunChunkSchema = z.object({
  range: z.string(),
  commits: z.array(z.object({ sha: z.string(), subject: z.string() })),
  patch_files: z.array(z.string()),
  spec_file: z.string().nullable(),
  spec_diff: z.string().nullable(),
  issue_title: z.string(),
  issue_body: z.string(),
  pr_title: z.string(),
  pr_body: z.string(),
  notes: z.array(z.string()),
  files: z.array(z.object({ path: z.string(), content: z.string() })).openapi({ description: "every file the PR's commit would hold, with its content" }),
});

/** What POST /trackings/{id}/scan answers: tracker/run.ts RunResult (the route's types keep the two in step). */
export const scanResultSchema = z
  .discriminatedUnion('action', [
    z.object({ action: z.literal('initialized'), head: z.string() }).openapi({ description: 'a new tracking now starts at head' }),
    z.object({ action: z.literal('up_to_date'), head: z.string() }),
    z.object({ action: z.literal('advanced'), head: z.string(), reason: z.string() }).openapi({ description: 'moved to head without publishing (only merge commits)' }),
    z.object({ action: z.literal('published'), head: z.string(), published: z.array(publishedSchema) }),
    z.object({ action: z.literal('dry_run'), head: z.string(), from: z.string(), chunks: z.array(dryRunChunkSchema) }).openapi({ description: 'what would be published (dry_run=true)' }),
  ])
  .openapi('ScanResult');

/** The engine's result as answered: typed, so a change to RunResult that the schema does not follow fails to compile. */
export function scanResultJson(result: RunResult): z.infer<typeof scanResultSchema> {
  return result;
}

const findingSchema = z.object({
  file: z.string(),
  number: z.number().int().openapi({ description: 'the Patch number in the spec' }),
  status: z.enum(['upstream', 'uncertain', 'not-upstream']),
  method: z.enum(['from-header', 'patch-id', 'reverse-apply']).nullable().openapi({ description: 'how an upstream patch was proved to be upstream' }),
  upstream_commit: z.string().nullable(),
  upstream_subject: z.string().nullable(),
  reason: z.string(),
});

/** What GET /trackings/{id}/upstreamed answers: src/upstreamed/report.ts UpstreamedReport, snake_case. */
export const upstreamedSchema = z
  .object({
    tracking: z.object({ id: z.number().int(), repo: z.string(), branch: z.string() }),
    spec: z.string().nullable(),
    version: z.string().nullable(),
    upstream: z.object({
      url: z.string(),
      branch: z.string(),
      tag: z.string().nullable().openapi({ description: 'the release tag the Version resolved to; null: compared with the branch head' }),
      commit: z.string().nullable(),
      tags_tried: z.array(z.string()),
    }),
    patches: z.array(findingSchema),
    apply_check: z
      .object({ outcome: z.enum(['clean', 'conflict']), failed: z.array(z.object({ file: z.string(), error: z.string() })) })
      .nullable()
      .openapi({ description: "the patches not upstream, applied to the upstream tree in rpm's order" }),
    notes: z.array(z.string()),
    removable: z.boolean().openapi({ description: 'a removal PR can be proposed (a tag matched, a patch is proved upstream)' }),
  })
  .openapi('UpstreamedReport');

export function upstreamedJson(r: UpstreamedReport): z.infer<typeof upstreamedSchema> {
  return {
    tracking: r.tracking,
    spec: r.spec,
    version: r.version,
    upstream: { url: r.upstream.url, branch: r.upstream.branch, tag: r.upstream.tag, commit: r.upstream.commit, tags_tried: r.upstream.tagsTried },
    patches: r.patches.map((f) => ({
      file: f.file,
      number: f.number,
      status: f.status,
      method: f.method ?? null,
      upstream_commit: f.upstreamCommit ?? null,
      upstream_subject: f.upstreamSubject ?? null,
      reason: f.reason,
    })),
    apply_check: r.applyCheck,
    notes: r.notes,
    removable: r.removable,
  };
}
