import type { ParsedMail } from './parse.js';
import { normalizeTitle } from './subject.js';

/**
 * Series assembly. The decisions are pure functions over a small lookup interface; the mail store's batch
 * (store/batch-state.ts) answers the lookups from the database plus what the batch has decided so far, so
 * a series comes out the same mail by mail or batched.
 *
 * Patchwork's rules (parser.py parse_mail / find_series): a numbered patch joins the series that one of
 * its message ids or references is registered to, else a series of the same submitter, version and total
 * started within 20 minutes; it starts a new series when there is none or when that series already has a
 * patch with its number. A cover letter joins the series its own message id is registered to (its
 * patches came first), else starts one. A new series registers the mail's references and message id.
 */

export const SERIES_WINDOW_MINUTES = 20;

export type SeriesId = string | number;

export interface SeriesRecord {
  id: SeriesId;
  /** date of the mail that started the series (UTC ISO) */
  date: string | null;
  /** submitter's email, lower-cased */
  submitter: string;
  version: number;
  total: number;
}

export interface SeriesLookup {
  /** the series a message id is registered to (Patchwork's SeriesReference) */
  seriesByReference(msgid: string): SeriesRecord | undefined;
  /** series with this submitter, version and total whose date lies in [from, to] */
  seriesByMarkers(query: { submitter: string; version: number; total: number; from: string; to: string }): SeriesRecord[];
  hasPatchNumber(seriesId: SeriesId, number: number): boolean;
}

/** What the series logic needs from a parsed mail. */
export interface SeriesMail {
  msgid: string;
  refs: string[];
  date: string | null;
  submitter: string;
  version: number;
  seriesMarker: [number | null, number | null];
}

export type SeriesDecision =
  | { action: 'join'; seriesId: SeriesId; number: number | null }
  | {
      action: 'create';
      /** the new series' fields */
      date: string | null;
      submitter: string;
      version: number;
      total: number;
      /** patch number in the new series (null for a cover letter) */
      number: number | null;
      /** message ids to register to the new series, unless already registered to another */
      references: string[];
    }
  | { action: 'none'; reason: string };

export function seriesMailOf(mail: ParsedMail): SeriesMail {
  return {
    msgid: mail.msgid,
    refs: mail.refs,
    date: mail.date,
    submitter: mail.author.email.toLowerCase(),
    version: mail.version,
    seriesMarker: mail.seriesMarker,
  };
}

function shiftMinutes(iso: string, minutes: number): string {
  return new Date(Date.parse(iso) + minutes * 60_000).toISOString();
}

function withinWindow(a: string | null, b: string | null): boolean {
  if (!a || !b) return true;
  return Math.abs(Date.parse(a) - Date.parse(b)) <= SERIES_WINDOW_MINUTES * 60_000;
}

/**
 * By references, newest first: the mail's own id, then In-Reply-To, then References. A series of another
 * version only counts when it started within the window (Patchwork means to check this too, but its
 * comparison `start > date > end` can never be true; see the README's "Where the mail parser differs from Patchwork").
 */
function findByReferences(mail: SeriesMail, lookup: SeriesLookup): SeriesRecord | undefined {
  for (const ref of [mail.msgid, ...mail.refs]) {
    const s = lookup.seriesByReference(ref);
    if (!s) continue;
    if (s.version !== mail.version && !withinWindow(s.date, mail.date)) continue;
    return s;
  }
  return undefined;
}

function findByMarkers(mail: SeriesMail, total: number, lookup: SeriesLookup): SeriesRecord[] {
  if (!mail.date) return [];
  return lookup.seriesByMarkers({
    submitter: mail.submitter,
    version: mail.version,
    total,
    from: shiftMinutes(mail.date, -SERIES_WINDOW_MINUTES),
    to: shiftMinutes(mail.date, SERIES_WINDOW_MINUTES),
  });
}

export function decidePatchSeries(mail: SeriesMail, lookup: SeriesLookup): SeriesDecision {
  let [x, n] = mail.seriesMarker;
  let series: SeriesRecord | undefined;
  if (n) {
    series = findByReferences(mail, lookup);
    if (!series) {
      const found = findByMarkers(mail, n, lookup);
      if (found.length === 1) series = found[0];
      else if (found.length > 1) {
        // several candidates (a re-sent series): the newest that lacks this number, as Patchwork's last retry does
        const byDate = [...found].sort((a, b) => (b.date ?? '').localeCompare(a.date ?? ''));
        series = byDate.find((s) => !lookup.hasPatchNumber(s.id, x ?? 1));
        if (!series) series = undefined;
      }
    }
  } else {
    x = n = 1;
  }
  // Patchwork files a numbered `0/N` patch (a diff in a cover letter) in no series.
  if (!x) return { action: 'none', reason: 'patch numbered 0' };
  if (series && !lookup.hasPatchNumber(series.id, x)) return { action: 'join', seriesId: series.id, number: x };
  return {
    action: 'create',
    date: mail.date,
    submitter: mail.submitter,
    version: mail.version,
    total: n ?? 1,
    number: x,
    references: [...mail.refs, mail.msgid],
  };
}

export function decideCoverSeries(mail: SeriesMail, lookup: SeriesLookup): SeriesDecision {
  const series = lookup.seriesByReference(mail.msgid);
  if (series) return { action: 'join', seriesId: series.id, number: null };
  return {
    action: 'create',
    date: mail.date,
    submitter: mail.submitter,
    version: mail.version,
    total: mail.seriesMarker[1] ?? 0,
    number: null,
    // a cover letter's references point at other threads, never at its own series
    references: [mail.msgid],
  };
}

