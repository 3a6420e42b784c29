/**
 * Gitee API v5 adapter. v5 authenticates with `access_token` in the query string of GET/DELETE requests and in
 * the JSON body of POST/PUT/PATCH requests (the way the replaced program and Gitee's own docs do it); the
 * HttpClient scrubs it from every error message.
 */
import { z } from 'zod';
import { AppError } from '../errors.js';
import { HttpClient, type HttpClientOptions, type HttpRequest, type QueryValue } from './http.js';
import { bodyLinkingIssue, isDeletion, type FileChange, type Forge, type ForgeIssue, type ForgePull, type ForgeRepo } from './types.js';

export const DEFAULT_GITEE_API_URL = 'https://gitee.com/api/v5';

export interface GiteeForgeOptions extends Omit<HttpClientOptions, 'secrets'> {
  token: string;
  /** GITEE_API_URL */
  apiUrl?: string;
  /** issues are looked up among this user's; found with GET /user when not given */
  login?: string;
}

const branchSchema = z.object({ name: z.string(), commit: z.object({ sha: z.string() }) });
const fileSchema = z.object({ type: z.string().optional(), sha: z.string(), content: z.string().nullable().optional() });
const treeSchema = z.object({
  sha: z.string().optional(),
  tree: z.array(z.object({ path: z.string(), type: z.string(), sha: z.string() })),
  truncated: z.boolean().optional(),
});
const issueSchema = z.object({
  number: z.string(),
  html_url: z.string(),
  state: z.string(),
  body: z.string().nullable().optional(),
});
const pullSchema = z.object({
  number: z.union([z.number(), z.string()]),
  html_url: z.string(),
  state: z.string(),
  merged_at: z.string().nullable().optional(),
  head: z.object({ ref: z.string() }),
});
const userSchema = z.object({ login: z.string() });
const commitResultSchema = z.object({
  sha: z.string().optional(),
  commit: z.object({ sha: z.string().optional() }).optional(),
});

const PAGE_SIZE = 100;

export class GiteeForge implements Forge {
  readonly kind = 'gitee' as const;
  private readonly http: HttpClient;
  private readonly apiUrl: string;
  private readonly token: string;
  private login: string | undefined;

  constructor(options: GiteeForgeOptions) {
    if (!options.token) throw new AppError('forge_token_missing', 'GITEE_ACCESS_TOKEN is not set');
    this.token = options.token;
    this.apiUrl = (options.apiUrl ?? DEFAULT_GITEE_API_URL).replace(/\/+$/, '');
    this.login = options.login;
    this.http = new HttpClient({ ...options, secrets: [options.token] });
  }

  async branchHead(repo: ForgeRepo, branch: string): Promise<string | null> {
    const data = await this.getOrNull(`${repoPath(repo)}/branches/${encodeURIComponent(branch)}`);
    return data === null ? null : branchSchema.parse(data).commit.sha;
  }

  async createBranch(repo: ForgeRepo, name: string, from: string): Promise<void> {
    await this.write('POST', `${repoPath(repo)}/branches`, { refs: from, branch_name: name });
  }

  async readFile(repo: ForgeRepo, path: string, ref: string): Promise<{ content: string; sha: string } | null> {
    const data = await this.getOrNull(`${repoPath(repo)}/contents/${encodePath(path)}`, { ref });
    // Gitee answers a missing path with 200 and an empty array, and a directory with an array of entries
    if (data === null || Array.isArray(data)) return null;
    const file = fileSchema.parse(data);
    if (file.type !== undefined && file.type !== 'file') return null;
    return { content: Buffer.from(file.content ?? '', 'base64').toString('utf8'), sha: file.sha };
  }

  async listFiles(repo: ForgeRepo, ref: string): Promise<string[]> {
    const { data } = await this.get(`${repoPath(repo)}/git/trees/${encodeURIComponent(ref)}`);
    return treeSchema.parse(data).tree.filter((entry) => entry.type === 'blob').map((entry) => entry.path);
  }

