/**
 * The comparison made from the stored patches alone, for series that do not apply to an upstream mirror:
 * patches paired by `git patch-id --stable`, then by title; each pair's interdiff is the diff of the two
 * patches rendered the way `git range-diff` renders commits, so both methods show the same thing.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitCommandError, runGit } from '../../sources/git-run.js';
import { diffPatchIds, type GitOptions } from '../patch-id.js';
import { cleanSubject, normalizeTitle } from '../subject.js';
import type { ComparedPatch, ComparePair } from './load.js';
import { movedPairs, outputOrder, patchRef, seriesRef, type PatchComparison, type PatchesCompared } from './result.js';

export type { GitOptions } from '../patch-id.js';

export async function diffCompare(pair: ComparePair, git: GitOptions, reason: string): Promise<PatchesCompared> {
  const { older, newer } = pair;
  const [olderIds, newerIds] = await Promise.all([patchIds(older.patches, git), patchIds(newer.patches, git)]);
  const match = matchPatches(older.patches, newer.patches, olderIds, newerIds);
  const order = outputOrder(match, newer.patches.length);
  const moved = movedPairs(order);
  const patches: PatchComparison[] = [];
  for (const [i, j] of order) {
    const base = { older: i >= 0 ? patchRef(older.patches, i) : null, newer: j >= 0 ? patchRef(newer.patches, j) : null, reordered: moved.has(`${i}:${j}`) };
    if (i < 0 || j < 0) {
      patches.push({ ...base, status: i < 0 ? 'added' : 'dropped', interdiff: null });
      continue;
    }
    const a = renderPatch(older.patches[i]!);
    const b = renderPatch(newer.patches[j]!);
    patches.push(a === b ? { ...base, status: 'unchanged', interdiff: null } : { ...base, status: 'changed', interdiff: await interdiff(a, b, git) });
  }
  return { method: 'diff-compare', reason, series: seriesRef(newer), with: seriesRef(older), patches };
}

/** older[i] ↔ newer[result[i]] (-1: unmatched): equal patch-ids first, then equal titles, each in series order. */
export function matchPatches(older: ComparedPatch[], newer: ComparedPatch[], olderIds: (string | null)[], newerIds: (string | null)[]): number[] {
  const result = older.map(() => -1);
  const taken = new Set<number>();
  const pairBy = (keyOf: (side: 'older' | 'newer', index: number) => string | null) => {
    const free = new Map<string, number[]>();
    newer.forEach((_, j) => {
      const key = keyOf('newer', j);
      if (key !== null && !taken.has(j)) free.set(key, [...(free.get(key) ?? []), j]);
    });
    older.forEach((_, i) => {
      const key = result[i]! < 0 ? keyOf('older', i) : null;
      const j = key === null ? undefined : free.get(key)?.shift();
      if (j === undefined) return;
      result[i] = j;
      taken.add(j);
    });
  };
  pairBy((side, k) => (side === 'older' ? olderIds[k]! : newerIds[k]!));
  pairBy((side, k) => normalizeTitle((side === 'older' ? older[k] : newer[k])!.name) || null);
  return result;
}

/** `git patch-id --stable` of each patch's diff (null for a patch without one). */
function patchIds(patches: ComparedPatch[], git: GitOptions): Promise<(string | null)[]> {
  return diffPatchIds(patches.map((p) => p.diff), git);
}

/**
 * A patch as `git range-diff` renders a commit before comparing: the author, the commit message `git am`
 * would record (indented), then per file a ` ## path ##` line and hunks whose header keeps only the section.
 */
