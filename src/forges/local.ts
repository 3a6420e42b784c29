/**
 * A packaging repository on the service's own disk (an absolute path or a file:// URL, bare or a
 * checkout) as a tracking's target. It exists so a maintainer can see what the bot would publish before
 * giving it a forge token: dry runs read the target branch's files from it. It is read-only: a local
 * repository has no issues or pull requests, and the service must not change a maintainer's checkout, so
 * every write is refused with `local_target_read_only` (a blocking error: a retry won't help).
 */
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AppError } from '../errors.js';
import { assertBranchName } from '../sources/git-ref.js';
import { runGit, runGitOk, type GitRunOptions } from '../sources/git-run.js';
import type { FileChange, Forge, ForgeIssue, ForgePull, ForgeRepo } from './types.js';

/** Whether a tracking's `repo` names a local repository rather than a forge's. */
export function isLocalTarget(repo: string): boolean {
  return repo.startsWith('/') || /^file:\/\//i.test(repo);
}

/** The ForgeRepo of a local target; `owner` is empty, `name` (for `<name>.spec`) is the folder's name without `.git`. */
export function resolveLocalTarget(repo: string): ForgeRepo {
  const bad = (why: string) => new AppError('invalid_repo', `repo "${repo}": ${why}`, { field: 'repo' });
  let path = repo;
  if (/^file:\/\//i.test(repo)) {
    try {
      path = fileURLToPath(repo);
    } catch {
      throw bad('is not a valid file:// URL (expected file:///absolute/path)');
    }
  }
  if (!path.startsWith('/')) throw bad('a local repository must be an absolute path or a file:// URL');
  if (/[\x00-\x1f\x7f]/.test(path) || path.split('/').includes('..')) throw bad('a local path must not contain ".." or control characters');
  const dir = path.length > 1 ? path.replace(/\/+$/, '') : path;
  const name = basename(dir).replace(/\.git$/, '');
  if (!name) throw bad('names no repository folder');
  return { forge: 'local', owner: '', name, webUrl: pathToFileURL(dir).href };
}

export function localTargetReadOnly(repo: ForgeRepo): AppError {
  return new AppError(
    'local_target_read_only',
    `${repo.webUrl} is a local repository: it is read-only and serves dry runs only (scan --dry-run); ` +
      'set repo to the Gitee or GitHub repository to publish',
    { field: 'repo' },
  );
}

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** Reads a local repository with git (no network, no writes); branch names are checked before they reach git. */
export class LocalForge implements Forge {
  readonly kind = 'local' as const;

  constructor(private readonly options: { gitBinary?: string; timeoutMs?: number } = {}) {}

  async branchHead(repo: ForgeRepo, branch: string): Promise<string | null> {
    assertBranchName(branch, 'branch');
    await this.assertRepository(repo);
    const result = await runGit(this.args(repo, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`), this.opts());
    const sha = result.stdout.toString('utf8').trim();
    return result.exitCode === 0 && SHA.test(sha) ? sha : null;
  }

  async readFile(repo: ForgeRepo, path: string, ref: string): Promise<{ content: string; sha: string } | null> {
    const commit = await this.commitOf(repo, ref);
    const entry = await runGitOk(this.args(repo, 'ls-tree', '-z', commit, '--', path.replace(/^\/+/, '')), this.opts());
    // `<mode> blob <id>\t<path>`; nothing (absent) or a tree is no file
    const m = /^\d+ blob ([0-9a-f]+)\t/.exec(entry.toString('utf8'));
    if (!m) return null;
    const content = await runGitOk(this.args(repo, 'cat-file', 'blob', m[1]!), this.opts());
    return { content: content.toString('utf8'), sha: m[1]! };
  }

  async listFiles(repo: ForgeRepo, ref: string): Promise<string[]> {
    const commit = await this.commitOf(repo, ref);
    const out = await runGitOk(this.args(repo, 'ls-tree', '--name-only', '-z', commit), this.opts());
    return out.toString('utf8').split('\0').filter(Boolean);
  }

  issueReference(issueId: string): string {
    return `Issue: ${issueId}`;
  }

  async createBranch(repo: ForgeRepo): Promise<void> {
    throw localTargetReadOnly(repo);
  }

  async commitFiles(repo: ForgeRepo, _branch: string, _message: string, _files: FileChange[]): Promise<string> {
    throw localTargetReadOnly(repo);
  }

  async findIssueByMarker(): Promise<ForgeIssue | null> {
    return null;
  }

  async createIssue(repo: ForgeRepo): Promise<ForgeIssue> {
    throw localTargetReadOnly(repo);
  }

  async findPullByHead(): Promise<ForgePull | null> {
    return null;
  }

  async createPullRequest(repo: ForgeRepo): Promise<ForgePull> {
    throw localTargetReadOnly(repo);
  }

  async comment(repo: ForgeRepo): Promise<void> {
    throw localTargetReadOnly(repo);
  }

  async closeIssue(repo: ForgeRepo): Promise<void> {
    throw localTargetReadOnly(repo);
  }

  async deleteBranch(repo: ForgeRepo): Promise<void> {
    throw localTargetReadOnly(repo);
  }

  /** The commit a branch name (or a sha) points at; a missing branch is a clear not-found error. */
  private async commitOf(repo: ForgeRepo, ref: string): Promise<string> {
    if (SHA.test(ref)) return ref;
    const sha = await this.branchHead(repo, ref);
    if (!sha) throw new AppError('forge_not_found', `branch "${ref}" does not exist in ${repo.webUrl}`, { field: 'branch' });
    return sha;
  }

  /** A missing folder would otherwise surface as "could not run git": say what is wrong with the repo instead. */
  private async assertRepository(repo: ForgeRepo): Promise<void> {
    const isDir = await stat(fileURLToPath(repo.webUrl)).then((s) => s.isDirectory(), () => false);
    const probe = isDir ? await runGit(this.args(repo, 'rev-parse', '--git-dir'), this.opts()) : null;
    if (!probe || probe.exitCode !== 0) {
      throw new AppError('invalid_repo', `repo ${repo.webUrl} is not a git repository the service can read`, { field: 'repo' });
    }
  }

  /**
   * git pointed at the repository itself (`<dir>/.git` for a checkout, `<dir>` for a bare one), so a folder
   * that merely sits inside some other repository is not read as that repository.
   */
  private args(repo: ForgeRepo, ...rest: string[]): string[] {
    const dir = fileURLToPath(repo.webUrl);
    return [`--git-dir=${existsSync(join(dir, '.git')) ? join(dir, '.git') : dir}`, ...rest];
  }

  private opts(): GitRunOptions {
    return { gitBinary: this.options.gitBinary ?? 'git', timeoutMs: this.options.timeoutMs ?? 60_000 };
  }
}
