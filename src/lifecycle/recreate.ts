/**
 * `/patch-tracking recreate`: proposes a rejected range again, in a new PR with a new issue on a new temp
 * branch (`…-r<N>`); the rejected issue and PR stay as the maintainer left them. It is the ordinary
 * resumable publishRange over the same publication row, so a crash halfway is finished by asking again.
 */
import { and, eq } from 'drizzle-orm';
import { issue, publication, tracking, type IssueRow, type PublicationRow, type TrackingRow } from '../db/schema/index.js';
import { AppError, errorMessage } from '../errors.js';
import type { Forge, ForgeIssue, ForgeRepo } from '../forges/types.js';
import { publishRange, type PublishResult } from '../publish/publish.js';
import * as texts from '../publish/texts.js';
import { sourceFor, upstreamOf } from '../tracker/run.js';
import { redactSecrets } from '../log.js';
import type { LifecycleDeps } from './deps.js';
import { publicationOf } from './rows.js';

/** The forge, except that the rejected issues are not "found again" by their hidden marker. */
function ignoringIssues(forge: Forge, ids: Set<string>): Forge {
  return new Proxy(forge, {
    get(target, prop, receiver) {
      if (prop === 'findIssueByMarker') {
        return async (repo: ForgeRepo, marker: string): Promise<ForgeIssue | null> => {
          const found = await target.findIssueByMarker(repo, marker);
          return found && ids.has(found.id) ? null : found;
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export async function recreateRange(deps: LifecycleDeps, row: IssueRow): Promise<PublishResult> {
  if (row.state !== 'rejected') {
    throw new AppError('not_rejected', `only a range whose pull request was closed without merging can be recreated; this one is ${row.state}`);
  }
  const p = await publicationOf(deps.db, row);
  const [t] = row.trackingId === null ? [] : await deps.db.select().from(tracking).where(eq(tracking.id, row.trackingId));
  if (!p || !t) throw new AppError('not_found', 'the tracking or the publication of this range no longer exists');
  if (p.kind !== 'range') {
    throw new AppError('not_recreatable', 'a removal of patches already upstream is not recreated: a new one is proposed when the spec Version or the set of patches already upstream changes');
  }
  // rejected, or a recreate that stopped halfway (which simply resumes)
  if (p.step === 'done') {
    throw new AppError('already_recreated', `this range was already proposed again${p.prUrl ? `: ${p.prUrl}` : ''}`);
  }

  const rejected = await deps.db
    .select({ issue: issue.issue })
    .from(issue)
    .where(and(eq(issue.trackingId, t.id), eq(issue.rangeFrom, p.rangeFrom), eq(issue.rangeTo, p.rangeTo), eq(issue.state, 'rejected')));
  const tempBranch = `${texts.tempBranchName(t.id, p.rangeFrom, p.rangeTo)}-r${rejected.length}`;
  // back to the start of the steps, from the target branch (an earlier stacked base may be gone)
  await deps.db
    .update(publication)
    .set({ step: 'planned', tempBranch, baseBranch: t.branch, issueId: null, issueUrl: null, prNumber: null, prUrl: null, commitSha: null, lastError: null, updatedAt: new Date() })
    .where(eq(publication.id, p.id));

  const commits = await sourceFor(deps, t).range(upstreamOf(t), p.rangeFrom, p.rangeTo);
  const repo = deps.forges.resolve(t.repo);
  const forge = ignoringIssues(deps.forges.forRepo(repo), new Set(rejected.map((r) => r.issue)));
  return publishRange({ db: deps.db, forge, repo, options: deps.publish, logger: deps.logger, now: deps.now }, t, p.rangeFrom, p.rangeTo, commits, t.branch);
}

export type RecreateDeps = LifecycleDeps & {
  /** verification after a recreate publishes again (the engine's onPublished hook) */
  onPublished?: (t: TrackingRow, p: PublicationRow) => Promise<void>;
};

/** The range proposed again, then its apply check (whose failure is the check's business: the PR exists). */
export async function recreateAndCheck(deps: RecreateDeps, t: TrackingRow, row: IssueRow): Promise<PublicationRow> {
  const { publication: p } = await recreateRange(deps, row);
  await deps.onPublished?.(t, p).catch((err: unknown) => deps.logger.warn({ tracking: t.id, pr: p.prNumber }, `apply check after recreate failed: ${redactSecrets(errorMessage(err))}`));
  return p;
}
