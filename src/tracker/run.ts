/**
 * One tracking, start to end, whatever its source (github, git, a mailing list): where is the upstream
 * now, what is new since scm_commit (the source splits it into PRs: consecutive ranges of at most
 * MAX_PATCHES_PER_PR commits for a history, one PR per complete series for a list), and publish it.
 * A dry run stops before the first write.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { issue, tracking, type PublicationRow, type TrackingRow } from '../db/schema/index.js';
import { AppError, errorMessage } from '../errors.js';
import { localTargetReadOnly } from '../forges/local.js';
import type { Forges } from '../forges/resolve.js';
import type { FileWrite } from '../forges/types.js';
import type { Logger } from '../log.js';
import { withFullCommit } from './commit-id.js';
import { planPublication, publishRange, type PublishOptions } from '../publish/publish.js';
import * as texts from '../publish/texts.js';
import { historyRanges, type PendingWork, type PublishRange, type Source, type TrackedUpstream, type UpstreamCommit } from '../sources/types.js';

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
  /** every file the PR's commit would hold (patch files, then the edited spec), with its content */
  files: FileWrite[];
}

export type RunResult =
  | { action: 'initialized'; head: string }
  | { action: 'up_to_date'; head: string }
  | { action: 'advanced'; head: string; reason: string }
  | { action: 'published'; head: string; published: PublishedSummary[] }
  | { action: 'dry_run'; head: string; from: string; chunks: DryRunChunk[] };

export function upstreamOf(t: TrackingRow): TrackedUpstream {
  return { id: t.id, versionControl: t.versionControl, scmRepo: t.scmRepo, scmBranch: t.scmBranch, scmCommit: t.scmCommit };
}

export function sourceFor(deps: Pick<RunDeps, 'sources' | 'unavailable'>, t: TrackingRow): Source {
  const source = deps.sources[t.versionControl];
  if (source) return source;
  throw new AppError('source_unavailable', deps.unavailable[t.versionControl] ?? `version_control "${t.versionControl}" is not supported`);
}

async function currentHead(source: Source, t: TrackingRow): Promise<string> {
  const result = (await source.heads([upstreamOf(t)])).get(t.id);
  // the upstream's failure, not the request's: an on-demand scan answers 502 (http/status.ts), never 400
  if (!result) throw new AppError('upstream_error', `no answer for the head of ${t.scmRepo} ${t.scmBranch}`);
  if ('error' in result) throw new AppError(result.code ?? 'upstream_error', result.error);
  return result.sha;
}

export async function runTracking(deps: RunDeps, t: TrackingRow, options: { dryRun?: boolean; head?: string } = {}): Promise<RunResult> {
  const source = sourceFor(deps, t);
  // 0. An abbreviated scm_commit becomes the full id (a range and its markers name full ids).
  t = await withFullCommit(deps.db, source, t, options);
  // 0. A new tracking of a source with its own starting point (a list: the add time) starts there.
  if (!t.scmCommit && source.start) {
    const start = await source.start(upstreamOf(t));
    if (!options.dryRun) await moveTo(deps.db, t, start);
    t = { ...t, scmCommit: start };
  }
  // 1. Where the upstream is now.
  const head = options.head ?? (await currentHead(source, t));
  await recordHead(deps.db, t, head);
  // 2. Any other new tracking starts from the current head, publishing nothing (as the old program did).
  if (!t.scmCommit) {
    if (!options.dryRun) await moveTo(deps.db, t, head);
    return { action: 'initialized', head };
  }
  if (t.scmCommit === head) return { action: 'up_to_date', head };
  // 3. What is new, split into PRs (a git range refuses to walk past a force-push).
  const work = await newWork(source, t, head, deps.maxPatchesPerPr);
  if (work.ranges.length === 0) {
    if (!options.dryRun) await moveTo(deps.db, t, head);
    return { action: 'advanced', head, reason: 'only merge commits since the last processed commit' };
  }
  // 4. A dry run shows what each PR would be and writes nothing.
  if (options.dryRun) return { action: 'dry_run', head, from: t.scmCommit, chunks: await dryRun(deps, t, work.ranges) };
  // 5. Publish every range, exactly once each.
  return { action: 'published', head, published: await publishAll(deps, t, work) };
}

