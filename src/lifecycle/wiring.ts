/** Builds the lifecycle's parts from the settings: forge extras per repository and the engine's run hooks. */
import type { Octokit } from '@octokit/rest';
import { join } from 'node:path';
import type { Database } from '../db/client.js';
import { AppError } from '../errors.js';
import { createGitHubOctokit } from '../forges/octokit.js';
import type { ForgeRepo } from '../forges/types.js';
import type { Logger } from '../log.js';
import type { PublishOptions } from '../publish/publish.js';
import type { Settings } from '../settings.js';
import type { RunHooks } from '../tracker/run.js';
import type { EngineParts } from '../tracker/wiring.js';
import { basicAuthorization, cloneSourceFrom, createVerifier, type CloneSource } from '../verify/hook.js';
import { GiteeExtras, GitHubExtras, type ForgeExtras } from './extras.js';
import type { InstallationRegistry } from './installations.js';
import { extendOpenPull } from './update-open.js';

type ExtrasSettings = Pick<Settings, 'giteeAccessToken' | 'giteeApiUrl' | 'githubAccessToken' | 'githubApiUrl'>;

export function extrasFactory(settings: ExtrasSettings, registry?: InstallationRegistry): (repo: ForgeRepo) => ForgeExtras {
  let tokenOctokit: Octokit | undefined;
  const github = (repo: ForgeRepo) =>
    new GitHubExtras(async () => {
      const installed = registry ? await registry.octokitFor(repo.owner, repo.name) : null;
      if (installed) return installed;
      if (!settings.githubAccessToken) {
        throw new AppError('forge_token_missing', `GITHUB_ACCESS_TOKEN is not set and the GitHub App is not installed on ${repo.owner}/${repo.name}`);
      }
      return (tokenOctokit ??= createGitHubOctokit({ token: settings.githubAccessToken, apiUrl: settings.githubApiUrl }));
    }, [settings.githubAccessToken].filter(Boolean));
  return (repo) => (repo.forge === 'gitee' ? new GiteeExtras({ token: settings.giteeAccessToken, apiUrl: settings.giteeApiUrl }) : github(repo));
}

/**
 * Where the app is installed on a GitHub target, the apply check fetches with an installation token (a
 * private repository may have no personal token with access); elsewhere with the forge token.
 */
export function cloneSourceWith(tokens: { gitee?: string; github?: string }, registry?: InstallationRegistry) {
  const plain = cloneSourceFrom(tokens);
  return async (repo: ForgeRepo): Promise<CloneSource> => {
    const base = plain(repo);
    if (repo.forge !== 'github' || !registry) return base;
    const octokit = await registry.octokitFor(repo.owner, repo.name);
    if (!octokit) return base;
    const { token } = (await octokit.auth({ type: 'installation' })) as { token?: string };
    return token ? { url: base.url, authorization: basicAuthorization('x-access-token', token) } : base;
  };
}

export interface HookDeps {
  registry?: InstallationRegistry;
  db: Database;
  logger: Logger;
  parts: EngineParts;
  publish: PublishOptions;
  extras(repo: ForgeRepo): ForgeExtras;
}

/** UPDATE_OPEN_PR's in-place extension (when on) and the apply check after every publication. */
export function runHooks(settings: Pick<Settings, 'updateOpenPr' | 'dataDir' | 'giteeAccessToken' | 'githubAccessToken'>, deps: HookDeps): Required<RunHooks> | Omit<Required<RunHooks>, 'extendOpen'> {
  const verify = createVerifier({
    forges: deps.parts.forges,
    extras: deps.extras,
    cloneSource: cloneSourceWith({ gitee: settings.giteeAccessToken, github: settings.githubAccessToken }, deps.registry),
    workRoot: join(settings.dataDir, 'verify'),
    logger: deps.logger,
  });
  const onPublished: RunHooks['onPublished'] & {} = async (t, p) => {
    await verify(t, p);
  };
  if (!settings.updateOpenPr) return { onPublished };
  return {
    onPublished,
    extendOpen: extendOpenPull({ db: deps.db, logger: deps.logger, forges: deps.parts.forges, extras: deps.extras, sources: deps.parts.sources, unavailable: deps.parts.unavailable, publish: deps.publish }),
  };
}
