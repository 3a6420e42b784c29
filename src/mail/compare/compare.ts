/**
 * What changed between two versions of a series (issue 12): real `git range-diff` when both apply to the
 * project's upstream mirror, else the stored diffs compared directly; the answer says which was used.
 */
import type { Database } from '../../db/client.js';
import type { Logger } from '../../log.js';
import type { UpstreamPolicy } from '../../sources/upstream-policy.js';
import { diffCompare } from './diff-compare.js';
import { loadComparePair } from './load.js';
import { rangeDiffOnMirror } from './range-diff.js';
import { summarize, type SeriesComparison } from './result.js';

export interface CompareOptions {
  /** DATA_DIR, where the upstream mirrors live; without it the diffs are compared */
  dataDir?: string;
  gitBinary?: string;
  /** per git command */
  timeoutMs?: number;
  /** which scm_url the service may fetch (ALLOW_LOCAL_UPSTREAMS, UPSTREAM_ALLOW_HOSTS); default: no local ones */
  upstreamPolicy?: UpstreamPolicy;
  /** where the reason an upstream could not be fetched goes */
  logger?: Logger;
}

export type { SeriesComparison } from './result.js';

/** Series `id` against `withId`, or against the version it revises when withId is absent. */
export async function compareSeries(db: Database, id: number, withId: number | undefined, options: CompareOptions = {}): Promise<SeriesComparison> {
  const pair = await loadComparePair(db, id, withId);
  const git = { gitBinary: options.gitBinary ?? 'git', timeoutMs: options.timeoutMs ?? 5 * 60_000 };
  if (!pair.scmUrl) return summarize(await diffCompare(pair, git, 'the project names no upstream repository (scm_url)'));
  if (!options.dataDir) return summarize(await diffCompare(pair, git, 'no data directory holds upstream mirrors here'));
  const result = await rangeDiffOnMirror(pair, { ...git, dataDir: options.dataDir, upstreamPolicy: options.upstreamPolicy, logger: options.logger });
  return summarize('unusable' in result ? await diffCompare(pair, git, result.unusable) : result);
}