async function recordHead(db: Database, t: TrackingRow, head: string): Promise<void> {
  await db.update(tracking).set({ lastHead: head, lastCheckedAt: sql`now()` }).where(eq(tracking.id, t.id));
}

async function moveTo(db: Database, t: TrackingRow, position: string): Promise<void> {
  await db.update(tracking).set({ scmCommit: position, updatedAt: sql`now()` }).where(eq(tracking.id, t.id));
}

async function newWork(source: Source, t: TrackingRow, head: string, maxPerRange: number): Promise<PendingWork> {
  const from = t.scmCommit!;
  if (source.pending) return source.pending(upstreamOf(t), from, head, maxPerRange);
  return historyRanges(await source.range(upstreamOf(t), from, head), from, head, maxPerRange);
}

/**
 * Each range through publish/publish.ts (or, for a lone stacked range, into the open PR when the lifecycle
 * extends it). Stacked ranges build on the previous range's branch; each new publication goes to the
 * lifecycle's hook, and a range that replaces an earlier one tells that one's issue and PR.
 */
async function publishAll(deps: RunDeps, t: TrackingRow, work: PendingWork): Promise<PublishedSummary[]> {
  const repo = deps.forges.resolve(t.repo);
  // before the first write (the publication row): a local target only ever serves dry runs
  if (repo.forge === 'local') throw localTargetReadOnly(repo);
  const forge = deps.forges.forRepo(repo);
  const published: PublishedSummary[] = [];
  let current = t;
  let base = t.branch;
  for (const range of work.ranges) {
    const extended = work.stacked && work.ranges.length === 1 ? await deps.hooks?.extendOpen?.(current, range) : null;
    const { publication: p, created } = extended
      ? { publication: extended, created: true }
      : await publishRange({ db: deps.db, forge, repo, options: deps.publish, logger: deps.logger, now: deps.now }, current, range.from, range.to, range.commits, base);
    if (created) await afterPublished(deps, current, p);
    if (range.supersedes && p.prUrl) await supersede(deps, t, range.supersedes, p.prUrl);
    published.push({
      range: range.label ?? `${range.from}..${range.to}`,
      commits: range.commits.length,
      issue: p.issueId,
      issue_url: p.issueUrl,
      pr: p.prNumber,
      pr_url: p.prUrl,
      resumed: !created,
    });
    if (work.stacked) {
      base = p.tempBranch;
      current = { ...current, scmCommit: range.to };
    }
    await deps.heartbeat?.();
  }
  return published;
}

/** The lifecycle's hook (apply check, CI) after a new publication; its failure is logged, never fails the run. */
async function afterPublished(deps: RunDeps, t: TrackingRow, p: PublicationRow): Promise<void> {
  await deps.hooks?.onPublished?.(t, p).catch((err: unknown) =>
    deps.logger.warn({ tracking: t.id, publication: p.id, err: errorMessage(err) }, 'after-publish hook failed'),
  );
}

/** Tell the open issue and PR of the range a new one replaces (once: the issue is then marked superseded). */
async function supersede(deps: RunDeps, t: TrackingRow, replaced: NonNullable<PublishRange['supersedes']>, newPrUrl: string): Promise<void> {
  const [old] = await deps.db
    .select()
    .from(issue)
    .where(and(eq(issue.trackingId, t.id), eq(issue.rangeFrom, replaced.rangeFrom), eq(issue.state, 'open')));
  if (!old) return;
  const repo = deps.forges.resolve(t.repo);
  const forge = deps.forges.forRepo(repo);
  const note = `Superseded by ${replaced.by}: ${newPrUrl}`;
  if (old.prNumber) await forge.comment(repo, { kind: 'pull', id: old.prNumber }, note);
  await forge.comment(repo, { kind: 'issue', id: old.issue }, note);
  await deps.db.update(issue).set({ state: 'superseded', updatedAt: sql`now()` }).where(eq(issue.id, old.id));
}

async function dryRun(deps: RunDeps, t: TrackingRow, ranges: PublishRange[]): Promise<DryRunChunk[]> {
  const repo = deps.forges.resolve(t.repo);
  const forge = deps.forges.forRepo(repo);
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
      files: plan.files,
    });
  }
  return out;
}
