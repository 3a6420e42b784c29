/** Patches as the Patchwork API (and a web dashboard) lists and shows them. */
import { and, eq, getTableColumns, inArray, lt, sql, type AnyColumn, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { patchCount, type PatchCountKey } from '../db/counts.js';
import { mailCheck, mailMessage, mailPatch, mailState, type MailPatchRow } from '../db/schema/mail.js';
import { countRows, orderBy, submissionConditions, submissionOrderColumns, type Listing, type Order, type SubmissionFilter, type Window } from './listing.js';

export const PATCH_ORDER = ['id', 'name', 'date', 'state', 'archived', 'submitter', 'delegate', 'project'] as const;
export type PatchOrderField = (typeof PATCH_ORDER)[number];

const orderColumn = {
  ...submissionOrderColumns(mailPatch),
  state: mailPatch.state,
  archived: mailPatch.archived,
  delegate: mailPatch.delegateId,
} satisfies Record<PatchOrderField, AnyColumn>;

export interface PatchFilter extends SubmissionFilter {
  /** state slugs (see stateSlug) */
  states?: string[];
  archived?: boolean;
  delegateId?: number;
  seriesId?: number;
  msgid?: string;
  /** a 40-character patch hash, any case */
  hash?: string;
  /** only patches with a smaller id (keyset paging of a newest-first list) */
  beforeId?: number;
}

/** A state as clients name it ("Under Review", "under-review") → its slug. */
export function stateSlug(text: string): string {
  return text.trim().toLowerCase().replace(/\s+/g, '-');
}

/** Which of these slugs some project has as a state. */
export async function knownStateSlugs(db: Database, slugs: string[]): Promise<Set<string>> {
  if (!slugs.length) return new Set();
  const rows = await db.selectDistinct({ slug: mailState.slug }).from(mailState).where(inArray(mailState.slug, slugs));
  return new Set(rows.map((r) => r.slug));
}

function conditions(f: PatchFilter): SQL | undefined {
  const where = submissionConditions(mailPatch, f);
  if (f.states?.length) where.push(inArray(mailPatch.state, f.states));
  if (f.archived !== undefined) where.push(eq(mailPatch.archived, f.archived));
  if (f.delegateId !== undefined) where.push(eq(mailPatch.delegateId, f.delegateId));
  if (f.seriesId !== undefined) where.push(eq(mailPatch.seriesId, f.seriesId));
  if (f.msgid) where.push(eq(mailPatch.msgid, f.msgid));
  if (f.hash) where.push(eq(mailPatch.hash, f.hash.toLowerCase()));
  if (f.beforeId !== undefined) where.push(lt(mailPatch.id, f.beforeId));
  return where.length ? and(...where) : undefined;
}

// list pages leave out the large columns (diff, content) a list doesn't show
const listColumns = { ...getTableColumns(mailPatch), diff: sql<string | null>`null`, content: sql<string | null>`null` };

export async function listPatches(db: Database, filter: PatchFilter, order: Order<PatchOrderField>, window: Window): Promise<Listing<MailPatchRow>> {
  const where = conditions(filter);
  const count = window.count === false ? -1 : await countPatches(db, filter);
  const rows = (await db
    .select({ ...listColumns })
    .from(mailPatch)
    .where(where)
    .orderBy(...orderBy(orderColumn[order.field], mailPatch.id, order.desc))
    .limit(window.limit)
    .offset(window.offset)) as MailPatchRow[];
  return { count, rows };
}

/** How many patches match the filter: from the kept counts when it names only project, states and archived. */
export function countPatches(db: Database, filter: PatchFilter): Promise<number> {
  const key = keptCountKey(filter);
  return key ? patchCount(db, key) : countRows(db, mailPatch, conditions(filter));
}

function keptCountKey(filter: PatchFilter): PatchCountKey | undefined {
  const { projectId, states, archived, ...others } = filter;
  if (projectId === undefined || Object.values(others).some((v) => v !== undefined && v !== '')) return undefined;
  return { projectId, states: states?.length ? states : undefined, archived };
}

export async function getPatch(db: Database, id: number): Promise<MailPatchRow | undefined> {
  const [row] = await db.select().from(mailPatch).where(eq(mailPatch.id, id));
  return row;
}

export async function patchByMsgid(db: Database, projectId: number, msgid: string): Promise<MailPatchRow | undefined> {
  const [row] = await db.select().from(mailPatch).where(and(eq(mailPatch.projectId, projectId), eq(mailPatch.msgid, msgid)));
  return row;
}

/** The stored mail a patch, cover or comment came from (its headers are part of the detail view). */
export async function rawMessage(db: Database, messageId: number): Promise<Buffer | null> {
  const [row] = await db.select({ raw: mailMessage.raw }).from(mailMessage).where(eq(mailMessage.id, messageId));
  return row?.raw ?? null;
}

export async function getPatchCheck(db: Database, patchId: number, checkId: number): Promise<typeof mailCheck.$inferSelect | undefined> {
  const [row] = await db.select().from(mailCheck).where(and(eq(mailCheck.patchId, patchId), eq(mailCheck.id, checkId)));
  return row;
}

export async function patchExists(db: Database, id: number): Promise<boolean> {
  const [row] = await db.select({ id: mailPatch.id }).from(mailPatch).where(eq(mailPatch.id, id));
  return row !== undefined;
}
