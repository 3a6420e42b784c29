import { normalizeSpace } from './headers.js';

/**
 * Subject handling, Patchwork's rules (parser.py clean_subject, split_prefixes, parse_series_marker,
 * parse_version, subject_check) with the deliberate fixes listed in the README's "Where the mail parser differs from Patchwork".
 */

export interface CleanSubject {
  /** `[a,b] subject` when there are prefixes, else the subject: exactly Patchwork's patch name */
  name: string;
  prefixes: string[];
  /** the subject without any bracketed prefixes */
  title: string;
}

const RE_FWD = /^(re|fwd?)[:\s]\s*/i;
// Mercurial patchbomb marker, kept as one token. Patchwork only finds it right after an upper-case
// `PATCH `; we find it anywhere in the bracket, any case.
// Bounded digit runs keep this linear on hostile subjects.
const HG_MARKER = /(?:^|[\s,])(\d{1,9} of \d{1,9})(?=$|[\s,])/i;

export function splitPrefixes(prefix: string): string[] {
  const tokens: string[] = [];
  let rest = prefix;
  const hg = / of /i.test(prefix) ? HG_MARKER.exec(prefix) : null;
  let tail: string[] = [];
  if (hg) {
    const start = hg.index + hg[0].length - hg[1]!.length;
    tokens.push(...splitWords(prefix.slice(0, start)));
    tokens.push(hg[1]!);
    rest = '';
    tail = splitWords(prefix.slice(start + hg[1]!.length));
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
  const s = normalizeSpace(subject.replace(RE_FWD, ' '));
  const prefixes: string[] = [];
  // Patchwork's loop over /^\[([^\]]*)\]\s*(.*)$/, walked by index so long subjects stay linear
  let pos = 0;
  while (s.charCodeAt(pos) === 0x5b /* [ */) {
    const close = s.indexOf(']', pos + 1);
    if (close === -1) break;
    for (const p of splitPrefixes(s.slice(pos + 1, close))) if (!drop.has(p.toLowerCase())) prefixes.push(p);
    pos = close + 1;
    while (pos < s.length && /\s/.test(s[pos]!)) pos++;
  }
  const title = normalizeSpace(s.slice(pos));
  return { name: prefixes.length ? `[${prefixes.join(',')}] ${title}` : title, prefixes, title };
}

const MARKER = /^.*?([0-9]+)(?:\/| of )([0-9]+)$/;

/** `x/n` (or Mercurial `x of n`) from the first prefix carrying one. */
export function parseSeriesMarker(prefixes: string[]): [number | null, number | null] {
  for (const p of prefixes) {
    // the marker ends the token; looking at its tail keeps the lazy match linear on huge tokens
    const m = MARKER.exec(p.length > 64 ? p.slice(-64) : p);
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
