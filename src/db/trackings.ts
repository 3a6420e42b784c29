/** Queries over the tracking and issue tables, shared by the compat API, /api/v1, the CLI commands and the engine. */
import { and, asc, desc, eq, getTableColumns, gt, inArray, isNotNull, or, sql, type SQL } from 'drizzle-orm';
import { contains } from '../patchwork/listing.js';
import type { Database } from './client.js';
import { rowsOf } from './rows.js';
import { issue, publication, tracking, type IssueRow, type PublicationRow, type TrackingRow } from './schema/index.js';

export interface TrackingFilter {
  repo?: string;
  branch?: string;
  enabled?: boolean;
  versionControl?: string;
  status?: string;
  /** a substring of the target repo or branch, or of the upstream's URL or branch (any case) */
  q?: string;
}

export interface Page {
  limit: number;
  /** rows with id greater than this (keyset pagination: stable under concurrent inserts) */
  afterId?: number;
}

export interface TrackingInput {
  versionControl: string;
  scmRepo: string;
  scmBranch: string;
  /** undefined = keep what is stored (or start from the head for a new tracking); null = reset */
  scmCommit?: string | null;
  repo: string;
  branch: string;
  enabled: boolean;
}

export type UpsertOutcome = 'created' | 'updated' | 'unchanged';

function trackingConditions(filter: TrackingFilter): SQL | undefined {
  const conditions: SQL[] = [];
  if (filter.repo !== undefined) conditions.push(eq(tracking.repo, filter.repo));
  if (filter.branch !== undefined) conditions.push(eq(tracking.branch, filter.branch));
  if (filter.enabled !== undefined) conditions.push(eq(tracking.enabled, filter.enabled));
  if (filter.versionControl !== undefined) conditions.push(eq(tracking.versionControl, filter.versionControl));
  if (filter.status !== undefined) conditions.push(eq(tracking.status, filter.status));
  if (filter.q) {
    const q = filter.q;
    conditions.push(or(...[tracking.repo, tracking.branch, tracking.scmRepo, tracking.scmBranch].map((column) => contains(column, q)))!);
  }
  return conditions.length ? and(...conditions) : undefined;
}

// The (repo, branch) lookup is the hot path of the old API (every CLI query and upsert): a prepared
// statement per database skips rebuilding its SQL on every request.
const byRepoBranch = new WeakMap<Database, ReturnType<typeof prepareByRepoBranch>>();
function prepareByRepoBranch(db: Database) {
  return db
    .select()
    .from(tracking)
    .where(and(eq(tracking.repo, sql.placeholder('repo')), eq(tracking.branch, sql.placeholder('branch'))))
    .prepare('tracking_by_repo_branch');
}

export async function listTrackings(db: Database, filter: TrackingFilter = {}, page?: Page): Promise<TrackingRow[]> {
  const { repo, branch, ...rest } = filter;
  if (repo !== undefined && branch !== undefined && !page && Object.values(rest).every((v) => v === undefined)) {
    let prepared = byRepoBranch.get(db);
    if (!prepared) byRepoBranch.set(db, (prepared = prepareByRepoBranch(db)));
    return prepared.execute({ repo, branch });
  }
  const where = and(trackingConditions(filter), page?.afterId !== undefined ? gt(tracking.id, page.afterId) : undefined);
  const query = db.select().from(tracking).where(where).orderBy(asc(tracking.id));
  return page ? query.limit(page.limit) : query;
}

/**
 * A token that changes whenever a tracking row is inserted, updated or deleted, read from the database so
 * that replicas (and commands) sharing one server agree on it. Every row a transaction writes carries that
 * transaction's id as `xmin`, larger than any id already in the table: with the row count unchanged, the sum
 * of the xmins strictly grows, so (count, sum) never repeats (until 32-bit transaction ids wrap around, some
 * four billion transactions later). One scan of a narrow column: a few ms at 10,000 rows.
 */
