/** A tracking with one published range and its open issue/PR, as the engine leaves them. */
import { issue, publication, tracking } from '../../src/db/schema/index.js';
import type { Database } from '../../src/db/client.js';

export const TEMP = 'patch-tracking/t1-aaaaaaaaaaaa-bbbbbbbbbbbb';
export const FROM = 'a'.repeat(40);
export const TO = 'b'.repeat(40);

export async function publishedRange(db: Database, options: { repo: string; forge: 'github' | 'gitee'; issue: string; pr: string; scmRepo?: string; versionControl?: string }) {
  const [t] = await db
    .insert(tracking)
    .values({ versionControl: options.versionControl ?? 'github', scmRepo: options.scmRepo ?? 'upstream/widget', scmBranch: 'main', scmCommit: TO, repo: options.repo, branch: 'master' })
    .returning();
  await db.insert(publication).values({
    trackingId: t!.id,
    rangeFrom: FROM,
    rangeTo: TO,
    step: 'done',
    targetRepo: options.repo,
    targetBranch: 'master',
    tempBranch: TEMP,
    baseBranch: 'master',
    stamp: '20261121232021744000',
    commits: [],
    issueId: options.issue,
    prNumber: options.pr,
    commitSha: '0123456789abcdef0123456789abcdef01234567',
  });
  await db.insert(issue).values({ issue: options.issue, repo: options.repo, branch: 'master', trackingId: t!.id, forge: options.forge, prNumber: options.pr, state: 'open', rangeFrom: FROM, rangeTo: TO, tempBranch: TEMP });
  return t!;
}
