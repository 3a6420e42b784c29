/**
 * Stored patches matched against the recorded upstream commits, as set operations in the database (a join
 * on the patch-id index, not a loop): first by `git patch-id --stable`, then, for a patch the maintainer
 * changed while applying it, by author address + normalized subject + author date within a window, kept
 * as a fuzzy match with its evidence. A matched patch in an action-required state moves to the project's
 * landed state with the commit as commit_ref and a patch-state-changed event; a maintainer's decision
 * (rejected, changes requested, …) is never overridden.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { rowsOf } from '../../db/rows.js';
import type { MailProjectRow } from '../../db/schema/mail.js';
import { diffPatchIds, type GitOptions } from '../patch-id.js';

export const FUZZY_WINDOW_DAYS = 14;

export interface LandedPatch {
  patchId: number;
  seriesId: number | null;
  sha: string;
  method: 'patch-id' | 'fuzzy';
  evidence: string;
}

export interface MatchResult {
  /** stored patches whose patch-id was computed now (ingested without one) */
  patchIdsComputed: number;
  landed: LandedPatch[];
  /** series whose patches are now all in the landed state */
  seriesAccepted: number[];
}

export interface MatchOptions {
  git: GitOptions;
  /** only upstream commits committed since then */
  since?: Date;
  windowDays?: number;
}

const PAGE = 1000;

export async function matchLanded(db: Database, project: MailProjectRow, options: MatchOptions): Promise<MatchResult> {
  const patchIdsComputed = await fillPatchIds(db, project.id, options.git);
  const since = options.since ? sql`and c.committer_date >= ${options.since.toISOString()}::timestamptz` : sql``;
  const byPatchId = sql`select distinct on (p.id) p.id as patch_id, c.sha, 'patch-id' as method,
      format('git patch-id %s equals upstream commit %s "%s" by %s <%s>', p.git_patch_id, c.sha, c.subject, c.author_name, c.author_email) as evidence
    from patch as p
    join state as st on st.project_id = p.project_id and st.slug = p.state and st.action_required
    join upstream_commit as c on c.project_id = p.project_id and c.patch_id = p.git_patch_id
    where p.project_id = ${project.id} and p.git_patch_id <> '' ${since}
      and not exists (select 1 from patch_landing as l where l.patch_id = p.id)
    order by p.id, c.committer_date, c.sha`;
  const window = `${options.windowDays ?? FUZZY_WINDOW_DAYS} days`;
  const fuzzy = sql`select distinct on (p.id) p.id as patch_id, c.sha, 'fuzzy' as method,
      format('fuzzy: no equal patch-id (mail %s, commit %s); upstream commit %s has the same author %s and subject "%s", authored %s, the mail is dated %s',
        coalesce(nullif(p.git_patch_id, ''), 'none'), coalesce(c.patch_id, 'none'), c.sha, c.author_email, c.subject,
        to_char(c.author_date at time zone 'UTC', 'YYYY-MM-DD HH24:MI "UTC"'), to_char(p.date at time zone 'UTC', 'YYYY-MM-DD HH24:MI "UTC"')) as evidence
    from patch as p
    join state as st on st.project_id = p.project_id and st.slug = p.state and st.action_required
    join person as pe on pe.id = p.submitter_id
    join upstream_commit as c on c.project_id = p.project_id and c.author_email = pe.email and c.subject_key = p.name_key
      and c.author_date between p.date - ${window}::interval and p.date + ${window}::interval
    where p.project_id = ${project.id} and p.name_key <> '' ${since}
      and not exists (select 1 from patch_landing as l where l.patch_id = p.id)
      and not exists (select 1 from patch_landing as l where l.project_id = c.project_id and l.sha = c.sha)
    order by p.id, abs(extract(epoch from c.author_date - p.date)), c.sha`;
  const landed = [...(await land(db, project, byPatchId)), ...(await land(db, project, fuzzy))];
  const seriesAccepted = await completeSeries(db, project, [...new Set(landed.map((l) => l.seriesId).filter((s): s is number => s !== null))]);
  return { patchIdsComputed, landed, seriesAccepted };
}

/** The candidates' patches moved to the landed state with their commit, landing record and event, in one statement. */
async function land(db: Database, project: MailProjectRow, candidates: SQL): Promise<LandedPatch[]> {
  const result = await db.execute(sql`with m as (${candidates}),
    moved as (
      update patch as p set state = ${project.landedState}, commit_ref = m.sha
      from m, state as st
      where p.id = m.patch_id and st.project_id = p.project_id and st.slug = p.state and st.action_required
      returning p.id, p.project_id, p.series_id, st.slug as previous, m.sha, m.method, m.evidence
    ),
    recorded as (
      insert into patch_landing (patch_id, project_id, sha, method, evidence)
      select id, project_id, sha, method, evidence from moved on conflict do nothing
    ),
    events as (
      insert into event (category, project_id, patch_id, series_id, payload)
      select 'patch-state-changed', project_id, id, series_id,
        jsonb_build_object('previous', previous, 'current', ${project.landedState}::text, 'commit_ref', sha, 'method', method, 'evidence', evidence)
      from moved
    )
    select id, series_id, sha, method, evidence from moved order by id`);
  return rowsOf<{ id: number; series_id: number | null; sha: string; method: 'patch-id' | 'fuzzy'; evidence: string }>(result).map((r) => ({
    patchId: Number(r.id),
    seriesId: r.series_id === null ? null : Number(r.series_id),
    sha: r.sha,
    method: r.method,
    evidence: r.evidence,
  }));
}

/**
 * The series (of those just touched) that arrived whole and whose every patch is now in the landed state:
 * a series-accepted event each (once), naming the commits.
 */
async function completeSeries(db: Database, project: MailProjectRow, seriesIds: number[]): Promise<number[]> {
  if (!seriesIds.length) return [];
  const result = await db.execute(sql`insert into event (category, project_id, series_id, payload)
    select 'series-accepted', s.project_id, s.id,
      jsonb_build_object('state', ${project.landedState}::text, 'commits', (select jsonb_agg(p.commit_ref order by p.number) from patch as p where p.series_id = s.id))
    from series as s
    where s.id in (select value::int from jsonb_array_elements_text(${JSON.stringify(seriesIds)}::jsonb))
      and s.received_all
      and not exists (select 1 from patch as p where p.series_id = s.id and p.state <> ${project.landedState})
      and not exists (select 1 from event as e where e.series_id = s.id and e.category = 'series-accepted')
    returning series_id`);
  return rowsOf<{ series_id: number }>(result).map((r) => Number(r.series_id));
}

/** Patch-ids for the project's patches stored without one (ingested before this existed, or without git). */
export async function fillPatchIds(db: Database, projectId: number, git: GitOptions): Promise<number> {
  let done = 0;
  let after = 0;
  for (;;) {
    const rows = rowsOf<{ id: number; diff: string }>(
      await db.execute(sql`select id, diff from patch where project_id = ${projectId} and git_patch_id is null and diff is not null and id > ${after} order by id limit ${PAGE}`),
    );
    if (!rows.length) return done;
    const ids = await diffPatchIds(rows.map((r) => r.diff), git);
    const values = rows.map((r, i) => ({ id: Number(r.id), pid: ids[i] ?? '' }));
    await db.execute(sql`update patch as p set git_patch_id = v.pid from json_to_recordset(${JSON.stringify(values)}::json) as v(id int, pid text) where p.id = v.id`);
    done += rows.length;
    after = Number(rows.at(-1)!.id);
  }
}
