/**
 * Checks: CI results on a mail patch (patch_check) or on a published range (range_check), with
 * Patchwork's fields and its combined state. Creating one also records a check-created event.
 */
import { z } from 'zod';
import { and, asc, desc, eq, gt, inArray, lt, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { mailCheck, mailEvent, mailPatch } from '../db/schema/mail.js';
import { publication, rangeCheck, rangeEvent, type PublicationRow } from '../db/schema/index.js';
import { AppError } from '../errors.js';

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

/** Create a check on every patch of a mail series, in patch order; none when the series has no patches. */
export async function createSeriesChecks(db: Database, seriesId: number, user: string, input: CheckInput): Promise<CheckRecord[]> {
  const created: CheckRecord[] = [];
  for (const patchId of await patchIdsOfSeries(db, seriesId)) created.push(await createPatchCheck(db, patchId, user, input));
  return created;
}

async function patchIdsOfSeries(db: Database, seriesId: number): Promise<number[]> {
  const rows = await db.select({ id: mailPatch.id }).from(mailPatch).where(eq(mailPatch.seriesId, seriesId)).orderBy(asc(mailPatch.number), asc(mailPatch.id));
  return rows.map((r) => r.id);
}

/** The published ranges of a tracking (its check subjects). */
async function rangeIdsOfTracking(db: Database, trackingId: number): Promise<number[]> {
  const rows = await db.select({ id: publication.id }).from(publication).where(eq(publication.trackingId, trackingId));
  return rows.map((r) => r.id);
}

export type CheckSide = CheckRecord['on'];

/** Where each side's checks are kept, and which column names the subject (a patch or a published range). */
const SIDES = {
  patch: { table: mailCheck, subjectId: mailCheck.patchId },
  range: { table: rangeCheck, subjectId: rangeCheck.publicationId },
} as const;

function sideOf(on: CheckSide) {
  const { table, subjectId } = SIDES[on];
  return {
    table,
    subjectId,
    columns: { id: table.id, subjectId, user: table.user, state: table.state, targetUrl: table.targetUrl, context: table.context, description: table.description, date: table.date },
  };
}

/**
 * What a listing or a combined state is about: one side, and optionally its subjects (patch ids or
 * published range ids). A series stands for its patches, a tracking for its published ranges.
 */
export type CheckSubjects =
  | { on: CheckSide; ids?: number[] }
  | { series: number }
  | { tracking: number };

async function resolveSubjects(db: Database, s: CheckSubjects): Promise<{ on: CheckSide; ids?: number[] }> {
  if ('series' in s) return { on: 'patch', ids: await patchIdsOfSeries(db, s.series) };
  if ('tracking' in s) return { on: 'range', ids: await rangeIdsOfTracking(db, s.tracking) };
  return s;
}

export interface CheckFilter {
  user?: string;
  state?: string;
  context?: string;
  since?: Date;
  before?: Date;
}

/** Checks on patches or on published ranges, oldest first (Patchwork's order) unless newestFirst. */
export async function listChecks(
  db: Database,
  subjects: CheckSubjects,
  f: CheckFilter,
  page: { limit: number; offset: number; newestFirst?: boolean },
): Promise<{ count: number; rows: CheckRecord[] }> {
  const { on, ids } = await resolveSubjects(db, subjects);
  const { table, subjectId, columns } = sideOf(on);
  const where: SQL[] = [];
  // an empty list of subjects (a series without patches) matches nothing, not everything
  if (ids) where.push(ids.length ? inArray(subjectId, ids) : sql`false`);
  if (f.user) where.push(eq(table.user, f.user));
  if (f.state) where.push(eq(table.state, f.state));
  if (f.context) where.push(eq(table.context, f.context));
  if (f.since) where.push(gt(table.date, f.since));
  if (f.before) where.push(lt(table.date, f.before));
  const cond = where.length ? and(...where) : undefined;
  const [{ count }] = (await db.select({ count: sql<number>`count(*)::int` }).from(table).where(cond)) as [{ count: number }];
  const rows = await db
    .select(columns)
    .from(table)
    .where(cond)
    .orderBy(page.newestFirst ? desc(table.id) : asc(table.id))
    .limit(page.limit)
    .offset(page.offset);
  return { count, rows: rows.map((r): CheckRecord => ({ on, ...r })) };
}

/** Every check on the given subjects of one side, unpaged. */
async function checksOn(db: Database, on: CheckSide, ids: number[]): Promise<CheckRecord[]> {
  if (!ids.length) return [];
  const { table, subjectId, columns } = sideOf(on);
  const rows = await db.select(columns).from(table).where(inArray(subjectId, ids));
  return rows.map((r): CheckRecord => ({ on, ...r }));
}

/**
 * One state over several subjects (a series' patches, a tracking's ranges): Patchwork's rule with each
 * subject's contexts kept apart, so a pass on one patch does not hide a failure on another.
 */
export function combinedStateAcross(checks: ReadonlyArray<Pick<CheckRecord, 'subjectId' | 'user' | 'context' | 'state' | 'date' | 'id'>>): CheckState {
  return combinedState(checks.map((c) => ({ ...c, context: `${c.context}\0${c.subjectId}` })));
}

/** The combined state of a patch, a series, a range or a tracking's ranges, and how many checks it stands on. */
export async function combinedStateOf(db: Database, subjects: CheckSubjects): Promise<{ state: CheckState; checks: number }> {
  const { on, ids } = await resolveSubjects(db, subjects);
  if (!ids) throw new AppError('invalid_request', 'patch, series, range or tracking is required', { field: 'patch' });
  const checks = await checksOn(db, on, ids);
  return { state: combinedStateAcross(checks), checks: checks.length };
}

/** Combined state per subject id of one side (subjects without checks: pending). */
export async function combinedStateOfEach(db: Database, on: CheckSide, ids: number[]): Promise<Map<number, CheckState>> {
  const out = new Map<number, CheckState>(ids.map((id) => [id, 'pending']));
  const by = new Map<number, CheckRecord[]>();
  for (const c of await checksOn(db, on, ids)) (by.get(c.subjectId) ?? by.set(c.subjectId, []).get(c.subjectId)!).push(c);
  for (const [id, list] of by) out.set(id, combinedState(list));
  return out;
}

/** A published range with its checks, oldest first; not_found when there is no such range. */
export async function rangeWithChecks(db: Database, publicationId: number): Promise<{ range: PublicationRow; checks: CheckRecord[] }> {
  const [range] = await db.select().from(publication).where(eq(publication.id, publicationId));
  if (!range) throw new AppError('not_found', `no published range ${publicationId}`);
  const { rows } = await listChecks(db, { on: 'range', ids: [range.id] }, {}, { limit: 1000, offset: 0 });
  return { range, checks: rows };
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
    // a removal of upstreamed patches gets no CI checks: the newest range of upstream commits is the one checked
    .where(and(inArray(publication.trackingId, trackingIds), inArray(publication.step, ['pr', 'done']), eq(publication.kind, 'range')))
    .groupBy(publication.trackingId);
  const states = await combinedStateOfEach(db, 'range', latest.map((l) => Number(l.id)));
  for (const l of latest) out.set(l.trackingId, states.get(Number(l.id)) ?? 'pending');
  return out;
}
