/**
 * GitHub adapter on @octokit/rest. Takes any Octokit (token-based from createGitHubOctokit, or a GitHub App
 * installation's), so authentication stays with whoever built it.
 */
import type { Octokit } from '@octokit/rest';
import { AppError } from '../errors.js';
import { gh } from './octokit.js';
import { bodyLinkingIssue, isDeletion, type FileChange, type Forge, type ForgeIssue, type ForgePull, type ForgeRepo } from './types.js';

export interface GitHubForgeOptions {
  /** the login issues are created by (an app's is `<slug>[bot]`); found with GET /user when not given */
  login?: string;
  /** scrubbed from error messages */
  secrets?: string[];
}

const PAGE_SIZE = 100;
/** replaying these cannot create a visible duplicate (content-addressed objects, a same-sha ref update) */
const REPLAY_SAFE = { request: { retrySafe: true } } as const;

export class GitHubForge implements Forge {
  readonly kind = 'github' as const;
  private login: string | null | undefined;
  private readonly secrets: string[];

  constructor(
    private readonly octokit: Octokit,
    options: GitHubForgeOptions = {},
  ) {
    this.login = options.login;
    this.secrets = options.secrets ?? [];
  }

  async branchHead(repo: ForgeRepo, branch: string): Promise<string | null> {
    try {
      const { data } = await this.call(() =>
        this.octokit.rest.git.getRef({ owner: repo.owner, repo: repo.name, ref: `heads/${branch}` }),
      );
      return data.object.sha;
    } catch (err) {
      if (err instanceof AppError && err.code === 'forge_not_found') return null;
      throw err;
    }
  }

  async createBranch(repo: ForgeRepo, name: string, from: string): Promise<void> {
    const sha = await this.branchHead(repo, from);
    if (!sha) throw new AppError('forge_not_found', `branch ${from} does not exist in ${repo.webUrl}`);
    await this.call(() =>
      this.octokit.rest.git.createRef({ owner: repo.owner, repo: repo.name, ref: `refs/heads/${name}`, sha }),
    );
  }

  async readFile(repo: ForgeRepo, path: string, ref: string): Promise<{ content: string; sha: string } | null> {
    let data;
    try {
      ({ data } = await this.call(() => this.octokit.rest.repos.getContent({ owner: repo.owner, repo: repo.name, path, ref })));
    } catch (err) {
      if (err instanceof AppError && err.code === 'forge_not_found') return null;
      throw err;
    }
    if (Array.isArray(data) || data.type !== 'file') return null;
    // files over 1 MB come without content: fetch the blob instead
    let base64 = data.content;
    if (!base64 && data.size > 0) {
      const blob = await this.call(() =>
        this.octokit.rest.git.getBlob({ owner: repo.owner, repo: repo.name, file_sha: data.sha }),
      );
      base64 = blob.data.content;
    }
    return { content: Buffer.from(base64 ?? '', 'base64').toString('utf8'), sha: data.sha };
  }

  async listFiles(repo: ForgeRepo, ref: string): Promise<string[]> {
    const { data } = await this.call(() =>
      this.octokit.rest.git.getTree({ owner: repo.owner, repo: repo.name, tree_sha: ref }),
    );
    return data.tree.filter((entry) => entry.type === 'blob' && entry.path).map((entry) => entry.path!);
  }

  /** one tree + one commit + one ref update, however many files (contents inline: no blob requests) */
  async commitFiles(repo: ForgeRepo, branch: string, message: string, files: FileChange[]): Promise<string> {
    if (files.length === 0) throw new AppError('invalid_commit', 'commitFiles needs at least one file');
    const owner = repo.owner;
    const name = repo.name;
    const parent = await this.branchHead(repo, branch);
    if (!parent) throw new AppError('forge_not_found', `branch ${branch} does not exist in ${repo.webUrl}`);
    const parentCommit = await this.call(() => this.octokit.rest.git.getCommit({ owner, repo: name, commit_sha: parent }));
    const tree = await this.call(() =>
      this.octokit.rest.git.createTree({
        owner,
        repo: name,
        base_tree: parentCommit.data.tree.sha,
        // a null sha removes the path from the base tree
        tree: files.map((file) =>
          isDeletion(file)
            ? { path: file.path, mode: '100644' as const, type: 'blob' as const, sha: null }
            : { path: file.path, mode: '100644' as const, type: 'blob' as const, content: file.content },
        ),
        ...REPLAY_SAFE,
      }),
    );
    const commit = await this.call(() =>
      this.octokit.rest.git.createCommit({ owner, repo: name, message, tree: tree.data.sha, parents: [parent], ...REPLAY_SAFE }),
    );
    await this.call(() =>
      this.octokit.rest.git.updateRef({
        owner,
        repo: name,
        ref: `heads/${branch}`,
        sha: commit.data.sha,
        force: false,
        ...REPLAY_SAFE,
      }),
    );
    return commit.data.sha;
  }

