/** Series as the Patchwork API lists and shows them. */
import { and, eq, type AnyColumn } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { mailSeries, type MailSeriesRow } from '../db/schema/mail.js';
import { orderBy, pageOf, submissionConditions, submissionOrderColumns, type Listing, type Order, type SubmissionFilter, type Window } from './listing.js';

export const SERIES_ORDER = ['id', 'name', 'date', 'submitter', 'project', 'version'] as const;
export type SeriesOrderField = (typeof SERIES_ORDER)[number];

const orderColumn = { ...submissionOrderColumns(mailSeries), version: mailSeries.version } satisfies Record<SeriesOrderField, AnyColumn>;

export type SeriesFilter = SubmissionFilter;

export async function listSeries(db: Database, f: SeriesFilter, order: Order<SeriesOrderField>, window: Window): Promise<Listing<MailSeriesRow>> {
  const where = submissionConditions(mailSeries, f);
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
