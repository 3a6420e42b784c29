/**
 * The smallest case of spec patches already upstream: an upstream whose fix lands between two tags, and a
 * package (on a fake forge) whose spec builds the later tag and still carries that fix as Patch1, made by
 * format-patch. `analyse` is the report's analysis over them, as the service wires it.
 */
import type { TrackingRow } from '../../src/db/schema/index.js';
import { GitSource } from '../../src/sources/git.js';
import { analyseUpstreamed, DEFAULT_TAG_PATTERNS } from '../../src/upstreamed/report.js';
import { FakeForge, fakeForges } from './fake-forge.js';
import { LOCAL_UPSTREAMS_ALLOWED, createUpstreamRepo, makeTempDir } from './git-repo.js';

export function fixAlreadyUpstream(versions: { before: string; after: string }) {
  const upstream = createUpstreamRepo();
  upstream.git('tag', `v${versions.before}`);
  const fix = upstream.commit('lib: drop b', { files: { 'src/lib.c': 'int a;\nint c;\n' } });
  upstream.git('tag', `v${versions.after}`);
  const forge = new FakeForge({ 'lib.spec': `Name: lib\nVersion: ${versions.after}\nRelease: 1\nPatch1: fix.patch\n\n%prep\n%autosetup -p1\n`, 'fix.patch': upstream.formatPatch(fix) });
  const deps = {
    forges: fakeForges(forge),
    git: new GitSource({ upstreamPolicy: LOCAL_UPSTREAMS_ALLOWED, dataDir: makeTempDir('pt-data-') }),
    tagPatterns: DEFAULT_TAG_PATTERNS,
    githubGitUrl: 'https://github.com',
    workRoot: makeTempDir('pt-work-'),
  };
  return { upstream, fix, forge, analyse: (t: TrackingRow) => analyseUpstreamed(deps, t) };
}
