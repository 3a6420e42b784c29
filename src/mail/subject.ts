import { normalizeSpace } from './headers.js';

/**
 * Subject handling, Patchwork's rules (parser.py clean_subject, split_prefixes, parse_series_marker,
 * parse_version, subject_check) with the deliberate fixes listed in DEVIATIONS.md.
 */

export interface CleanSubject {
  /** `[a,b] subject` when there are prefixes, else the subject: exactly Patchwork's patch name */
  name: string;
  prefixes: string[];
  /** the subject without any bracketed prefixes */
  title: string;
}

const RE_FWD = /^(re|fwd?)[:\s]\s*/i;
const PREFIX = /^\[([^\]]*)\]\s*(.*)$/;
// Mercurial patchbomb marker, kept as one token. Patchwork only finds it right after an upper-case
// `PATCH `; we find it anywhere in the bracket, any case.
const HG_MARKER = /^(.*?)\b(\d+ of \d+)\b(.*)$/i;

export function splitPrefixes(prefix: string): string[] {
  const tokens: string[] = [];
  let rest = prefix;
  const hg = HG_MARKER.exec(prefix);
  let tail: string[] = [];
  if (hg) {
    tokens.push(...splitWords(hg[1] ?? ''));
    tokens.push(hg[2]!);
    rest = '';
    tail = splitWords(hg[3] ?? '');
  }
  tokens.push(...splitWords(rest), ...tail);
  return tokens;
}

function splitWords(s: string): string[] {
  return s.split(/[,\s]+/).filter((t) => t !== '');
}

/**
 * Clean a (decoded, whitespace-normalised) subject: one leading Re:/Fwd: removed, leading bracketed
 * groups split into prefixes, `PATCH` and the project's link name dropped (case-insensitively).
 */
export function cleanSubject(subject: string, dropPrefixes: string[] = []): CleanSubject {
  const drop = new Set([...dropPrefixes.map((p) => p.toLowerCase()), 'patch']);
  let s = normalizeSpace(subject.replace(RE_FWD, ' '));
  const prefixes: string[] = [];
  let m = PREFIX.exec(s);
  while (m) {
    for (const p of splitPrefixes(m[1] ?? '')) if (!drop.has(p.toLowerCase())) prefixes.push(p);
    s = m[2] ?? '';
    m = PREFIX.exec(s);
  }
  const title = normalizeSpace(s);
  return { name: prefixes.length ? `[${prefixes.join(',')}] ${title}` : title, prefixes, title };
}

const MARKER = /^.*?([0-9]+)(?:\/| of )([0-9]+)$/;

/** `x/n` (or Mercurial `x of n`) from the first prefix carrying one. */
export function parseSeriesMarker(prefixes: string[]): [number | null, number | null] {
  for (const p of prefixes) {
    const m = MARKER.exec(p);
    if (m) return [Number(m[1]), Number(m[2])];
  }
  return [null, null];
}

const VERSION_PREFIX = /^[vV](\d+)$/;
// `[PATCHv2 1/3]`, `[RFCv3]`, `[PATCH-v2]`: Patchwork reads these as v1 (getpatchwork/patchwork#? "PATCHv2").
const GLUED_VERSION_PREFIX = /^(?:patch|rfc|resend)[-_]?v(\d+)$/i;
const VERSION_IN_TITLE = /\([vV](\d+)\)/;

export function parseVersion(name: string, prefixes: string[]): number {
  for (const p of prefixes) {
    const m = VERSION_PREFIX.exec(p);
    if (m) return Number(m[1]);
  }
  for (const p of prefixes) {
    const m = GLUED_VERSION_PREFIX.exec(p);
    if (m) return Number(m[1]);
  }
  const t = VERSION_IN_TITLE.exec(name);
  if (t) return Number(t[1]);
  return 1;
}

/** What Patchwork's version parsing gives (no glued `PATCHv2`), to show where we deviate. */
export function parseVersionPatchwork(name: string, prefixes: string[]): number {
  for (const p of prefixes) {
    const m = VERSION_PREFIX.exec(p);
    if (m) return Number(m[1]);
  }
  const t = VERSION_IN_TITLE.exec(name);
  return t ? Number(t[1]) : 1;
}

/** A reply by subject (`Re:` only, not `Fwd:`): Patchwork never files these as patches. */
export function isReplySubject(subject: string): boolean {
  return /^(re)[:\s]\s*/i.test(subject);
}

/**
 * The subject reduced for comparing versions of one series: no prefixes, no `(v3)`, no `Re:`,
 * case and spacing folded.
 */
export function normalizeTitle(nameOrSubject: string): string {
  const { title } = cleanSubject(nameOrSubject);
  return normalizeSpace(title.replace(VERSION_IN_TITLE, ' ').replace(/^[\s:]+/, '')).toLowerCase();
}
