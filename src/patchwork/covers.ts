/** Cover letters as the Patchwork API lists and shows them. */
import { and, eq, type AnyColumn } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { mailCover, type MailCoverRow } from '../db/schema/mail.js';
import { orderBy, pageOf, submissionConditions, submissionOrderColumns, type Listing, type Order, type SubmissionFilter, type Window } from './listing.js';

export const COVER_ORDER = ['id', 'name', 'date', 'submitter', 'project'] as const;
export type CoverOrderField = (typeof COVER_ORDER)[number];

const orderColumn = submissionOrderColumns(mailCover) satisfies Record<CoverOrderField, AnyColumn>;

export interface CoverFilter extends SubmissionFilter {
  seriesId?: number;
  msgid?: string;
}

export async function listCovers(db: Database, f: CoverFilter, order: Order<CoverOrderField>, window: Window): Promise<Listing<MailCoverRow>> {
  const where = submissionConditions(mailCover, f);
  if (f.seriesId !== undefined) where.push(eq(mailCover.seriesId, f.seriesId));
  if (f.msgid) where.push(eq(mailCover.msgid, f.msgid));
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
