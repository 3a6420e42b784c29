/**
 * The REST API of openEuler's patch-tracking, kept answer for answer: `{code, msg, data}` envelopes with the
 * old codes and HTTP 200, so existing clients and scripts keep working. Where the old program crashed or
 * misbehaved (a string for `enabled` gave a 500, a form body a 415, an upsert without scm_commit reset the
 * progress) we answer 4001 instead and keep the envelope; a `detail` key says what was wrong.
 */
import type { Context } from 'hono';
import { Hono } from 'hono';
import type { Database } from '../db/client.js';
import type { IssueRow, TrackingRow } from '../db/schema/index.js';
import { publicUrl } from '../sources/git-url.js';
import { assertUpstreamAllowed, type UpstreamPolicy } from '../sources/upstream-policy.js';
import { deleteTrackings, listIssues, listTrackings, upsertTracking, type TrackingInput } from '../db/trackings.js';
import { guard, type Guard } from './auth-guard.js';
import type { ApiEnv } from './context.js';
import { firstIssue, toTrackingInput, trackingInputSchema } from './schemas.js';
import { trackingJson } from './v1/representations.js';

export const COMPAT_CODES = {
  SUCCESS: '2001',
  INPUT_PARAMETERS_ERROR: '4001',
  TRACKING_NOT_FOUND: '4002',
  ISSUE_NOT_FOUND: '4003',
  DELETE_DB_ERROR: '6001',
  INSERT_DATA_ERROR: '6004',
  DELETE_DB_NOT_RESULT: '6005',
} as const;

const MESSAGES: Record<string, string> = {
  '2001': 'Successful Operation!',
  '4001': 'Please enter the correct parameters',
  '4002': 'The tracking you are looking for does not exist',
  '4003': 'The issue you are looking for does not exist',
  '6001': 'Failed to delete database',
  '6004': 'Failed to insert data',
  '6005': 'The tracking you want to delete does not exist',
};

export function envelope(c: Context, code: string, data: unknown = null, detail?: string) {
  const body: Record<string, unknown> = { code, msg: MESSAGES[code], data };
  if (detail) body.detail = detail;
  return c.json(body, 200);
}

const badParameters = (c: Context, detail: string) => envelope(c, COMPAT_CODES.INPUT_PARAMETERS_ERROR, null, detail);

/** The old program's row shape first (its clients read these keys), then the engine's status. */
export function compatTracking(row: TrackingRow) {
  const { version_control, scm_repo, scm_branch, scm_commit, repo, branch, enabled, id, status, last_checked_at, last_head, last_error, next_attempt_at } = trackingJson(row);
  return { version_control, scm_repo, scm_branch, scm_commit, repo, branch, enabled, id, status, last_checked_at, last_head, last_error, next_attempt_at };
}

function compatIssue(row: IssueRow) {
  return { issue: row.issue, repo: row.repo, branch: row.branch, state: row.state, issue_url: row.issueUrl, pr_url: row.prUrl };
}

/** Query parameters: only the listed keys, each at most once. Returns an error sentence or the values. */
function readQuery(c: Context, allowed: readonly string[]): Record<string, string> | string {
  const url = new URL(c.req.url);
  const out: Record<string, string> = {};
  for (const [key, value] of url.searchParams) {
    if (!allowed.includes(key)) return `unknown query parameter: ${key} (allowed: ${allowed.join(', ')})`;
    if (key in out) return `query parameter given twice: ${key}`;
    if (value === '') return `query parameter is empty: ${key}`;
    out[key] = value;
  }
  return out;
}

function parseBool(value: string): boolean | undefined {
  const lower = value.toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : undefined;
}

/** An abbreviated scm_commit made full when the upstream answers (tracker/commit-id.ts); absent: kept as given. */
export type ResolveCommit = (input: TrackingInput) => Promise<TrackingInput>;

export function compatRoutes(db: Database, requireWrite: Guard, requireRead: Guard, upstreamPolicy: UpstreamPolicy, resolveCommit: ResolveCommit = async (input) => input) {
  const app = new Hono<ApiEnv>();

  app.get('/tracking', guard(requireRead), async (c) => {
    const query = readQuery(c, ['repo', 'branch', 'enabled']);
    if (typeof query === 'string') return badParameters(c, query);
    let enabled: boolean | undefined;
    if (query.enabled !== undefined) {
      enabled = parseBool(query.enabled);
      if (enabled === undefined) return badParameters(c, 'enabled: expected true or false');
    }
    const rows = await listTrackings(db, { repo: query.repo, branch: query.branch, enabled });
    return envelope(c, COMPAT_CODES.SUCCESS, rows.map(compatTracking));
  });

  app.post('/tracking', guard(requireWrite), async (c) => {
    const contentType = c.req.header('content-type') ?? '';
    if (!/^application\/(.+\+)?json\b/i.test(contentType)) return badParameters(c, 'the body must be JSON (Content-Type: application/json)');
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return badParameters(c, 'the body is not valid JSON');
    }
    const parsed = trackingInputSchema.safeParse(body);
    if (!parsed.success) return badParameters(c, firstIssue(parsed.error).message);
    const input = parsed.data;
    const value = toTrackingInput(input);
    await assertUpstreamAllowed(upstreamPolicy, value);
    await upsertTracking(db, await resolveCommit(value));
    // the old program echoed the request body, keys sorted (Flask's jsonify)
    const echo = Object.fromEntries(Object.entries({ ...input, scm_repo: publicUrl(input.scm_repo) }).sort(([a], [b]) => a.localeCompare(b)));
    return envelope(c, COMPAT_CODES.SUCCESS, echo);
  });

  app.delete('/tracking', guard(requireWrite), async (c) => {
    const query = readQuery(c, ['repo', 'branch']);
    if (typeof query === 'string') return badParameters(c, query);
    if (!query.repo) return badParameters(c, 'repo is required');
    const deleted = await deleteTrackings(db, query.repo, query.branch);
    if (deleted === 0) return envelope(c, COMPAT_CODES.DELETE_DB_NOT_RESULT);
    return envelope(c, COMPAT_CODES.SUCCESS);
  });

  app.get('/issue', guard(requireRead), async (c) => {
    const query = readQuery(c, ['repo', 'branch']);
    if (typeof query === 'string') return badParameters(c, query);
    const rows = await listIssues(db, { repo: query.repo, branch: query.branch });
    return envelope(c, COMPAT_CODES.SUCCESS, rows.map(compatIssue));
  });

  return app;
}
