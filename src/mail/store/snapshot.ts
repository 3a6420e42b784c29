/**
 * What a batch of mails needs to know from the database, read in a handful of queries up front: the
 * stored messages its message ids and references name, the series those references and the patch
 * markers point at, the patch numbers of those series, and how many cover letters carry each name.
 */
import { and, eq, gte, inArray, lte, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { mailCover, mailMessage, mailPatch, mailPerson, mailSeries, mailSeriesReference } from '../../db/schema/mail.js';

export type Tx = Parameters<Parameters<Database['transaction']>[0]>[0] | Database;

export interface StoredMessage {
  projectId: number;
  msgid: string;
  kind: 'patch' | 'cover' | 'comment';
  patchId: number | null;
  coverId: number | null;
  /** the series of the patch or cover this message is (not for comments) */
  seriesId: number | null;
}

export interface StoredSeries {
  id: number;
  projectId: number;
  name: string | null;
  date: Date;
  submitterId: number;
  submitter: string;
  version: number;
  total: number;
  receivedTotal: number;
  receivedAll: boolean;
  coverId: number | null;
  previousVersionId: number | null;
  changeId: string | null;
  basedOn: string[];
  dependsOn: string[];
  supersedes: string[];
}

export interface Snapshot {
  messages: StoredMessage[];
  /** project\0msgid → series id */
  references: Array<{ projectId: number; msgid: string; seriesId: number }>;
  series: StoredSeries[];
  /** patch numbers of the loaded series, and the name of each one's patch 1 */
  patchNumbers: Array<{ seriesId: number; number: number; name: string }>;
  coverNames: Array<{ projectId: number; name: string; count: number }>;
}

export interface SnapshotQuery {
  projectIds: number[];
  /** message ids and references of the batch, plus message ids its hints name */
  msgids: string[];
  submitters: string[];
  /** window for marker matches, or null when no mail has a usable marker and date */
  markerWindow: { from: Date; to: Date } | null;
  coverNames: string[];
}

const CHUNK = 5000;

function chunks<T>(list: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += CHUNK) out.push(list.slice(i, i + CHUNK));
  return out;
}

const seriesColumns = {
  id: mailSeries.id,
  projectId: mailSeries.projectId,
  name: mailSeries.name,
  date: mailSeries.date,
  submitterId: mailSeries.submitterId,
  submitter: mailPerson.email,
  version: mailSeries.version,
  total: mailSeries.total,
  receivedTotal: mailSeries.receivedTotal,
  receivedAll: mailSeries.receivedAll,
  coverId: mailSeries.coverId,
  previousVersionId: mailSeries.previousVersionId,
  changeId: mailSeries.changeId,
  basedOn: mailSeries.basedOn,
  dependsOn: mailSeries.dependsOn,
  supersedes: mailSeries.supersedes,
};

/** Stored series as the store decides with them: the series row and its submitter's address. */
function storedSeries(tx: Tx) {
  return tx.select(seriesColumns).from(mailSeries).innerJoin(mailPerson, eq(mailPerson.id, mailSeries.submitterId));
}

export async function loadSnapshot(tx: Tx, q: SnapshotQuery): Promise<Snapshot> {
  const snap: Snapshot = { messages: [], references: [], series: [], patchNumbers: [], coverNames: [] };
  if (!q.projectIds.length) return snap;
  const inProjects = (col: typeof mailMessage.projectId | typeof mailSeriesReference.projectId | typeof mailSeries.projectId | typeof mailCover.projectId) =>
    inArray(col, q.projectIds);

  for (const ids of chunks(q.msgids)) {
    const rows = await tx
      .select({
        projectId: mailMessage.projectId,
        msgid: mailMessage.msgid,
        kind: mailMessage.kind,
        patchId: mailMessage.patchId,
        coverId: mailMessage.coverId,
        seriesId: sql<number | null>`coalesce(${mailPatch.seriesId}, ${mailCover.seriesId})`,
      })
      .from(mailMessage)
      .leftJoin(mailPatch, and(eq(mailMessage.kind, 'patch'), eq(mailPatch.id, mailMessage.patchId)))
      .leftJoin(mailCover, and(eq(mailMessage.kind, 'cover'), eq(mailCover.id, mailMessage.coverId)))
      .where(and(inProjects(mailMessage.projectId), inArray(mailMessage.msgid, ids)));
    for (const r of rows) snap.messages.push({ ...r, kind: r.kind as StoredMessage['kind'], seriesId: r.seriesId === null ? null : Number(r.seriesId) });

    const refs = await tx
      .select({ projectId: mailSeriesReference.projectId, msgid: mailSeriesReference.msgid, seriesId: mailSeriesReference.seriesId })
      .from(mailSeriesReference)
      .where(and(inProjects(mailSeriesReference.projectId), inArray(mailSeriesReference.msgid, ids)));
    snap.references.push(...refs);
  }

  const wanted = new Set(snap.references.map((r) => r.seriesId));
  for (const m of snap.messages) if (m.seriesId !== null) wanted.add(m.seriesId);
  const seen = new Set<number>();
  const addSeries = (rows: StoredSeries[]): void => {
    for (const r of rows) {
      if (seen.has(r.id)) continue;
      seen.add(r.id);
      snap.series.push(r);
    }
  };
  if (wanted.size) {
    for (const ids of chunks([...wanted])) {
      addSeries(await storedSeries(tx).where(inArray(mailSeries.id, ids)));
    }
  }
  if (q.markerWindow && q.submitters.length) {
    addSeries(
      await storedSeries(tx).where(
        and(
          inProjects(mailSeries.projectId),
          inArray(mailPerson.email, q.submitters),
          gte(mailSeries.date, q.markerWindow.from),
          lte(mailSeries.date, q.markerWindow.to),
        ),
      ),
    );
  }
  if (snap.series.length) {
    for (const ids of chunks(snap.series.map((s) => s.id))) {
      const rows = await tx
        .select({ seriesId: mailPatch.seriesId, number: mailPatch.number, name: mailPatch.name })
        .from(mailPatch)
        .where(inArray(mailPatch.seriesId, ids));
      for (const r of rows) if (r.seriesId !== null && r.number !== null) snap.patchNumbers.push({ seriesId: r.seriesId, number: r.number, name: r.name });
    }
  }
  if (q.coverNames.length) {
    for (const names of chunks(q.coverNames)) {
      const rows = await tx
        .select({ projectId: mailCover.projectId, name: mailCover.name, count: sql<number>`count(*)::int` })
        .from(mailCover)
        .where(and(inProjects(mailCover.projectId), inArray(mailCover.name, names)))
        .groupBy(mailCover.projectId, mailCover.name);
      snap.coverNames.push(...rows.map((r) => ({ ...r, count: Number(r.count) })));
    }
  }
  return snap;
}

