/**
 * What a page of patches, covers, series or events refers to (projects, people, series with their patches
 * and cover letters, combined check states), loaded in one query per kind rather than one per row.
 */
import { inArray } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import {
  mailCheck,
  mailCover,
  mailPatch,
  mailPerson,
  mailProject,
  mailSeries,
  type MailCoverRow,
  type MailPatchRow,
  type MailPersonRow,
  type MailProjectRow,
  type MailSeriesRow,
} from '../db/schema/mail.js';
import { combinedState, combinedStateOfEach } from '../checks/service.js';

export class Related {
  projects = new Map<number, MailProjectRow>();
  people = new Map<number, MailPersonRow>();
  series = new Map<number, MailSeriesRow>();
  patchesOfSeries = new Map<number, MailPatchRow[]>();
  coversById = new Map<number, MailCoverRow>();
  checkState = new Map<number, string>();
  seriesCheck = new Map<number, string>();

  static async load(
    db: Database,
    want: { projects?: Iterable<number>; people?: Iterable<(number | null)>; series?: Iterable<number | null>; seriesPatches?: boolean; patchChecks?: number[] },
  ): Promise<Related> {
    const r = new Related();
    const ids = (it: Iterable<number | null> | undefined) => [...new Set([...(it ?? [])].filter((x): x is number => typeof x === 'number'))];
    const seriesIds = ids(want.series);
    if (seriesIds.length) for (const s of await db.select().from(mailSeries).where(inArray(mailSeries.id, seriesIds))) r.series.set(s.id, s);
    if (want.seriesPatches && seriesIds.length) {
      const rows = await db.select().from(mailPatch).where(inArray(mailPatch.seriesId, seriesIds));
      rows.sort((a, b) => (a.number ?? 0) - (b.number ?? 0) || a.id - b.id);
      for (const p of rows) (r.patchesOfSeries.get(p.seriesId!) ?? r.patchesOfSeries.set(p.seriesId!, []).get(p.seriesId!)!).push(p);
      // a series' state: its patches' checks combined (each patch's contexts apart)
      const patchIds = rows.map((p) => p.id);
      if (patchIds.length) {
        const checks = await db.select().from(mailCheck).where(inArray(mailCheck.patchId, patchIds));
        const seriesOf = new Map(rows.map((p) => [p.id, p.seriesId!]));
        const by = new Map<number, Array<{ id: number; user: string; context: string; state: string; date: Date }>>();
        for (const c of checks) {
          const sid = seriesOf.get(c.patchId)!;
          (by.get(sid) ?? by.set(sid, []).get(sid)!).push({ ...c, context: `${c.context}\0${c.patchId}` });
        }
        for (const [sid, list] of by) r.seriesCheck.set(sid, combinedState(list));
      }
      const coverIds = ids([...r.series.values()].map((s) => s.coverId));
      if (coverIds.length) for (const c of await db.select().from(mailCover).where(inArray(mailCover.id, coverIds))) r.coversById.set(c.id, c);
    }
    const projectIds = ids([...(want.projects ?? []), ...[...r.series.values()].map((s) => s.projectId)]);
    if (projectIds.length) for (const p of await db.select().from(mailProject).where(inArray(mailProject.id, projectIds))) r.projects.set(p.id, p);
    const peopleIds = ids([...(want.people ?? []), ...[...r.series.values()].map((s) => s.submitterId)]);
    if (peopleIds.length) for (const p of await db.select().from(mailPerson).where(inArray(mailPerson.id, peopleIds))) r.people.set(p.id, p);
    if (want.patchChecks?.length) for (const [id, s] of await combinedStateOfEach(db, 'patch', want.patchChecks)) r.checkState.set(id, s);
    return r;
  }

  project(id: number): MailProjectRow {
    const p = this.projects.get(id);
    if (!p) throw new Error(`project ${id} not loaded`);
    return p;
  }
  person(id: number): MailPersonRow {
    return this.people.get(id) ?? { id, email: '', name: null, createdAt: new Date(0) };
  }
}

