/** What the tracking engine needs from an upstream, whatever kind it is (github API, any git URL, a mail list). */

export interface TrackedUpstream {
  /** tracking row id */
  id: number;
  versionControl: string;
  scmRepo: string;
  scmBranch: string;
}

export type HeadResult = { sha: string } | { error: string };

export interface UpstreamCommit {
  sha: string;
  parents: string[];
  authorName: string;
  authorEmail: string;
  /** ISO 8601, UTC */
  authorDate: string;
  committerDate: string;
  subject: string;
  /** the whole commit message, subject included */
  message: string;
  /** the patch file text, in `git format-patch` mail format */
  patch: string;
  /** web link to the commit, when the upstream has one */
  url?: string;
  /**
   * The commit changes no file, so its patch has mail headers but no diff. patches/format.ts publishes
   * no file for it; a commit not marked empty whose patch has no diff is rejected as a broken patch.
   */
  empty?: boolean;
}

export interface Source {
  readonly kind: string;
  /** Current branch heads for many trackings at once (batched per upstream where possible). */
  heads(upstreams: TrackedUpstream[]): Promise<Map<number, HeadResult>>;
  /**
   * Commits reachable from `to` and not from `from`, oldest first, merge commits skipped
   * (git format-patch semantics). Throws AppError('not_ancestor') when `from` is not an ancestor of `to`.
   */
  range(upstream: TrackedUpstream, from: string, to: string): Promise<UpstreamCommit[]>;
}
