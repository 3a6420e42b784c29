/**
 * `version_control: github` upstreams through the GitHub API: branch heads of up to 100 repositories per
 * GraphQL query, commit ranges through the compare API, patch text through the patch media type.
 */
import type { Octokit } from '@octokit/rest';
import pLimit from 'p-limit';
import { AppError } from '../errors.js';
import { gh, githubError } from '../forges/octokit.js';
import { ownerAndName } from '../forges/resolve.js';
import { commitNotResolved, type HeadResult, type Source, type TrackedUpstream, type UpstreamCommit } from './types.js';

export interface GitHubSourceOptions {
  /** token or installation Octokit; createGitHubOctokit gives one with retries and timeouts */
  octokit: Octokit;
  /** repositories per GraphQL query (GitHub allows 100 aliased nodes comfortably) */
  headsPerQuery?: number;
  /** patch downloads in flight at once for one range */
  patchConcurrency?: number;
  /** scrubbed from error messages */
  secrets?: string[];
}

const COMPARE_PAGE_SIZE = 250;

export function parseGitHubRepo(scmRepo: string): { owner: string; name: string } {
  let path = scmRepo.trim();
  if (/^https?:\/\//i.test(path)) {
    try {
      path = new URL(path).pathname;
    } catch {
      path = '';
    }
  }
  const parsed = ownerAndName(path);
  if (!parsed) {
    throw new AppError('invalid_scm_repo', `scm_repo "${scmRepo}": expected owner/name or https://github.com/owner/name`, {
      field: 'scm_repo',
    });
  }
  return parsed;
}

interface HeadQueryTarget {
  owner: string;
  name: string;
  branch: string;
  ids: number[];
}

type RefNode = { ref: { target: { oid: string } | null } | null } | null;

export class GitHubSource implements Source {
  readonly kind = 'github';
  private readonly octokit: Octokit;
  private readonly headsPerQuery: number;
  private readonly patchConcurrency: number;
  private readonly secrets: string[];

  constructor(options: GitHubSourceOptions) {
    this.octokit = options.octokit;
    this.headsPerQuery = Math.min(100, Math.max(1, options.headsPerQuery ?? 100));
    this.patchConcurrency = Math.max(1, options.patchConcurrency ?? 4);
    this.secrets = options.secrets ?? [];
  }

  async heads(upstreams: TrackedUpstream[]): Promise<Map<number, HeadResult>> {
    const results = new Map<number, HeadResult>();
    // trackings of the same repository and branch share one alias
    const targets = new Map<string, HeadQueryTarget>();
    for (const upstream of upstreams) {
      let repo;
      try {
        repo = parseGitHubRepo(upstream.scmRepo);
      } catch (err) {
        results.set(upstream.id, { error: (err as Error).message });
        continue;
      }
      const key = `${repo.owner.toLowerCase()}/${repo.name.toLowerCase()}#${upstream.scmBranch}`;
      const target = targets.get(key) ?? { ...repo, branch: upstream.scmBranch, ids: [] };
      target.ids.push(upstream.id);
      targets.set(key, target);
    }
    const all = [...targets.values()];
    for (let start = 0; start < all.length; start += this.headsPerQuery) {
      const chunk = all.slice(start, start + this.headsPerQuery);
      for (const [target, result] of await this.queryHeads(chunk)) {
        for (const id of target.ids) results.set(id, result);
      }
    }
    return results;
  }

  private async queryHeads(chunk: HeadQueryTarget[]): Promise<Array<[HeadQueryTarget, HeadResult]>> {
    // variables, not string interpolation: repository and branch names come from users
    const params = chunk.map((_, i) => `$o${i}: String!, $n${i}: String!, $q${i}: String!`).join(', ');
    const fields = chunk
      .map((_, i) => `r${i}: repository(owner: $o${i}, name: $n${i}) { ref(qualifiedName: $q${i}) { target { oid } } }`)
      .join('\n  ');
    const query = `query(${params}) {\n  ${fields}\n}`;
    const variables: Record<string, string> = {};
    chunk.forEach((target, i) => {
      variables[`o${i}`] = target.owner;
      variables[`n${i}`] = target.name;
      variables[`q${i}`] = `refs/heads/${target.branch}`;
    });

    let data: Record<string, RefNode> | undefined;
    let errors: Array<{ path?: unknown[]; message?: string }> = [];
    try {
      data = await this.octokit.graphql<Record<string, RefNode>>(query, variables);
    } catch (err) {
      // a missing repository fails its own alias only: GitHub still answers the others in `data`
      const partial = err as { data?: Record<string, RefNode>; errors?: typeof errors };
      if (partial.data && Array.isArray(partial.errors)) {
        data = partial.data;
        errors = partial.errors;
      } else {
        const text = `GitHub head check failed: ${githubError(err, this.secrets).message}`;
        return chunk.map((target) => [target, { error: text }]);
      }
    }
    return chunk.map((target, i): [HeadQueryTarget, HeadResult] => {
      const alias = `r${i}`;
      const node = data?.[alias];
      const where = `${target.owner}/${target.name}`;
      if (!node) {
        const reason = errors.find((e) => Array.isArray(e.path) && e.path[0] === alias)?.message;
        return [target, { error: `repository ${where} not found or not accessible${reason ? ` (${reason})` : ''}` }];
      }
      const oid = node.ref?.target?.oid;
      if (!oid) return [target, { error: `branch ${target.branch} not found in ${where}` }];
      return [target, { sha: oid }];
    });
  }

