/** Which forge a tracking's `repo` value points at, and the adapter that publishes there. */
import type { Octokit } from '@octokit/rest';
import { AppError } from '../errors.js';
import { DEFAULT_GITEE_API_URL, GiteeForge } from './gitee.js';
import { GitHubForge } from './github.js';
import { isLocalTarget, LocalForge, resolveLocalTarget } from './local.js';
import type { Sleep } from './http.js';
import { createGitHubOctokit, DEFAULT_GITHUB_API_URL } from './octokit.js';
import type { Forge, ForgeKind, ForgeRepo } from './types.js';

export interface ForgeHosts {
  /** web hosts whose repo URLs are Gitee repositories (GITEE_HOSTS); gitee.com and the Gitee web URL's host always are */
  giteeHosts?: readonly string[];
  /** web hosts whose repo URLs are GitHub repositories (GITHUB_HOSTS), e.g. a GitHub Enterprise host */
  githubHosts?: readonly string[];
  giteeApiUrl?: string;
  githubApiUrl?: string;
  /** GITEE_WEB_URL, GITEE_GIT_URL, GITHUB_WEB_URL, GITHUB_GIT_URL: empty means derived (forgeBases) */
  giteeWebUrl?: string;
  giteeGitUrl?: string;
  githubWebUrl?: string;
  githubGitUrl?: string;
}

export interface ForgeBase {
  /** web pages: `<web>/owner/name` */
  web: string;
  /** git repositories: `<git>/owner/name.git` */
  git: string;
}

/**
 * The one place that says where each forge lives, from its settings. Unset web URLs follow the API URL (a
 * self-hosted Gitee or GitHub Enterprise serves its pages where its API is), unset git URLs the web URL.
 */
/** the forges that live at an address (a local target is a path) */
type RemoteForge = Exclude<ForgeKind, 'local'>;

export function forgeBases(settings: ForgeHosts): Record<RemoteForge, ForgeBase> {
  const base = (web: string | undefined, git: string | undefined, apiUrl: string): ForgeBase => {
    const w = trimSlash(web || webOfApi(apiUrl));
    return { web: w, git: trimSlash(git || w) };
  };
  return {
    gitee: base(settings.giteeWebUrl, settings.giteeGitUrl, settings.giteeApiUrl || DEFAULT_GITEE_API_URL),
    github: base(settings.githubWebUrl, settings.githubGitUrl, settings.githubApiUrl || DEFAULT_GITHUB_API_URL),
  };
}

/** https://gitee.com/api/v5 → https://gitee.com; https://api.github.com → https://github.com; https://h/api/v3 → https://h */
function webOfApi(apiUrl: string): string {
  const url = new URL(apiUrl);
  const host = url.host.replace(/^api\./, '');
  const path = url.pathname.replace(/\/api(\/v\d+)?\/*$/, '');
  return `${url.protocol}//${host}${path}`;
}

const trimSlash = (url: string) => url.replace(/\/+$/, '');

/** Where git fetches a repository: its forge's git URL, or next to its web page for a repo built elsewhere. */
export function gitUrlOf(repo: ForgeRepo): string {
  return repo.gitUrl ?? `${repo.webUrl}.git`;
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
 * `https://gitee.com/o/r` → gitee, `https://github.com/o/r` → github, bare `o/r` → gitee (the old behaviour)
 * at the Gitee web URL; a `.git` suffix and trailing slashes are tolerated. An absolute path or a file:// URL
 * is a local repository (read-only, for dry runs).
 */
export function resolveForgeRepo(repo: string, hosts: ForgeHosts = {}): ForgeRepo {
  const value = repo.trim();
  const bad = (why: string) => new AppError('invalid_repo', `repo "${repo}": ${why}`, { field: 'repo' });
  if (!value) throw bad('is empty');
  if (isLocalTarget(value)) return resolveLocalTarget(value);
  const bases = forgeBases(hosts);

  const giteeWeb = new URL(bases.gitee.web);
  let host = giteeWeb.host;
  let scheme = giteeWeb.protocol;
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
  const forge = forgeForHost(host, hosts, bases);
  if (!forge) {
    throw bad(`host ${host} is not a known forge (add it to GITEE_HOSTS or GITHUB_HOSTS)`);
  }
  const webUrl = `${scheme}//${host}/${owner}/${name}`;
  const base = bases[forge];
  // a repository at the forge's own web address is fetched from the forge's git address
  const gitUrl = webUrl.toLowerCase() === `${base.web}/${owner}/${name}`.toLowerCase() ? `${base.git}/${owner}/${name}.git` : `${webUrl}.git`;
  return { forge, owner, name, webUrl, gitUrl };
}

function forgeForHost(host: string, hosts: ForgeHosts, bases: Record<RemoteForge, ForgeBase>): RemoteForge | undefined {
  const matches = (list: readonly string[] | undefined, fixed: string, base: ForgeBase) =>
    host === fixed || host === new URL(base.web).host || (list ?? []).some((h) => h.trim().toLowerCase() === host);
  if (matches(hosts.giteeHosts, 'gitee.com', bases.gitee)) return 'gitee';
  if (matches(hosts.githubHosts, 'github.com', bases.github)) return 'github';
  return undefined;
}

/** The settings fields createForges reads (names as in src/settings.ts). */
export interface ForgeSettings extends ForgeHosts {
  giteeAccessToken?: string;
  githubAccessToken?: string;
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
        throw new AppError('forge_token_missing', `GITEE_ACCESS_TOKEN is not set: cannot publish to ${where}`);
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
      throw new AppError('forge_token_missing', `GITHUB_ACCESS_TOKEN is not set: cannot publish to ${where}`);
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
