/**
 * What every Patchwork-style list shares: a window of rows (limit/offset), the total for the pager, an
 * order with the id as tie-breaker (so pages never overlap), a date range and a substring search; and what
 * the lists of submissions (patches, cover letters, series) share: their filters and order fields.
 */
import { asc, desc, eq, ilike, sql, type AnyColumn, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Database } from '../db/client.js';

export interface Window {
  limit: number;
  offset: number;
  /** false: skip counting the matching rows (a page narrowed by id needs no total); count is then -1 */
  count?: boolean;
}

export interface Listing<T> {
  count: number;
  rows: T[];
}

export interface Order<K extends string> {
  field: K;
  desc: boolean;
}

export interface DateRange {
  since?: Date;
  before?: Date;
}

export async function countRows(db: Database, table: PgTable, where: SQL | undefined): Promise<number> {
  const [row] = await db.select({ count: sql<number>`count(*)::int` }).from(table).where(where);
  return row?.count ?? 0;
}

/** One page of a table's rows and the total for the pager. */
export async function pageOf<T extends PgTable>(db: Database, table: T, where: SQL | undefined, order: SQL[], window: Window): Promise<Listing<T['$inferSelect']>> {
  const count = await countRows(db, table, where);
  const rows = await db
    .select()
    .from(table as PgTable)
    .where(where)
    .orderBy(...order)
    .limit(window.limit)
    .offset(window.offset);
  return { count, rows: rows as Array<T['$inferSelect']> };
}

export function orderBy(column: AnyColumn, id: AnyColumn, descending: boolean): SQL[] {
  return descending ? [desc(column), desc(id)] : [asc(column), asc(id)];
}

/** `since` is inclusive, `before` exclusive, as Patchwork filters them. */
export function inDateRange(column: AnyColumn, range: DateRange): SQL[] {
  const where: SQL[] = [];
  if (range.since) where.push(sql`${column} >= ${range.since.toISOString()}::timestamptz`);
  if (range.before) where.push(sql`${column} < ${range.before.toISOString()}::timestamptz`);
  return where;
}

/** Case-insensitive substring match; the text's own `%`, `_` and `\` match literally. */
export function contains(column: AnyColumn, text: string): SQL {
  return ilike(column, `%${text.replace(/[\\%_]/g, (m) => `\\${m}`)}%`);
}

/** The columns patches, cover letters and series all have. */
export interface SubmissionColumns {
  id: AnyColumn;
  name: AnyColumn;
  date: AnyColumn;
  submitterId: AnyColumn;
  projectId: AnyColumn;
}

/** The filters every submission list takes. */
export interface SubmissionFilter extends DateRange {
  projectId?: number;
  submitterId?: number;
  /** a substring of the name */
  q?: string;
}

export function submissionConditions(t: SubmissionColumns, f: SubmissionFilter): SQL[] {
  const where: SQL[] = [];
  if (f.projectId !== undefined) where.push(eq(t.projectId, f.projectId));
  if (f.submitterId !== undefined) where.push(eq(t.submitterId, f.submitterId));
  where.push(...inDateRange(t.date, f));
  if (f.q) where.push(contains(t.name, f.q));
  return where;
}

/** The order fields every submission list has (`?order=` values) → their columns. */
export function submissionOrderColumns(t: SubmissionColumns) {
  return { id: t.id, name: t.name, date: t.date, submitter: t.submitterId, project: t.projectId };
}
