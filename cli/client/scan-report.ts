/**
 * What `scan` shows people and what `scan --dry-run --out DIR` writes. The server's answer is
 * POST /api/v1/trackings/{id}/scan (src/tracker/run.ts RunResult); anything this version does not know is
 * shown as JSON rather than dropped, and an older server's dry run without `files` still prints.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DryRunChunk as ServerDryRunChunk } from '../../src/tracker/run.js';
import { paintDiff, type Paint } from './colour.js';
import { operationError, usageError } from './errors.js';

/** An older server's dry run has no `files`. */
type DryRunChunk = Omit<ServerDryRunChunk, 'files'> & Partial<Pick<ServerDryRunChunk, 'files'>>;

type Result = Record<string, unknown> & { action?: string };

const short = (sha: unknown) => (typeof sha === 'string' ? sha.slice(0, 12) : '?');

function isDryRun(result: Result): result is Result & { action: 'dry_run'; head: string; from: string; chunks: DryRunChunk[] } {
  return result.action === 'dry_run' && Array.isArray(result.chunks);
}

/** One tracking's scan result as text for a terminal; `title` names the tracking. */
export function renderScanResult(title: string, result: Result, paint: Paint): string {
  const head = `${paint('bold', title)}: `;
  switch (result.action) {
    case 'initialized':
      return `${head}starts at ${short(result.head)} (the current upstream head); nothing to publish until the upstream moves\n`;
    case 'up_to_date':
      return `${head}up to date at ${short(result.head)}\n`;
    case 'advanced':
      return `${head}moved to ${short(result.head)}, nothing to publish: ${String(result.reason)}\n`;
    case 'published': {
      const rows = Array.isArray(result.published) ? (result.published as Record<string, unknown>[]) : [];
      const lines = rows.map((p) => `  ${String(p.commits)} commit(s) ${String(p.range)}: PR ${String(p.pr_url ?? p.pr ?? '-')}, issue ${String(p.issue_url ?? p.issue ?? '-')}${p.resumed ? ' (resumed)' : ''}`);
      return `${head}published ${rows.length} PR(s), upstream now at ${short(result.head)}\n${lines.join('\n')}\n`;
    }
    default:
      if (isDryRun(result)) return renderDryRun(head, result, paint);
      return `${head}${JSON.stringify(result, null, 2)}\n`;
  }
}

function renderDryRun(head: string, result: { head: string; from: string; chunks: DryRunChunk[] }, paint: Paint): string {
  const total = result.chunks.reduce((n, c) => n + c.commits.length, 0);
  const out: string[] = [
    `${head}dry run: ${total} commit(s) after ${short(result.from)} up to ${short(result.head)} would become ${result.chunks.length} PR(s); nothing was written`,
  ];
  const rule = (text: string) => paint('bold', `── ${text} ${'─'.repeat(Math.max(3, 72 - text.length))}`);
  result.chunks.forEach((chunk, index) => {
    out.push('', rule(`PR ${index + 1} of ${result.chunks.length}: ${chunk.range}`), '', 'commits:');
    for (const c of chunk.commits) out.push(`  ${paint('yellow', short(c.sha))} ${c.subject}`);
    for (const note of chunk.notes) out.push(paint('yellow', `note: ${note}`));
    const files = chunk.files ?? [];
    for (const name of chunk.patch_files) {
      const file = files.find((f) => f.path === name);
      out.push('', rule(name));
      if (file) out.push(paintDiff(file.content.replace(/\n$/, ''), paint));
    }
    if (chunk.spec_file) {
      out.push('', rule(`${chunk.spec_file} (changes)`));
      out.push(chunk.spec_diff ? paintDiff(chunk.spec_diff.replace(/\n$/, ''), paint) : '(unchanged)');
    }
    out.push('', rule('issue'), paint('bold', chunk.issue_title), '', chunk.issue_body.replace(/\n$/, ''));
    out.push('', rule('pull request'), paint('bold', chunk.pr_title), '', chunk.pr_body.replace(/\n$/, ''));
  });
  return `${out.join('\n')}\n`;
}

/** A path from the server as a relative path inside the output folder, or an error: nothing is written outside it. */
function safeRelative(path: string): string {
  const parts = path.split('/');
  if (path.startsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..') || /[\x00-\x1f\\]/.test(path)) {
    throw operationError(`the server sent a file path that is not a plain relative path: ${JSON.stringify(path)}`);
  }
  return join(...parts);
}

export function assertEmptyOutDir(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length > 0) throw usageError(`--out ${dir}: the folder is not empty; give a new or empty one`);
}

/**
 * Writes a dry run into `dir` (which must be missing or empty, so no stale file from an earlier run is
 * mistaken for this one's): per PR (`dir` itself for one PR, `dir/pr-N` for several) the files of the
 * commit under `files/` as they would be on the branch, `spec.diff`, `issue.md` and `pull-request.md`
 * (title, blank line, body) and `commits.txt`. Returns the paths written, relative to `dir`.
 */
export function writeDryRun(dir: string, result: Result): string[] {
  if (!isDryRun(result)) return [];
  assertEmptyOutDir(dir);
  const written: string[] = [];
  const put = (relative: string, content: string) => {
    const full = join(dir, relative);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
    written.push(relative);
  };
  result.chunks.forEach((chunk, index) => {
    const base = result.chunks.length === 1 ? '' : `pr-${index + 1}`;
    const at = (name: string) => (base ? join(base, name) : name);
    if (!chunk.files) throw operationError('the server does not send file contents with dry runs (an older version): --out needs a newer server');
    for (const file of chunk.files) put(at(join('files', safeRelative(file.path))), file.content);
    if (chunk.spec_diff) put(at('spec.diff'), chunk.spec_diff);
    put(at('issue.md'), `${chunk.issue_title}\n\n${chunk.issue_body.replace(/\n*$/, '\n')}`);
    put(at('pull-request.md'), `${chunk.pr_title}\n\n${chunk.pr_body.replace(/\n*$/, '\n')}`);
    put(at('commits.txt'), chunk.commits.map((c) => `${c.sha} ${c.subject}\n`).join(''));
  });
  return written;
}