  async commitFiles(repo: ForgeRepo, branch: string, message: string, files: FileChange[]): Promise<string> {
    if (files.length === 0) throw new AppError('invalid_commit', 'commitFiles needs at least one file');
    const existing = await this.existingBlobs(repo, branch, files.map((file) => file.path));
    const actions = files.map((file) =>
      isDeletion(file)
        ? { action: 'delete', path: file.path }
        : {
            action: existing.has(file.path) ? 'update' : 'create',
            path: file.path,
            content: Buffer.from(file.content, 'utf8').toString('base64'),
            encoding: 'base64',
          },
    );
    let result: unknown;
    try {
      result = await this.write('POST', `${repoPath(repo)}/commits`, { branch, message, actions });
    } catch (err) {
      const status = err instanceof AppError ? err.upstreamStatus : undefined;
      // instances without the multi-file endpoint: one contents call per file (more writes, same result)
      if (status !== 404 && status !== 405) throw err;
      return this.commitFileByFile(repo, branch, message, files, existing);
    }
    const parsed = commitResultSchema.safeParse(result);
    const sha = parsed.success ? (parsed.data.sha ?? parsed.data.commit?.sha) : undefined;
    if (sha) return sha;
    const head = await this.branchHead(repo, branch);
    if (!head) throw new AppError('forge_not_found', `branch ${branch} vanished from ${repo.webUrl}`);
    return head;
  }

  private async commitFileByFile(
    repo: ForgeRepo,
    branch: string,
    message: string,
    files: FileChange[],
    existing: Map<string, string>,
  ): Promise<string> {
    let last = '';
    for (const file of files) {
      const sha = existing.get(file.path);
      if (isDeletion(file)) {
        // already gone: nothing to delete (a resumed run)
        if (!sha) continue;
        // a DELETE carries its parameters in the query, as every v5 DELETE does
        const { data: result } = await this.http.request<unknown>({
          method: 'DELETE',
          url: this.url(`${repoPath(repo)}/contents/${encodePath(file.path)}`),
          query: { access_token: this.token, sha, message, branch },
        });
        const parsed = commitResultSchema.safeParse(result);
        last = (parsed.success ? parsed.data.commit?.sha : undefined) ?? last;
        continue;
      }
      const body = { content: Buffer.from(file.content, 'utf8').toString('base64'), message, branch, ...(sha ? { sha } : {}) };
      const result = await this.write(sha ? 'PUT' : 'POST', `${repoPath(repo)}/contents/${encodePath(file.path)}`, body);
      const parsed = commitResultSchema.safeParse(result);
      last = (parsed.success ? parsed.data.commit?.sha : undefined) ?? last;
    }
    return last || ((await this.branchHead(repo, branch)) ?? '');
  }

  /**
   * Looks through issues opened by the token's user, newest first, in every state: an issue that a maintainer
   * closed before an interrupted run resumed is still that run's issue and must not be opened twice.
   */
  async findIssueByMarker(repo: ForgeRepo, marker: string): Promise<ForgeIssue | null> {
    const creator = await this.tokenLogin();
    for (let page = 1; ; page++) {
      const { data } = await this.get(`${repoPath(repo)}/issues`, {
        state: 'all',
        creator,
        sort: 'created',
        direction: 'desc',
        per_page: PAGE_SIZE,
        page,
      });
      const issues = z.array(issueSchema).parse(data);
      const hit = issues.find((issue) => issue.body?.includes(marker));
      if (hit) return toIssue(hit);
      if (issues.length < PAGE_SIZE) return null;
    }
  }

  async createIssue(repo: ForgeRepo, input: { title: string; body: string }): Promise<ForgeIssue> {
    const data = await this.write('POST', `/repos/${enc(repo.owner)}/issues`, {
      repo: repo.name,
      title: input.title,
      body: input.body,
    });
    return toIssue(issueSchema.parse(data));
  }

  async findPullByHead(repo: ForgeRepo, head: string): Promise<ForgePull | null> {
    for (let page = 1; ; page++) {
      const { data } = await this.get(`${repoPath(repo)}/pulls`, { state: 'all', head, per_page: PAGE_SIZE, page });
      const pulls = z.array(pullSchema).parse(data);
      // filter again here: the head filter is advisory on some Gitee versions
      const hit = pulls.find((pull) => pull.head.ref === head);
      if (hit) return toPull(hit);
      if (pulls.length < PAGE_SIZE) return null;
    }
  }

