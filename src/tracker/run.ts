/**
 * One tracking, start to end: where is the upstream now, what is new since scm_commit, and publish it
 * (in PRs of at most MAX_PATCHES_PER_PR commits, oldest first). A dry run stops before the first write.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { issue, tracking, type PublicationRow, type TrackingRow } from '../db/schema/index.js';
import { AppError, errorMessage } from '../errors.js';
import type { Forges } from '../forges/resolve.js';
import type { Logger } from '../log.js';
import { planPublication, publishRange, type PublishOptions } from '../publish/publish.js';
import * as texts from '../publish/texts.js';
import { latestSeriesId, pendingSeries } from '../sources/mail.js';
import type { Source, TrackedUpstream, UpstreamCommit } from '../sources/types.js';

export interface RunDeps {
  db: Database;
  logger: Logger;
  forges: Forges;
  /** sources by version_control; a missing one is explained by `unavailable` */
  sources: Partial<Record<string, Source>>;
  unavailable: Partial<Record<string, string>>;
  publish: PublishOptions;
  maxPatchesPerPr: number;
  now?: () => Date;
  /** called between PRs so a long run keeps its lease */
  heartbeat?: () => Promise<void>;
  hooks?: RunHooks;
}

/** Where the lifecycle (src/lifecycle, src/verify) joins a run. */
export interface RunHooks {
  /** publish a single-PR range by extending the tracking's open PR instead (UPDATE_OPEN_PR); null: publish as usual */
  extendOpen?(t: TrackingRow, range: { from: string; to: string; commits: UpstreamCommit[] }): Promise<PublicationRow | null>;
  /** after a range was published (or an open PR extended); a failure here is logged, never fails the run */
  onPublished?(t: TrackingRow, publication: PublicationRow): Promise<void>;
}

export interface PublishedSummary {
  range: string;
  commits: number;
  issue: string | null;
  issue_url: string | null;
  pr: string | null;
  pr_url: string | null;
  resumed: boolean;
}

export interface DryRunChunk {
  range: string;
  commits: { sha: string; subject: string }[];
  patch_files: string[];
  spec_file: string | null;
  spec_diff: string | null;
  issue_title: string;
  issue_body: string;
  pr_title: string;
  pr_body: string;
  notes: string[];
}

export type RunResult =
  | { action: 'initialized'; head: string }
  | { action: 'up_to_date'; head: string }
  | { action: 'advanced'; head: string; reason: string }
  | { action: 'published'; head: string; published: PublishedSummary[] }
  | { action: 'dry_run'; head: string; from: string; chunks: DryRunChunk[] };

export function upstreamOf(t: TrackingRow): TrackedUpstream {
  return { id: t.id, versionControl: t.versionControl, scmRepo: t.scmRepo, scmBranch: t.scmBranch };
}

export function sourceFor(deps: Pick<RunDeps, 'sources' | 'unavailable'>, t: TrackingRow): Source {
  const source = deps.sources[t.versionControl];
  if (source) return source;
  throw new AppError('source_unavailable', deps.unavailable[t.versionControl] ?? `version_control "${t.versionControl}" is not supported`);
}

