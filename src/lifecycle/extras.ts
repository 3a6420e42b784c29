/**
 * The few forge calls the lifecycle needs beyond the publishing Forge interface: who may steer the bot,
 * editing the bodies of an open issue/PR, labels, and posting a check result. One small adapter per forge,
 * on the same HTTP layers as the publishing adapters (retries, timeouts, tokens never in messages).
 */
import type { Octokit } from '@octokit/rest';
import { AppError } from '../errors.js';
import { gh } from '../forges/octokit.js';
import { HttpClient, type HttpRequest } from '../forges/http.js';
import type { ForgeRepo } from '../forges/types.js';

export type Permission = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';

export interface CheckReport {
  /** success: applies; failure: conflict; neutral: nothing could be checked */
  conclusion: 'success' | 'failure' | 'neutral';
  title: string;
  /** markdown */
  summary: string;
}

export interface ForgeExtras {
  permission(repo: ForgeRepo, user: string): Promise<Permission>;
  updateIssueBody(repo: ForgeRepo, id: string, body: string): Promise<void>;
  updatePullBody(repo: ForgeRepo, number: string, body: string): Promise<void>;
  addPullLabel(repo: ForgeRepo, number: string, label: string): Promise<void>;
  /** GitHub: a check run (a commit status when the token may not create check runs); Gitee: a PR comment */
  reportCheck(repo: ForgeRepo, target: { sha: string; pull: string }, report: CheckReport): Promise<'check_run' | 'status' | 'comment'>;
}

export const WRITE_PERMISSIONS: ReadonlySet<Permission> = new Set(['admin', 'maintain', 'write']);
export const CHECK_NAME = 'patch-tracking/apply';

export class GitHubExtras implements ForgeExtras {
  private readonly getOctokit: () => Promise<Octokit>;

  /** an Octokit, or a lookup (the app installation's Octokit for this repository, else the token's) */
  constructor(
    octokit: Octokit | (() => Promise<Octokit>),
    private readonly secrets: string[] = [],
  ) {
    this.getOctokit = typeof octokit === 'function' ? octokit : async () => octokit;
  }

  async permission(repo: ForgeRepo, user: string): Promise<Permission> {
    try {
      const { data } = await gh(
        async () => (await this.getOctokit()).rest.repos.getCollaboratorPermissionLevel({ owner: repo.owner, repo: repo.name, username: user }),
        this.secrets,
      );
      // role_name knows maintain/triage; permission folds them into write/read
      const role = (data as { role_name?: string }).role_name ?? data.permission;
      return asPermission(role);
    } catch (err) {
      if (err instanceof AppError && err.upstreamStatus === 404) return 'none';
      throw err;
    }
  }

  async updateIssueBody(repo: ForgeRepo, id: string, body: string): Promise<void> {
    await gh(async () => (await this.getOctokit()).rest.issues.update({ owner: repo.owner, repo: repo.name, issue_number: Number(id), body }), this.secrets);
  }

  async updatePullBody(repo: ForgeRepo, number: string, body: string): Promise<void> {
    await gh(async () => (await this.getOctokit()).rest.pulls.update({ owner: repo.owner, repo: repo.name, pull_number: Number(number), body }), this.secrets);
  }

  async addPullLabel(repo: ForgeRepo, number: string, label: string): Promise<void> {
    await gh(
      async () => (await this.getOctokit()).rest.issues.addLabels({ owner: repo.owner, repo: repo.name, issue_number: Number(number), labels: [label] }),
      this.secrets,
    );
  }

  async reportCheck(repo: ForgeRepo, target: { sha: string; pull: string }, report: CheckReport): Promise<'check_run' | 'status'> {
    try {
      await gh(
        async () =>
          (await this.getOctokit()).rest.checks.create({
            owner: repo.owner,
            repo: repo.name,
            name: CHECK_NAME,
            head_sha: target.sha,
            status: 'completed',
            conclusion: report.conclusion,
            output: { title: report.title, summary: report.summary },
          }),
        this.secrets,
      );
      return 'check_run';
    } catch (err) {
      // only GitHub Apps may create check runs: a personal token gets 403 (or 404 on some servers)
      if (!(err instanceof AppError && (err.upstreamStatus === 403 || err.upstreamStatus === 404))) throw err;
    }
    const state = report.conclusion === 'failure' ? 'failure' : 'success';
    await gh(
      async () =>
        (await this.getOctokit()).rest.repos.createCommitStatus({
          owner: repo.owner,
          repo: repo.name,
          sha: target.sha,
          state,
          context: CHECK_NAME,
          description: report.title.slice(0, 140),
        }),
      this.secrets,
    );
    return 'status';
  }
}

export interface GiteeExtrasOptions {
  token: string;
  apiUrl: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export class GiteeExtras implements ForgeExtras {
  private readonly http: HttpClient;
  private readonly apiUrl: string;

  constructor(private readonly options: GiteeExtrasOptions) {
    if (!options.token) throw new AppError('forge_token_missing', 'GITEE_ACCESS_TOKEN is not set');
    this.apiUrl = options.apiUrl.replace(/\/+$/, '');
    this.http = new HttpClient({ timeoutMs: options.timeoutMs, secrets: [options.token], fetch: options.fetch });
  }

  async permission(repo: ForgeRepo, user: string): Promise<Permission> {
    try {
      const { data } = await this.http.request<{ permission?: string }>({
        method: 'GET',
        url: `${this.apiUrl}${repoPath(repo)}/collaborators/${enc(user)}/permission`,
        query: { access_token: this.options.token },
      });
      return asPermission(data?.permission);
    } catch (err) {
      if (err instanceof AppError && err.upstreamStatus === 404) return 'none';
      throw err;
    }
  }

  async updateIssueBody(repo: ForgeRepo, id: string, body: string): Promise<void> {
    await this.write('PATCH', `/repos/${enc(repo.owner)}/issues/${enc(id)}`, { repo: repo.name, body });
  }

  async updatePullBody(repo: ForgeRepo, number: string, body: string): Promise<void> {
    await this.write('PATCH', `${repoPath(repo)}/pulls/${enc(number)}`, { body });
  }

  async addPullLabel(repo: ForgeRepo, number: string, label: string): Promise<void> {
    // this endpoint takes a bare JSON array of label names, so the token goes in the query
    await this.http.request({
      method: 'POST',
      url: `${this.apiUrl}${repoPath(repo)}/pulls/${enc(number)}/labels`,
      query: { access_token: this.options.token },
      json: [label],
      retrySafe: true,
    });
  }

  async reportCheck(repo: ForgeRepo, target: { sha: string; pull: string }, report: CheckReport): Promise<'comment'> {
    const body = `**${CHECK_NAME}: ${report.title}**\n\n${report.summary}`;
    await this.write('POST', `${repoPath(repo)}/pulls/${enc(target.pull)}/comments`, { body });
    return 'comment';
  }

  private async write(method: HttpRequest['method'], path: string, body: Record<string, unknown>): Promise<void> {
    await this.http.request({ method, url: `${this.apiUrl}${path}`, json: { access_token: this.options.token, ...body } });
  }
}

function asPermission(value: string | undefined | null): Permission {
  const known: Permission[] = ['admin', 'maintain', 'write', 'triage', 'read', 'none'];
  return known.includes(value as Permission) ? (value as Permission) : 'none';
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}

function repoPath(repo: ForgeRepo): string {
  return `/repos/${enc(repo.owner)}/${enc(repo.name)}`;
}
