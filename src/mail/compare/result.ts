/**
 * What a comparison of two versions of a series says, whichever way it was made: each patch of either
 * version once, in the order `git range-diff` prints them (a dropped patch where it stood, an added one
 * where it stands now), with the interdiff of each changed pair.
 */
import type { ComparedPatch, ComparedSeries } from './load.js';

export type CompareMethod = 'git-range-diff' | 'diff-compare';

export interface PatchRef {
  id: number;
  /** 1-based position in its series */
  position: number;
  name: string;
}

export interface PatchComparison {
  status: 'unchanged' | 'changed' | 'added' | 'dropped';
  older: PatchRef | null;
  newer: PatchRef | null;
  /** a pair whose place relative to the other pairs changed */
  reordered: boolean;
  /** range-diff's diff of the two patches (metadata, commit message, diff); null unless changed */
  interdiff: string | null;
}

export interface SeriesRef {
  id: number;
  name: string | null;
  version: number;
}

/** What either method finds. */
export interface PatchesCompared {
  method: CompareMethod;
  /** why `git range-diff` could not be used (diff-compare only) */
  reason?: string;
  series: SeriesRef;
  with: SeriesRef;
  patches: PatchComparison[];
}

/** The answer: the patch list plus the three lists a client asks for most. */
export interface SeriesComparison extends PatchesCompared {
  /** ids of the patches only the series has */
  added: number[];
  /** ids of the patches only the other series has */
  dropped: number[];
  /** ids (in the series) of the patches that moved */
  reordered: number[];
}

export function summarize(r: PatchesCompared): SeriesComparison {
  const ids = (status: PatchComparison['status'], side: 'older' | 'newer') => r.patches.filter((p) => p.status === status).map((p) => p[side]!.id);
  return { ...r, added: ids('added', 'newer'), dropped: ids('dropped', 'older'), reordered: r.patches.filter((p) => p.reordered).map((p) => p.newer!.id) };
}

export function seriesRef(s: ComparedSeries): SeriesRef {
  return { id: s.id, name: s.name, version: s.version };
}

export function patchRef(patches: ComparedPatch[], index: number): PatchRef {
  const p = patches[index]!;
  return { id: p.id, position: index + 1, name: p.name };
}

/**
 * range-diff's output order over a matching (older[i] ↔ newer[match[i]], -1 unmatched): walk the newer
 * series; before each newer patch show the older patches not shown yet that precede its partner.
 */
export function outputOrder(olderToNewer: number[], newerCount: number): Array<[number, number]> {
  const newerToOlder = new Array<number>(newerCount).fill(-1);
  olderToNewer.forEach((j, i) => {
    if (j >= 0) newerToOlder[j] = i;
  });
  const shown = new Array<boolean>(olderToNewer.length).fill(false);
  const out: Array<[number, number]> = [];
  let i = 0;
  let j = 0;
  while (i < olderToNewer.length || j < newerCount) {
    if (i < olderToNewer.length && shown[i]) {
      i++;
      continue;
    }
    if (i < olderToNewer.length && olderToNewer[i]! < 0) {
      out.push([i++, -1]);
      continue;
    }
    while (j < newerCount && newerToOlder[j]! < 0) out.push([-1, j++]);
    if (j < newerCount) {
      const partner = newerToOlder[j]!;
      out.push([partner, j]);
      shown[partner] = true;
      j++;
    }
  }
  return out;
}

/**
 * The pairs that moved: those outside a longest run of pairs keeping their relative order (so one patch
 * moved to the front marks that patch, not every patch it jumped over).
 */
export function movedPairs(pairs: Array<[number, number]>): Set<string> {
  const byOlder = pairs.filter(([i, j]) => i >= 0 && j >= 0).sort((a, b) => a[0] - b[0]);
  const best: number[] = byOlder.map(() => 1);
  const prev: number[] = byOlder.map(() => -1);
  for (let k = 0; k < byOlder.length; k++) {
    for (let m = 0; m < k; m++) {
      if (byOlder[m]![1] < byOlder[k]![1] && best[m]! + 1 > best[k]!) {
        best[k] = best[m]! + 1;
        prev[k] = m;
      }
    }
  }
  const kept = new Set<number>();
  let k = best.indexOf(Math.max(0, ...best));
  while (k >= 0) {
    kept.add(k);
    k = prev[k]!;
  }
  return new Set(byOlder.filter((_, n) => !kept.has(n)).map(([i, j]) => `${i}:${j}`));
}
