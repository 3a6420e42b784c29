/**
 * Following the PRs the bot opened. Merged: the issue row records it, the forge issue is closed with a
 * comment, the temp branch is deleted. Closed unmerged: the range is rejected (issue row and publication)
 * and is not proposed again unless a maintainer comments `/patch-tracking recreate`.
 * A redelivered event finds the row no longer open and changes nothing.
 */
import { and, eq } from 'drizzle-orm';
import { recordPullClosed } from '../events/service.js';
import { issue, publication } from '../db/schema/index.js';
import type { LifecycleDeps } from './deps.js';
import type { PullClosedEvent } from './events.js';
import { REMOVAL_PREFIX } from '../upstreamed/propose.js';
import { findIssueRow, publicationOf } from './rows.js';

export type PullClosedOutcome = 'merged' | 'rejected' | 'ignored';

export async function onPullClosed(deps: LifecycleDeps, event: PullClosedEvent): Promise<PullClosedOutcome> {
  const row = await findIssueRow(deps.db, deps.forges, event.repo, { kind: 'pull', id: event.number });
  if (!row || row.state !== 'open') return 'ignored';
  // a PR whose head is not the recorded temp branch is not the one we opened (numbers can be reused across forges)
  if (row.tempBranch && event.head && row.tempBranch !== event.head) return 'ignored';
  const log = deps.logger.child({ repo: row.repo, pr: event.number, issue: row.issue });
  const now = deps.now?.() ?? new Date();
  const range = `${(row.rangeFrom ?? '').slice(0, 12)}..${(row.rangeTo ?? '').slice(0, 12)}`;

  // the row first: a forge failure below must not make a redelivery re-run the decision differently
  if (event.merged) {
    const updated = await deps.db
      .update(issue)
      .set({ state: 'merged', mergedAt: event.mergedAt ?? now, closedAt: now, updatedAt: now })
      .where(and(eq(issue.id, row.id), eq(issue.state, 'open')))
      .returning({ id: issue.id });
    if (updated.length === 0) return 'ignored';
  } else {
    const updated = await deps.db.transaction(async (tx) => {
      const rows = await tx
        .update(issue)
        .set({ state: 'rejected', closedAt: now, updatedAt: now })
        .where(and(eq(issue.id, row.id), eq(issue.state, 'open')))
        .returning({ id: issue.id });
      const p = await publicationOf(tx, row);
      if (rows.length && p) await tx.update(publication).set({ step: 'rejected', updatedAt: now }).where(eq(publication.id, p.id));
      return rows.length;
    });
    if (updated === 0) return 'ignored';
  }

  // CI systems polling /api/v1/events learn of it
  await recordPullClosed(deps.db, { repo: row.repo, prNumber: event.number, merged: event.merged, prUrl: event.url ?? row.prUrl });

  // resolved per step: a missing token fails the courtesy calls, not the recorded decision
  const forge = () => deps.forges.forRepo(event.repo);
  const removal = row.rangeFrom?.startsWith(REMOVAL_PREFIX) ? row.rangeFrom.slice(REMOVAL_PREFIX.length) : null;
  const body =
    removal !== null
      ? event.merged
        ? `The pull request #${event.number} removing the spec patches already upstream in version ${removal} was merged. Closing this issue.`
        : `The pull request #${event.number} was closed without merging: this removal of patches already upstream in version ${removal} will not be proposed again.`
      : event.merged
        ? `The pull request #${event.number} with the upstream commits ${range} was merged. Closing this issue.`
        : `The pull request #${event.number} was closed without merging, so the upstream commits ${range} are marked as rejected and will not be proposed again. A maintainer can comment \`/patch-tracking recreate\` here to propose them again.`;
  const steps: [string, () => Promise<void>][] = [
    ['comment', () => forge().comment(event.repo, { kind: 'issue', id: row.issue }, body)],
    ['close issue', () => forge().closeIssue(event.repo, row.issue)],
  ];
  if (row.tempBranch) steps.push(['delete branch', () => forge().deleteBranch(event.repo, row.tempBranch!)]);
  for (const [what, step] of steps) {
    try {
      await step();
    } catch (err) {
      // the decision is recorded; a failed courtesy call is logged, not retried forever
      log.warn({ err: err instanceof Error ? err.message : String(err) }, `after the PR was closed: ${what} failed`);
    }
  }
  log.info({ merged: event.merged }, 'pull request closed');
  return event.merged ? 'merged' : 'rejected';
}
