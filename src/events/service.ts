/**
 * One stream of events for CI to poll: the mail side (Patchwork's categories, table `event`, written by
 * the mail store and by maintainers' changes) and the range side (table `range_event`: range-published,
 * range-check-created, pr-merged, pr-closed). Both tables draw ids from one sequence, so the union is
 * ordered and paged by id.
 */
import { and, desc, eq, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { publication, rangeEvent } from '../db/schema/index.js';
import { rowsOf } from '../db/rows.js';

export const RANGE_EVENT_CATEGORIES = ['range-published', 'range-check-created', 'pr-merged', 'pr-closed'] as const;
export type RangeEventCategory = (typeof RANGE_EVENT_CATEGORIES)[number];

export const MAIL_EVENT_CATEGORIES = [
  'cover-created',
  'patch-created',
  'patch-completed',
  'patch-state-changed',
  'patch-delegated',
  'check-created',
  'series-created',
  'series-completed',
  'series-accepted',
  // a followed public-inbox epoch whose history was rewritten (src/mail/follow/)
  'archive-rewritten',
  // the rewrite accepted: the epoch's cursor moved to its new history (payload: previous, cursor, reingest)
  'archive-rewrite-accepted',
] as const;

export const EVENT_CATEGORIES: readonly string[] = [...MAIL_EVENT_CATEGORIES, ...RANGE_EVENT_CATEGORIES];

export interface EventRecord {
  id: number;
  category: string;
  projectId: number | null;
  patchId: number | null;
  coverId: number | null;
  seriesId: number | null;
  trackingId: number | null;
  publicationId: number | null;
  actor: string | null;
  payload: Record<string, unknown>;
  date: Date;
}

export interface EventFilter {
  categories?: string[];
  projectId?: number;
  patchId?: number;
  coverId?: number;
  seriesId?: number;
  trackingId?: number;
  publicationId?: number;
  since?: Date;
  before?: Date;
  /** only events with a greater id (a poller's cursor) */
  afterId?: number;
  /** only events with a smaller id (the next page of a newest-first feed) */
  beforeId?: number;
  /** only the mail side (Patchwork clients filtering by project see only mail events anyway) */
  mailOnly?: boolean;
}

/** Records a range event (the engine and lifecycle call this; see src/ci/publish-hook.ts). */
export async function recordRangeEvent(
  db: Database,
  e: { category: RangeEventCategory; trackingId: number | null; publicationId: number | null; actor?: string | null; payload?: Record<string, unknown> },
): Promise<number> {
  const [row] = await db
    .insert(rangeEvent)
    .values({ category: e.category, trackingId: e.trackingId, publicationId: e.publicationId, actor: e.actor ?? null, payload: e.payload ?? {} })
    .returning({ id: rangeEvent.id });
  return row!.id;
}

/**
 * A PR the bot opened was merged or closed (the lifecycle calls this): records pr-merged / pr-closed on
 * the range it was published for. `repo` is the tracking's target repo as stored; null when no published
 * range has that PR.
 */
export async function recordPullClosed(db: Database, e: { repo: string; prNumber: string; merged: boolean; actor?: string | null; prUrl?: string | null }): Promise<number | null> {
  const [p] = await db
    .select({ id: publication.id, trackingId: publication.trackingId })
    .from(publication)
    .where(and(eq(publication.targetRepo, e.repo), eq(publication.prNumber, e.prNumber)))
    .orderBy(desc(publication.id))
    .limit(1);
  if (!p) return null;
  return recordRangeEvent(db, {
    category: e.merged ? 'pr-merged' : 'pr-closed',
    trackingId: p.trackingId,
    publicationId: p.id,
    actor: e.actor ?? null,
    payload: { pr: e.prNumber, ...(e.prUrl ? { pr_url: e.prUrl } : {}) },
  });
}

function union(f: EventFilter): SQL {
  const mail: SQL[] = [sql`true`];
  const range: SQL[] = [sql`true`];
  if (f.categories) {
    mail.push(sql`category in (${sql.join(f.categories.map((c) => sql`${c}`), sql`, `)})`);
    range.push(sql`category in (${sql.join(f.categories.map((c) => sql`${c}`), sql`, `)})`);
  }
  if (f.afterId !== undefined) {
    mail.push(sql`id > ${f.afterId}`);
    range.push(sql`id > ${f.afterId}`);
  }
  if (f.beforeId !== undefined) {
    mail.push(sql`id < ${f.beforeId}`);
    range.push(sql`id < ${f.beforeId}`);
  }
  if (f.since) {
    mail.push(sql`date >= ${f.since.toISOString()}::timestamptz`);
    range.push(sql`date >= ${f.since.toISOString()}::timestamptz`);
  }
  if (f.before) {
    mail.push(sql`date < ${f.before.toISOString()}::timestamptz`);
    range.push(sql`date < ${f.before.toISOString()}::timestamptz`);
  }
  // a mail-side filter excludes range events and the other way round
  const mailSide = f.mailOnly || f.projectId !== undefined || f.patchId !== undefined || f.coverId !== undefined || f.seriesId !== undefined;
  const rangeSide = f.trackingId !== undefined || f.publicationId !== undefined;
  if (f.projectId !== undefined) mail.push(sql`project_id = ${f.projectId}`);
  if (f.patchId !== undefined) mail.push(sql`patch_id = ${f.patchId}`);
  if (f.coverId !== undefined) mail.push(sql`cover_id = ${f.coverId}`);
  if (f.seriesId !== undefined) mail.push(sql`series_id = ${f.seriesId}`);
  if (f.trackingId !== undefined) range.push(sql`tracking_id = ${f.trackingId}`);
  if (f.publicationId !== undefined) range.push(sql`publication_id = ${f.publicationId}`);
  const parts: SQL[] = [];
  if (!rangeSide)
    parts.push(sql`select id, category, project_id, patch_id, cover_id, series_id, null::int as tracking_id, null::int as publication_id, actor, payload, date
      from event where ${sql.join(mail, sql` and `)}`);
  if (!mailSide)
    parts.push(sql`select id, category, null::int as project_id, null::int as patch_id, null::int as cover_id, null::int as series_id, tracking_id, publication_id, actor, payload, date
      from range_event where ${sql.join(range, sql` and `)}`);
  if (!parts.length) return sql`select null::int as id where false`;
  return sql.join(parts, sql` union all `);
}

interface RawEvent {
  id: number;
  category: string;
  project_id: number | null;
  patch_id: number | null;
  cover_id: number | null;
  series_id: number | null;
  tracking_id: number | null;
  publication_id: number | null;
  actor: string | null;
  payload: Record<string, unknown> | string;
  date: Date | string;
}

/** `count: false` skips counting the matching events (a feed paged by id needs no total); count is then -1. */
export async function listEvents(
  db: Database,
  f: EventFilter,
  page: { limit: number; offset: number; newestFirst: boolean; count?: boolean },
): Promise<{ count: number; rows: EventRecord[] }> {
  const u = union(f);
  const [counted] = page.count === false ? [{ count: -1 }] : rowsOf<{ count: number | string }>(await db.execute(sql`select count(*)::int as count from (${u}) e`));
  const order = page.newestFirst ? sql`order by id desc` : sql`order by id asc`;
  const raw = rowsOf<RawEvent>(await db.execute(sql`select * from (${u}) e ${order} limit ${page.limit} offset ${page.offset}`));
  return {
    count: Number(counted?.count ?? 0),
    rows: raw.map((r) => ({
      id: Number(r.id),
      category: r.category,
      projectId: r.project_id,
      patchId: r.patch_id,
      coverId: r.cover_id,
      seriesId: r.series_id,
      trackingId: r.tracking_id,
      publicationId: r.publication_id,
      actor: r.actor,
      payload: typeof r.payload === 'string' ? (JSON.parse(r.payload) as Record<string, unknown>) : (r.payload ?? {}),
      date: new Date(r.date),
    })),
  };
}
