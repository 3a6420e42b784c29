/**
 * Patches that landed upstream, marked so by themselves (issue 12): for each mailing-list project that names
 * its upstream (scm_url), record the new upstream commits with their patch-ids, then match them against the
 * stored patches. Run as a step of every scan cycle, and over history by `patch-tracking mail match --since`.
 */
import { asc, eq, ne } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { mailProject, type MailProjectRow } from '../../db/schema/mail.js';
import { AppError, errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { GitSource } from '../../sources/git.js';
import type { GitOptions } from '../patch-id.js';
import { matchLanded, type MatchResult } from './match.js';
import { syncUpstream, type UpstreamSync } from './upstream.js';

export interface LandedOptions {
  git?: Partial<GitOptions>;
  /** a backfill: every upstream commit committed since then */
  since?: Date;
  /** only this project (link name) */
  project?: string;
  onProgress?: (event: LandedProgress) => void;
}

export type LandedProgress =
  | { phase: 'commits'; project: string; done: number; total: number }
  | { phase: 'project-done'; project: string; sync: UpstreamSync; match: MatchResult }
  | { phase: 'project-failed'; project: string; error: string };

export interface ProjectLanded {
  project: string;
  sync?: UpstreamSync;
  match?: MatchResult;
  error?: string;
}

/** Every project with an upstream (or the one named), each on its own: one failing upstream does not stop the others. */
export async function runLanded(db: Database, source: GitSource, options: LandedOptions = {}): Promise<ProjectLanded[]> {
  const git: GitOptions = { gitBinary: options.git?.gitBinary ?? 'git', timeoutMs: options.git?.timeoutMs ?? 10 * 60_000 };
  const projects = await projectsWithUpstream(db, options.project);
  const out: ProjectLanded[] = [];
  for (const project of projects) {
    try {
      const sync = await syncUpstream(db, project, source, {
        git,
        ...(options.since ? { since: options.since } : {}),
        onProgress: (done, total) => options.onProgress?.({ phase: 'commits', project: project.linkName, done, total }),
      });
      const match = await matchLanded(db, project, { git, ...(options.since ? { since: options.since } : {}) });
      options.onProgress?.({ phase: 'project-done', project: project.linkName, sync, match });
      out.push({ project: project.linkName, sync, match });
    } catch (err) {
      const error = errorMessage(err);
      options.onProgress?.({ phase: 'project-failed', project: project.linkName, error });
      out.push({ project: project.linkName, error });
    }
  }
  return out;
}

async function projectsWithUpstream(db: Database, linkName: string | undefined): Promise<MailProjectRow[]> {
  if (linkName === undefined) return db.select().from(mailProject).where(ne(mailProject.scmUrl, '')).orderBy(asc(mailProject.id));
  const [row] = await db.select().from(mailProject).where(eq(mailProject.linkName, linkName));
  if (!row) throw new AppError('not_found', `no project "${linkName}"`, { field: 'project' });
  if (!row.scmUrl) throw new AppError('invalid_project', `project "${linkName}" names no upstream repository: set one with \`patch-tracking project update ${linkName} --scm-url URL\``, { field: 'scm_url' });
  return [row];
}

/** The scan cycle's step: logs what landed and what failed, never throws (the engine's cycle goes on). */
export async function landedStep(db: Database, source: GitSource, logger: Logger): Promise<{ landed: number; failed: number }> {
  let landed = 0;
  let failed = 0;
  try {
    for (const r of await runLanded(db, source)) {
      if (r.error) {
        failed++;
        logger.warn({ project: r.project, err: r.error }, 'could not match the upstream commits of a project');
        continue;
      }
      landed += r.match!.landed.length;
      if (r.match!.landed.length) logger.info({ project: r.project, landed: r.match!.landed.map((l) => ({ patch: l.patchId, commit: l.sha, method: l.method })) }, 'patches landed upstream');
    }
  } catch (err) {
    failed++;
    logger.error({ err: errorMessage(err) }, 'landed-patch step failed');
  }
  return { landed, failed };
}
