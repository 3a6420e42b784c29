/** Which forge a tracking's `repo` value points at, and the adapter that publishes there. */
import type { Octokit } from '@octokit/rest';
import { AppError } from '../errors.js';
import { GiteeForge } from './gitee.js';
import { GitHubForge } from './github.js';
import { isLocalTarget, LocalForge, resolveLocalTarget } from './local.js';
import type { Sleep } from './http.js';
import { createGitHubOctokit } from './octokit.js';
import type { Forge, ForgeKind, ForgeRepo } from './types.js';

export interface ForgeHosts {
  /** web hosts whose repo URLs are Gitee repositories (GITEE_HOSTS); gitee.com always is */
  giteeHosts?: readonly string[];
  /** web hosts whose repo URLs are GitHub repositories (GITHUB_HOSTS), e.g. a GitHub Enterprise host */
  githubHosts?: readonly string[];
}

/** one segment of `owner/name` as GitHub and Gitee allow it */
const NAME = /^[A-Za-z0-9_.-]+$/;

/** The owner and name in a repository path (`o/r`, `/o/r.git/`); null unless it is exactly two valid segments. */
export function ownerAndName(path: string): { owner: string; name: string } | null {
  const parts = path.replace(/^\/+/, '').replace(/\/+$/, '').replace(/\.git$/, '').split('/');
  if (parts.length !== 2 || !parts.every((part) => NAME.test(part))) return null;
  return { owner: parts[0]!, name: parts[1]! };
}

/**
 * `https://gitee.com/o/r` → gitee, `https://github.com/o/r` → github, bare `o/r` → gitee (the old behaviour);
 * a `.git` suffix and trailing slashes are tolerated. An absolute path or a file:// URL is a local
 * repository (read-only, for dry runs).
 */
export function resolveForgeRepo(repo: string, hosts: ForgeHosts = {}): ForgeRepo {
  const value = repo.trim();
  const bad = (why: string) => new AppError('invalid_repo', `repo "${repo}": ${why}`, { field: 'repo' });
  if (!value) throw bad('is empty');
  if (isLocalTarget(value)) return resolveLocalTarget(value);

  let host = 'gitee.com';
  let scheme = 'https:';
  let path = value;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw bad('is not a valid URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw bad('expected an https:// URL, owner/name or a local path');
    host = url.host.toLowerCase();
    scheme = url.protocol;
    path = url.pathname;
  }
  const parsed = ownerAndName(path);
  if (!parsed) throw bad('expected owner/name or https://<host>/owner/name');
  const { owner, name } = parsed;
  const forge = forgeForHost(host, hosts);
  if (!forge) {
    throw bad(`host ${host} is not a known forge (add it to GITEE_HOSTS or GITHUB_HOSTS)`);
  }
  return { forge, owner, name, webUrl: `${scheme}//${host}/${owner}/${name}` };
}

function forgeForHost(host: string, hosts: ForgeHosts): ForgeKind | undefined {
  const matches = (list: readonly string[] | undefined, fixed: string) =>
    host === fixed || (list ?? []).some((h) => h.trim().toLowerCase() === host);
  if (matches(hosts.giteeHosts, 'gitee.com')) return 'gitee';
  if (matches(hosts.githubHosts, 'github.com')) return 'github';
  return undefined;
}

/** The settings fields createForges reads (names as in src/settings.ts). */
export interface ForgeSettings extends ForgeHosts {
  giteeAccessToken?: string;
  giteeApiUrl?: string;
  githubAccessToken?: string;
  githubApiUrl?: string;
  /** per-request timeout for both forges */
  forgeTimeoutMs?: number;
  /** e.g. a GitHub App installation's Octokit; used instead of building one from githubAccessToken */
  githubOctokit?: Octokit;
  sleep?: Sleep;
  now?: () => number;
}

export interface Forges {
  /** the adapter for this repository; AppError('forge_token_missing') naming the setting when it has no token */
  forRepo(repo: ForgeRepo): Forge;
  resolve(repo: string): ForgeRepo;
}

export function createForges(settings: ForgeSettings): Forges {
  const built = new Map<ForgeKind, Forge>();
  const build = (repo: ForgeRepo): Forge => {
    if (repo.forge === 'local') return new LocalForge();
    const where = repo.webUrl.replace(/^https?:\/\//, '');
    if (repo.forge === 'gitee') {
      if (!settings.giteeAccessToken) {
        throw new AppError('forge_token_missing', `GITEE_ACCESS_TOKEN is not set: cannot publish to ${where}`, { status: 500 });
      }
      return new GiteeForge({
        token: settings.giteeAccessToken,
        apiUrl: settings.giteeApiUrl,
        timeoutMs: settings.forgeTimeoutMs,
        sleep: settings.sleep,
        now: settings.now,
      });
    }
    if (settings.githubOctokit) return new GitHubForge(settings.githubOctokit);
    if (!settings.githubAccessToken) {
      throw new AppError('forge_token_missing', `GITHUB_ACCESS_TOKEN is not set: cannot publish to ${where}`, { status: 500 });
    }
    const octokit = createGitHubOctokit({
      token: settings.githubAccessToken,
      apiUrl: settings.githubApiUrl,
      timeoutMs: settings.forgeTimeoutMs,
      sleep: settings.sleep,
    });
    return new GitHubForge(octokit, { secrets: [settings.githubAccessToken] });
  };
  return {
    forRepo(repo) {
      let forge = built.get(repo.forge);
      if (!forge) {
        forge = build(repo);
        built.set(repo.forge, forge);
      }
      return forge;
    },
    resolve: (repo) => resolveForgeRepo(repo, settings),
  };
}
