/** One interface over the forges that host target repositories (Gitee, GitHub). Adapters keep auth and quirks inside. */

export type ForgeKind = 'gitee' | 'github';

export interface ForgeRepo {
  forge: ForgeKind;
  owner: string;
  name: string;
  /** https://gitee.com/owner/name */
  webUrl: string;
}

export interface FileChange {
  path: string;
  content: string;
}

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

export interface Forge {
  readonly kind: ForgeKind;
  branchHead(repo: ForgeRepo, branch: string): Promise<string | null>;
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
  createPullRequest(
    repo: ForgeRepo,
    input: { title: string; body: string; head: string; base: string; issue: ForgeIssue },
  ): Promise<ForgePull>;
  comment(repo: ForgeRepo, target: { kind: 'issue' | 'pull'; id: string }, body: string): Promise<void>;
  closeIssue(repo: ForgeRepo, id: string): Promise<void>;
  deleteBranch(repo: ForgeRepo, name: string): Promise<void>;
}
