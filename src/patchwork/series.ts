/** Series as the Patchwork API lists and shows them. */
import { and, eq, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { mailSeries, type MailSeriesRow } from '../db/schema/mail.js';
import { contains, inDateRange, orderBy, pageOf, type DateRange, type Listing, type Order, type Window } from './listing.js';

export const SERIES_ORDER = ['id', 'name', 'date', 'submitter', 'project', 'version'] as const;
export type SeriesOrderField = (typeof SERIES_ORDER)[number];

const orderColumn = {
  id: mailSeries.id,
  name: mailSeries.name,
  date: mailSeries.date,
  submitter: mailSeries.submitterId,
  project: mailSeries.projectId,
  version: mailSeries.version,
} as const;

export interface SeriesFilter extends DateRange {
  projectId?: number;
  submitterId?: number;
  q?: string;
}

export async function listSeries(db: Database, f: SeriesFilter, order: Order<SeriesOrderField>, window: Window): Promise<Listing<MailSeriesRow>> {
  const where: SQL[] = [];
  if (f.projectId !== undefined) where.push(eq(mailSeries.projectId, f.projectId));
  if (f.submitterId !== undefined) where.push(eq(mailSeries.submitterId, f.submitterId));
  where.push(...inDateRange(mailSeries.date, f));
  if (f.q) where.push(contains(mailSeries.name, f.q));
  return pageOf(db, mailSeries, where.length ? and(...where) : undefined, orderBy(orderColumn[order.field], mailSeries.id, order.desc), window);
}

export async function getSeries(db: Database, id: number): Promise<MailSeriesRow | undefined> {
  const [row] = await db.select().from(mailSeries).where(eq(mailSeries.id, id));
  return row;
}

/** The series that name this one as their earlier version (its v2, v3, …), oldest first. */
export async function laterVersions(db: Database, id: number): Promise<MailSeriesRow[]> {
  return db.select().from(mailSeries).where(eq(mailSeries.previousVersionId, id)).orderBy(mailSeries.version, mailSeries.id);
}
