/**
 * One interface over the forges that host target repositories (Gitee, GitHub; and a read-only local
 * repository for dry runs, forges/local.ts). Adapters keep auth and quirks inside.
 */

export type ForgeKind = 'gitee' | 'github' | 'local';

export interface ForgeRepo {
  forge: ForgeKind;
  owner: string;
  name: string;
  /** https://gitee.com/owner/name */
  webUrl: string;
  /** where git fetches it (the forge's GIT_URL setting); absent: `webUrl.git` (see gitUrlOf) */
  gitUrl?: string;
}

/** A file written by a commit: created when the path is new on the branch, replaced when it exists. */
export interface FileWrite {
  /** path from the repository root, `/`-separated */
  path: string;
  /** UTF-8 text */
  content: string;
}

/** A file a commit removes (a patch the upstream already contains). */
export interface FileDeletion {
  path: string;
  delete: true;
}

export type FileChange = FileWrite | FileDeletion;

export const isDeletion = (file: FileChange): file is FileDeletion => 'delete' in file;

export interface ForgeIssue {
  /** Gitee issue numbers are strings like I1ABCD; GitHub's are decimal strings */
  id: string;
  url: string;
  state: 'open' | 'closed';
}

export interface ForgePull {
  number: string;
  url: string;
  state: 'open' | 'closed' | 'merged';
  head: string;
}

/**
 * Failures are AppError with codes forge_http, forge_timeout, forge_rate_limited, forge_not_found, forge_auth
 * (and forge_token_missing from createForges); messages never contain a token.
 * Writes are counted against the publish budget: branch + commit + issue + PR, so an adapter must not add
 * hidden writes (Gitee: 4 per range; GitHub: 6, its commit being tree + commit + ref update).
 */
export interface Forge {
  readonly kind: ForgeKind;
  /** head commit sha of `branch`, or null when the branch does not exist */
  branchHead(repo: ForgeRepo, branch: string): Promise<string | null>;
  /** creates branch `name` at the current head of branch `from` */
  createBranch(repo: ForgeRepo, name: string, from: string): Promise<void>;
  readFile(repo: ForgeRepo, path: string, ref: string): Promise<{ content: string; sha: string } | null>;
  /** file paths at the top of the tree (enough to find the spec file) */
  listFiles(repo: ForgeRepo, ref: string): Promise<string[]>;
  /** one commit on `branch` holding every file change; returns the new commit sha */
  commitFiles(repo: ForgeRepo, branch: string, message: string, files: FileChange[]): Promise<string>;
  /** an issue whose body contains `marker`, created by an earlier (maybe interrupted) run */
  findIssueByMarker(repo: ForgeRepo, marker: string): Promise<ForgeIssue | null>;
  createIssue(repo: ForgeRepo, input: { title: string; body: string }): Promise<ForgeIssue>;
  findPullByHead(repo: ForgeRepo, head: string): Promise<ForgePull | null>;
  /** how a PR body names the issue so that the forge links it (GitHub: and closes it on merge) */
  issueReference(issueId: string): string;
  /** the body gets the issueReference appended when it does not carry it already */
  createPullRequest(
    repo: ForgeRepo,
    input: { title: string; body: string; head: string; base: string; issue: ForgeIssue },
  ): Promise<ForgePull>;
  comment(repo: ForgeRepo, target: { kind: 'issue' | 'pull'; id: string }, body: string): Promise<void>;
  closeIssue(repo: ForgeRepo, id: string): Promise<void>;
  /** a branch that is already gone is not an error */
  deleteBranch(repo: ForgeRepo, name: string): Promise<void>;
}

/** What createPullRequest sends as the body: `body`, with the forge's issue reference appended unless it carries it. */
export function bodyLinkingIssue(forge: Pick<Forge, 'issueReference'>, body: string, issueId: string): string {
  const reference = forge.issueReference(issueId);
  return body.includes(reference) ? body : `${body}\n\n${reference}`;
}