export async function trackingsVersion(db: Database): Promise<string> {
  const [row] = rowsOf<{ n: string; s: string }>(await db.execute(sql`select count(*)::text as n, coalesce(sum(xmin::text::bigint), 0)::text as s from ${tracking}`));
  return `${row?.n}.${row?.s}`;
}

/** The ranges a tracking published (or is publishing), newest first. */
export async function listPublishedRanges(db: Database, trackingId: number): Promise<PublicationRow[]> {
  return db.select().from(publication).where(eq(publication.trackingId, trackingId)).orderBy(desc(publication.id));
}

export async function getTracking(db: Database, id: number): Promise<TrackingRow | undefined> {
  const [row] = await db.select().from(tracking).where(eq(tracking.id, id));
  return row;
}

export async function findTracking(db: Database, repo: string, branch: string): Promise<TrackingRow | undefined> {
  const [row] = await db.select().from(tracking).where(and(eq(tracking.repo, repo), eq(tracking.branch, branch)));
  return row;
}

/**
 * The upsert statement, prepared once per database and variant (keeping or setting scm_commit): an upsert is
 * one round trip, and neither drizzle nor the server builds or parses its SQL again.
 */
function prepareUpsert(db: Database, keepCommit: boolean) {
  const excluded = (column: string) => sql.raw(`excluded.${column}`);
  const changed = sql`${tracking.versionControl} is distinct from ${excluded('version_control')}
    or ${tracking.scmRepo} is distinct from ${excluded('scm_repo')}
    or ${tracking.scmBranch} is distinct from ${excluded('scm_branch')}
    or ${tracking.enabled} is distinct from ${excluded('enabled')}
    ${keepCommit ? sql`` : sql`or ${tracking.scmCommit} is distinct from ${excluded('scm_commit')}`}`;
  const value = (name: string) => sql.placeholder(name);
  return db
    .insert(tracking)
    .values({
      versionControl: value('versionControl'),
      scmRepo: value('scmRepo'),
      scmBranch: value('scmBranch'),
      scmCommit: value('scmCommit'),
      repo: value('repo'),
      branch: value('branch'),
      enabled: value('enabled'),
      status: value('status'),
    })
    .onConflictDoUpdate({
      target: [tracking.repo, tracking.branch],
      set: {
        versionControl: excluded('version_control'),
        scmRepo: excluded('scm_repo'),
        scmBranch: excluded('scm_branch'),
        enabled: excluded('enabled'),
        status: sql`case when excluded.enabled then (case when ${tracking.status} = 'paused' then 'idle' else ${tracking.status} end) else 'paused' end`,
        ...(keepCommit ? {} : { scmCommit: excluded('scm_commit'), lastError: null, consecutiveFailures: 0, nextAttemptAt: null }),
        updatedAt: sql`now()`,
      },
      setWhere: changed,
    })
    .returning({ ...getTableColumns(tracking), inserted: sql<boolean>`(xmax = 0)` })
    .prepare(keepCommit ? 'tracking_upsert_keep_commit' : 'tracking_upsert');
}
const upserts = new WeakMap<Database, { keep: ReturnType<typeof prepareUpsert>; set: ReturnType<typeof prepareUpsert> }>();

/**
 * Insert or update on (repo, branch). Omitting scmCommit keeps the stored progress (the old program reset it);
 * changing nothing leaves updated_at alone and reports 'unchanged', so re-running an import is a no-op.
 */