  /** Gitee links `#I1ABCD` in a PR body to the issue (the `issue` field of the request links it too) */
  issueReference(issueId: string): string {
    return `#${issueId}`;
  }

  async createPullRequest(
    repo: ForgeRepo,
    input: { title: string; body: string; head: string; base: string; issue: ForgeIssue },
  ): Promise<ForgePull> {
    const body = bodyLinkingIssue(this, input.body, input.issue.id);
    const data = await this.write('POST', `${repoPath(repo)}/pulls`, {
      title: input.title,
      head: input.head,
      base: input.base,
      body,
      issue: input.issue.id,
      prune_source_branch: true,
    });
    return toPull(pullSchema.parse(data));
  }

  async comment(repo: ForgeRepo, target: { kind: 'issue' | 'pull'; id: string }, body: string): Promise<void> {
    const kind = target.kind === 'issue' ? 'issues' : 'pulls';
    await this.write('POST', `${repoPath(repo)}/${kind}/${enc(target.id)}/comments`, { body });
  }

  async closeIssue(repo: ForgeRepo, id: string): Promise<void> {
    await this.write('PATCH', `/repos/${enc(repo.owner)}/issues/${enc(id)}`, { repo: repo.name, state: 'closed' });
  }

  async deleteBranch(repo: ForgeRepo, name: string): Promise<void> {
    try {
      await this.http.request({
        method: 'DELETE',
        url: this.url(`${repoPath(repo)}/branches/${encodeURIComponent(name)}`),
        query: { access_token: this.token },
      });
    } catch (err) {
      if (err instanceof AppError && err.code === 'forge_not_found') return;
      throw err;
    }
  }

  private async tokenLogin(): Promise<string> {
    if (!this.login) {
      const { data } = await this.get('/user');
      this.login = userSchema.parse(data).login;
    }
    return this.login;
  }

  /** blob sha per existing path: create vs update, and the sha the per-file fallback must send */
  private async existingBlobs(repo: ForgeRepo, branch: string, paths: string[]): Promise<Map<string, string>> {
    // one read for the whole tree; a tree too big to list whole is asked about file by file
    const { data } = await this.get(`${repoPath(repo)}/git/trees/${encodeURIComponent(branch)}`, { recursive: 1 });
    const tree = treeSchema.parse(data);
    if (!tree.truncated) return new Map(tree.tree.filter((e) => e.type === 'blob').map((e) => [e.path, e.sha]));
    const existing = new Map<string, string>();
    for (const path of paths) {
      const file = await this.readFile(repo, path, branch);
      if (file) existing.set(path, file.sha);
    }
    return existing;
  }

  private url(path: string): string {
    return `${this.apiUrl}${path}`;
  }

  private get(path: string, query: Record<string, QueryValue> = {}) {
    return this.http.request<unknown>({ method: 'GET', url: this.url(path), query: { access_token: this.token, ...query } });
  }

  private async getOrNull(path: string, query: Record<string, QueryValue> = {}): Promise<unknown> {
    try {
      return (await this.get(path, query)).data;
    } catch (err) {
      if (err instanceof AppError && err.code === 'forge_not_found') return null;
      throw err;
    }
  }

  private async write(method: HttpRequest['method'], path: string, body: Record<string, unknown>): Promise<unknown> {
    const { data } = await this.http.request<unknown>({ method, url: this.url(path), json: { access_token: this.token, ...body } });
    return data;
  }
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}

function repoPath(repo: ForgeRepo): string {
  return `/repos/${enc(repo.owner)}/${enc(repo.name)}`;
}

function encodePath(path: string): string {
  return path.split('/').map(enc).join('/');
}

function toIssue(issue: z.infer<typeof issueSchema>): ForgeIssue {
  // Gitee issue states: open, progressing, closed, rejected
  const closed = issue.state === 'closed' || issue.state === 'rejected';
  return { id: issue.number, url: issue.html_url, state: closed ? 'closed' : 'open' };
}

function toPull(pull: z.infer<typeof pullSchema>): ForgePull {
  const state = pull.state === 'merged' || pull.merged_at ? 'merged' : pull.state === 'closed' ? 'closed' : 'open';
  return { number: String(pull.number), url: pull.html_url, state, head: pull.head.ref };
}
