/**
 * A comparison as text, laid out as `git range-diff` prints (`1: #id ! 2: #id title` and the indented
 * interdiff), coloured the way range-diff colours when asked to (for a terminal).
 */
import type { PatchComparison, SeriesComparison, SeriesRef } from './result.js';

const MARK = { dropped: '<', added: '>', unchanged: '=', changed: '!' } as const;
const SGR = { reset: '\x1b[m', red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m', cyan: '\x1b[36m', bold: '\x1b[1m' } as const;

/** Colour only for a person: output to a terminal, and NO_COLOR (no-color.org) unset. */
export function wantsColor(isTTY: boolean | undefined, env: NodeJS.ProcessEnv): boolean {
  return Boolean(isTTY) && env.NO_COLOR === undefined;
}

export function formatComparison(r: SeriesComparison, options: { color: boolean }): string {
  const paint = (code: string, text: string) => (options.color ? `${code}${text}${SGR.reset}` : text);
  const method = r.method === 'git-range-diff' ? 'git range-diff on the upstream repository' : `the patches' diffs compared (${r.reason ?? 'no upstream'})`;
  const lines = [paint(SGR.bold, `${describe(r.series)} against ${describe(r.with)}: ${method}`)];
  const width = String(Math.max(r.patches.length, 1)).length;
  for (const p of r.patches) {
    lines.push(pairLine(p, width, paint));
    if (p.interdiff) {
      for (const l of p.interdiff.replace(/\n$/, '').split('\n')) lines.push(`    ${paintDiffLine(l, paint)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function describe(s: SeriesRef): string {
  return `series ${s.id} (v${s.version}${s.name ? `, "${s.name}"` : ''})`;
}

function pairLine(p: PatchComparison, width: number, paint: (code: string, text: string) => string): string {
  const side = (ref: PatchComparison['older']) => (ref ? `${String(ref.position).padStart(width)}: #${ref.id}` : `${'-'.padStart(width)}: ${'-'.repeat(6)}`);
  const color = { dropped: SGR.red, added: SGR.green, unchanged: '', changed: SGR.yellow }[p.status];
  const title = (p.newer ?? p.older)!.name;
  const line = `${side(p.older)} ${MARK[p.status]} ${side(p.newer)} ${title}${p.reordered ? ' (moved)' : ''}`;
  return color ? paint(color, line) : line;
}

function paintDiffLine(line: string, paint: (code: string, text: string) => string): string {
  if (line.startsWith('@@')) return paint(SGR.cyan, line);
  if (line.startsWith('+')) return paint(SGR.green, line);
  if (line.startsWith('-')) return paint(SGR.red, line);
  return line;
}
