/**
 * Which of a spec's patches an upstream tree already contains, proved three ways in this order:
 *   1. from-header    the patch was made by format-patch from upstream commit X (`From X …`) and X is an
 *                     ancestor of the commit looked at;
 *   2. patch-id       `git patch-id --stable` equals that of one of the recent upstream commits;
 *   3. reverse-apply  the patch applies in reverse to the tree (a temporary index, no working tree): the
 *                     tree holds its result.
 * Then the patches not proved upstream are applied forward in rpm's order to the tree: those that apply are
 * not upstream; one that does not apply either way is uncertain and never removed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PatchFinding } from '../db/schema/index.js';
import { commitPatchIds, diffPatchIds } from '../mail/patch-id.js';
import { runGit, runGitOk, type GitRunOptions } from '../sources/git-run.js';

export interface SpecPatchText {
  number: number;
  file: string;
  /** the -p level %prep applies it with */
  strip: number;
  /** null: the file is not in the packaging repository */
  text: string | null;
}

export interface TreeApplyCheck {
  outcome: 'clean' | 'conflict';
  failed: { file: string; error: string }[];
}

export interface Analysis {
  patches: PatchFinding[];
  /** the patches not proved upstream, applied to the tree in rpm's order */
  applyCheck: TreeApplyCheck;
}

export interface AnalyseInput {
  /** a repository holding the upstream commits (the bare mirror) */
  repo: string;
  /** the upstream commit to compare with (a release tag's commit, or the branch head) */
  commit: string;
  /** how the commit is named in the reasons (`tag v1.2`, `the head of main`) */
  where: string;
  /** in rpm's order */
  patches: SpecPatchText[];
  git: Pick<GitRunOptions, 'gitBinary' | 'timeoutMs'>;
  /** temporary index files are made (and removed) under it */
  workRoot: string;
  /** how many of the newest upstream commits the patch-id method looks at */
  patchIdWindow?: number;
}

const FROM_HEADER = /^From ([0-9a-f]{40}(?:[0-9a-f]{24})?) Mon Sep 17 00:00:00 2001$/m;
export const PATCH_ID_WINDOW = 5000;

export async function analysePatches(input: AnalyseInput): Promise<Analysis> {
  const git = { ...input.git, cwd: input.repo };
  const findings = new Map<string, PatchFinding>();
  const open = () => input.patches.filter((p) => p.text !== null && !findings.has(p.file));
  for (const p of input.patches) {
    if (p.text === null) findings.set(p.file, { file: p.file, number: p.number, status: 'uncertain', reason: `${p.file} is not in the packaging repository` });
  }

  // 1. the commit the patch was made from is in the upstream at that point
  for (const p of open()) {
    const sha = FROM_HEADER.exec(p.text!.slice(0, 200))?.[1];
    if (!sha) continue;
    if ((await runGit(['merge-base', '--is-ancestor', sha, input.commit], git)).exitCode === 0) {
      findings.set(p.file, { file: p.file, number: p.number, status: 'upstream', method: 'from-header', upstreamCommit: sha, reason: `made from upstream commit ${sha.slice(0, 12)}, which ${input.where} contains` });
    }
  }

  // 2. an equal patch-id among the newest upstream commits (a patch re-made from a cherry-pick or by hand)
  const byId = open();
  if (byId.length) {
    const ids = await diffPatchIds(byId.map((p) => diffOf(p.text!)), input.git);
    if (ids.some((id) => id !== null)) {
      const window = (await runGitOk(['rev-list', '--no-merges', `--max-count=${input.patchIdWindow ?? PATCH_ID_WINDOW}`, input.commit], git)).toString('utf8').split('\n').filter(Boolean);
      const upstream = new Map<string, string>();
      // newest first: the first commit with an id is the one named
      for (const [sha, id] of await commitPatchIds(input.repo, window, input.git)) if (!upstream.has(id)) upstream.set(id, sha);
      byId.forEach((p, i) => {
        const sha = ids[i] ? upstream.get(ids[i]!) : undefined;
        if (sha) findings.set(p.file, { file: p.file, number: p.number, status: 'upstream', method: 'patch-id', upstreamCommit: sha, reason: `the same change (git patch-id) as upstream commit ${sha.slice(0, 12)} in ${input.where}` });
      });
    }
  }

  const scratch = mkdtempSync(join(input.workRoot, 'upstreamed-'));
  try {
    const pristine = join(scratch, 'pristine.index');
    await runGitOk(['read-tree', input.commit], { ...git, indexFile: pristine });
    const patchFile = (p: SpecPatchText) => {
      const path = join(scratch, `patch-${p.number}.patch`);
      writeFileSync(path, p.text!);
      return path;
    };

    // 3. the tree holds the patch's result
    for (const p of open()) {
      const reverse = await runGit(['apply', '--cached', '--reverse', '--check', `-p${p.strip}`, patchFile(p)], { ...git, indexFile: pristine });
      if (reverse.exitCode === 0) findings.set(p.file, { file: p.file, number: p.number, status: 'upstream', method: 'reverse-apply', reason: `applies in reverse to ${input.where}: the upstream tree already holds its result` });
    }

    // the remaining patches forward, in rpm's order, each on the result of the ones before it
    const result = join(scratch, 'result.index');
    await runGitOk(['read-tree', input.commit], { ...git, indexFile: result });
    const failed: TreeApplyCheck['failed'] = [];
    for (const p of input.patches) {
      if (findings.get(p.file)?.status === 'upstream') continue;
      if (p.text === null) {
        failed.push({ file: p.file, error: 'not in the packaging repository' });
        continue;
      }
      const path = patchFile(p);
      const forward = await runGit(['apply', '--cached', '--whitespace=nowarn', `-p${p.strip}`, path], { ...git, indexFile: result });
      if (forward.exitCode === 0) {
        findings.set(p.file, { file: p.file, number: p.number, status: 'not-upstream', reason: `applies to ${input.where}: not upstream` });
        continue;
      }
      const error = forward.stderr.replaceAll(path, p.file).split('\n').slice(-4).join('\n');
      failed.push({ file: p.file, error });
      findings.set(p.file, { file: p.file, number: p.number, status: 'uncertain', reason: `neither applies to ${input.where} nor is found in it (it may be partly upstream, or need rebasing): ${error.split('\n')[0]}` });
    }
    await nameCommits(findings, git);
    return {
      patches: input.patches.map((p) => findings.get(p.file)!),
      applyCheck: { outcome: failed.length ? 'conflict' : 'clean', failed },
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The diff part of a mail-format patch (patch-id reads a `From <sha>` line as the id of what follows). */
function diffOf(text: string): string | null {
  const start = /^diff --git /m.exec(text);
  return start ? text.slice(start.index) : null;
}

/** The subjects of the upstream commits named, for the reasons a maintainer reads. */
async function nameCommits(findings: Map<string, PatchFinding>, git: GitRunOptions): Promise<void> {
  const shas = [...new Set([...findings.values()].map((f) => f.upstreamCommit).filter((s): s is string => !!s))];
  if (!shas.length) return;
  const out = await runGitOk(['log', '--no-walk=unsorted', '--stdin', '-z', '--encoding=UTF-8', '--format=%H%x1f%s'], { ...git, stdin: Buffer.from(`${shas.join('\n')}\n`) });
  const subjects = new Map(
    out
      .toString('utf8')
      .split('\0')
      .filter(Boolean)
      .map((r) => r.split('\x1f') as [string, string]),
  );
  for (const f of findings.values()) if (f.upstreamCommit) f.upstreamSubject = subjects.get(f.upstreamCommit);
}