  /** GitHub resolves an abbreviated sha like git does; 404 and 422 are its "no such commit". */
  async resolveCommit(upstream: TrackedUpstream, abbrev: string): Promise<string> {
    const { owner, name } = parseGitHubRepo(upstream.scmRepo);
    const given = abbrev.toLowerCase();
    const where = `${owner}/${name}`;
    try {
      const { data } = await gh(() => this.octokit.rest.repos.getCommit({ owner, repo: name, ref: given, per_page: 1 }), this.secrets);
      return data.sha;
    } catch (err) {
      if (err instanceof AppError && (err.code === 'forge_not_found' || err.upstreamStatus === 422)) {
        throw commitNotResolved(/ambiguous/i.test(err.message) ? 'commit_ambiguous' : 'commit_unknown', abbrev, where);
      }
      throw err;
    }
  }

  async range(upstream: TrackedUpstream, from: string, to: string): Promise<UpstreamCommit[]> {
    const { owner, name } = parseGitHubRepo(upstream.scmRepo);
    if (!from || !to) {
      throw new AppError('invalid_range', `${owner}/${name}: a commit range needs both ends (from "${from}", to "${to}")`, {
        field: 'scm_commit',
      });
    }
    if (from === to) return [];
    const listed: CompareCommit[] = [];
    for (let page = 1; ; page++) {
      const { data } = await gh(
        () =>
          this.octokit.rest.repos.compareCommitsWithBasehead({
            owner,
            repo: name,
            basehead: `${from}...${to}`,
            per_page: COMPARE_PAGE_SIZE,
            page,
          }),
        this.secrets,
      ).catch((err: AppError) => {
        if (err.code === 'forge_not_found') {
          throw new AppError(
            'upstream_not_found',
            `${owner}/${name}: cannot compare ${short(from)}...${short(to)}: repository or commit not found`,
            { field: 'scm_commit' },
          );
        }
        throw err;
      });
      if (data.status === 'diverged' || data.status === 'behind') {
        throw new AppError(
          'not_ancestor',
          `${owner}/${name}: scm_commit ${short(from)} is not an ancestor of ${upstream.scmBranch} (head ${short(to)}); ` +
            `the branch history was rewritten (compare status: ${data.status}). ` +
            'Set scm_commit to a commit on the branch to resume tracking.',
          { field: 'scm_commit' },
        );
      }
      if (data.status === 'identical') return [];
      listed.push(...data.commits);
      if (data.commits.length < COMPARE_PAGE_SIZE || listed.length >= data.total_commits) break;
    }
    // git format-patch semantics: merge commits carry no patch of their own
    const wanted = listed.filter((commit) => commit.parents.length <= 1);
    return pLimit(this.patchConcurrency).map(wanted, (commit) => this.toUpstreamCommit(owner, name, commit));
  }

  private async toUpstreamCommit(owner: string, name: string, commit: CompareCommit): Promise<UpstreamCommit> {
    const response = await gh(
      () =>
        this.octokit.request('GET /repos/{owner}/{repo}/commits/{ref}', {
          owner,
          repo: name,
          ref: commit.sha,
          headers: { accept: 'application/vnd.github.patch' },
        }),
      this.secrets,
    );
    const patch = response.data as unknown;
    if (typeof patch !== 'string' || !patch.startsWith('From ')) {
      throw new AppError('invalid_patch', `${owner}/${name}: GitHub did not return patch text for commit ${commit.sha}`);
    }
    const author = commit.commit.author;
    const committer = commit.commit.committer;
    const message = commit.commit.message;
    return {
      sha: commit.sha,
      parents: commit.parents.map((parent) => parent.sha),
      authorName: author?.name ?? '',
      authorEmail: author?.email ?? '',
      authorDate: isoUtc(author?.date),
      committerDate: isoUtc(committer?.date ?? author?.date),
      subject: message.split('\n', 1)[0] ?? '',
      message,
      patch,
      url: commit.html_url,
      // an empty commit's patch has headers but no diff: it gets no patch file (see patches/format.ts)
      empty: !/^diff --git /m.test(patch),
    };
  }
}

interface CompareCommit {
  sha: string;
  html_url: string;
  parents: Array<{ sha: string }>;
  commit: {
    message: string;
    author: { name?: string; email?: string; date?: string } | null;
    committer: { name?: string; email?: string; date?: string } | null;
  };
}

function short(sha: string): string {
  return sha.slice(0, 12);
}

function isoUtc(date: string | undefined): string {
  if (!date) return '';
  const parsed = new Date(date);
  return Number.isNaN(parsed.getTime()) ? date : parsed.toISOString().replace('.000Z', 'Z');
}
