/** The two series a comparison needs, read once: their patches in series order, with author and raw mail. */
import { asc, eq, inArray } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { mailCover, mailMessage, mailPatch, mailPerson, mailProject, mailSeries } from '../../db/schema/mail.js';
import { AppError } from '../../errors.js';

export interface ComparedPatch {
  id: number;
  number: number | null;
  name: string;
  author: { name: string | null; email: string };
  content: string;
  diff: string;
  /** the mail as received: what `git am` applies */
  raw: Buffer;
}

export interface ComparedSeries {
  id: number;
  projectId: number;
  name: string | null;
  version: number;
  /** the `base-commit:` format-patch --base wrote in the cover letter or a patch, if any */
  baseCommit: string | null;
  patches: ComparedPatch[];
}

export interface ComparePair {
  newer: ComparedSeries;
  older: ComparedSeries;
  /** the project's upstream repository (its scm_url), '' when it names none */
  scmUrl: string;
}

/** `id` against `withId`, or against the version it revises (the stored version link) when withId is absent. */
export async function loadComparePair(db: Database, id: number, withId?: number): Promise<ComparePair> {
  const [row] = await db
    .select({ previous: mailSeries.previousVersionId, scmUrl: mailProject.scmUrl })
    .from(mailSeries)
    .innerJoin(mailProject, eq(mailProject.id, mailSeries.projectId))
    .where(eq(mailSeries.id, id));
  if (!row) throw new AppError('not_found', `no series ${id}`, { field: 'id' });
  const otherId = withId ?? row.previous;
  if (otherId === null) {
    throw new AppError('no_previous_version', `series ${id} revises no stored series: name the one to compare with (with)`, { field: 'with' });
  }
  if (otherId === id) throw new AppError('invalid_request', 'with: a series compared with itself shows nothing', { field: 'with' });
  const [newer, older] = await Promise.all([loadSeries(db, id), loadSeries(db, otherId)]);
  if (!older) throw new AppError('not_found', `no series ${otherId}`, { field: 'with' });
  return { newer: newer!, older, scmUrl: row.scmUrl };
}

async function loadSeries(db: Database, id: number): Promise<ComparedSeries | undefined> {
  const [s] = await db.select().from(mailSeries).where(eq(mailSeries.id, id));
  if (!s) return undefined;
  const patches = await db
    .select({
      id: mailPatch.id,
      number: mailPatch.number,
      name: mailPatch.name,
      content: mailPatch.content,
      diff: mailPatch.diff,
      raw: mailMessage.raw,
      authorName: mailPerson.name,
      authorEmail: mailPerson.email,
    })
    .from(mailPatch)
    .innerJoin(mailMessage, eq(mailMessage.id, mailPatch.messageId))
    .innerJoin(mailPerson, eq(mailPerson.id, mailPatch.submitterId))
    .where(eq(mailPatch.seriesId, id))
    .orderBy(asc(mailPatch.number), asc(mailPatch.date), asc(mailPatch.id));
  const covers = s.coverId === null ? [] : await db.select({ raw: mailMessage.raw }).from(mailCover).innerJoin(mailMessage, eq(mailMessage.id, mailCover.messageId)).where(inArray(mailCover.id, [s.coverId]));
  const baseCommit = [...covers, ...patches].map((m) => baseCommitIn(m.raw)).find((b) => b !== null) ?? null;
  return {
    id: s.id,
    projectId: s.projectId,
    name: s.name,
    version: s.version,
    baseCommit,
    patches: patches.map((p) => ({
      id: p.id,
      number: p.number,
      name: p.name,
      author: { name: p.authorName, email: p.authorEmail },
      content: p.content ?? '',
      diff: p.diff ?? '',
      raw: p.raw,
    })),
  };
}

function baseCommitIn(raw: Buffer): string | null {
  return /^base-commit: ([0-9a-f]{40}(?:[0-9a-f]{24})?)\s*$/m.exec(raw.toString('latin1'))?.[1] ?? null;
}