/** Series that may be earlier versions of the given ones: same submitter, same change-id, or named by Supersedes. */
export async function loadVersionCandidates(
  tx: Tx,
  q: {
    projectIds: number[];
    /** (submitter, normalised series name) of the series looking for an earlier version */
    nameKeys: Array<{ submitterId: number; key: string }>;
    /** (submitter, normalised patch title) of their patches */
    patchKeys: Array<{ submitterId: number; key: string }>;
    changeIds: string[];
    seriesIds: number[];
    before: Date;
  },
): Promise<StoredSeries[]> {
  if (!q.projectIds.length) return [];
  const pairs = (list: Array<{ submitterId: number; key: string }>): string => {
    const seen = new Set<string>();
    return JSON.stringify(list.filter((p) => !seen.has(`${p.submitterId} ${p.key}`) && seen.add(`${p.submitterId} ${p.key}`)).map((p) => ({ s: p.submitterId, k: p.key })));
  };
  // a union of index lookups, each the three latest rows per (submitter, title): findPreviousVersion takes
  // the latest match, and a bounded lookup keeps the cost flat as the archive grows
  const projects = sql.join(q.projectIds.map((id) => sql`${id}::int`), sql`, `);
  const branches: SQL[] = [];
  if (q.nameKeys.length) {
    branches.push(sql`select hit.id from json_to_recordset(${pairs(q.nameKeys)}::json) as k(s int, k text) cross join lateral (
        select id from series where project_id in (${projects}) and submitter_id = k.s and name_key = k.k and date <= ${q.before.toISOString()}::timestamptz
        order by date desc limit 3) hit`);
  }
  if (q.patchKeys.length) {
    branches.push(sql`select hit.series_id from json_to_recordset(${pairs(q.patchKeys)}::json) as k(s int, k text) cross join lateral (
        select series_id from patch where project_id in (${projects}) and submitter_id = k.s and name_key = k.k and date <= ${q.before.toISOString()}::timestamptz
        order by date desc limit 3) hit`);
  }
  if (q.changeIds.length) {
    branches.push(sql`${tx.select({ id: mailSeries.id }).from(mailSeries).where(and(inArray(mailSeries.projectId, q.projectIds), inArray(mailSeries.changeId, q.changeIds)))}`);
  }
  if (q.seriesIds.length) branches.push(sql`select unnest(array[${sql.join(q.seriesIds.map((id) => sql`${id}::int`), sql`, `)}])`);
  if (!branches.length) return [];
  return storedSeries(tx)
    .where(
      and(
        sql`${mailSeries.id} in (${sql.join(branches.map((b) => sql`(${b})`), sql` union `)})`,
        inArray(mailSeries.projectId, q.projectIds),
        lte(mailSeries.date, q.before),
      ),
    )
    .orderBy(sql`${mailSeries.date} desc`)
    .limit(2000);
}

/** Names of the patches of these series (for matching versions by their patch titles). */
export async function loadPatchNames(tx: Tx, seriesIds: number[]): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  for (const ids of chunks(seriesIds)) {
    const rows = await tx.select({ seriesId: mailPatch.seriesId, name: mailPatch.name }).from(mailPatch).where(inArray(mailPatch.seriesId, ids));
    for (const r of rows) if (r.seriesId !== null) out.set(r.seriesId, [...(out.get(r.seriesId) ?? []), r.name]);
  }
  return out;
}

/** The project of each series id, and the project and series of each patch id, that Depends-on/Based-on URLs name. */
export async function loadDependencyTargets(
  tx: Tx,
  seriesIds: number[],
  patchIds: number[],
): Promise<{ series: Map<number, number>; patches: Map<number, { projectId: number; seriesId: number | null }> }> {
  const series = new Map<number, number>();
  const patches = new Map<number, { projectId: number; seriesId: number | null }>();
  if (seriesIds.length) {
    const rows = await tx.select({ id: mailSeries.id, projectId: mailSeries.projectId }).from(mailSeries).where(inArray(mailSeries.id, seriesIds));
    for (const r of rows) series.set(r.id, r.projectId);
  }
  if (patchIds.length) {
    const rows = await tx.select({ id: mailPatch.id, projectId: mailPatch.projectId, seriesId: mailPatch.seriesId }).from(mailPatch).where(inArray(mailPatch.id, patchIds));
    for (const r of rows) patches.set(r.id, { projectId: r.projectId, seriesId: r.seriesId });
  }
  return { series, patches };
}
