/**
 * Publishing one upstream range, exactly once: a list of idempotent steps over a persisted publication
 * record. Each step first looks for its own earlier result (the deterministic branch, the patch file on
 * it, the issue's hidden marker, the PR by head branch), so a run after any failure or crash continues
 * where the last one stopped. scm_commit advances, and the issue row is written, in one transaction once
 * the PR exists.
 *
 *   1. plan      the publication row (unique per tracking and range)
 *   2. branch    the temp branch from the target branch
 *   3. files     all patch files and the spec edit, in one commit
 *   4. issue     the issue for the maintainer
 *   5. pull      the PR, linked to the issue
 *   6. record    issue row + scm_commit + done, atomically
 */
import { createTwoFilesPatch } from 'diff';
import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { issue, publication, tracking, type PublicationRow, type PublishedCommit, type TrackingRow } from '../db/schema/index.js';
import type { FileChange, FileWrite, Forge, ForgeIssue, ForgeRepo } from '../forges/types.js';
import type { Logger } from '../log.js';
import { validatePatch, type PatchCommit } from '../patches/format.js';
import { planPublication as planFiles } from '../patches/format.js';
import type { SpecEditMode } from '../patches/spec.js';
import type { UpstreamCommit } from '../sources/types.js';
import * as texts from './texts.js';

export interface PublishOptions {
  specEdit: SpecEditMode;
  patchDir?: string;
  botName: string;
  botEmail: string;
  /** where GitHub's pages are (forgeBases), for compare links of github upstreams; default github.com */
  githubWebUrl?: string;
}

export interface PublishContext {
  db: Database;
  forge: Forge;
  repo: ForgeRepo;
  options: PublishOptions;
  logger: Logger;
  now?: () => Date;
}

/** What a range will look like once published: the files and texts, computed without writing anything. */
export interface PublicationPlan {
  files: FileWrite[];
  patchFiles: string[];
  specPath: string | null;
  specDiff: string | null;
  notes: string[];
  description: texts.RangeDescription;
}

export const STEPS = ['planned', 'branch', 'files', 'issue', 'pr', 'done'] as const;
type Step = (typeof STEPS)[number];
const reached = (row: PublicationRow, step: Step) => STEPS.indexOf(row.step as Step) >= STEPS.indexOf(step);

/** What the publication row keeps of an upstream commit (no patch text: it is on the branch). */
export function toPublished(commit: UpstreamCommit): PublishedCommit {
  return { sha: commit.sha, subject: commit.subject, message: commit.message, authorName: commit.authorName, authorDate: commit.authorDate, url: commit.url };
}

export function describeRange(
  t: TrackingRow,
  from: string,
  to: string,
  commits: PublishedCommit[],
  patchFiles: string[],
  stamp: string,
  notes: string[],
  options: Pick<PublishOptions, 'githubWebUrl'> = {},
): texts.RangeDescription {
  return {
    trackingId: t.id,
    upstream: { versionControl: t.versionControl, scmRepo: t.scmRepo, scmBranch: t.scmBranch },
    targetBranch: t.branch,
    rangeFrom: from,
    rangeTo: to,
    stamp,
    commits,
    patchFiles,
    compareUrl: texts.compareUrl(t.versionControl, t.scmRepo, from, to, options.githubWebUrl),
    notes,
  };
}

/**
 * The files of the commit (patches + edited spec) and the texts. Reads `readRef` (for the spec), writes
 * nothing. `createdAt` fixes the changelog date so a resumed run produces the same commit.
 */
export async function planPublication(
  ctx: Omit<PublishContext, 'db' | 'logger'>,
  t: TrackingRow,
  from: string,
  to: string,
  commits: UpstreamCommit[],
  createdAt: Date,
  readRef: string,
): Promise<PublicationPlan> {
  const { forge, repo } = ctx;
  let specBefore: string | null = null;
  const plan = await planFiles({
    commits: commits as PatchCommit[],
    repoName: repo.name,
    topLevelFiles: await forge.listFiles(repo, readRef),
    readSpec: async (path) => (specBefore = (await forge.readFile(repo, path, readRef))?.content ?? null),
    specEdit: ctx.options.specEdit,
    patchDir: ctx.options.patchDir || undefined,
    packager: { name: ctx.options.botName, email: ctx.options.botEmail },
    now: createdAt,
  });
  const specPath = plan.spec.kind === 'edited' ? plan.spec.path : null;
  const specAfter = specPath ? plan.files.find((f) => f.path === specPath)?.content : undefined;
  const specDiff = specPath && specBefore !== null && specAfter !== undefined ? lineDiff(specBefore, specAfter, specPath) : null;
  const patchFiles = plan.patches.map((p) => p.path);
  const description = describeRange(t, from, to, commits.map(toPublished), patchFiles, texts.publicationStamp(createdAt), plan.notes, ctx.options);
  return { files: plan.files, patchFiles, specPath, specDiff, notes: plan.notes, description };
}

