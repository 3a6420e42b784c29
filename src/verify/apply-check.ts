/**
 * The built-in check of every published range: do its patches apply cleanly, in order, to the target
 * branch? A shallow fetch of the target branch and the PR's temp branch into a temporary repository under
 * DATA_DIR, then `git apply` of each patch file in order (no fuzz, as rpmbuild's default). For spec
 * repositories the spec is checked too. In a packaging repository (a spec, and none of the files the
 * patches change exist in it) the patches are for the Source0 tarball: every Patch of the spec is applied
 * to the unpacked tarball as %prep would (package-tree.ts), or the result says why that was not possible.
 * Credentials reach git as an Authorization header through the environment, never in argv or a URL.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runGit, runGitOk } from '../sources/git-run.js';
import { applyToPackageSources } from './package-tree.js';
import { checkSpec } from './spec-check.js';

export interface ApplyCheckInput {
  /** the target repository: a clone URL and, for private repositories, an Authorization header value */
  source: { url: string; authorization?: string };
  targetBranch: string;
  /** the branch holding the patch files (and the edited spec) */
  tempBranch: string;
  /** paths on the temp branch, in the order they apply */
  patchFiles: string[];
  /** DATA_DIR/verify: temporary repositories are made (and removed) under it */
  workRoot: string;
  gitBinary?: string;
  timeoutMs?: number;
}

export interface PatchOutcome {
  file: string;
  status: 'applied' | 'failed' | 'not_tried';
  error?: string;
}

export interface ApplyCheckResult {
  /**
   * clean: all apply (and the spec is fine); conflict: a patch does not apply; spec_error; not_applicable:
   * a packaging repository whose sources could not be unpacked here (see `note`) and whose spec is fine
   */
  outcome: 'clean' | 'conflict' | 'spec_error' | 'not_applicable';
  mode: 'tree' | 'packaging';
  patches: PatchOutcome[];
  spec: { path: string; problems: string[] } | null;
  /** packaging repositories: why the patches could not be applied to the package sources */
  note?: string;
}

/** Paths of existing files a patch changes (new files left out), from its `diff --git` headers. */
export function touchedPaths(patch: string): string[] {
  const paths: string[] = [];
  for (const block of patch.split(/^diff --git /m).slice(1)) {
    if (/^new file mode /m.test(block.split(/^@@/m)[0] ?? '')) continue;
    const m = /^a\/(.+?) b\//.exec(block);
    if (m) paths.push(m[1]!);
  }
  return paths;
}

export async function checkPatchesApply(input: ApplyCheckInput): Promise<ApplyCheckResult> {
  const git = { gitBinary: input.gitBinary ?? 'git', timeoutMs: input.timeoutMs ?? 5 * 60_000 };
  mkdirSync(input.workRoot, { recursive: true });
  const dir = mkdtempSync(join(input.workRoot, 'apply-'));
  try {
    await runGitOk(['init', '-q', dir], git);
    const opts = { ...git, cwd: dir };
    await runGitOk(
      ['fetch', '-q', '--no-tags', '--depth=1', input.source.url, `+refs/heads/${input.targetBranch}:refs/pt/target`, `+refs/heads/${input.tempBranch}:refs/pt/temp`],
      { ...opts, authorization: input.source.authorization },
    );
    const list = async (ref: string) => new Set((await runGitOk(['ls-tree', '-r', '--name-only', '-z', ref], opts)).toString('utf8').split('\0').filter(Boolean));
    const targetFiles = await list('refs/pt/target');
    const tempFiles = await list('refs/pt/temp');
    const show = async (path: string) => runGitOk(['show', `refs/pt/temp:${path}`], opts);

    const specPath = [...tempFiles].filter((f) => !f.includes('/') && f.endsWith('.spec')).sort()[0] ?? null;
    const spec = specPath ? { path: specPath, problems: checkSpec((await show(specPath)).toString('utf8'), tempFiles, input.patchFiles) } : null;

    const texts: Buffer[] = [];
    for (const file of input.patchFiles) texts.push(await show(file));
    const touched = texts.flatMap((t) => touchedPaths(t.toString('utf8')));
    const packaging = spec !== null && touched.length > 0 && !touched.some((p) => targetFiles.has(p));
    if (packaging) {
      const scratch = mkdtempSync(join(input.workRoot, 'prep-'));
      try {
        const prep = await applyToPackageSources({ spec: (await show(spec.path)).toString('utf8'), files: tempFiles, show, scratch, timeoutMs: git.timeoutMs });
        if (prep.status === 'unavailable') {
          return {
            outcome: spec.problems.length ? 'spec_error' : 'not_applicable',
            mode: 'packaging',
            patches: input.patchFiles.map((file) => ({ file, status: 'not_tried' })),
            spec,
            note: prep.reason,
          };
        }
        const conflict = prep.patches.some((p) => p.status === 'failed');
        return { outcome: conflict ? 'conflict' : spec.problems.length ? 'spec_error' : 'clean', mode: 'packaging', patches: prep.patches, spec };
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    }

    await runGitOk(['checkout', '-q', '--detach', 'refs/pt/target'], opts);
    const patches: PatchOutcome[] = [];
    let failed = false;
    for (const [i, file] of input.patchFiles.entries()) {
      if (failed) {
        patches.push({ file, status: 'not_tried' });
        continue;
      }
      const patchFile = join(dir, '.git', `pt-${i}.patch`);
      writeFileSync(patchFile, texts[i]!);
      const result = await runGit(['apply', '--whitespace=nowarn', patchFile], opts);
      if (result.exitCode === 0) {
        patches.push({ file, status: 'applied' });
      } else {
        failed = true;
        patches.push({ file, status: 'failed', error: result.stderr.replaceAll(patchFile, file).split('\n').slice(-6).join('\n') });
      }
    }
    return { outcome: failed ? 'conflict' : spec?.problems.length ? 'spec_error' : 'clean', mode: 'tree', patches, spec };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
