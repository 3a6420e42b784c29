import { AppError } from '../errors.js';

/** the kinds of upstream a tracking can follow: the GitHub API, any git URL, a mailing list's series */
export const VERSION_CONTROLS = ['github', 'git', 'mail'] as const;

/** What the tracking engine needs from an upstream, whatever kind it is (github API, any git URL, a mail list). */
export interface TrackedUpstream {
  /** tracking row id */
  id: number;
  versionControl: string;
  scmRepo: string;
  scmBranch: string;
  /** where the tracking stands (null before its first run); a source whose heads depend on it (mail) reads it */
  scmCommit?: string | null;
}

/** A failed head carries an AppError code when the source knows one (a retry won't fix `source_unavailable`). */
export type HeadResult = { sha: string } | { error: string; code?: string };

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

/** One PR's worth of new upstream work. */
export interface PublishRange {
  /** the range's ends, as publication rows, branch names and hidden markers record them */
  from: string;
  to: string;
  commits: UpstreamCommit[];
  /** how a run reports it (default `from..to`) */
  label?: string;
  /** an earlier range of the same tracking that this one replaces: its open issue and PR are told, by whom */
  supersedes?: { rangeFrom: string; by: string };
}

export interface PendingWork {
  /**
   * true: each range continues the previous one (its branch stacks on the previous range's, the tracking's
   * position advances along, and a lone range may extend the open PR); false: every range is a PR of its own
   * on the target branch.
   */
  stacked: boolean;
  ranges: PublishRange[];
}

/** A full object id as git prints it (SHA-1, or SHA-256 in a SHA-256 repository). */
export const FULL_COMMIT_ID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** What git takes as a commit id from a user: 4 or more hex digits, in either case. */
export const ABBREVIATED_COMMIT_ID = /^[0-9a-fA-F]{4,64}$/;

/** The upstream knows no commit, or several, by the abbreviation the user gave: a retry won't change that. */
export function commitNotResolved(code: 'commit_unknown' | 'commit_ambiguous', abbrev: string, where: string): AppError {
  const message =
    code === 'commit_unknown'
      ? `scm_commit ${abbrev}: ${where} has no commit by that id`
      : `scm_commit ${abbrev}: more than one commit of ${where} starts with it; give more digits`;
  return new AppError(code, message, { field: 'scm_commit' });
}

export interface Source {
  readonly kind: string;
  /**
   * The full id of the commit an abbreviation (4+ hex digits, as git accepts) names on the tracked branch.
   * Throws commitNotResolved(...) when the upstream answers that none or several match; other failures
   * (unreachable upstream) keep their own codes. A source without it has no hex commit ids (mail).
   */
  resolveCommit?(upstream: TrackedUpstream, abbrev: string): Promise<string>;
  /**
   * Where a new tracking (no scm_commit) starts when that is not the current head: what arrived after the
   * start is published by the first scan. A source without it starts at the head, publishing nothing (a
   * history: the old program's rule).
   */
  start?(upstream: TrackedUpstream): Promise<string>;
  /** Current branch heads for many trackings at once (batched per upstream where possible). */
  heads(upstreams: TrackedUpstream[]): Promise<Map<number, HeadResult>>;
  /**
   * Commits reachable from `to` and not from `from`, oldest first, merge commits skipped
   * (git format-patch semantics). Throws AppError('not_ancestor') when `from` is not an ancestor of `to`.
   */
  range(upstream: TrackedUpstream, from: string, to: string): Promise<UpstreamCommit[]>;
  /**
   * What is new between the tracking's position and `head`, split into PRs. A source without it is a
   * history: `range(from, head)` in consecutive ranges of at most `maxPerRange` commits (historyRanges).
   */
  pending?(upstream: TrackedUpstream, from: string, head: string, maxPerRange: number): Promise<PendingWork>;
}

/** Successive ranges of at most `maxPerRange` commits, oldest first; the last one ends at the head itself. */
export function historyRanges(commits: UpstreamCommit[], from: string, head: string, maxPerRange: number): PendingWork {
  const ranges: PublishRange[] = [];
  for (let i = 0; i < commits.length; i += maxPerRange) {
    const list = commits.slice(i, i + maxPerRange);
    const last = i + maxPerRange >= commits.length;
    ranges.push({ from: ranges.at(-1)?.to ?? from, to: last ? head : list.at(-1)!.sha, commits: list });
  }
  return { stacked: true, ranges };
}