/** Series name after a patch joins: patch 1's full name, unless a name is already set (Patchwork). */
export function seriesNameAfterPatch(current: string | null, patchName: string, number: number): string | null {
  if (current) return current;
  return number === 1 ? patchName : null;
}

/**
 * Series name after its cover letter arrives: the cover's title, unless a custom name was set. A name that
 * came from patch 1 gives way. Patchwork takes the text after the last `]`, which cuts titles containing
 * `]`; we use the title without its leading prefixes.
 */
export function seriesNameAfterCover(current: string | null, coverTitle: string, patchOneName: string | null): string {
  if (!current || current === patchOneName) return coverTitle;
  return current;
}

export interface VersionCandidate {
  id: SeriesId;
  submitter: string;
  /** series name; null while unknown */
  name: string | null;
  version: number;
  date: string | null;
  changeId: string | null;
  /** message ids of the series' cover and patches */
  msgids: string[];
  /** Supersedes: values found in the series' mails */
  supersedes: string[];
  /** titles of the series' patches (prefixes stripped); lets a series without cover find its v1 */
  patchTitles?: string[];
}

export interface PreviousVersion {
  id: SeriesId;
  reason: 'supersedes' | 'change-id' | 'subject' | 'patches';
  /** same version number: a re-send rather than a new revision */
  resend: boolean;
}

/** What a `Depends-on:`/`Based-on:` value names, as Patchwork accepts them (msgid, series or patch URL). */
export type DependencyRef =
  | { kind: 'msgid'; msgid: string }
  | { kind: 'series'; id: number }
  | { kind: 'patch'; id: number }
  | { kind: 'unknown'; value: string };

export function parseDependencyRef(value: string): DependencyRef {
  const v = value.trim();
  const angle = /^<([^<>\s]+)>$/.exec(v);
  if (angle) return { kind: 'msgid', msgid: `<${angle[1]}>` };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) {
    let url: URL;
    try {
      url = new URL(v);
    } catch {
      return { kind: 'unknown', value: v };
    }
    const seriesParam = url.searchParams.get('series');
    if (seriesParam && /^\d+$/.test(seriesParam)) return { kind: 'series', id: Number(seriesParam) };
    const seriesPath = /\/series\/(\d+)\/?$/.exec(url.pathname);
    if (seriesPath) return { kind: 'series', id: Number(seriesPath[1]) };
    const item = /\/(?:patch|cover|patches|covers)\/([^/]+)\/?$/.exec(url.pathname);
    if (item) {
      const id = decodeURIComponent(item[1]!);
      if (/^\d+$/.test(id)) return { kind: 'patch', id: Number(id) };
      return { kind: 'msgid', msgid: `<${id.replace(/^<|>$/g, '')}>` };
    }
    return { kind: 'unknown', value: v };
  }
  if (/^[^\s@<>]+@[^\s@<>]+$/.test(v)) return { kind: 'msgid', msgid: `<${v}>` };
  return { kind: 'unknown', value: v };
}

function bare(msgid: string): string {
  return msgid.trim().replace(/^<|>$/g, '');
}

/**
 * The series this one is a new version (or re-send) of: named by `Supersedes:`, sharing b4's
 * `change-id:`, by the same submitter under the same normalised title, or (when only one version had a
 * cover letter) by the same submitter with mostly the same patch titles. Among several, the latest.
 */
export function findPreviousVersion(series: VersionCandidate, candidates: VersionCandidate[]): PreviousVersion | null {
  const earlier = candidates.filter(
    (c) => c.id !== series.id && (!c.date || !series.date || c.date <= series.date) && c.version <= series.version,
  );
  const latest = (list: VersionCandidate[]): VersionCandidate | undefined =>
    [...list].sort((a, b) => (b.date ?? '').localeCompare(a.date ?? '') || b.version - a.version)[0];
  const mk = (c: VersionCandidate, reason: PreviousVersion['reason']): PreviousVersion => ({
    id: c.id,
    reason,
    resend: c.version === series.version,
  });

  if (series.supersedes.length) {
    const wanted = new Set(series.supersedes.map(bare));
    const hit = latest(candidates.filter((c) => c.id !== series.id && c.msgids.some((m) => wanted.has(bare(m)))));
    if (hit) return mk(hit, 'supersedes');
  }
  if (series.changeId) {
    const hit = latest(earlier.filter((c) => c.changeId === series.changeId));
    if (hit) return mk(hit, 'change-id');
  }
  if (series.name) {
    const title = normalizeTitle(series.name);
    const hit = latest(earlier.filter((c) => c.submitter === series.submitter && c.name && normalizeTitle(c.name) === title));
    if (hit && title) return mk(hit, 'subject');
  }
  // A cover letter on one version only: most patch titles shared, same submitter.
  const mine = new Set((series.patchTitles ?? []).map(normalizeTitle).filter(Boolean));
  if (mine.size) {
    const overlapping = earlier.filter((c) => {
      if (c.submitter !== series.submitter || !c.patchTitles?.length) return false;
      const theirs = new Set(c.patchTitles.map(normalizeTitle).filter(Boolean));
      const shared = [...mine].filter((t) => theirs.has(t)).length;
      return shared > 0 && shared * 2 >= Math.min(mine.size, theirs.size);
    });
    const hit = latest(overlapping);
    if (hit) return mk(hit, 'patches');
  }
  return null;
}
