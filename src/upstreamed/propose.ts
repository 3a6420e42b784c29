/**
 * One PR (and issue) that removes the spec patches the upstream already has, through the same resumable
 * publishing steps as a range (publish/publish.ts runSteps) over a publication row of kind `upstreamed`.
 * The row is unique per (tracking, version, set of patches): the same removal is proposed once, whatever
 * the number of cycles, replicas or crashes; a closed one is not proposed again. While an earlier removal
 * PR of the tracking is still open, no other is opened beside it.
 */
import { createHash } from 'node:crypto';
import { and, eq, like } from 'drizzle-orm';
import { issue, publication, type PublicationRow, type RemovalDetail, type TrackingRow } from '../db/schema/index.js';
import { isDeletion, type FileChange } from '../forges/types.js';
import { removePatches } from '../patches/spec.js';
import { recordPublished, runSteps, type PublishContext } from '../publish/publish.js';
import { publicationStamp } from '../publish/texts.js';
import type { UpstreamedReport } from './report.js';
import * as texts from './texts.js';

export type ProposalResult =
  | { action: 'none'; reason: string }
  | { action: 'proposed' | 'already_proposed'; publication: PublicationRow };

/** range_from of a removal row: `upstreamed:<version>` (never a commit id, so no range or scm_commit matches it) */
export const REMOVAL_PREFIX = 'upstreamed:';

/** The row's key: the version and the set of patch files removed. */
export function removalKey(version: string, files: string[]): string {
  return createHash('sha1').update(`${version}\n${[...files].sort().join('\n')}`).digest('hex');
}

export function removalDetail(report: UpstreamedReport): RemovalDetail | null {
  if (!report.removable || !report.spec || !report.version || !report.upstream.tag || !report.upstream.commit || !report.applyCheck) return null;
  return {
    specPath: report.spec,
    version: report.version,
    tag: report.upstream.tag,
    commit: report.upstream.commit,
    upstream: report.upstream.url,
    removed: report.patches.filter((p) => p.status === 'upstream'),
    uncertain: report.patches.filter((p) => p.status === 'uncertain'),
    applyCheck: report.applyCheck,
  };
}

export async function proposeRemoval(ctx: PublishContext, t: TrackingRow, report: UpstreamedReport): Promise<ProposalResult> {
  const detail = removalDetail(report);
  if (!detail) return { action: 'none', reason: report.notes[0] ?? 'no spec patch is proved to be upstream' };
  const rangeFrom = `${REMOVAL_PREFIX}${detail.version}`;
  const key = removalKey(detail.version, detail.removed.map((f) => f.file));

  const [existing] = await ctx.db.select().from(publication).where(and(eq(publication.trackingId, t.id), eq(publication.rangeFrom, rangeFrom), eq(publication.rangeTo, key)));
  if (existing && (existing.step === 'done' || existing.step === 'rejected')) return { action: 'already_proposed', publication: existing };
  if (!existing) {
    const [open] = await ctx.db
      .select({ pr: issue.prUrl })
      .from(issue)
      .where(and(eq(issue.trackingId, t.id), like(issue.rangeFrom, `${REMOVAL_PREFIX}%`), eq(issue.state, 'open')));
    if (open) return { action: 'none', reason: `an earlier removal PR of this tracking is still open${open.pr ? `: ${open.pr}` : ''}` };
  }

  const now = ctx.now?.() ?? new Date();
  await ctx.db
    .insert(publication)
    .values({
      trackingId: t.id,
      kind: 'upstreamed',
      rangeFrom,
      rangeTo: key,
      targetRepo: t.repo,
      targetBranch: t.branch,
      tempBranch: texts.removalBranchName(t.id, key),
      baseBranch: t.branch,
      stamp: publicationStamp(now),
      commits: [],
      removal: detail,
      createdAt: now,
    })
    .onConflictDoNothing();
  const [row] = await ctx.db.select().from(publication).where(and(eq(publication.trackingId, t.id), eq(publication.rangeFrom, rangeFrom), eq(publication.rangeTo, key)));
  if (row!.step === 'done' || row!.step === 'rejected') return { action: 'already_proposed', publication: row! };
  const d = row!.removal!;
  const log = ctx.logger.child({ tracking: t.id, upstreamed: d.tag, branch: row!.tempBranch });

  const published = await runSteps(ctx, t, row!, log, {
    plan: async (r) => {
      const spec = await ctx.forge.readFile(ctx.repo, d.specPath, r.baseBranch);
      if (!spec) throw new Error(`${d.specPath} is gone from branch ${r.baseBranch}`);
      const edited = removePatches({
        spec: spec.content,
        remove: d.removed.map((f) => ({ number: f.number, changelog: texts.changelogLine(f, d.tag) })),
        packager: { name: ctx.options.botName, email: ctx.options.botEmail },
        now: r.createdAt,
      });
      const present = new Set(await ctx.forge.listFiles(ctx.repo, r.baseBranch));
      const files: FileChange[] = [
        { path: d.specPath, content: edited.content },
        ...d.removed.filter((f) => present.has(f.file)).map((f) => ({ path: f.file, delete: true as const })),
      ];
      return { files, patchFiles: d.removed.map((f) => f.file), notes: edited.warnings.map((w) => `${d.specPath}: ${w}.`), commitMessage: texts.removalCommitMessage(d) };
    },
    // the first removed file gone from the temp branch: the commit was made
    committed: async (r, files) => {
      const gone = files.find(isDeletion);
      return gone ? (await ctx.forge.readFile(ctx.repo, gone.path, r.tempBranch)) === null : false;
    },
    marker: texts.removalMarker(t.id, key),
    texts: () => ({
      issueTitle: texts.removalIssueTitle(t.branch, d),
      issueBody: texts.removalIssueBody(t.id, key, d),
      pullTitle: texts.removalPullTitle(d),
      pullBody: (ref) => texts.removalPullBody(t.id, key, d, ref),
    }),
    record: (r) => recordPublished(ctx, t, r, false),
  });
  return { action: 'proposed', publication: published };
}
