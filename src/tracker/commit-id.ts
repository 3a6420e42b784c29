/**
 * scm_commit may be any abbreviation git accepts (the old program's own examples use `abc123`). It becomes the
 * full id the upstream knows: when a tracking is added, if the upstream answers then, else at its first scan.
 */
import { and, eq } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { tracking, type TrackingRow } from '../db/schema/index.js';
import type { TrackingInput } from '../db/trackings.js';
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import { FULL_COMMIT_ID, type Source } from '../sources/types.js';

type Sources = Partial<Record<string, Source>>;

const NOT_RESOLVED = new Set(['commit_unknown', 'commit_ambiguous']);

/**
 * Add time: the input with scm_commit made full. The upstream's "no such commit" (or "several") is the user's
 * error and is thrown; an upstream that cannot answer now leaves the abbreviation for the first scan.
 */
export async function resolveInputCommit(sources: Sources, input: TrackingInput, logger?: Logger): Promise<TrackingInput> {
  const source = sources[input.versionControl];
  const given = input.scmCommit;
  if (!given || FULL_COMMIT_ID.test(given) || !source?.resolveCommit) return input;
  try {
    return { ...input, scmCommit: await source.resolveCommit({ id: 0, ...input }, given) };
  } catch (err) {
    if (err instanceof AppError && NOT_RESOLVED.has(err.code)) throw err;
    logger?.warn({ repo: input.repo, branch: input.branch, err: err instanceof Error ? err.message : String(err) }, 'scm_commit left abbreviated: resolved at the first scan');
    return input;
  }
}

/** Scan time: the tracking with its scm_commit made full (stored unless a dry run, and unless a user changed it meanwhile). */
export async function withFullCommit(db: Database, source: Source, t: TrackingRow, options: { dryRun?: boolean } = {}): Promise<TrackingRow> {
  const given = t.scmCommit;
  if (!given || FULL_COMMIT_ID.test(given) || !source.resolveCommit) return t;
  const full = await source.resolveCommit({ id: t.id, versionControl: t.versionControl, scmRepo: t.scmRepo, scmBranch: t.scmBranch, scmCommit: given }, given);
  if (!options.dryRun) await db.update(tracking).set({ scmCommit: full }).where(and(eq(tracking.id, t.id), eq(tracking.scmCommit, given)));
  return { ...t, scmCommit: full };
}
