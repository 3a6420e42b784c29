/**
 * A project's mail as a public-inbox archive sees it: one message by its id, the thread a message belongs
 * to, the newest messages. Every stored patch, cover letter and comment keeps its raw bytes (mail_message),
 * so each answer carries the message exactly as it was received.
 *
 * A thread is the conversation the store filed the message in: its series (the cover letter, every patch
 * and every reply to any of them), or for a patch outside a series the patch and its replies. A new
 * version sent as a reply to an older one is its own series here, so its own thread (public-inbox would
 * show both versions in one thread).
 */
import { and, eq, inArray, or, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { mailComment, mailCover, mailMessage, mailPatch, mailPerson, mailProject, type MailProjectRow } from '../../db/schema/mail.js';
import { rowsOf } from '../../db/rows.js';
import type { SearchQuery } from './search.js';

export type ArchiveKind = 'patch' | 'cover' | 'comment';

export interface ArchivedMessage {
  /** mail_message.id */
  id: number;
  /** with its angle brackets, as stored */
  msgid: string;
  kind: ArchiveKind;
  /** the Date the store read from the mail */
  date: Date;
  /** the patch or cover name, or the comment's subject */
  subject: string;
  from: { name: string | null; email: string };
  raw: Buffer;
}

/** `abc@x`, `<abc@x>` or ` <abc@x> ` → `<abc@x>`, the form the store keeps. */
export function storedMsgid(msgid: string): string {
  return `<${msgid.trim().replace(/^<|>$/g, '')}>`;
}

export async function archiveProject(db: Database, linkName: string): Promise<MailProjectRow | undefined> {
  const [row] = await db.select().from(mailProject).where(eq(mailProject.linkName, linkName));
  return row;
}

/** The patch, cover and comment rows (without raw bytes) the filters pick, as one list, newest first. */
async function headersWhere(db: Database, where: { patch?: SQL; cover?: SQL; comment?: SQL }, limit?: number): Promise<Array<Omit<ArchivedMessage, 'raw'>>> {
  const part = (table: typeof mailPatch | typeof mailCover | typeof mailComment, subject: SQL, kind: ArchiveKind, filter: SQL) =>
    sql`select ${table.messageId} as id, ${table.msgid} as msgid, ${table.date} as date, ${subject} as subject, ${kind}::text as kind,
        ${mailPerson.name} as name, ${mailPerson.email} as email
      from ${table} inner join ${mailPerson} on ${mailPerson.id} = ${table.submitterId} where ${filter}`;
  const parts = [
    where.patch && part(mailPatch, sql`${mailPatch.name}`, 'patch', where.patch),
    where.cover && part(mailCover, sql`${mailCover.name}`, 'cover', where.cover),
    where.comment && part(mailComment, sql`${mailComment.subject}`, 'comment', where.comment),
  ].filter((q): q is SQL => q !== undefined);
  if (!parts.length) return [];
  // a tie on the Date header keeps arrival order (mail_message ids grow with arrival)
  const rows = rowsOf<{ id: number | string; msgid: string; date: Date | string; subject: string; kind: ArchiveKind; name: string | null; email: string }>(
    await db.execute(sql`select * from (${sql.join(parts, sql` union all `)}) as m order by m.date desc, m.id desc${limit !== undefined ? sql` limit ${limit}` : sql``}`),
  );
  return rows.map((r) => ({ id: Number(r.id), msgid: r.msgid, date: new Date(r.date), subject: r.subject, kind: r.kind, from: { name: r.name, email: r.email } }));
}

async function withRaw(db: Database, messages: Array<Omit<ArchivedMessage, 'raw'>>): Promise<ArchivedMessage[]> {
  if (!messages.length) return [];
  const raws = new Map<number, Buffer>();
  const rows = await db.select({ id: mailMessage.id, raw: mailMessage.raw }).from(mailMessage).where(inArray(mailMessage.id, messages.map((m) => m.id)));
  for (const r of rows) raws.set(r.id, r.raw);
  return messages.filter((m) => raws.has(m.id)).map((m) => ({ ...m, raw: raws.get(m.id)! }));
}

/** Oldest first; a tie (same Date header) keeps arrival order. */
function byDate(a: { date: Date; id: number }, b: { date: Date; id: number }): number {
  return a.date.getTime() - b.date.getTime() || a.id - b.id;
}

/** One message of the project, by message id (with or without angle brackets). */
export async function findMessage(db: Database, projectId: number, msgid: string): Promise<ArchivedMessage | undefined> {
  const id = storedMsgid(msgid);
  const [found] = await withRaw(
    db,
    await headersWhere(db, {
      patch: and(eq(mailPatch.projectId, projectId), eq(mailPatch.msgid, id)),
      cover: and(eq(mailCover.projectId, projectId), eq(mailCover.msgid, id)),
      comment: and(eq(mailComment.projectId, projectId), eq(mailComment.msgid, id)),
    }),
  );
  return found;
}

/** The thread of a message, oldest first; empty when the project holds no message with that id. */
export async function threadOf(db: Database, projectId: number, msgid: string): Promise<ArchivedMessage[]> {
  const [seed] = await db
    .select({ kind: mailMessage.kind, patchId: mailMessage.patchId, coverId: mailMessage.coverId })
    .from(mailMessage)
    .where(and(eq(mailMessage.projectId, projectId), eq(mailMessage.msgid, storedMsgid(msgid))));
  if (!seed) return [];

  let seriesId: number | null = null;
  if (seed.patchId !== null) {
    const [p] = await db.select({ seriesId: mailPatch.seriesId }).from(mailPatch).where(eq(mailPatch.id, seed.patchId));
    seriesId = p?.seriesId ?? null;
  } else if (seed.coverId !== null) {
    const [c] = await db.select({ seriesId: mailCover.seriesId }).from(mailCover).where(eq(mailCover.id, seed.coverId));
    seriesId = c?.seriesId ?? null;
  }

  const patchIds =
    seriesId !== null
      ? (await db.select({ id: mailPatch.id }).from(mailPatch).where(eq(mailPatch.seriesId, seriesId))).map((r) => r.id)
      : seed.patchId !== null
        ? [seed.patchId]
        : [];
  const coverIds =
    seriesId !== null
      ? (await db.select({ id: mailCover.id }).from(mailCover).where(eq(mailCover.seriesId, seriesId))).map((r) => r.id)
      : seed.coverId !== null
        ? [seed.coverId]
        : [];
  const replies = [
    ...(patchIds.length ? [inArray(mailComment.patchId, patchIds)] : []),
    ...(coverIds.length ? [inArray(mailComment.coverId, coverIds)] : []),
  ];
  const messages = await headersWhere(db, {
    ...(patchIds.length ? { patch: inArray(mailPatch.id, patchIds) } : {}),
    ...(coverIds.length ? { cover: inArray(mailCover.id, coverIds) } : {}),
    ...(replies.length ? { comment: or(...replies) } : {}),
  });
  return (await withRaw(db, messages)).sort(byDate);
}

/** The project's newest messages (by their Date), newest first. */
export async function newestMessages(db: Database, projectId: number, limit: number): Promise<ArchivedMessage[]> {
  const newest = await headersWhere(
    db,
    { patch: eq(mailPatch.projectId, projectId), cover: eq(mailCover.projectId, projectId), comment: eq(mailComment.projectId, projectId) },
    limit,
  );
  return withRaw(db, newest);
}

/** The project's messages a search query matches (search.ts), newest first. */
export async function searchMessages(db: Database, projectId: number, query: SearchQuery, limit: number): Promise<ArchivedMessage[]> {
  const sender = { senderName: mailPerson.name, senderEmail: mailPerson.email };
  const found = await headersWhere(
    db,
    {
      patch: and(eq(mailPatch.projectId, projectId), query({ subject: mailPatch.name, date: mailPatch.date, content: mailPatch.content, msgid: mailPatch.msgid, ...sender })),
      cover: and(eq(mailCover.projectId, projectId), query({ subject: mailCover.name, date: mailCover.date, content: mailCover.content, msgid: mailCover.msgid, ...sender })),
      comment: and(
        eq(mailComment.projectId, projectId),
        query({ subject: mailComment.subject, date: mailComment.date, content: mailComment.content, msgid: mailComment.msgid, ...sender }),
      ),
    },
    limit,
  );
  return withRaw(db, found);
}
