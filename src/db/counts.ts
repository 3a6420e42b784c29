/**
 * Counts kept as rows change (the tables of schema/counts.ts, written by migration 0010's triggers): a read
 * sums a few rows instead of counting 100,000 trackings or 1,000,000 patches. Each writing statement appends
 * its own signed rows; when a table holds more than FOLD_AT of them, the reader folds them into one row per
 * key. A fold is one statement (delete, then insert the sums of what it deleted), so a concurrent reader
 * sees either all the rows or their sums, and two concurrent folds each fold only what they deleted.
 */
import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Database } from './client.js';
import { patchStateCount, trackingStatusCount } from './schema/counts.js';

const FOLD_AT = 1_000;

/** How many trackings are in each status (statuses without any are absent). */
export async function trackingCountsByStatus(db: Database): Promise<Map<string, number>> {
  const rows = await db
    .select({ status: trackingStatusCount.status, n: sql<number>`sum(${trackingStatusCount.n})::int`, kept: sql<number>`count(*)::int` })
    .from(trackingStatusCount)
    .groupBy(trackingStatusCount.status);
  if (rows.reduce((sum, r) => sum + r.kept, 0) > FOLD_AT) await fold(db, trackingStatusCount, ['status']);
  return new Map(rows.filter((r) => r.n !== 0).map((r) => [r.status, r.n]));
}

/** The patches of a project in these states (all when absent), archived or not (both when absent). */
export interface PatchCountKey {
  projectId: number;
  states?: string[];
  archived?: boolean;
}

export async function patchCount(db: Database, key: PatchCountKey): Promise<number> {
  const where: SQL[] = [eq(patchStateCount.projectId, key.projectId)];
  if (key.states) where.push(inArray(patchStateCount.state, key.states));
  if (key.archived !== undefined) where.push(eq(patchStateCount.archived, key.archived));
  const [row] = await db
    .select({ n: sql<number>`coalesce(sum(${patchStateCount.n}), 0)::int`, kept: sql<number>`count(*)::int` })
    .from(patchStateCount)
    .where(and(...where));
  if ((row?.kept ?? 0) > FOLD_AT) await fold(db, patchStateCount, ['project_id', 'state', 'archived']);
  return row?.n ?? 0;
}

/** One row per key with the sum of its rows (keys whose sum is 0 go). */
async function fold(db: Database, table: PgTable, keys: string[]): Promise<void> {
  const columns = sql.join(keys.map((k) => sql.identifier(k)), sql`, `);
  await db.execute(sql`with gone as (delete from ${table} returning ${columns}, n)
    insert into ${table} (${columns}, n) select ${columns}, sum(n) from gone group by ${columns} having sum(n) <> 0`);
}