export async function upsertTracking(db: Database, input: TrackingInput): Promise<{ row: TrackingRow; outcome: UpsertOutcome }> {
  let prepared = upserts.get(db);
  if (!prepared) upserts.set(db, (prepared = { keep: prepareUpsert(db, true), set: prepareUpsert(db, false) }));
  const keepCommit = input.scmCommit === undefined;
  const rows = await (keepCommit ? prepared.keep : prepared.set).execute({
    versionControl: input.versionControl,
    scmRepo: input.scmRepo,
    scmBranch: input.scmBranch,
    scmCommit: input.scmCommit ?? null,
    repo: input.repo,
    branch: input.branch,
    enabled: input.enabled,
    status: input.enabled ? 'idle' : 'paused',
  });
  const written = rows[0];
  if (written) {
    const { inserted, ...row } = written;
    return { row, outcome: inserted ? 'created' : 'updated' };
  }
  const row = await findTracking(db, input.repo, input.branch);
  if (!row) throw new Error('upsert returned no row');
  return { row, outcome: 'unchanged' };
}

export type TrackingPatch = Partial<Omit<TrackingInput, 'repo' | 'branch'>> & { repo?: string; branch?: string };

export async function updateTracking(db: Database, id: number, patch: TrackingPatch): Promise<TrackingRow | undefined> {
  const set: Partial<typeof tracking.$inferInsert> = { ...patch, updatedAt: new Date() };
  if (patch.scmCommit !== undefined) Object.assign(set, { lastError: null, consecutiveFailures: 0, nextAttemptAt: null });
  if (patch.enabled === true) Object.assign(set, { nextAttemptAt: null, status: sql`case when ${tracking.status} = 'paused' then 'idle' else ${tracking.status} end` });
  if (patch.enabled === false) Object.assign(set, { status: 'paused' });
  const [row] = await db.update(tracking).set(set).where(eq(tracking.id, id)).returning();
  return row;
}

/** Delete one branch's tracking, or every branch of the repo when branch is omitted. Returns how many went. */
export async function deleteTrackings(db: Database, repo: string, branch?: string): Promise<number> {
  const where = branch === undefined ? eq(tracking.repo, repo) : and(eq(tracking.repo, repo), eq(tracking.branch, branch));
  const rows = await db.delete(tracking).where(where).returning({ id: tracking.id });
  return rows.length;
}

export async function deleteTrackingById(db: Database, id: number): Promise<boolean> {
  const rows = await db.delete(tracking).where(eq(tracking.id, id)).returning({ id: tracking.id });
  return rows.length > 0;
}

export interface IssueFilter {
  repo?: string;
  branch?: string;
  state?: string;
  trackingId?: number;
  /** issues of any of these trackings */
  trackingIds?: number[];
  /** only issues whose PR was opened */
  withPull?: boolean;
}

function issueConditions(filter: IssueFilter): SQL[] {
  const conditions: SQL[] = [];
  if (filter.repo !== undefined) conditions.push(eq(issue.repo, filter.repo));
  if (filter.branch !== undefined) conditions.push(eq(issue.branch, filter.branch));
  if (filter.state !== undefined) conditions.push(eq(issue.state, filter.state));
  if (filter.trackingId !== undefined) conditions.push(eq(issue.trackingId, filter.trackingId));
  if (filter.trackingIds !== undefined) conditions.push(filter.trackingIds.length ? inArray(issue.trackingId, filter.trackingIds) : sql`false`);
  if (filter.withPull) conditions.push(or(isNotNull(issue.prUrl), isNotNull(issue.prNumber))!);
  return conditions;
}

export async function listIssues(db: Database, filter: IssueFilter = {}, page?: Page): Promise<IssueRow[]> {
  const conditions = issueConditions(filter);
  if (page?.afterId !== undefined) conditions.push(gt(issue.id, page.afterId));
  const query = db.select().from(issue).where(conditions.length ? and(...conditions) : undefined).orderBy(asc(issue.id));
  return page ? query.limit(page.limit) : query;
}

export async function countIssues(db: Database, filter: IssueFilter = {}): Promise<number> {
  const conditions = issueConditions(filter);
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(issue).where(conditions.length ? and(...conditions) : undefined);
  return row?.n ?? 0;
}

export async function getIssue(db: Database, id: number): Promise<IssueRow | undefined> {
  const [row] = await db.select().from(issue).where(eq(issue.id, id));
  return row;
}
