/** Finding the bot's own issue rows from what a webhook names (a repository and a PR or issue number). */
import { and, eq, or } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { issue, publication, type IssueRow, type PublicationRow } from '../db/schema/index.js';
import type { Forges } from '../forges/resolve.js';
import type { ForgeRepo } from '../forges/types.js';
import { sameRepo } from './events.js';

function resolvesTo(forges: Forges, stored: string, repo: ForgeRepo): boolean {
  try {
    return sameRepo(forges.resolve(stored), repo);
  } catch {
    return false;
  }
}

/** The issue row of a PR (kind pull) or of an issue (kind issue) the bot opened in `repo`, newest first. */
export async function findIssueRow(db: Database, forges: Forges, repo: ForgeRepo, target: { kind: 'issue' | 'pull'; id: string }): Promise<IssueRow | undefined> {
  const rows = await db
    .select()
    .from(issue)
    .where(target.kind === 'pull' ? eq(issue.prNumber, target.id) : or(eq(issue.issue, target.id), eq(issue.prNumber, target.id)));
  // GitHub shares one number space between issues and PRs: a comment on an issue may name either
  const matching = rows.filter((r) => r.forge === repo.forge && resolvesTo(forges, r.repo, repo));
  if (target.kind === 'issue') {
    const asIssue = matching.find((r) => r.issue === target.id);
    if (asIssue) return asIssue;
    if (repo.forge !== 'github') return undefined;
  }
  return matching.sort((a, b) => b.id - a.id)[0];
}

export async function publicationOf(db: Database, row: IssueRow): Promise<PublicationRow | undefined> {
  if (row.trackingId === null || !row.rangeFrom || !row.rangeTo) return undefined;
  const [p] = await db
    .select()
    .from(publication)
    .where(and(eq(publication.trackingId, row.trackingId), eq(publication.rangeFrom, row.rangeFrom), eq(publication.rangeTo, row.rangeTo)));
  return p;
}
