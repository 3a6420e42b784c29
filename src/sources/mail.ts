/**
 * Mailing-list series as an upstream (`version_control: mail`): scm_repo names the list (its List-Id or the
 * project's link name), scm_branch a subject tag (`PATCH` or `*` for every series, or e.g. `net-next`).
 * A complete series (every patch received) is one range; each patch becomes a patch file in mail format
 * (From/Date/Subject/Message-Id headers, the message, the diff), the way `git format-patch` lays it out.
 */
import { createHash } from 'node:crypto';
import { and, asc, eq, gt, inArray, or, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { mailPatch, mailPerson, mailProject, mailSeries, publication, type TrackingRow } from '../db/schema/index.js';
import { AppError } from '../errors.js';
import type { UpstreamCommit } from './types.js';

export interface SeriesRange {
  seriesId: number;
  version: number;
  name: string;
  previousVersionId: number | null;
  /** publication keys: ref-name safe, stable */
  from: string;
  to: string;
  commits: UpstreamCommit[];
}

export const seriesRangeKeys = (seriesId: number, version: number) => ({ from: `s${seriesId}`, to: `v${version}` });

async function projectFor(db: Database, t: TrackingRow) {
  const list = t.scmRepo.replace(/^<|>$/g, '');
  const [project] = await db
    .select()
    .from(mailProject)
    .where(or(eq(mailProject.linkName, list), eq(mailProject.listId, list)))
    .limit(1);
  if (!project) throw new AppError('source_unavailable', `no mailing-list project "${t.scmRepo}" (create it with patch-tracking project add)`);
  return project;
}

/** The newest series id of the list: a new mail tracking starts after it, like a git tracking starts at the head. */
export async function latestSeriesId(db: Database, t: TrackingRow): Promise<string> {
  const project = await projectFor(db, t);
  const [row] = await db.select({ max: sql<number | null>`max(${mailSeries.id})` }).from(mailSeries).where(eq(mailSeries.projectId, project.id));
  return String(row?.max ?? 0);
}

function matchesTag(names: string[], tag: string): boolean {
  if (tag === '*' || tag.toUpperCase() === 'PATCH') return true;
  const wanted = tag.toLowerCase();
  return names.some((name) => (/^\[([^\]]*)\]/.exec(name)?.[1] ?? '').toLowerCase().split(',').includes(wanted));
}

const rfc2822 = (d: Date) => d.toUTCString().replace('GMT', '+0000');

/** Complete series after the tracking's starting point that no publication of this tracking covers yet, oldest first. */
export async function pendingSeries(db: Database, t: TrackingRow, limit = 20): Promise<SeriesRange[]> {
  const project = await projectFor(db, t);
  const floor = Number(t.scmCommit ?? '0') || 0;
  const candidates = await db
    .select()
    .from(mailSeries)
    .where(
      and(
        eq(mailSeries.projectId, project.id),
        eq(mailSeries.receivedAll, true),
        gt(mailSeries.id, floor),
        sql`not exists (select 1 from ${publication} p where p.tracking_id = ${t.id} and p.range_from = 's' || ${mailSeries.id}::text)`,
      ),
    )
    .orderBy(asc(mailSeries.date), asc(mailSeries.id))
    .limit(limit);
  if (candidates.length === 0) return [];
  const patches = await db
    .select({ patch: mailPatch, person: mailPerson })
    .from(mailPatch)
    .innerJoin(mailPerson, eq(mailPerson.id, mailPatch.submitterId))
    .where(inArray(mailPatch.seriesId, candidates.map((s) => s.id)))
    .orderBy(asc(mailPatch.seriesId), asc(mailPatch.number), asc(mailPatch.date));
  const out: SeriesRange[] = [];
  for (const series of candidates) {
    const own = patches.filter((p) => p.patch.seriesId === series.id && p.patch.diff);
    if (own.length === 0 || !matchesTag(own.map((p) => p.patch.name), t.scmBranch)) continue;
    const commits = own.map(({ patch, person }): UpstreamCommit => {
      const subject = patch.name.replace(/^\[[^\]]*\]\s*/, '');
      const sha = patch.hash ?? createHashHex(patch.msgid);
      const author = person.name ? `${person.name} <${person.email}>` : person.email;
      const message = (patch.content ?? '').replace(/\s+$/, '');
      const text =
        `From ${sha} Mon Sep 17 00:00:00 2001\nFrom: ${author}\nDate: ${rfc2822(patch.date)}\nSubject: [PATCH] ${subject}\nMessage-Id: ${patch.msgid}\n\n` +
        `${message ? `${message}\n` : ''}${message.includes('\n---\n') || message.startsWith('---\n') ? '' : '---\n'}${patch.diff}`;
      return {
        sha,
        parents: [],
        authorName: person.name ?? person.email,
        authorEmail: person.email,
        authorDate: patch.date.toISOString(),
        committerDate: patch.date.toISOString(),
        subject,
        message: message ? `${subject}\n\n${message}` : subject,
        patch: text.endsWith('\n') ? text : `${text}\n`,
        url: project.listArchiveUrl ? `${project.listArchiveUrl.replace(/\/$/, '')}/${encodeURIComponent(patch.msgid.replace(/^<|>$/g, ''))}` : undefined,
      };
    });
    out.push({ seriesId: series.id, version: series.version, name: series.name ?? own[0]!.patch.name, previousVersionId: series.previousVersionId, ...seriesRangeKeys(series.id, series.version), commits });
  }
  return out;
}

function createHashHex(seed: string): string {
  return createHash('sha1').update(seed).digest('hex');
}