async function currentHead(source: Source, t: TrackingRow): Promise<string> {
  const result = (await source.heads([upstreamOf(t)])).get(t.id);
  if (!result) throw new AppError('upstream_error', `no answer for the head of ${t.scmRepo} ${t.scmBranch}`);
  if ('error' in result) throw new AppError('upstream_error', result.error);
  return result.sha;
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export async function runTracking(deps: RunDeps, t: TrackingRow, options: { dryRun?: boolean; head?: string } = {}): Promise<RunResult> {
  if (t.versionControl === 'mail') return runMailTracking(deps, t, options);
  const source = sourceFor(deps, t);
  const head = options.head ?? (await currentHead(source, t));
  await deps.db.update(tracking).set({ lastHead: head, lastCheckedAt: sql`now()` }).where(eq(tracking.id, t.id));

  // 1. A new tracking starts from the current head, publishing nothing (as the old program did).
  if (!t.scmCommit) {
    if (options.dryRun) return { action: 'initialized', head };
    await deps.db.update(tracking).set({ scmCommit: head, updatedAt: sql`now()` }).where(eq(tracking.id, t.id));
    return { action: 'initialized', head };
  }
  if (t.scmCommit === head) return { action: 'up_to_date', head };

  // 2. What is new, oldest first (merges skipped); refuses to walk past a force-push.
  const commits = await source.range(upstreamOf(t), t.scmCommit, head);
  if (commits.length === 0) {
    if (!options.dryRun) await deps.db.update(tracking).set({ scmCommit: head, updatedAt: sql`now()` }).where(eq(tracking.id, t.id));
    return { action: 'advanced', head, reason: 'only merge commits since the last processed commit' };
  }

  // 3. Successive ranges of at most MAX_PATCHES_PER_PR commits; the last one ends at the head itself.
  const chunks = chunk(commits, deps.maxPatchesPerPr);
  const ranges = chunks.map((list, i) => ({
    from: i === 0 ? t.scmCommit! : chunks[i - 1]!.at(-1)!.sha,
    to: i === chunks.length - 1 ? head : list.at(-1)!.sha,
    commits: list,
  }));

  const repo = deps.forges.resolve(t.repo);
  const forge = deps.forges.forRepo(repo);
  if (options.dryRun) return { action: 'dry_run', head, from: t.scmCommit, chunks: await dryRun(deps, t, ranges, forge, repo) };

  const published: PublishedSummary[] = [];
  let current = t;
  let base = t.branch;
  for (const range of ranges) {
    const extended = ranges.length === 1 ? await deps.hooks?.extendOpen?.(current, range) : null;
    const { publication: p, created } = extended
      ? { publication: extended, created: true }
      : await publishRange(
          { db: deps.db, forge, repo, options: deps.publish, logger: deps.logger, now: deps.now },
          current,
          range.from,
          range.to,
          range.commits,
          base,
        );
    if (created) await afterPublished(deps, current, p);
    base = p.tempBranch;
    published.push({
      range: `${range.from}..${range.to}`,
      commits: range.commits.length,
      issue: p.issueId,
      issue_url: p.issueUrl,
      pr: p.prNumber,
      pr_url: p.prUrl,
      resumed: !created,
    });
    current = { ...current, scmCommit: range.to };
    await deps.heartbeat?.();
  }
  return { action: 'published', head, published };
}

/** The lifecycle's hook (apply check, CI) after a new publication; its failure is logged, never fails the run. */
async function afterPublished(deps: RunDeps, t: TrackingRow, p: PublicationRow): Promise<void> {
  await deps.hooks?.onPublished?.(t, p).catch((err: unknown) =>
    deps.logger.warn({ tracking: t.id, publication: p.id, err: errorMessage(err) }, 'after-publish hook failed'),
  );
}

/**
 * A mail tracking: every complete series on the list since the tracking started becomes one PR (one per
 * series version, exactly once, through the same publishing steps). A new version comments on the PR and
 * issue of the version it replaces.
 */
async function runMailTracking(deps: RunDeps, t: TrackingRow, options: { dryRun?: boolean }): Promise<RunResult> {
  if (!t.scmCommit) {
    const latest = await latestSeriesId(deps.db, t);
    if (!options.dryRun) await deps.db.update(tracking).set({ scmCommit: latest, lastHead: latest, updatedAt: sql`now()` }).where(eq(tracking.id, t.id));
    return { action: 'initialized', head: latest };
  }
  const pending = await pendingSeries(deps.db, t);
  const head = pending.length ? `s${pending.at(-1)!.seriesId}` : t.scmCommit;
  if (pending.length === 0) return { action: 'up_to_date', head };
  const repo = deps.forges.resolve(t.repo);
  const forge = deps.forges.forRepo(repo);
  if (options.dryRun) return { action: 'dry_run', head, from: t.scmCommit, chunks: await dryRun(deps, t, pending, forge, repo) };
  const published: PublishedSummary[] = [];
  for (const series of pending) {
    const { publication: p, created } = await publishRange(
      { db: deps.db, forge, repo, options: deps.publish, logger: deps.logger, now: deps.now },
      t,
      series.from,
      series.to,
      series.commits,
    );
    if (created) await afterPublished(deps, t, p);
    published.push({ range: `${series.name} (v${series.version})`, commits: series.commits.length, issue: p.issueId, issue_url: p.issueUrl, pr: p.prNumber, pr_url: p.prUrl, resumed: !created });
    if (series.previousVersionId !== null && p.prUrl) await supersede(deps, t, series.previousVersionId, p.prUrl, series.version);
    await deps.heartbeat?.();
  }
  return { action: 'published', head, published };
}

/** Tell the PR and issue of an earlier version of a series that a newer one replaces them (once). */
async function supersede(deps: RunDeps, t: TrackingRow, previousSeriesId: number, newPrUrl: string, version: number): Promise<void> {
  const [old] = await deps.db
    .select()
    .from(issue)
    .where(and(eq(issue.trackingId, t.id), eq(issue.rangeFrom, `s${previousSeriesId}`), eq(issue.state, 'open')));
  if (!old) return;
  const repo = deps.forges.resolve(t.repo);
  const forge = deps.forges.forRepo(repo);
  const note = `Superseded by version ${version} of this series: ${newPrUrl}`;
  if (old.prNumber) await forge.comment(repo, { kind: 'pull', id: old.prNumber }, note);
  await forge.comment(repo, { kind: 'issue', id: old.issue }, note);
  await deps.db.update(issue).set({ state: 'superseded', updatedAt: sql`now()` }).where(eq(issue.id, old.id));
}

async function dryRun(
  deps: RunDeps,
  t: TrackingRow,
  ranges: { from: string; to: string; commits: UpstreamCommit[] }[],
  forge: ReturnType<Forges['forRepo']>,
  repo: ReturnType<Forges['resolve']>,
): Promise<DryRunChunk[]> {
  const now = deps.now?.() ?? new Date();
  const out: DryRunChunk[] = [];
  // later chunks would stack on the earlier ones' branches, which a dry run doesn't create: their spec
  // diffs are computed against the target branch and the notes say so
  for (const [index, range] of ranges.entries()) {
    const plan = await planPublication({ forge, repo, options: deps.publish }, t, range.from, range.to, range.commits, now, t.branch);
    if (index > 0) plan.notes.push('dry run: this PR would stack on the previous one; its spec diff is shown against the target branch');
    out.push({
      range: `${range.from}..${range.to}`,
      commits: range.commits.map((c) => ({ sha: c.sha, subject: c.subject })),
      patch_files: plan.patchFiles,
      spec_file: plan.specPath,
      spec_diff: plan.specDiff,
      issue_title: texts.issueTitle(plan.description),
      issue_body: texts.issueBody(plan.description),
      pr_title: texts.pullTitle(plan.description),
      pr_body: texts.pullBody(plan.description, forge.issueReference('<issue>')),
      notes: plan.notes,
    });
  }
  return out;
}
