/**
 * UPDATE_OPEN_PR=true: when upstream moved while the tracking's last PR is still open, that PR is extended
 * instead of a new one being opened: one more commit on its temp branch (the new patch files and the spec
 * re-edited from the PR's base, so Release is bumped once and the changelog lists every commit), the issue
 * and PR bodies rewritten, and the rows moved to the new range end, scm_commit with them.
 * Not when a human pushed to the branch (its head is not the commit the bot recorded): then the range goes
 * to a new PR as usual and the old PR gets a comment saying so.
 */
import { and, eq } from 'drizzle-orm';
import { issue, publication, type PublicationRow, type TrackingRow } from '../db/schema/index.js';
import { describeRange, finishRange, planPublication, toPublished } from '../publish/publish.js';
import * as texts from '../publish/texts.js';
import type { UpstreamCommit } from '../sources/types.js';
import { sourceFor, upstreamOf } from '../tracker/run.js';
import type { LifecycleDeps } from './deps.js';

type Deps = Pick<LifecycleDeps, 'db' | 'logger' | 'forges' | 'extras' | 'sources' | 'unavailable' | 'publish' | 'now'>;

export function extendOpenPull(deps: Deps) {
  return async (t: TrackingRow, range: { from: string; to: string; commits: UpstreamCommit[] }): Promise<PublicationRow | null> => {
    const [open] = await deps.db
      .select()
      .from(issue)
      .where(and(eq(issue.trackingId, t.id), eq(issue.state, 'open'), eq(issue.rangeTo, range.from)));
    if (!open?.rangeFrom || !open.prNumber) return null;
    const [p] = await deps.db
      .select()
      .from(publication)
      .where(and(eq(publication.trackingId, t.id), eq(publication.rangeFrom, open.rangeFrom), eq(publication.rangeTo, range.from), eq(publication.step, 'done')));
    // a PR stacked on an earlier one is left alone: its base may be merged and gone by now
    if (!p?.prNumber || !p.issueId || !p.commitSha || p.baseBranch !== t.branch) return null;

    const repo = deps.forges.resolve(t.repo);
    const forge = deps.forges.forRepo(repo);
    const log = deps.logger.child({ tracking: t.id, pr: p.prNumber, branch: p.tempBranch });
    // the row may not know yet that the PR was merged or closed (its webhook still on the way)
    const pull = await forge.findPullByHead(repo, p.tempBranch);
    if (pull?.state !== 'open') return null;
    const head = await forge.branchHead(repo, p.tempBranch);
    if (head === null) return null;

    // the whole range, so the spec is edited once from the PR's base and lists every patch
    const source = sourceFor(deps, t);
    const all = await source.range(upstreamOf(t), p.rangeFrom, range.to);
    const plan = await planPublication({ forge, repo, options: deps.publish }, t, p.rangeFrom, range.to, all, p.createdAt, p.baseBranch);
    // the earlier patch files are already on the branch, byte for byte
    const files = plan.files.filter((f) => !p.patchFiles.includes(f.path));
    const lastNew = plan.patchFiles.filter((f) => !p.patchFiles.includes(f)).at(-1);
    const commits = all.map(toPublished);
    const description = describeRange(t, p.rangeFrom, range.to, commits, plan.patchFiles, p.stamp, plan.notes, deps.publish);

    let sha: string;
    if (head === p.commitSha) {
      sha = await forge.commitFiles(repo, p.tempBranch, texts.commitMessage({ ...description, commits: range.commits.map(toPublished) }), files);
      log.info({ files: files.length, to: range.to }, 'open PR extended');
    } else if (lastNew && (await forge.readFile(repo, lastNew, p.tempBranch))) {
      // an earlier run committed this very extension and stopped before recording it: finish that one
      sha = head;
      log.info({ head }, 'resuming an interrupted extension of the open PR');
    } else {
      log.info({ head, recorded: p.commitSha }, 'someone pushed to the open PR branch: opening a new PR instead');
      await forge.comment(
        repo,
        { kind: 'pull', id: p.prNumber },
        `Upstream moved on (${range.from.slice(0, 12)}..${range.to.slice(0, 12)}, ${range.commits.length} commit${range.commits.length === 1 ? '' : 's'}), but someone pushed to \`${p.tempBranch}\` since the bot's last commit, so this PR is left as it is and the new commits are proposed in a new pull request.`,
      );
      return null;
    }
    // recorded at once: a later run must see the bot's own commit, not mistake it for a human push
    await deps.db.update(publication).set({ commitSha: sha, updatedAt: new Date() }).where(eq(publication.id, p.id));

    const extras = deps.extras(repo);
    await extras.updateIssueBody(repo, p.issueId, texts.issueBody(description));
    await extras.updatePullBody(repo, p.prNumber, texts.pullBody(description, forge.issueReference(p.issueId)));

    const updated = await deps.db.transaction(async (tx) => {
      await tx.update(issue).set({ rangeTo: range.to, updatedAt: new Date() }).where(eq(issue.id, open.id));
      return finishRange(tx, t.id, p.id, { from: range.from, to: range.to }, { rangeTo: range.to, commits, patchFiles: plan.patchFiles, warnings: plan.notes, commitSha: sha });
    });
    await forge.comment(
      repo,
      { kind: 'pull', id: p.prNumber },
      `Updated in place with ${range.commits.length} more upstream commit${range.commits.length === 1 ? '' : 's'} (${range.from.slice(0, 12)}..${range.to.slice(0, 12)}); this PR now covers ${p.rangeFrom.slice(0, 12)}..${range.to.slice(0, 12)}.`,
    );
    return updated;
  };
}
