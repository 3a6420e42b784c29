/** Cover letters as the Patchwork API lists and shows them. */
import { and, eq, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { mailCover, type MailCoverRow } from '../db/schema/mail.js';
import { contains, inDateRange, orderBy, pageOf, type DateRange, type Listing, type Order, type Window } from './listing.js';

export const COVER_ORDER = ['id', 'name', 'date', 'submitter', 'project'] as const;
export type CoverOrderField = (typeof COVER_ORDER)[number];

const orderColumn = { id: mailCover.id, name: mailCover.name, date: mailCover.date, submitter: mailCover.submitterId, project: mailCover.projectId } as const;

export interface CoverFilter extends DateRange {
  projectId?: number;
  submitterId?: number;
  seriesId?: number;
  msgid?: string;
  q?: string;
}

export async function listCovers(db: Database, f: CoverFilter, order: Order<CoverOrderField>, window: Window): Promise<Listing<MailCoverRow>> {
  const where: SQL[] = [];
  if (f.projectId !== undefined) where.push(eq(mailCover.projectId, f.projectId));
  if (f.submitterId !== undefined) where.push(eq(mailCover.submitterId, f.submitterId));
  if (f.seriesId !== undefined) where.push(eq(mailCover.seriesId, f.seriesId));
  if (f.msgid) where.push(eq(mailCover.msgid, f.msgid));
  where.push(...inDateRange(mailCover.date, f));
  if (f.q) where.push(contains(mailCover.name, f.q));
  return pageOf(db, mailCover, where.length ? and(...where) : undefined, orderBy(orderColumn[order.field], mailCover.id, order.desc), window);
}

export async function getCover(db: Database, id: number): Promise<MailCoverRow | undefined> {
  const [row] = await db.select().from(mailCover).where(eq(mailCover.id, id));
  return row;
}

export async function coverByMsgid(db: Database, projectId: number, msgid: string): Promise<MailCoverRow | undefined> {
  const [row] = await db.select().from(mailCover).where(and(eq(mailCover.projectId, projectId), eq(mailCover.msgid, msgid)));
  return row;
}
