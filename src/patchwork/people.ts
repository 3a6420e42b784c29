/** People (submitters, delegates) as the Patchwork API lists them; delegates are people here. */
import { asc, eq, or, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { mailPerson, type MailPersonRow } from '../db/schema/mail.js';
import { contains, pageOf, type Listing, type Window } from './listing.js';

export async function listPeople(db: Database, filter: { q?: string }, window: Window): Promise<Listing<MailPersonRow>> {
  const where: SQL | undefined = filter.q ? or(contains(mailPerson.name, filter.q), contains(mailPerson.email, filter.q)) : undefined;
  return pageOf(db, mailPerson, where, [asc(mailPerson.id)], window);
}

export async function getPerson(db: Database, id: number): Promise<MailPersonRow | undefined> {
  const [row] = await db.select().from(mailPerson).where(eq(mailPerson.id, id));
  return row;
}

/** A person by id or address (addresses are stored lower-case). */
export async function findPersonId(db: Database, ref: string): Promise<number | undefined> {
  const [row] = await db
    .select({ id: mailPerson.id })
    .from(mailPerson)
    .where(/^\d{1,9}$/.test(ref) ? eq(mailPerson.id, Number(ref)) : eq(mailPerson.email, ref.toLowerCase()));
  return row?.id;
}
