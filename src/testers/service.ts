/**
 * Patchew-style testers: a tester asks for the next series (complete mail series) or published range its
 * capabilities match and that has not been tested under its test name, holds it under a lease, and reports
 * a result with a log. A lease that runs out without a report is handed to the next tester that asks. A
 * report becomes checks: one per patch of a series, or one on the range (context = the test name).
 */
import { and, asc, desc, eq, lt, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { publication, testerJob, tracking, type PublicationRow, type TesterJobRow, type TrackingRow } from '../db/schema/index.js';
import { mailProject, mailSeries, type MailProjectRow, type MailSeriesRow } from '../db/schema/mail.js';
import { rowsOf } from '../db/rows.js';
import { AppError } from '../errors.js';
import { createRangeCheck, createSeriesChecks, type CheckState } from '../checks/service.js';

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

export interface Report {
  result: Exclude<CheckState, 'pending'>;
  log: string;
  description?: string | null;
  targetUrl: string;
}

/** Records the result of a job the tester holds, then the checks it becomes. */
export async function reportJob(db: Database, jobId: number, tester: string, report: Report, now = new Date()): Promise<TesterJobRow> {
  const job = await findJob(db, jobId);
  if (job.tester !== tester) throw new AppError('conflict', `job ${jobId} is leased to another tester`, { status: 409, field: 'id' });
  if (job.status === 'done') throw new AppError('conflict', `job ${jobId} was reported already`, { status: 409, field: 'id' });
  const [done] = await db
    .update(testerJob)
    .set({ status: 'done', result: report.result, log: report.log, finishedAt: now })
    .where(and(eq(testerJob.id, jobId), eq(testerJob.tester, tester), eq(testerJob.status, 'running')))
    .returning();
  // a concurrent re-lease or report won
  if (!done) throw new AppError('conflict', `job ${jobId} is no longer leased to you`, { status: 409, field: 'id' });
  const input = { state: report.result, context: job.test, target_url: report.targetUrl, description: report.description ?? `${job.test}: ${report.result}` };
  if (job.kind === 'range') await createRangeCheck(db, job.subjectId, tester, input);
  else await createSeriesChecks(db, job.subjectId, tester, input);
  return done;
}

export async function findJob(db: Database, jobId: number): Promise<TesterJobRow> {
  const [job] = await db.select().from(testerJob).where(eq(testerJob.id, jobId));
  if (!job) throw new AppError('not_found', `no tester job ${jobId}`, { status: 404 });
  return job;
}

/** The log a tester reported; not_found until the job is reported. */
export async function jobLog(db: Database, jobId: number): Promise<string> {
  const job = await findJob(db, jobId);
  if (job.status !== 'done') throw new AppError('not_found', `job ${jobId} has not been reported yet`, { status: 404 });
  return job.log ?? '';
}

export interface JobFilter {
  kind?: JobKind;
  subjectId?: number;
  test?: string;
  status?: string;
}

/** Jobs, newest first (at most `limit`). */
export async function listJobs(db: Database, f: JobFilter, limit = 200): Promise<TesterJobRow[]> {
  const where: SQL[] = [];
  if (f.kind) where.push(eq(testerJob.kind, f.kind));
  if (f.subjectId !== undefined) where.push(eq(testerJob.subjectId, f.subjectId));
  if (f.test) where.push(eq(testerJob.test, f.test));
  if (f.status) where.push(eq(testerJob.status, f.status));
  return db
    .select()
    .from(testerJob)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(testerJob.id))
    .limit(limit);
}

/** What a job is about (null parts when its subject is gone). */
export type JobSubject =
  | { kind: 'series'; series: MailSeriesRow | null; project: MailProjectRow | null }
  | { kind: 'range'; range: PublicationRow | null; tracking: TrackingRow | null };

/** The series and its project, or the published range and its tracking, that a tester needs to run a job. */
export async function jobSubject(db: Database, job: TesterJobRow): Promise<JobSubject> {
  if (job.kind === 'series') {
    const [row] = await db
      .select({ s: mailSeries, p: mailProject })
      .from(mailSeries)
      .innerJoin(mailProject, eq(mailProject.id, mailSeries.projectId))
      .where(eq(mailSeries.id, job.subjectId));
    return { kind: 'series', series: row?.s ?? null, project: row?.p ?? null };
  }
  const [row] = await db
    .select({ p: publication, t: tracking })
    .from(publication)
    .innerJoin(tracking, eq(tracking.id, publication.trackingId))
    .where(eq(publication.id, job.subjectId));
  return { kind: 'range', range: row?.p ?? null, tracking: row?.t ?? null };
}
