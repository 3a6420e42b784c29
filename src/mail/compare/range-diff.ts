/**
 * The comparison made by `git range-diff` itself: both versions applied with `git am` to the project's
 * upstream mirror (at the `base-commit:` they name, else the upstream's HEAD) in a scratch repository that
 * borrows the mirror's objects, then range-diff's own output read back into patches.
 */
import { access, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError, errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import { MirrorLocks } from '../../sources/git-lock.js';
import { runGit, runGitOk } from '../../sources/git-run.js';
import { assertGitUrl, mirrorDirName, publicUrl } from '../../sources/git-url.js';
import { fromUpstream, UpstreamPolicy } from '../../sources/upstream-policy.js';
import type { GitOptions } from './diff-compare.js';
import type { ComparedSeries, ComparePair } from './load.js';
import { movedPairs, patchRef, seriesRef, type PatchComparison, type PatchesCompared } from './result.js';

export interface MirrorOptions extends GitOptions {
  /** DATA_DIR: the mirrors the git source keeps live in `<dataDir>/mirrors/` */
  dataDir: string;
  upstreamPolicy?: UpstreamPolicy;
  logger?: Logger;
}

/** The ref the upstream's HEAD is fetched to; the git source's own refs (refs/heads/*) are left alone. */
const HEAD_REF = 'refs/patch-tracking/compare-head';
const COMMITTER = ['-c', 'user.name=patch-tracking', '-c', 'user.email=patch-tracking@localhost'];

/** The comparison, or why range-diff could not make it (then the caller compares the diffs). */
export async function rangeDiffOnMirror(pair: ComparePair, options: MirrorOptions): Promise<PatchesCompared | { unusable: string }> {
  try {
    assertGitUrl(pair.scmUrl, 'scm_url');
  } catch (err) {
    return { unusable: errorMessage(err) };
  }
  const git = { gitBinary: options.gitBinary, timeoutMs: options.timeoutMs };
  const mirrorsDir = join(options.dataDir, 'mirrors');
  const mirror = join(mirrorsDir, mirrorDirName(pair.scmUrl));
  await mkdir(mirrorsDir, { recursive: true });
  const locks = new MirrorLocks({ staleMs: 120_000, waitMs: options.timeoutMs * 2 });
  const upstream = { policy: options.upstreamPolicy ?? new UpstreamPolicy({ allowLocal: false }), logger: options.logger };
  const prepare = async (refresh: boolean): Promise<MirrorState | { unusable: string }> => {
    try {
      return await locks.withLock(`${mirror}.lock`, () => prepareMirror(mirror, pair, git, refresh, upstream));
    } catch (err) {
      // a refusal or a failed fetch already says all a caller may learn about the upstream
      if (err instanceof AppError && (err.code === 'upstream_refused' || err.code === 'upstream_error')) return { unusable: err.message };
      if (err instanceof AppError) return { unusable: `the upstream ${publicUrl(pair.scmUrl)} could not be read: ${err.message}` };
      throw err;
    }
  };
  let state = await prepare(false);
  if ('unusable' in state) return state;
  let result = await rangeDiffInScratch(pair, state.bases, mirror, options);
  if ('unusable' in result && state.onHead && !state.fetched) {
    // the upstream's HEAD as last fetched may predate what the series was made on: fetch once and retry
    state = await prepare(true);
    if ('unusable' in state) return state;
    result = await rangeDiffInScratch(pair, state.bases, mirror, options);
  }
  return result;
}

/** Both versions applied in a scratch repository borrowing the mirror's objects, then range-diff. */
async function rangeDiffInScratch(pair: ComparePair, bases: [string, string], mirror: string, options: MirrorOptions): Promise<PatchesCompared | { unusable: string }> {
  const git = { gitBinary: options.gitBinary, timeoutMs: options.timeoutMs };
  const scratchRoot = join(options.dataDir, 'compare');
  await mkdir(scratchRoot, { recursive: true });
  const dir = await mkdtemp(join(scratchRoot, 'range-diff-'));
  try {
    const opts = { ...git, cwd: dir };
    await runGitOk(['init', '--quiet', dir], git);
    await writeFile(join(dir, '.git', 'objects', 'info', 'alternates'), `${join(mirror, 'objects')}\n`);
    const older = await applySeries(pair.older, bases[0], dir, opts);
    if ('unusable' in older) return older;
    const newer = await applySeries(pair.newer, bases[1], dir, opts);
    if ('unusable' in newer) return newer;
    const out = await runGitOk(['range-diff', '--no-color', `${bases[0]}..${older.tip}`, `${bases[1]}..${newer.tip}`], opts);
    return { method: 'git-range-diff', series: seriesRef(pair.newer), with: seriesRef(pair.older), patches: parseRangeDiff(out.toString('utf8'), pair) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface MirrorState {
  /** the commit each version applies to (older, newer) */
  bases: [string, string];
  /** this call fetched the upstream */
  fetched: boolean;
  /** a version names no base commit the mirror holds: it was put on the upstream's HEAD */
  onHead: boolean;
}

/** The mirror made and fetched as far as needed; the commit each version applies to (older, newer). */
async function prepareMirror(
  mirror: string,
  pair: ComparePair,
  git: GitOptions,
  refresh: boolean,
  upstream: { policy: UpstreamPolicy; logger: Logger | undefined },
): Promise<MirrorState> {
  const opts = { ...git, cwd: mirror };
  if (!(await exists(join(mirror, 'HEAD')))) {
    // built aside and renamed, as the git source does, so a crash leaves no half-made mirror
    const tmp = `${mirror}.tmp-${process.pid}-${Date.now()}`;
    await runGitOk(['init', '--bare', '--quiet', tmp], git);
    await rename(tmp, mirror);
  }
  const has = async (rev: string) => (await runGit(['cat-file', '-e', `${rev}^{commit}`], opts)).exitCode === 0;
  const named = [pair.older.baseCommit, pair.newer.baseCommit].filter((b): b is string => b !== null);
  const missing: string[] = [];
  for (const b of new Set(named)) if (!(await has(b))) missing.push(b);
  const fetched = refresh || missing.length > 0 || !(await has(HEAD_REF));
  if (fetched) {
    await fromUpstream(upstream.policy, pair.scmUrl, { field: 'scm_url', logger: upstream.logger }, async (remote) => {
      const fetch = ['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', remote.url];
      const fetchOpts = { ...opts, authorization: remote.authorization, access: remote.access };
      await runGitOk([...fetch, `+HEAD:${HEAD_REF}`], fetchOpts);
      // a base commit off the default branch: servers that allow fetching by sha give it, others refuse
      for (const b of missing) if (!(await has(b))) await runGit([...fetch, b], fetchOpts);
    });
  }
  const base = async (s: ComparedSeries) => (s.baseCommit && (await has(s.baseCommit)) ? s.baseCommit : HEAD_REF);
  const resolve = async (rev: string) => (await runGitOk(['rev-parse', '--verify', `${rev}^{commit}`], opts)).toString('utf8').trim();
  const chosen = [await base(pair.older), await base(pair.newer)];
  return { bases: [await resolve(chosen[0]!), await resolve(chosen[1]!)], fetched, onHead: chosen.includes(HEAD_REF) };
}

async function applySeries(s: ComparedSeries, base: string, dir: string, opts: GitOptions & { cwd: string }): Promise<{ tip: string } | { unusable: string }> {
  if (!s.patches.length) return { tip: base };
  await runGitOk(['checkout', '--quiet', '--force', '--detach', base], opts);
  const files: string[] = [];
  for (const [n, p] of s.patches.entries()) {
    const file = join(dir, '.git', `series-${s.id}-${n + 1}.eml`);
    await writeFile(file, p.raw);
    files.push(file);
  }
  const am = await runGit([...COMMITTER, 'am', '--quiet', ...files], opts);
  if (am.exitCode !== 0) {
    await runGit(['am', '--abort'], opts);
    const failed = /^Patch failed at (\d+)/m.exec(am.stderr + am.stdout.toString('utf8'))?.[1];
    const which = failed ? `patch ${Number(failed)} of series ${s.id}` : `series ${s.id}`;
    return { unusable: `${which} does not apply to ${base.slice(0, 12)} of the upstream repository` };
  }
  return { tip: (await runGitOk(['rev-parse', 'HEAD'], opts)).toString('utf8').trim() };
}

const PAIR_LINE = /^ *(-|\d+): +(?:-+|[0-9a-f]+) ([<>=!]) +(-|\d+): +(?:-+|[0-9a-f]+) /;

/** range-diff's lines (`i: sha ! j: sha subject` and the indented diff below it) as patch comparisons. */
export function parseRangeDiff(text: string, pair: ComparePair): PatchComparison[] {
  const rows: Array<{ i: number; j: number; mark: string; body: string[] }> = [];
  for (const line of text.split('\n')) {
    const m = PAIR_LINE.exec(line);
    if (m) rows.push({ i: m[1] === '-' ? -1 : Number(m[1]) - 1, j: m[3] === '-' ? -1 : Number(m[3]) - 1, mark: m[2]!, body: [] });
    else if (line.startsWith('    ') && rows.length) rows.at(-1)!.body.push(line.slice(4));
  }
  const moved = movedPairs(rows.map((r) => [r.i, r.j]));
  const status = { '<': 'dropped', '>': 'added', '=': 'unchanged', '!': 'changed' } as const;
  return rows.map((r) => ({
    status: status[r.mark as keyof typeof status],
    older: r.i >= 0 ? patchRef(pair.older.patches, r.i) : null,
    newer: r.j >= 0 ? patchRef(pair.newer.patches, r.j) : null,
    reordered: moved.has(`${r.i}:${r.j}`),
    interdiff: r.mark === '!' ? `${r.body.join('\n')}\n` : null,
  }));
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
