/**
 * After a range is published: run the apply check on its PR and post the result (check run or commit
 * status on GitHub, a PR comment on Gitee), labelling the PR `conflict` when the patches don't apply.
 */
import type { PublicationRow, TrackingRow } from '../db/schema/index.js';
import { gitUrlOf, type Forges } from '../forges/resolve.js';
import type { ForgeRepo } from '../forges/types.js';
import type { ForgeExtras } from '../lifecycle/extras.js';
import type { Logger } from '../log.js';
import { checkPatchesApply, type ApplyCheckResult } from './apply-check.js';
import { toReport } from './report.js';

export interface CloneSource {
  url: string;
  authorization?: string;
}

export interface VerifierDeps {
  forges: Pick<Forges, 'resolve'>;
  extras(repo: ForgeRepo): ForgeExtras;
  cloneSource(repo: ForgeRepo): CloneSource | Promise<CloneSource>;
  workRoot: string;
  logger: Logger;
  gitBinary?: string;
}

export const CONFLICT_LABEL = 'conflict';

/**
 * The repository's git URL (its forge's GIT_URL setting), with the forge token as a Basic Authorization header (Gitee: oauth2:<token>, GitHub:
 * x-access-token:<token>); `overrides` maps `owner/name` to another URL (tests: a file:// repository).
 */
export function cloneSourceFrom(tokens: { gitee?: string; github?: string }, overrides: Record<string, string> = {}) {
  return (repo: ForgeRepo): CloneSource => {
    const override = overrides[`${repo.owner}/${repo.name}`];
    if (override) return { url: override };
    const token = repo.forge === 'gitee' ? tokens.gitee : tokens.github;
    const user = repo.forge === 'gitee' ? 'oauth2' : 'x-access-token';
    return { url: gitUrlOf(repo), authorization: token ? basicAuthorization(user, token) : undefined };
  };
}

export function basicAuthorization(user: string, token: string): string {
  return `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}`;
}

export function createVerifier(deps: VerifierDeps) {
  return async (t: TrackingRow, p: PublicationRow): Promise<ApplyCheckResult | null> => {
    if (!p.prNumber || !p.commitSha || p.patchFiles.length === 0) return null;
    const repo = deps.forges.resolve(t.repo);
    const result = await checkPatchesApply({
      source: await deps.cloneSource(repo),
      targetBranch: p.targetBranch,
      tempBranch: p.tempBranch,
      patchFiles: p.patchFiles,
      workRoot: deps.workRoot,
      gitBinary: deps.gitBinary,
    });
    const extras = deps.extras(repo);
    const via = await extras.reportCheck(repo, { sha: p.commitSha, pull: p.prNumber }, toReport(result));
    if (result.outcome === 'conflict') await extras.addPullLabel(repo, p.prNumber, CONFLICT_LABEL);
    deps.logger.info({ tracking: t.id, pr: p.prNumber, outcome: result.outcome, via }, 'apply check done');
    return result;
  };
}
