/** Mailing-list projects as the Patchwork API and the pages look them up. */
import { asc, eq, or, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { mailProject, type MailProjectRow } from '../db/schema/mail.js';
import { contains, pageOf, type Listing, type Window } from './listing.js';

const isId = (ref: string) => /^\d{1,9}$/.test(ref);

export async function listProjects(db: Database, filter: { q?: string }, window: Window): Promise<Listing<MailProjectRow>> {
  const where: SQL | undefined = filter.q ? or(contains(mailProject.name, filter.q), contains(mailProject.linkName, filter.q)) : undefined;
  return pageOf(db, mailProject, where, [asc(mailProject.id)], window);
}

/**
 * A project by id or link name. A detail URL names the link name exactly; a filter (`?project=`) takes it
 * in any case, as Patchwork does.
 */
export async function findProject(db: Database, ref: string, options: { anyCase?: boolean } = {}): Promise<MailProjectRow | undefined> {
  const byName = options.anyCase ? sql`lower(${mailProject.linkName}) = lower(${ref})` : eq(mailProject.linkName, ref);
  const [row] = await db.select().from(mailProject).where(isId(ref) ? eq(mailProject.id, Number(ref)) : byName);
  return row;
}

/** The project a web path names: by link name only (an all-digit link name is a name there). */
export async function projectByLinkName(db: Database, linkName: string): Promise<MailProjectRow | undefined> {
  const [row] = await db.select().from(mailProject).where(eq(mailProject.linkName, linkName));
  return row;
}
