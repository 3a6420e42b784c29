/**
 * An in-memory upstream with many repositories and synthetic commits, counting requests: for race tests
 * and benchmarks where hundreds of real git repositories would only add noise.
 */
import { createHash } from 'node:crypto';
import { AppError } from '../../src/errors.js';
import type { HeadResult, Source, TrackedUpstream, UpstreamCommit } from '../../src/sources/types.js';

export class FakeSource implements Source {
  readonly kind: string;
  readonly repos = new Map<string, UpstreamCommit[]>();
  headCalls = 0;
  rangeCalls = 0;

  constructor(kind = 'git') {
    this.kind = kind;
  }

  private key(u: { scmRepo: string; scmBranch: string }) {
    return `${u.scmRepo}#${u.scmBranch}`;
  }

  /** Adds `count` commits to a repository's branch; returns the new head. */
  push(scmRepo: string, scmBranch: string, count: number): string {
    const list = this.repos.get(this.key({ scmRepo, scmBranch })) ?? [];
    for (let i = 0; i < count; i++) {
      const n = list.length;
      const sha = createHash('sha1').update(`${scmRepo}#${scmBranch}#${n}`).digest('hex');
      const subject = `change ${n} of ${scmRepo}`;
      const date = new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString();
      list.push({
        sha,
        parents: n ? [list[n - 1]!.sha] : [],
        authorName: 'Dev',
        authorEmail: 'dev@example.org',
        authorDate: date,
        committerDate: date,
        subject,
        message: `${subject}\n`,
        patch: `From ${sha} Mon Sep 17 00:00:00 2001\nFrom: Dev <dev@example.org>\nDate: ${date}\nSubject: [PATCH] ${subject}\n\n---\n f${n}.txt | 1 +\n 1 file changed, 1 insertion(+)\n create mode 100644 f${n}.txt\n\ndiff --git a/f${n}.txt b/f${n}.txt\nnew file mode 100644\nindex 0000000..e69de29\n--- /dev/null\n+++ b/f${n}.txt\n@@ -0,0 +1 @@\n+${n}\n--\n2.39.5\n\n`,
      });
    }
    this.repos.set(this.key({ scmRepo, scmBranch }), list);
    return list.at(-1)!.sha;
  }

  async heads(upstreams: TrackedUpstream[]): Promise<Map<number, HeadResult>> {
    this.headCalls += 1;
    const out = new Map<number, HeadResult>();
    for (const u of upstreams) {
      const list = this.repos.get(this.key(u));
      out.set(u.id, list?.length ? { sha: list.at(-1)!.sha } : { error: `no branch ${u.scmBranch} in ${u.scmRepo}` });
    }
    return out;
  }

  async range(upstream: TrackedUpstream, from: string, to: string): Promise<UpstreamCommit[]> {
    this.rangeCalls += 1;
    const list = this.repos.get(this.key(upstream)) ?? [];
    const start = list.findIndex((c) => c.sha === from);
    const end = list.findIndex((c) => c.sha === to);
    if (start < 0 || end < start) throw new AppError('not_ancestor', `${from} is not an ancestor of ${to}`);
    return list.slice(start + 1, end + 1);
  }
}
