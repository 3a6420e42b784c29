/** Rows the engine would have written: a tracking and a published range (publication). */
import { publication, tracking } from '../../src/db/schema/index.js';
import type { Database } from '../../src/db/client.js';

export async function insertPublishedRange(db: Database, options: { repo?: string; scmRepo?: string; step?: string; from?: string; to?: string } = {}) {
  const [t] = await db
    .insert(tracking)
    .values({
      versionControl: 'git',
      scmRepo: options.scmRepo ?? 'https://git.example.org/upstream/foo.git',
      scmBranch: 'main',
      scmCommit: options.to ?? 'b'.repeat(40),
      repo: options.repo ?? 'src-openeuler/foo',
      branch: `master-${Math.random().toString(36).slice(2, 8)}`,
    })
    .returning();
  const [p] = await db
    .insert(publication)
    .values({
      trackingId: t!.id,
      rangeFrom: options.from ?? 'a'.repeat(40),
      rangeTo: options.to ?? 'b'.repeat(40),
      step: options.step ?? 'done',
      targetRepo: t!.repo,
      targetBranch: t!.branch,
      tempBranch: `patch-tracking/${t!.id}`,
      baseBranch: t!.branch,
      stamp: '20260101000000',
      commits: [{ sha: 'b'.repeat(40), subject: 'fix the build', message: 'fix the build', authorName: 'Dev', authorDate: '2026-01-01T00:00:00Z' }],
      patchFiles: ['0001-fix-the-build.patch'],
      prNumber: '7',
      prUrl: 'https://gitee.com/src-openeuler/foo/pulls/7',
      issueId: 'I1ABCD',
    })
    .returning();
  return { tracking: t!, publication: p! };
}
