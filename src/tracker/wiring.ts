/** Builds the engine's sources and forges from the settings, explaining what can't run and why. */
import type { Octokit } from '@octokit/rest';
import type { Database } from '../db/client.js';
import type { Logger } from '../log.js';
import { createGitHubOctokit } from '../forges/octokit.js';
import { createForges, type Forges } from '../forges/resolve.js';
import type { Settings } from '../settings.js';
import { GitSource } from '../sources/git.js';
import { GitHubSource } from '../sources/github.js';
import { MailSource } from '../sources/mail.js';
import type { UpstreamPolicy } from '../sources/upstream-policy.js';
import type { Source } from '../sources/types.js';

export interface EngineParts {
  sources: Partial<Record<string, Source>>;
  unavailable: Partial<Record<string, string>>;
  forges: Forges;
}

/**
 * `db` holds the mailing lists' series, the mail source's upstream; `upstreamPolicy` says which git URLs may
 * be fetched (built once from the settings, shared with the API's add-time check).
 */
export function buildEngineParts(
  settings: Settings,
  db: Database,
  options: { upstreamPolicy: UpstreamPolicy; logger?: Logger; githubOctokit?: Octokit },
): EngineParts {
  const git = new GitSource({ dataDir: settings.dataDir, upstreamPolicy: options.upstreamPolicy, logger: options.logger });
  const sources: Partial<Record<string, Source>> = { git, mail: new MailSource(db) };
  const unavailable: Partial<Record<string, string>> = {};
  if (options.githubOctokit || settings.githubAccessToken) {
    const octokit = options.githubOctokit ?? createGitHubOctokit({ token: settings.githubAccessToken, apiUrl: settings.githubApiUrl });
    sources.github = new GitHubSource({ octokit, secrets: [settings.githubAccessToken].filter(Boolean) });
  } else {
    unavailable.github = 'GITHUB_ACCESS_TOKEN is not set (and the GitHub App is not installed on this upstream): cannot read github upstreams';
  }
  return { sources, unavailable, forges: createForges({ ...settings, githubOctokit: options.githubOctokit }) };
}
