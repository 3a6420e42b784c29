/**
 * What ties the series a batch touched to other series: the earlier version each one revises
 * (findPreviousVersion over the batch's series and stored candidates) and the series its Depends-on /
 * Based-on values name (a message id, a series URL or a patch URL).
 */
import { findPreviousVersion, parseDependencyRef, type VersionCandidate } from '../series.js';
import { normalizeTitle } from '../subject.js';
import type { SeriesKey, SeriesNode } from './nodes.js';
import { loadDependencyTargets, loadPatchNames, loadVersionCandidates, type StoredSeries, type Tx } from './snapshot.js';

/** The batch's view of messages and series: the snapshot plus everything decided so far. */
export interface BatchView {
  readonly series: ReadonlyMap<SeriesKey, SeriesNode>;
  /** the series of the patch or cover letter with this message id (a comment's names none) */
  seriesOfMessage(projectId: number, msgid: string): SeriesKey | null;
}

export interface SeriesDependency {
  seriesId: number;
  dependencyId: number;
  position: number;
}

/** The message ids a `Supersedes:` value names: each `<id>` in it, or the whole value as one bare id. */
export function supersededMsgids(value: string): string[] {
  return value.match(/<[^<>\s]+>/g) ?? [`<${value.replace(/^<|>$/g, '')}>`];
}

/** A series found to be a new version of another in this batch. */
export interface VersionLink {
  seriesId: number;
  previousId: number;
}

/**
 * findPreviousVersion for every touched series that has no earlier version yet (ids must be allocated);
 * returns the links made.
 */
export async function linkVersions(tx: Tx, view: BatchView, touched: SeriesNode[]): Promise<VersionLink[]> {
  const open = touched.filter((s) => s.previousVersionId === null && (s.name || s.changeId || s.supersedes.length || s.patchNames.length));
  const links: VersionLink[] = [];
  if (!open.length) return links;
  const supersededSeries = new Map<number, string[]>();
  for (const s of open) {
    for (const v of s.supersedes) {
      for (const id of supersededMsgids(v)) {
        const target = view.seriesOfMessage(s.projectId, id);
        if (typeof target === 'number') supersededSeries.set(target, [...(supersededSeries.get(target) ?? []), id]);
      }
    }
  }
  const before = new Date(Math.max(...open.map((s) => s.date.getTime())));
  const stored = await loadVersionCandidates(tx, {
    projectIds: [...new Set(open.map((s) => s.projectId))],
    nameKeys: open.filter((s) => s.name && normalizeTitle(s.name)).map((s) => ({ submitterId: s.submitterId, key: normalizeTitle(s.name!) })),
    patchKeys: open.flatMap((s) => s.patchNames.map((n) => ({ submitterId: s.submitterId, key: normalizeTitle(n) })).filter((k) => k.key)),
    changeIds: [...new Set(open.map((s) => s.changeId).filter((c): c is string => !!c))],
    seriesIds: [...supersededSeries.keys()],
    before,
  });
  const candidates = new Map<number, VersionCandidate & { projectId: number }>();
  const patchNames = await loadPatchNames(tx, stored.filter((r) => !view.series.has(r.id)).map((r) => r.id));
  for (const row of stored) {
    candidates.set(row.id, { ...candidateOfRow(row), msgids: supersededSeries.get(row.id) ?? [], patchTitles: patchNames.get(row.id) ?? [], projectId: row.projectId });
  }
  for (const s of view.series.values()) candidates.set(s.id, { ...candidateOfNode(s), projectId: s.projectId });
  // findPreviousVersion normalises every candidate's title: hand it only the ones that can match
  const bySubmitter = new Map<string, Array<VersionCandidate & { projectId: number }>>();
  for (const c of candidates.values()) {
    const key = `${c.projectId}\0${c.submitter}`;
    bySubmitter.set(key, [...(bySubmitter.get(key) ?? []), c]);
  }
  for (const s of open) {
    const mine = candidates.get(s.id)!;
    const pool = new Set(bySubmitter.get(`${s.projectId}\0${s.submitter}`) ?? []);
    for (const c of candidates.values()) {
      if (c.projectId !== s.projectId) continue;
      if ((s.changeId && c.changeId === s.changeId) || (s.supersedes.length && c.msgids.length)) pool.add(c);
    }
    const prev = findPreviousVersion(mine, [...pool]);
    if (prev && prev.id !== s.id) {
      s.previousVersionId = Number(prev.id);
      s.previousVersionReason = prev.reason;
      s.dirty = true;
      links.push({ seriesId: s.id, previousId: s.previousVersionId });
    }
  }
  return links;
}

/** The series each touched series depends on, in the order its Depends-on/Based-on values name them. */
export async function resolveDependencies(tx: Tx, view: BatchView, touched: SeriesNode[]): Promise<SeriesDependency[]> {
  const seriesIds = new Set<number>();
  const patchIds = new Set<number>();
  for (const s of touched) {
    for (const v of [...s.dependsOn, ...s.basedOn]) {
      const ref = parseDependencyRef(v);
      if (ref.kind === 'series') seriesIds.add(ref.id);
      if (ref.kind === 'patch') patchIds.add(ref.id);
    }
  }
  const stored = await loadDependencyTargets(tx, [...seriesIds], [...patchIds]);
  const out: SeriesDependency[] = [];
  for (const s of touched) {
    let position = 0;
    const seen = new Set<number>();
    for (const v of [...s.dependsOn, ...s.basedOn]) {
      const ref = parseDependencyRef(v);
      let target: number | null = null;
      if (ref.kind === 'msgid') {
        const key = view.seriesOfMessage(s.projectId, ref.msgid);
        const node = key === null ? undefined : view.series.get(key);
        target = node ? node.id : typeof key === 'number' ? key : null;
      } else if (ref.kind === 'series') {
        // a cross-project reference is ignored, as in Patchwork
        target = stored.series.get(ref.id) === s.projectId ? ref.id : null;
      } else if (ref.kind === 'patch') {
        const patch = stored.patches.get(ref.id);
        target = patch && patch.projectId === s.projectId ? patch.seriesId : null;
      }
      if (target === null || target === s.id || seen.has(target)) continue;
      seen.add(target);
      out.push({ seriesId: s.id, dependencyId: target, position: position++ });
    }
  }
  return out;
}

function candidateOfRow(s: StoredSeries): VersionCandidate {
  return { id: s.id, submitter: s.submitter, name: s.name, version: s.version, date: s.date.toISOString(), changeId: s.changeId, msgids: [], supersedes: s.supersedes };
}

function candidateOfNode(s: SeriesNode): VersionCandidate {
  return {
    id: s.id,
    submitter: s.submitter,
    name: s.name,
    version: s.version,
    date: s.date.toISOString(),
    changeId: s.changeId,
    msgids: s.msgids,
    supersedes: s.supersedes,
    patchTitles: s.patchNames,
  };
}