export function renderPatch(p: ComparedPatch): string {
  const author = p.author.name ? `${p.author.name} <${p.author.email}>` : p.author.email;
  const lines = [' ## Metadata ##', `Author: ${author}`, '', ' ## Commit message ##'];
  for (const l of commitMessage(p)) lines.push(`    ${l}`.trimEnd());
  let file: string | null = null;
  const diff = p.diff.split('\n');
  if (diff.at(-1) === '') diff.pop();
  for (let k = 0; k < diff.length; k++) {
    const line = diff[k]!;
    if (line.startsWith('diff --git ')) {
      const header: string[] = [];
      while (k + 1 < diff.length && !diff[k + 1]!.startsWith('@@') && !diff[k + 1]!.startsWith('diff --git ')) header.push(diff[++k]!);
      const title = fileTitle(line, header);
      lines.push('', ` ## ${title.title} ##`);
      for (const h of header) if (h.startsWith('Binary files ')) lines.push(` ${h}`);
      file = title.name;
      continue;
    }
    const hunk = /^@@ [^@]* @@(.*)$/.exec(line);
    if (hunk) lines.push(`@@${hunk[1] && file ? ` ${file}:` : ''}${hunk[1] ?? ''}`);
    else if (line === '') lines.push(' ');
    else if ('+- '.includes(line[0]!)) lines.push(line);
    else lines.push(` ${line}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The subject without prefixes, a blank line and the body up to `---`, cleaned as `git am` cleans it. */
function commitMessage(p: ComparedPatch): string[] {
  const body = p.content.split('\n');
  const end = body.findIndex((l) => l === '---');
  const lines = [cleanSubject(p.name).title, '', ...(end < 0 ? body : body.slice(0, end)).map((l) => l.trimEnd())];
  // git's stripspace: no blank runs, none at either end
  const out = lines.filter((l, n) => l !== '' || (n > 0 && lines[n - 1] !== ''));
  while (out.at(-1) === '') out.pop();
  return out;
}

function fileTitle(line: string, header: string[]): { title: string; name: string } {
  const value = (prefix: string) => header.find((h) => h.startsWith(prefix))?.slice(prefix.length);
  const [, a = '', b = a] = /^diff --git a\/(.*) b\/(.*)$/.exec(line) ?? [];
  const from = value('rename from ') ?? a;
  const to = value('rename to ') ?? b;
  const oldMode = value('old mode ');
  const newMode = value('new mode ');
  const mode = oldMode && newMode && oldMode !== newMode ? ` (mode change ${oldMode} => ${newMode})` : '';
  if (value('new file mode ') !== undefined) return { title: `${to} (new)`, name: to };
  if (value('deleted file mode ') !== undefined) return { title: `${from} (deleted)`, name: from };
  if (from !== to) return { title: `${from} => ${to}${mode}`, name: to };
  return { title: `${to}${mode}`, name: to };
}

/**
 * The diff of two renderings as range-diff prints it: three lines of context, each hunk headed by the
 * ` ## section ##` or `@@ file: function` line above it, without line numbers.
 */
async function interdiff(a: string, b: string, git: GitOptions): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pt-compare-'));
  try {
    await Promise.all([writeFile(join(dir, 'a'), a), writeFile(join(dir, 'b'), b)]);
    const r = await runGit(['diff', '--no-index', '--no-color', '-U3', 'a', 'b'], { ...git, cwd: dir });
    // --no-index answers 1 when the files differ; anything else is a failure
    if (r.exitCode !== 1) throw new GitCommandError(r.exitCode, r.stderr, `git diff --no-index failed: ${r.stderr}`);
    const older = a.split('\n');
    const out: string[] = [];
    let started = false;
    for (const line of r.stdout.toString('utf8').split('\n')) {
      const hunk = /^@@ -(\d+)/.exec(line);
      if (hunk) {
        started = true;
        out.push(sectionHeader(older, Number(hunk[1])));
      } else if (started && line !== '' && line !== '\\ No newline at end of file') {
        out.push(line);
      }
    }
    return `${out.join('\n')}\n`;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** range-diff's funcname rule: the nearest ` ## x ##` or `@@ x` line before the hunk's first line. */
function sectionHeader(lines: string[], start: number): string {
  for (let k = start - 2; k >= 0; k--) {
    const m = /^ ## (.*) ##$/.exec(lines[k]!) ?? /^.?@@ (.*)$/.exec(lines[k]!);
    if (m) return `@@ ${m[1]}`;
  }
  return '@@';
}
