/**
 * Activity over time, for the dashboard's plots: weekly figures of the trackings' PRs and daily figures of a
 * mailing list. Aggregated in SQL over UTC buckets, with every bucket of the window present (zero when
 * nothing happened), oldest first.
 *
 * The tracking table keeps only the current state, so "commits behind" in the past is derived from what is
 * stored: the commits of each published range count as behind from the week the range was published until
 * its PR was merged or closed.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { rowsOf } from '../db/rows.js';
import { invalidInput } from '../errors.js';

export interface WeeklyTrackingActivity {
  /** Monday 00:00 UTC of the week */
  week: Date;
  prsOpened: number;
  prsMerged: number;
  /** commits of published ranges whose PR was still open at the end of the week */
  commitsBehind: number;
}

export interface DailyMailActivity {
  /** 00:00 UTC of the day */
  day: Date;
  /** mails of the project stored that day (patches, covers and comments) */
  mails: number;
  /** patches dated that day, by their current state's slug */
  patchesByState: Record<string, number>;
}

export const MAX_WEEKS = 104;
export const MAX_DAYS = 366;

function bounded(n: number, max: number, field: string): number {
  if (!Number.isInteger(n) || n < 1 || n > max) throw invalidInput(field, `must be a whole number from 1 to ${max}`);
  return n;
}

/** The `count` weeks or days (UTC) that end with the one holding `until`, each as a row named after the unit. */
function buckets(unit: 'week' | 'day', count: number, until: string): SQL {
  const u = sql.raw(`'${unit}'`);
  const step = sql.raw(`interval '1 ${unit}'`);
  return sql`select generate_series(
    date_trunc(${u}, ${until}::timestamptz at time zone 'UTC') - (${count - 1}::int * ${step}),
    date_trunc(${u}, ${until}::timestamptz at time zone 'UTC'),
    ${step}) as ${sql.raw(unit)}`;
}

/** The last `weeks` weeks (the current one included) of one tracking, or of all trackings without `trackingId`. */
export async function weeklyTrackingActivity(db: Database, options: { trackingId?: number; weeks: number; until?: Date }): Promise<WeeklyTrackingActivity[]> {
  const weeks = bounded(options.weeks, MAX_WEEKS, 'weeks');
  const until = (options.until ?? new Date()).toISOString();
  const ofTracking = (column: string) => (options.trackingId === undefined ? sql`true` : sql`${sql.raw(column)} = ${options.trackingId}`);
  const rows = rowsOf<{ week: string; prs_opened: number | string; prs_merged: number | string; commits_behind: number | string }>(
    await db.execute(sql`
      with buckets as (${buckets('week', weeks, until)}),
      opened as (
        select date_trunc('week', i.created_at at time zone 'UTC') as week, count(*) as n
        from issue i where i.pr_number is not null and ${ofTracking('i.tracking_id')}
          and i.created_at >= (select min(week) from buckets) at time zone 'UTC'
        group by 1
      ),
      merged as (
        select date_trunc('week', coalesce(i.merged_at, i.updated_at) at time zone 'UTC') as week, count(*) as n
        from issue i where i.state = 'merged' and ${ofTracking('i.tracking_id')}
          and coalesce(i.merged_at, i.updated_at) >= (select min(week) from buckets) at time zone 'UTC'
        group by 1
      ),
      ranges as (
        select p.created_at at time zone 'UTC' as published, jsonb_array_length(p.commits) as commits,
          case when i.state = 'merged' then coalesce(i.merged_at, i.updated_at)
               when i.state in ('closed', 'rejected') then coalesce(i.closed_at, i.updated_at)
          end at time zone 'UTC' as ended
        from publication p left join issue i on i.repo = p.target_repo and i.issue = p.issue_id
        where ${ofTracking('p.tracking_id')} and p.step not in ('failed', 'rejected')
      ),
      behind as (
        select b.week, sum(r.commits) as n
        from buckets b join ranges r on r.published < b.week + interval '1 week' and (r.ended is null or r.ended >= b.week + interval '1 week')
        group by b.week
      )
      select to_char(b.week, 'YYYY-MM-DD') as week, coalesce(o.n, 0) as prs_opened, coalesce(m.n, 0) as prs_merged, coalesce(be.n, 0) as commits_behind
      from buckets b left join opened o on o.week = b.week left join merged m on m.week = b.week left join behind be on be.week = b.week
      order by b.week`),
  );
  return rows.map((r) => ({ week: utc(r.week), prsOpened: Number(r.prs_opened), prsMerged: Number(r.prs_merged), commitsBehind: Number(r.commits_behind) }));
}

/** The last `days` days (today included) of one mailing-list project. */
export async function dailyMailActivity(db: Database, options: { projectId: number; days: number; until?: Date }): Promise<DailyMailActivity[]> {
  const days = bounded(options.days, MAX_DAYS, 'days');
  const until = (options.until ?? new Date()).toISOString();
  const rows = rowsOf<{ day: string; mails: number | string; states: Record<string, number> | string | null }>(
    await db.execute(sql`
      with buckets as (${buckets('day', days, until)}),
      start as (select min(day) at time zone 'UTC' as at from buckets),
      mails as (
        select date_trunc('day', m.received_at at time zone 'UTC') as day, count(*) as n
        from mail_message m where m.project_id = ${options.projectId} and m.received_at >= (select at from start)
        group by 1
      ),
      patches as (
        select day, jsonb_object_agg(state, n) as states from (
          select date_trunc('day', p.date at time zone 'UTC') as day, p.state, count(*) as n
          from patch p where p.project_id = ${options.projectId} and p.date >= (select at from start)
          group by 1, 2
        ) s group by day
      )
      select to_char(b.day, 'YYYY-MM-DD') as day, coalesce(m.n, 0) as mails, p.states
      from buckets b left join mails m on m.day = b.day left join patches p on p.day = b.day
      order by b.day`),
  );
  return rows.map((r) => {
    const states = typeof r.states === 'string' ? (JSON.parse(r.states) as Record<string, number>) : (r.states ?? {});
    return { day: utc(r.day), mails: Number(r.mails), patchesByState: Object.fromEntries(Object.entries(states).map(([k, v]) => [k, Number(v)])) };
  });
}

/** A bucket's date (`YYYY-MM-DD`, UTC) as the instant it starts. */
function utc(day: string): Date {
  return new Date(`${day}T00:00:00Z`);
}
