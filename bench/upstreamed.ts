/**
 * npm run bench:upstreamed — how long the comparison of a spec's patches with an upstream release takes: a
 * synthetic upstream of N commits (built with `git fast-import`, tagged v2.0 at its end) and P spec patches,
 * a third made by format-patch from commits the tag contains (From header), a third the same changes without
 * the header (patch-id over the newest PATCH_ID_WINDOW commits), a third new files (not upstream: applied
 * in order to the tag's tree). Times analysePatches, the code the report and the scan cycle run, and prints
 * a table and writes bench/out/upstreamed-N-P.json.
 * Options: --commits 20000 --patches 30
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { analysePatches, PATCH_ID_WINDOW, type SpecPatchText } from '../src/upstreamed/analyse.js';
import { benchOutDir } from './generate-archive.js';
import { printTable } from './lib.js';
import { benchGit, buildSyntheticUpstream } from './synthetic-upstream.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i !== -1 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const COMMITS = Number(arg('commits', '20000'));
const PATCHES = Number(arg('patches', '30'));
const git = (cwd: string, args: string[], input?: string) => benchGit(cwd, args, input).toString('utf8');

/** The synthetic upstream, tagged v2.0 at its last commit. */
function buildUpstream(dir: string): void {
  buildSyntheticUpstream(dir, { commits: COMMITS, authors: 1 });
  git(dir, ['tag', 'v2.0', 'main']);
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'pt-bench-upstreamed-'));
  try {
    const repo = join(root, 'upstream');
    const built = performance.now();
    buildUpstream(repo);
    const buildMs = performance.now() - built;
    // spread over the newest commits (the patch-id window's depth), as a package's backports are
    const recent = git(repo, ['rev-list', `--max-count=${Math.min(COMMITS, PATCH_ID_WINDOW)}`, 'v2.0']).trim().split('\n');
    const pick = (i: number) => recent[Math.floor((i * recent.length) / PATCHES)]!;
    const patches: SpecPatchText[] = [];
    for (let i = 0; i < PATCHES; i++) {
      const kind = i % 3;
      let text: string;
      if (kind === 0) text = git(repo, ['format-patch', '-1', '--stdout', pick(i)]);
      else if (kind === 1) text = git(repo, ['show', '--format=', '--no-color', pick(i)]);
      else text = `diff --git a/pkg/new${i}.c b/pkg/new${i}.c\nnew file mode 100644\n--- /dev/null\n+++ b/pkg/new${i}.c\n@@ -0,0 +1 @@\n+int downstream_${i};\n`;
      patches.push({ number: i + 1, file: `p${i}.patch`, strip: 1, text });
    }
    const workRoot = join(root, 'work');
    mkdirSync(workRoot, { recursive: true });
    const started = performance.now();
    // the patches run through the same function as the report (src/upstreamed/report.ts)
    const analysis = await analysePatches({ repo, commit: 'v2.0', where: 'tag v2.0', patches, git: { gitBinary: 'git', timeoutMs: 30 * 60_000 }, workRoot });
    {
      const ms = performance.now() - started;
      const count = (s: string, m?: string) => analysis.patches.filter((p) => p.status === s && (m === undefined || p.method === m)).length;
      const row = {
        commits: COMMITS,
        patches: PATCHES,
        patch_id_window: PATCH_ID_WINDOW,
        from_header: count('upstream', 'from-header'),
        patch_id: count('upstream', 'patch-id'),
        reverse_apply: count('upstream', 'reverse-apply'),
        not_upstream: count('not-upstream'),
        uncertain: count('uncertain'),
        apply_check: analysis.applyCheck.outcome,
        build_upstream_s: Number((buildMs / 1000).toFixed(2)),
        analyse_s: Number((ms / 1000).toFixed(2)),
      };
      printTable(Object.keys(row), [Object.values(row)]);
      writeFileSync(join(benchOutDir(), `upstreamed-${COMMITS}-${PATCHES}.json`), `${JSON.stringify(row, null, 2)}\n`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