/** A unified diff of the spec edit, for dry runs. */
function lineDiff(before: string, after: string, path: string): string {
  return createTwoFilesPatch(`a/${path}`, `b/${path}`, before, after, '', '', { context: 3 });
}

async function loadOrPlan(ctx: PublishContext, t: TrackingRow, from: string, to: string, commits: UpstreamCommit[], baseBranch: string): Promise<PublicationRow> {
  const now = ctx.now?.() ?? new Date();
  await ctx.db
    .insert(publication)
    .values({
      trackingId: t.id,
      rangeFrom: from,
      rangeTo: to,
      targetRepo: t.repo,
      targetBranch: t.branch,
      tempBranch: texts.tempBranchName(t.id, from, to),
      baseBranch,
      stamp: texts.publicationStamp(now),
      commits: commits.map(toPublished),
      createdAt: now,
    })
    .onConflictDoNothing();
  const [row] = await ctx.db
    .select()
    .from(publication)
    .where(and(eq(publication.trackingId, t.id), eq(publication.rangeFrom, from), eq(publication.rangeTo, to)));
  return row!;
}

export async function advance(ctx: PublishContext, id: number, step: Step, values: Partial<typeof publication.$inferInsert> = {}): Promise<PublicationRow> {
  const [row] = await ctx.db
    .update(publication)
    .set({ ...values, step, lastError: null, updatedAt: new Date() })
    .where(eq(publication.id, id))
    .returning();
  return row!;
}

export interface PublishResult {
  publication: PublicationRow;
  /** false when an earlier run had completed it already */
  created: boolean;
}

/**
 * What the steps publish, whatever the publication's kind: the one commit's files and the texts. `committed`
 * tells whether an earlier run's commit is already on the temp branch; `record` ends the publication.
 */
export interface StepWork {
  plan(row: PublicationRow): Promise<{ files: FileChange[]; patchFiles: string[]; notes: string[]; commitMessage: string }>;
  committed(row: PublicationRow, files: FileChange[]): Promise<boolean>;
  marker: string;
  texts(row: PublicationRow): { issueTitle: string; issueBody: string; pullTitle: string; pullBody(issueRef: string): string };
  record(row: PublicationRow): Promise<PublicationRow>;
}

/**
 * `baseBranch` is the target branch for the first range of a run; later ranges stack on the previous
 * range's temp branch, so their spec edits number patches after the earlier ones and merge in order.
 */
export async function publishRange(ctx: PublishContext, t: TrackingRow, from: string, to: string, commits: UpstreamCommit[], baseBranch = t.branch): Promise<PublishResult> {
  // every patch is checked before anything is written: one that doesn't parse is an error, not a file
  for (const commit of commits) validatePatch(commit as PatchCommit);
  const row = await loadOrPlan(ctx, t, from, to, commits, baseBranch);
  if (row.step === 'done') return { publication: row, created: false };
  const log = ctx.logger.child({ tracking: t.id, range: `${from.slice(0, 12)}..${to.slice(0, 12)}`, branch: row.tempBranch });
  const description = (r: PublicationRow) => describeRange(t, from, to, r.commits, r.patchFiles, r.stamp, r.warnings, ctx.options);
  const published = await runSteps(ctx, t, row, log, {
    plan: async (r) => {
      const p = await planPublication(ctx, t, from, to, commits, r.createdAt, r.baseBranch);
      return { files: p.files, patchFiles: p.patchFiles, notes: p.notes, commitMessage: texts.commitMessage(p.description) };
    },
    // the last patch file on the temp branch: the commit that holds them all was made
    committed: async (r, files) => {
      const last = files.filter((f) => r.patchFiles.includes(f.path)).at(-1);
      return last ? (await ctx.forge.readFile(ctx.repo, last.path, r.tempBranch)) !== null : false;
    },
    marker: texts.rangeMarker(t.id, from, to),
    texts: (r) => ({
      issueTitle: texts.issueTitle(description(r)),
      issueBody: texts.issueBody(description(r)),
      pullTitle: texts.pullTitle(description(r)),
      pullBody: (ref) => texts.pullBody(description(r), ref),
    }),
    record: (r) => recordPublished(ctx, t, r, true),
  });
  return { publication: published, created: true };
}

