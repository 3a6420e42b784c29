/** Replies to a patch or a cover letter, oldest first, with the mail each came from. */
import { and, asc, eq, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { mailComment, mailCover, mailMessage, mailPatch, type MailCommentRow } from '../db/schema/mail.js';
import { countRows, type Listing, type Window } from './listing.js';

export type CommentParentKind = 'patch' | 'cover';

export interface CommentParent {
  id: number;
  projectId: number;
  msgid: string;
}

export async function commentParent(db: Database, kind: CommentParentKind, id: number): Promise<CommentParent | undefined> {
  const table = kind === 'patch' ? mailPatch : mailCover;
  const [row] = await db.select({ id: table.id, projectId: table.projectId, msgid: table.msgid }).from(table).where(eq(table.id, id));
  return row;
}

/** A page of the parent's comments, or just `commentId` among them (then the window is ignored). */
export async function listComments(
  db: Database,
  kind: CommentParentKind,
  parentId: number,
  window: Window,
  commentId?: number,
): Promise<Listing<{ comment: MailCommentRow; raw: Buffer }>> {
  const where: SQL[] = [eq(kind === 'patch' ? mailComment.patchId : mailComment.coverId, parentId)];
  if (commentId !== undefined) where.push(eq(mailComment.id, commentId));
  const count = await countRows(db, mailComment, and(...where));
  const rows = await db
    .select({ comment: mailComment, raw: mailMessage.raw })
    .from(mailComment)
    .innerJoin(mailMessage, eq(mailMessage.id, mailComment.messageId))
    .where(and(...where))
    .orderBy(asc(mailComment.date), asc(mailComment.id))
    .limit(commentId !== undefined ? 1 : window.limit)
    .offset(commentId !== undefined ? 0 : window.offset);
  return { count, rows };
}
