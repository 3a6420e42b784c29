/**
 * `git patch-id --stable`, computed by git itself in batches (one process per batch, never one per patch):
 * of stored diffs (a mail's patch) and of upstream commits. Equal ids mean the same change whatever the
 * line numbers, whitespace and file order, which is what ties a posted patch to the commit that applied it.
 */
import { runGitOk, type GitRunOptions } from '../sources/git-run.js';

export type GitOptions = Pick<GitRunOptions, 'gitBinary' | 'timeoutMs'>;

/** How many diffs or commits one git process takes (bounds the bytes held in memory at once). */
const BATCH = 1000;

/** The patch-id of each diff (null for one git finds no change in, e.g. a diff without `diff ` lines). */
export async function diffPatchIds(diffs: ReadonlyArray<string | null>, git: GitOptions): Promise<(string | null)[]> {
  const ids: (string | null)[] = diffs.map(() => null);
  for (let start = 0; start < diffs.length; start += BATCH) {
    const parts: string[] = [];
    for (let n = start; n < Math.min(diffs.length, start + BATCH); n++) {
      const diff = diffs[n];
      // each diff behind a `commit <n>` line: patch-id names every id it prints after the commit it belongs to
      if (diff) parts.push(`commit ${n.toString(16).padStart(40, '0')}\n\n${diff.endsWith('\n') ? diff : `${diff}\n`}`);
    }
    if (!parts.length) continue;
    const out = await runGitOk(['patch-id', '--stable'], { ...git, stdin: Buffer.from(parts.join('\n')) });
    for (const [id, commit] of idLines(out)) ids[parseInt(commit, 16)] = id;
  }
  return ids;
}

/** The patch-id of each commit of `repo` that has a diff (merges and empty commits have none). */
export async function commitPatchIds(repo: string, shas: ReadonlyArray<string>, git: GitOptions): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (let start = 0; start < shas.length; start += BATCH) {
    const batch = shas.slice(start, start + BATCH);
    // the shas on stdin (no argument-length limit); plain `log -p` (no -m): a merge shows no diff
    const patches = await runGitOk(['log', '--no-walk=unsorted', '--stdin', '-p', '--no-color', '--no-ext-diff', '--format=commit %H'], {
      ...git,
      cwd: repo,
      stdin: Buffer.from(`${batch.join('\n')}\n`),
    });
    const out = await runGitOk(['patch-id', '--stable'], { ...git, cwd: repo, stdin: patches });
    for (const [id, commit] of idLines(out)) ids.set(commit, id);
  }
  return ids;
}

function idLines(out: Buffer): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const line of out.toString('utf8').split('\n')) {
    const [id, commit] = line.split(' ');
    if (id && commit) pairs.push([id, commit]);
  }
  return pairs;
}