/** The steps after the plan (branch → files → issue → PR → record), each skipped when an earlier run did it. */
export async function runSteps(ctx: PublishContext, t: TrackingRow, start: PublicationRow, log: Logger, work: StepWork): Promise<PublicationRow> {
  const { forge, repo } = ctx;
  let row = start;
  try {
    if (!reached(row, 'branch')) {
      if ((await forge.branchHead(repo, row.tempBranch)) === null) {
        await forge.createBranch(repo, row.tempBranch, row.baseBranch);
        log.info('temp branch created');
      }
      row = await advance(ctx, row.id, 'branch');
    }

    if (!reached(row, 'files')) {
      const p = await work.plan(row);
      let sha = (await forge.branchHead(repo, row.tempBranch)) ?? undefined;
      if (!(await work.committed({ ...row, patchFiles: p.patchFiles }, p.files))) {
        sha = await forge.commitFiles(repo, row.tempBranch, p.commitMessage, p.files);
        log.info({ files: p.files.length }, 'files committed');
      }
      row = await advance(ctx, row.id, 'files', { commitSha: sha, warnings: p.notes, patchFiles: p.patchFiles });
    }

    const text = work.texts(row);
    let forgeIssue: ForgeIssue | null = row.issueId ? { id: row.issueId, url: row.issueUrl ?? '', state: 'open' } : null;
    if (!reached(row, 'issue')) {
      forgeIssue = (await forge.findIssueByMarker(repo, work.marker)) ?? (await forge.createIssue(repo, { title: text.issueTitle, body: text.issueBody }));
      log.info({ issue: forgeIssue.id }, 'issue ready');
      row = await advance(ctx, row.id, 'issue', { issueId: forgeIssue.id, issueUrl: forgeIssue.url });
    }

    if (!reached(row, 'pr')) {
      const pull =
        (await forge.findPullByHead(repo, row.tempBranch)) ??
        (await forge.createPullRequest(repo, {
          title: text.pullTitle,
          body: text.pullBody(forge.issueReference(forgeIssue!.id)),
          head: row.tempBranch,
          base: t.branch,
          issue: forgeIssue!,
        }));
      log.info({ pr: pull.number }, 'pull request ready');
      row = await advance(ctx, row.id, 'pr', { prNumber: pull.number, prUrl: pull.url });
    }

    return await work.record(row);
  } catch (err) {
    await ctx.db
      .update(publication)
      .set({ lastError: err instanceof Error ? err.message : String(err), updatedAt: new Date() })
      .where(eq(publication.id, row.id));
    throw err;
  }
}

/** The issue row, the tracking's progress (a range: scm_commit moves to its end) and the publication's end, in one transaction. */
export async function recordPublished(ctx: Pick<PublishContext, 'db' | 'repo'>, t: TrackingRow, row: PublicationRow, moveScm: boolean): Promise<PublicationRow> {
  return ctx.db.transaction(async (tx) => {
    await tx
      .insert(issue)
      .values({
        issue: row.issueId!,
        repo: t.repo,
        branch: t.branch,
        trackingId: t.id,
        forge: ctx.repo.forge,
        issueUrl: row.issueUrl,
        prNumber: row.prNumber,
        prUrl: row.prUrl,
        state: 'open',
        rangeFrom: row.rangeFrom,
        rangeTo: row.rangeTo,
        tempBranch: row.tempBranch,
      })
      .onConflictDoNothing();
    if (moveScm) return finishRange(tx, t.id, row.id, { from: row.rangeFrom, to: row.rangeTo }, { step: 'done' });
    const [done] = await tx.update(publication).set({ step: 'done', updatedAt: new Date() }).where(eq(publication.id, row.id)).returning();
    return done!;
  });
}

/**
 * The end of publishing (or extending) a range, inside the caller's transaction next to its issue row write:
 * the publication row takes `values`, and scm_commit moves from `scm.from` to `scm.to` unless someone changed
 * it meanwhile (a user's edit of scm_commit wins over the bot's bookkeeping).
 */
export async function finishRange(
  tx: Database,
  trackingId: number,
  publicationId: number,
  scm: { from: string; to: string },
  values: Partial<typeof publication.$inferInsert>,
): Promise<PublicationRow> {
  await tx
    .update(tracking)
    .set({ scmCommit: scm.to, updatedAt: sql`now()` })
    .where(and(eq(tracking.id, trackingId), sql`${tracking.scmCommit} is not distinct from ${scm.from}`));
  const [row] = await tx
    .update(publication)
    .set({ ...values, updatedAt: new Date() })
    .where(eq(publication.id, publicationId))
    .returning();
  return row!;
}