  /** newest first, every state, only the bot's own issues when its login is known; pull requests skipped */
  async findIssueByMarker(repo: ForgeRepo, marker: string): Promise<ForgeIssue | null> {
    const creator = await this.tokenLogin();
    for (let page = 1; ; page++) {
      const { data } = await this.call(() =>
        this.octokit.rest.issues.listForRepo({
          owner: repo.owner,
          repo: repo.name,
          state: 'all',
          ...(creator ? { creator } : {}),
          sort: 'created',
          direction: 'desc',
          per_page: PAGE_SIZE,
          page,
        }),
      );
      const hit = data.find((issue) => !issue.pull_request && (issue.body ?? '').includes(marker));
      if (hit) return { id: String(hit.number), url: hit.html_url, state: hit.state === 'closed' ? 'closed' : 'open' };
      if (data.length < PAGE_SIZE) return null;
    }
  }

  async createIssue(repo: ForgeRepo, input: { title: string; body: string }): Promise<ForgeIssue> {
    const { data } = await this.call(() =>
      this.octokit.rest.issues.create({ owner: repo.owner, repo: repo.name, title: input.title, body: input.body }),
    );
    return { id: String(data.number), url: data.html_url, state: data.state === 'closed' ? 'closed' : 'open' };
  }

  async findPullByHead(repo: ForgeRepo, head: string): Promise<ForgePull | null> {
    const { data } = await this.call(() =>
      this.octokit.rest.pulls.list({
        owner: repo.owner,
        repo: repo.name,
        state: 'all',
        head: `${repo.owner}:${head}`,
        per_page: PAGE_SIZE,
      }),
    );
    const hit = data.find((pull) => pull.head.ref === head);
    return hit ? toPull(hit) : null;
  }

  issueReference(issueId: string): string {
    return closingReference(issueId);
  }

  async createPullRequest(
    repo: ForgeRepo,
    input: { title: string; body: string; head: string; base: string; issue: ForgeIssue },
  ): Promise<ForgePull> {
    const body = bodyLinkingIssue(this, input.body, input.issue.id);
    const { data } = await this.call(() =>
      this.octokit.rest.pulls.create({
        owner: repo.owner,
        repo: repo.name,
        title: input.title,
        body,
        head: input.head,
        base: input.base,
      }),
    );
    return toPull(data);
  }

  async comment(repo: ForgeRepo, target: { kind: 'issue' | 'pull'; id: string }, body: string): Promise<void> {
    // pull requests take conversation comments through the issues API
    await this.call(() =>
      this.octokit.rest.issues.createComment({ owner: repo.owner, repo: repo.name, issue_number: Number(target.id), body }),
    );
  }

  async closeIssue(repo: ForgeRepo, id: string): Promise<void> {
    await this.call(() =>
      this.octokit.rest.issues.update({ owner: repo.owner, repo: repo.name, issue_number: Number(id), state: 'closed' }),
    );
  }

  async deleteBranch(repo: ForgeRepo, name: string): Promise<void> {
    try {
      await this.call(() => this.octokit.rest.git.deleteRef({ owner: repo.owner, repo: repo.name, ref: `heads/${name}` }));
    } catch (err) {
      // GitHub answers 422 "Reference does not exist" for a branch that is already gone
      if (err instanceof AppError && (err.upstreamStatus === 404 || err.upstreamStatus === 422)) return;
      throw err;
    }
  }

  private async tokenLogin(): Promise<string | null> {
    if (this.login === undefined) {
      try {
        const { data } = await this.call(() => this.octokit.rest.users.getAuthenticated());
        this.login = data.login;
      } catch (err) {
        // installation tokens cannot call GET /user: search every issue instead of only the bot's
        if (err instanceof AppError && (err.code === 'forge_auth' || err.code === 'forge_not_found')) this.login = null;
        else throw err;
      }
    }
    return this.login;
  }

  private call<T>(fn: () => Promise<T>): Promise<T> {
    return gh(fn, this.secrets);
  }
}

/** GitHub closes the issue when a PR whose body says `Closes #N` is merged. */
export function closingReference(issueId: string): string {
  return `Closes #${issueId}`;
}

function toPull(pull: { number: number; html_url: string; state: string; merged_at?: string | null; head: { ref: string } }): ForgePull {
  const state = pull.merged_at ? 'merged' : pull.state === 'closed' ? 'closed' : 'open';
  return { number: String(pull.number), url: pull.html_url, state, head: pull.head.ref };
}
