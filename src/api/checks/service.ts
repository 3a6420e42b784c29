/**
 * Checks: CI results on a mail patch (patch_check) or on a published range (range_check), with
 * Patchwork's fields and its combined state. Creating one also records a check-created event.
 */
import { z } from '@hono/zod-openapi';
import { and, asc, desc, eq, gt, inArray, lt, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { mailCheck, mailEvent, mailPatch } from '../../db/schema/mail.js';
import { publication, rangeCheck, rangeEvent } from '../../db/schema/index.js';
import { AppError } from '../../errors.js';

export const CHECK_STATES = ['pending', 'success', 'warning', 'fail'] as const;
export type CheckState = (typeof CHECK_STATES)[number];

const CONTROL = /[\u0000-\u001f\u007f]/;
/** What a client may send for a new check (form or JSON, Patchwork's field names). */
export const checkInputSchema = z
  .object({
    state: z.enum(CHECK_STATES, { message: `expected one of ${CHECK_STATES.join(', ')}` }),
    context: z
      .string()
      .max(255)
      .regex(/^[-a-zA-Z0-9_]+$/, 'expected a slug (letters, digits, - and _)')
      .default('default'),
    target_url: z
      .string()
      .max(2000)
      .refine((v) => v === '' || /^https?:\/\/[^\s]+$/.test(v), 'expected an http(s) URL')
      .nullish(),
    description: z
      .string()
      .max(4000)
      .refine((v) => !CONTROL.test(v.replace(/[\n\t]/g, ' ')), 'must not contain control characters')
      .nullish(),
  })
  .strict();
export type CheckInput = z.infer<typeof checkInputSchema>;

export interface CheckRecord {
  id: number;
  /** patch or range */
  on: 'patch' | 'range';
  subjectId: number;
  user: string;
  state: string;
  targetUrl: string | null;
  context: string;
  description: string | null;
  date: Date;
}

/**
 * Patchwork's rule: the latest check per (user, context) counts; any fail → fail, else any warning →
 * warning, else any pending → pending, else success; no checks → pending.
 */
export function combinedState(checks: ReadonlyArray<{ user: string; context: string; state: string; date: Date; id: number }>): CheckState {
  const latest = new Map<string, { state: string; date: Date; id: number }>();
  for (const c of checks) {
    const key = `${c.user}\0${c.context}`;
    const seen = latest.get(key);
    if (!seen || c.date > seen.date || (c.date.getTime() === seen.date.getTime() && c.id > seen.id)) latest.set(key, c);
  }
  const states = new Set([...latest.values()].map((c) => c.state));
  if (states.size === 0) return 'pending';
  for (const s of ['fail', 'warning', 'pending'] as const) if (states.has(s)) return s;
  return 'success';
}

export async function createPatchCheck(db: Database, patchId: number, user: string, input: CheckInput): Promise<CheckRecord> {
  return db.transaction(async (tx) => {
    const [patch] = await tx.select({ id: mailPatch.id, projectId: mailPatch.projectId, seriesId: mailPatch.seriesId }).from(mailPatch).where(eq(mailPatch.id, patchId));
    if (!patch) throw new AppError('not_found', `no patch ${patchId}`, { field: 'patch' });
    const [row] = await tx
      .insert(mailCheck)
      .values({ patchId, user, state: input.state, context: input.context, targetUrl: input.target_url || null, description: input.description ?? null })
      .returning();
    await tx.insert(mailEvent).values({
      category: 'check-created',
      projectId: patch.projectId,
      patchId,
      seriesId: patch.seriesId,
      actor: user,
      payload: { check: row!.id },
    });
    return { on: 'patch', subjectId: patchId, ...row! };
  });
}

export async function createRangeCheck(db: Database, publicationId: number, user: string, input: CheckInput): Promise<CheckRecord> {
  return db.transaction(async (tx) => {
    const [p] = await tx.select({ id: publication.id, trackingId: publication.trackingId }).from(publication).where(eq(publication.id, publicationId));
    if (!p) throw new AppError('not_found', `no published range ${publicationId}`, { field: 'range' });
    const [row] = await tx
      .insert(rangeCheck)
      .values({ publicationId, user, state: input.state, context: input.context, targetUrl: input.target_url || null, description: input.description ?? null })
      .returning();
    await tx.insert(rangeEvent).values({ category: 'range-check-created', trackingId: p.trackingId, publicationId, actor: user, payload: { check: row!.id } });
    const { publicationId: subjectId, ...rest } = row!;
    return { on: 'range', subjectId, ...rest };
  });
}

export interface CheckFilter {
  patchIds?: number[];
  rangeIds?: number[];
  user?: string;
  state?: string;
  context?: string;
  since?: Date;
  before?: Date;
}

/** Checks on patches, oldest first (Patchwork's order). */
export async function listPatchChecks(db: Database, f: CheckFilter, page: { limit: number; offset: number; newestFirst?: boolean }) {
  const where: SQL[] = [];
  if (f.patchIds) where.push(f.patchIds.length ? inArray(mailCheck.patchId, f.patchIds) : sql`false`);
  if (f.user) where.push(eq(mailCheck.user, f.user));
  if (f.state) where.push(eq(mailCheck.state, f.state));
  if (f.context) where.push(eq(mailCheck.context, f.context));
  if (f.since) where.push(gt(mailCheck.date, f.since));
  if (f.before) where.push(lt(mailCheck.date, f.before));
  const cond = where.length ? and(...where) : undefined;
  const [{ count }] = (await db.select({ count: sql<number>`count(*)::int` }).from(mailCheck).where(cond)) as [{ count: number }];
  const rows = await db
    .select()
    .from(mailCheck)
    .where(cond)
    .orderBy(page.newestFirst ? desc(mailCheck.id) : asc(mailCheck.id))
    .limit(page.limit)
    .offset(page.offset);
  return { count, rows: rows.map((r): CheckRecord => ({ on: 'patch', subjectId: r.patchId, ...r })) };
}

export async function listRangeChecks(db: Database, f: CheckFilter, page: { limit: number; offset: number; newestFirst?: boolean }) {
  const where: SQL[] = [];
  if (f.rangeIds) where.push(f.rangeIds.length ? inArray(rangeCheck.publicationId, f.rangeIds) : sql`false`);
  if (f.user) where.push(eq(rangeCheck.user, f.user));
  if (f.state) where.push(eq(rangeCheck.state, f.state));
  if (f.context) where.push(eq(rangeCheck.context, f.context));
  if (f.since) where.push(gt(rangeCheck.date, f.since));
  if (f.before) where.push(lt(rangeCheck.date, f.before));
  const cond = where.length ? and(...where) : undefined;
  const [{ count }] = (await db.select({ count: sql<number>`count(*)::int` }).from(rangeCheck).where(cond)) as [{ count: number }];
  const rows = await db
    .select()
    .from(rangeCheck)
    .where(cond)
    .orderBy(page.newestFirst ? desc(rangeCheck.id) : asc(rangeCheck.id))
    .limit(page.limit)
    .offset(page.offset);
  return { count, rows: rows.map(({ publicationId, ...r }): CheckRecord => ({ on: 'range', subjectId: publicationId, ...r })) };
}

/** Combined state per patch id (patches without checks: pending). */
export async function combinedStateOfPatches(db: Database, patchIds: number[]): Promise<Map<number, CheckState>> {
  const out = new Map<number, CheckState>(patchIds.map((id) => [id, 'pending']));
  if (!patchIds.length) return out;
  const rows = await db.select().from(mailCheck).where(inArray(mailCheck.patchId, patchIds));
  const by = new Map<number, typeof rows>();
  for (const r of rows) (by.get(r.patchId) ?? by.set(r.patchId, []).get(r.patchId)!).push(r);
  for (const [id, list] of by) out.set(id, combinedState(list));
  return out;
}

export async function combinedStateOfRanges(db: Database, publicationIds: number[]): Promise<Map<number, CheckState>> {
  const out = new Map<number, CheckState>(publicationIds.map((id) => [id, 'pending']));
  if (!publicationIds.length) return out;
  const rows = await db.select().from(rangeCheck).where(inArray(rangeCheck.publicationId, publicationIds));
  const by = new Map<number, typeof rows>();
  for (const r of rows) (by.get(r.publicationId) ?? by.set(r.publicationId, []).get(r.publicationId)!).push(r);
  for (const [id, list] of by) out.set(id, combinedState(list));
  return out;
}

/**
 * Per tracking: the combined state of the checks on its newest published range (the one a maintainer is
 * looking at); null for a tracking that has published nothing yet.
 */
export async function combinedStateOfTrackings(db: Database, trackingIds: number[]): Promise<Map<number, CheckState | null>> {
  const out = new Map<number, CheckState | null>(trackingIds.map((id) => [id, null]));
  if (!trackingIds.length) return out;
  const latest = await db
    .select({ trackingId: publication.trackingId, id: sql<number>`max(${publication.id})` })
    .from(publication)
    .where(and(inArray(publication.trackingId, trackingIds), inArray(publication.step, ['pr', 'done'])))
    .groupBy(publication.trackingId);
  const states = await combinedStateOfRanges(db, latest.map((l) => Number(l.id)));
  for (const l of latest) out.set(l.trackingId, states.get(Number(l.id)) ?? 'pending');
  return out;
}
