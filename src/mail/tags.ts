/**
 * Trailers and tags from message text. Patchwork counts its default tags (Acked-by, Reviewed-by,
 * Tested-by) wherever a line starts with them; we report those counts the same way, plus every trailer
 * (git's trailer block, and `*-by:`/Fixes/Link/… lines anywhere outside quotes), plus the series hints
 * other tools put in mails: Supersedes (Patchew), change-id and base-commit (b4), Based-on, Depends-on.
 */

export interface Trailer {
  /** as written, e.g. `Reviewed-by` */
  key: string;
  value: string;
}

export interface TagCounts {
  acked: number;
  reviewed: number;
  tested: number;
}

export interface SeriesHints {
  supersedes: string[];
  changeId: string | null;
  baseCommit: string | null;
  basedOn: string[];
  dependsOn: string[];
}

const COUNTED: Array<[keyof TagCounts, RegExp]> = [
  ['acked', /^Acked-by:/gim],
  ['reviewed', /^Reviewed-by:/gim],
  ['tested', /^Tested-by:/gim],
];

export function countTags(content: string | null): TagCounts {
  const counts: TagCounts = { acked: 0, reviewed: 0, tested: 0 };
  if (!content) return counts;
  for (const [k, re] of COUNTED) counts[k] = content.match(re)?.length ?? 0;
  return counts;
}

const KNOWN_ANYWHERE = /^([A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*-by|Fixes|Link|Closes|Cc|Bug|BugLink|Change-Id|Based-on|Depends-on|Supersedes):[ \t]*(\S.*?)\s*$/i;
const TRAILER_LINE = /^([A-Za-z0-9][A-Za-z0-9-]*):[ \t]*(\S.*?)\s*$/;

export function extractTrailers(content: string | null): Trailer[] {
  if (!content) return [];
  const out: Trailer[] = [];
  const seen = new Set<string>();
  const add = (key: string, value: string): void => {
    const id = key.toLowerCase() + '\0' + value;
    if (seen.has(id)) return;
    seen.add(id);
    out.push({ key, value });
  };
  const lines = content.split('\n');
  // git's trailer block: the last paragraph of the commit message (which ends at a `---` line)
  let end = lines.findIndex((l) => l === '---' || l.startsWith('--- '));
  if (end === -1) end = lines.length;
  while (end > 0 && lines[end - 1]!.trim() === '') end--;
  let start = end;
  while (start > 0 && lines[start - 1]!.trim() !== '') start--;
  const block = lines.slice(start, end);
  const blockTrailers = block.map((l) => TRAILER_LINE.exec(l));
  const count = blockTrailers.filter(Boolean).length;
  const continuation = block.filter((l) => /^\s/.test(l)).length;
  const byCount = blockTrailers.filter((m) => m && /-by$/i.test(m[1]!)).length;
  const isBlock = block.length > 0 && (count + continuation === block.length || (byCount > 0 && count * 4 >= block.length));
  const inBlock = new Set<number>();
  if (isBlock) block.forEach((_, i) => inBlock.add(start + i));

  lines.forEach((line, i) => {
    const m = inBlock.has(i) ? TRAILER_LINE.exec(line) : KNOWN_ANYWHERE.exec(line);
    if (m) add(m[1]!, m[2]!);
  });
  return out;
}

function valuesOf(content: string, key: RegExp): string[] {
  const out: string[] = [];
  for (const line of content.split('\n')) {
    const m = key.exec(line);
    if (m && m[1]!.trim() && !out.includes(m[1]!.trim())) out.push(m[1]!.trim());
  }
  return out;
}

export function extractSeriesHints(content: string | null): SeriesHints {
  const c = content ?? '';
  return {
    supersedes: valuesOf(c, /^Supersedes:\s*(.+)$/i),
    changeId: valuesOf(c, /^change-id:\s*(\S+)\s*$/i)[0] ?? null,
    baseCommit: valuesOf(c, /^base-commit:\s*([0-9a-f]{7,64})\s*$/i)[0] ?? null,
    basedOn: valuesOf(c, /^Based-on:\s*(.+)$/i),
    dependsOn: valuesOf(c, /^Depends-on:\s*(.+)$/i),
  };
}
