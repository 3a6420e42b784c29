/**
 * Patchew-style testers: a tester asks for the next series (complete mail series) or published range its
 * capabilities match and that has not been tested under its test name, holds it under a lease, and reports
 * a result with a log. A lease that runs out without a report is handed to the next tester that asks. A
 * report becomes checks: one per patch of a series, or one on the range (context = the test name).
 */
import { and, asc, eq, lt, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { publication, testerJob, tracking, type TesterJobRow } from '../../db/schema/index.js';
import { mailPatch, mailProject, mailSeries } from '../../db/schema/mail.js';
import { AppError } from '../../errors.js';
import { createPatchCheck, createRangeCheck, type CheckState } from '../checks/service.js';

export type JobKind = 'series' | 'range';

export interface Capabilities {
  test: string;
  kinds: JobKind[];
  /** globs over mail project link names (series) */
  projects: string[];
  /** globs over a tracking's target repo or upstream repo (ranges) */
  repos: string[];
  leaseSeconds: number;
}

/** `*` any run, `?` one character; everything else literal (SQL LIKE with escapes). */
export function globToLike(glob: string): string {
  return glob.replace(/[\\%_]/g, (m) => `\\${m}`).replace(/\*/g, '%').replace(/\?/g, '_');
}

function anyLike(column: SQL | unknown, globs: string[]): SQL {
  if (!globs.length) return sql`true`;
  return sql`(${sql.join(
    globs.map((g) => sql`${column} like ${globToLike(g)}`),
    sql` or `,
  )})`;
}

export async function claimJob(db: Database, tester: string, cap: Capabilities, now = new Date()): Promise<TesterJobRow | null> {
  const leaseUntil = new Date(now.getTime() + cap.leaseSeconds * 1000);
  return db.transaction(async (tx) => {
    // 1. abandoned work first: a lease that ran out without a report
    for (const kind of cap.kinds) {
      const match =
        kind === 'series'
          ? sql`exists (select 1 from ${mailSeries} s join ${mailProject} p on p.id = s.project_id where s.id = ${testerJob.subjectId} and ${anyLike(sql`p.link_name`, cap.projects)})`
          : sql`exists (select 1 from ${publication} r join ${tracking} t on t.id = r.tracking_id where r.id = ${testerJob.subjectId} and (${anyLike(sql`t.repo`, cap.repos)} or ${anyLike(sql`t.scm_repo`, cap.repos)}))`;
      const [stale] = await tx
        .select()
        .from(testerJob)
        .where(and(eq(testerJob.kind, kind), eq(testerJob.test, cap.test), eq(testerJob.status, 'running'), lt(testerJob.leaseExpiresAt, now), match))
        .orderBy(asc(testerJob.id))
        .limit(1)
        .for('update', { skipLocked: true });
      if (stale) {
        const [row] = await tx
          .update(testerJob)
          .set({ tester, leasedAt: now, leaseExpiresAt: leaseUntil, attempts: sql`${testerJob.attempts} + 1` })
          .where(eq(testerJob.id, stale.id))
          .returning();
        return row!;
      }
    }
    // 2. the oldest subject nobody has taken for this test
    for (const kind of cap.kinds) {
      for (let attempt = 0; attempt < 5; attempt++) {
        const untaken = sql`not exists (select 1 from ${testerJob} j where j.kind = ${kind} and j.test = ${cap.test} and j.subject_id = c.id)`;
        const candidates =
          kind === 'series'
            ? await tx.execute(
                sql`select c.id from ${mailSeries} c join ${mailProject} p on p.id = c.project_id
                    where c.received_all and ${anyLike(sql`p.link_name`, cap.projects)} and ${untaken} order by c.id limit 1`,
              )
            : await tx.execute(
                sql`select c.id from ${publication} c join ${tracking} t on t.id = c.tracking_id
                    where c.step = 'done' and (${anyLike(sql`t.repo`, cap.repos)} or ${anyLike(sql`t.scm_repo`, cap.repos)}) and ${untaken} order by c.id limit 1`,
              );
        const id = rowsOf<{ id: number }>(candidates)[0]?.id;
        if (id === undefined) break;
        const [row] = await tx
          .insert(testerJob)
          .values({ kind, subjectId: Number(id), test: cap.test, tester, leasedAt: now, leaseExpiresAt: leaseUntil })
          .onConflictDoNothing()
          .returning();
        if (row) return row;
      }
    }
    return null;
  });
}

function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}

export interface Report {
  result: Exclude<CheckState, 'pending'>;
  log: string;
  description?: string | null;
  targetUrl: string;
}

/** Records the result of a job the tester holds, then the checks it becomes. */
export async function reportJob(db: Database, jobId: number, tester: string, report: Report, now = new Date()): Promise<TesterJobRow> {
  const [job] = await db.select().from(testerJob).where(eq(testerJob.id, jobId));
  if (!job) throw new AppError('not_found', `no tester job ${jobId}`);
  if (job.tester !== tester) throw new AppError('conflict', `job ${jobId} is leased to another tester`, { field: 'id' });
  if (job.status === 'done') throw new AppError('conflict', `job ${jobId} was reported already`, { field: 'id' });
  const [done] = await db
    .update(testerJob)
    .set({ status: 'done', result: report.result, log: report.log, finishedAt: now })
    .where(and(eq(testerJob.id, jobId), eq(testerJob.tester, tester), eq(testerJob.status, 'running')))
    .returning();
  // a concurrent re-lease or report won
  if (!done) throw new AppError('conflict', `job ${jobId} is no longer leased to you`, { field: 'id' });
  const input = { state: report.result, context: job.test, target_url: report.targetUrl, description: report.description ?? `${job.test}: ${report.result}` };
  if (job.kind === 'range') await createRangeCheck(db, job.subjectId, tester, input);
  else {
    const patches = await db.select({ id: mailPatch.id }).from(mailPatch).where(eq(mailPatch.seriesId, job.subjectId)).orderBy(asc(mailPatch.number));
    for (const p of patches) await createPatchCheck(db, p.id, tester, input);
  }
  return done;
}
