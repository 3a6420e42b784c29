/**
 * The apply check on real repositories: clean and conflicting patches in a source tree, the spec checks of a
 * packaging repository, credentials as a header over smart HTTP, and the results posted to GitHub (check run,
 * or commit status when check runs are not allowed; `conflict` label) and Gitee (PR comment, label).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Octokit } from '@octokit/rest';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PublicationRow, TrackingRow } from '../../src/db/schema/index.js';
import { createForges, resolveForgeRepo } from '../../src/forges/resolve.js';
import { extrasFactory, runHooks } from '../../src/lifecycle/wiring.js';
import { GiteeExtras, GitHubExtras } from '../../src/lifecycle/extras.js';
import { createLogger } from '../../src/log.js';
import { checkPatchesApply } from '../../src/verify/apply-check.js';
import { checkSpec } from '../../src/verify/spec-check.js';
import { cloneSourceFrom, createVerifier } from '../../src/verify/hook.js';
import { createUpstreamRepo, GIT, makeTempDir, removeTempDirs, startGitHttpServer, testGitEnv, TestRepo } from '../helpers/git-repo.js';

const TEMP = 'patch-tracking/t1-aaaaaaaaaaaa-bbbbbbbbbbbb';

/** A target repository (branch master) and two upstream-style patches made in a clone of it. */
function sourceTreeWithPatches(options: { conflict?: boolean } = {}) {
  const parent = makeTempDir();
  const target = createUpstreamRepo({ branch: 'master', parent, name: 'target' });
  const forkDir = join(parent, 'fork');
  execFileSync(GIT, ['clone', '--quiet', target.dir, forkDir], { env: testGitEnv });
  const fork = new TestRepo(forkDir);
  const first = fork.commit('Rename b', { files: { 'src/lib.c': 'int a;\nint bee;\nint c;\n' } });
  const second = fork.commit('Add d', { files: { 'src/lib.c': 'int a;\nint bee;\nint c;\nint d;\n', 'NEWS': 'd\n' } });
  const patches = { [`${first}.patch`]: fork.formatPatch(first), [`${second}.patch`]: fork.formatPatch(second) };
  if (options.conflict) target.commit('Meanwhile on master', { files: { 'src/lib.c': 'int a;\nint beta;\nint c;\n' } });
  target.checkout(TEMP, true);
  target.commit('[patch tracking] patches', { files: patches });
  target.checkout('master');
  return { target, files: Object.keys(patches), workRoot: join(parent, 'data', 'verify') };
}

const silent = createLogger('silent');
afterAll(() => removeTempDirs());

describe('checkPatchesApply', () => {
  it('clean: every patch applies in order, and the temporary repository is removed', async () => {
    const { target, files, workRoot } = sourceTreeWithPatches();
    const result = await checkPatchesApply({ source: { url: target.url }, targetBranch: 'master', tempBranch: TEMP, patchFiles: files, workRoot });
    expect(result).toMatchObject({ outcome: 'clean', mode: 'tree', spec: null });
    expect(result.patches.map((p) => p.status)).toEqual(['applied', 'applied']);
    expect(readdirSync(workRoot)).toEqual([]);
  });

  it('in order: the second patch alone does not apply before the first', async () => {
    const { target, files, workRoot } = sourceTreeWithPatches();
    const result = await checkPatchesApply({ source: { url: target.url }, targetBranch: 'master', tempBranch: TEMP, patchFiles: [files[1]!, files[0]!], workRoot });
    expect(result.outcome).toBe('conflict');
    expect(result.patches.map((p) => p.status)).toEqual(['failed', 'not_tried']);
  });

  it('conflict: the target branch changed the same lines; the failing patch and git\'s reason are reported', async () => {
    const { target, files, workRoot } = sourceTreeWithPatches({ conflict: true });
    const result = await checkPatchesApply({ source: { url: target.url }, targetBranch: 'master', tempBranch: TEMP, patchFiles: files, workRoot });
    expect(result.outcome).toBe('conflict');
    expect(result.patches[0]).toMatchObject({ file: files[0], status: 'failed' });
    expect(result.patches[0]!.error).toMatch(/src\/lib\.c/);
    expect(result.patches[0]!.error).not.toContain(workRoot);
    expect(result.patches[1]!.status).toBe('not_tried');
  });

  it('packaging repository: the spec is checked (missing Patch file, undefined %patch); a Source0 that cannot be unpacked is said', async () => {
    const parent = makeTempDir();
    const target = createUpstreamRepo({ branch: 'master', parent, name: 'pkg' });
    target.commit('package', { files: { 'README.md': null, 'src/lib.c': null, 'lib.spec': 'Name: lib\nRelease: 3\n', 'lib-1.0.tar.gz': 'tarball' } });
    const patch = createUpstreamRepo({ parent, name: 'up' });
    const sha = patch.commit('Change', { files: { 'src/lib.c': 'int z;\n' } });
    target.checkout(TEMP, true);
    const spec = `Name: lib\nRelease: 4\nSource0: lib-1.0.tar.gz\nPatch6000: ${sha}.patch\nPatch6001: gone.patch\n\n%prep\n%setup -q\n%patch6000 -p1\n%patch -P 6002 -p1\n`;
    target.commit('[patch tracking]', { files: { [`${sha}.patch`]: patch.formatPatch(sha), 'lib.spec': spec } });
    const result = await checkPatchesApply({ source: { url: target.url }, targetBranch: 'master', tempBranch: TEMP, patchFiles: [`${sha}.patch`], workRoot: join(parent, 'verify') });
    expect(result.mode).toBe('packaging');
    expect(result.outcome).toBe('spec_error');
    expect(result.patches[0]!.status).toBe('not_tried');
    expect(result.note).toMatch(/^Source0 lib-1\.0\.tar\.gz could not be unpacked/);
    expect(result.spec!.problems).toEqual([
      'line 5: Patch6001: gone.patch is not in the repository',
      'line 10: `%patch -P 6002 -p1` applies Patch6002, which the spec does not define',
    ]);
  });

  /** A src-openEuler-style packaging repository: spec + Source0 tarball + an older patch; ours on the temp branch. */
  function packagingRepo(options: { conflict?: boolean } = {}) {
    const parent = makeTempDir();
    const up = createUpstreamRepo({ parent, name: 'up' });
    const base = up.head();
    const older = up.commit('Greet the world', { files: { 'README.md': 'hello world\n' } });
    const ours = up.commit('Rename c', { files: { 'src/lib.c': 'int a;\nint b;\nint sea;\n' } });
    let tarballRef = base;
    if (options.conflict) {
      up.checkout('release', true);
      up.git('reset', '--quiet', '--hard', base);
      tarballRef = up.commit('Release tweak', { files: { 'src/lib.c': 'int a;\nint b;\nint see;\n' } });
    }
    const tarball = up.gitBuffer('archive', '--format=tar.gz', '--prefix=lib-1.0/', tarballRef);
    const target = createUpstreamRepo({ branch: 'master', parent, name: 'pkg' });
    const spec = (patches: string) => `Name: lib\nVersion: 1.0\nRelease: 3\nSource0: https://example.org/%{name}-%{version}.tar.gz\n${patches}\n%prep\n%autosetup -p1\n`;
    target.commit('package', { files: { 'README.md': null, 'src/lib.c': null, 'lib.spec': spec('Patch0: greet.patch'), 'greet.patch': up.formatPatch(older), 'lib-1.0.tar.gz': tarball } });
    target.checkout(TEMP, true);
    target.commit('[patch tracking]', { files: { [`${ours}.patch`]: up.formatPatch(ours), 'lib.spec': spec(`Patch0: greet.patch\nPatch6000: ${ours}.patch`) } });
    return { target, files: [`${ours}.patch`], workRoot: join(parent, 'verify') };
  }

  it('packaging repository: every Patch is applied to the unpacked Source0 in order, as %prep does', async () => {
    const { target, files, workRoot } = packagingRepo();
    const result = await checkPatchesApply({ source: { url: target.url }, targetBranch: 'master', tempBranch: TEMP, patchFiles: files, workRoot });
    expect(result).toMatchObject({ outcome: 'clean', mode: 'packaging', spec: { path: 'lib.spec', problems: [] } });
    expect(result.patches).toEqual([
      { file: 'greet.patch', status: 'applied' },
      { file: files[0], status: 'applied' },
    ]);
    expect(readdirSync(workRoot)).toEqual([]);
  });

  it('packaging repository: a patch that does not apply to the released sources is a conflict', async () => {
    const { target, files, workRoot } = packagingRepo({ conflict: true });
    const result = await checkPatchesApply({ source: { url: target.url }, targetBranch: 'master', tempBranch: TEMP, patchFiles: files, workRoot });
    expect(result.outcome).toBe('conflict');
    expect(result.patches.map((p) => p.status)).toEqual(['applied', 'failed']);
    expect(result.patches[1]!.error).toMatch(/FAILED|hunk/i);
  });

  it('fetches over smart HTTP with the token as an Authorization header', async () => {
    const { target, files, workRoot } = sourceTreeWithPatches();
    const server = await startGitHttpServer(join(target.dir, '..'), { basicAuth: { user: 'oauth2', password: 'gitee-token' } });
    try {
      const repo = { forge: 'gitee' as const, owner: 'o', name: 'target', webUrl: server.url('target').replace(/\.git$/, '') };
      const source = cloneSourceFrom({ gitee: 'gitee-token' })(repo);
      expect(source.url).toBe(`${server.url('target')}.git`);
      expect(source.url).not.toContain('gitee-token');
      // the test server serves the directory name without .git
      const result = await checkPatchesApply({ source: { ...source, url: server.url('target') }, targetBranch: 'master', tempBranch: TEMP, patchFiles: files, workRoot });
      expect(result.outcome).toBe('clean');
      expect(server.authorizations.at(-1)).toBe(`Basic ${Buffer.from('oauth2:gitee-token').toString('base64')}`);
      await expect(checkPatchesApply({ source: { url: server.url('target') }, targetBranch: 'master', tempBranch: TEMP, patchFiles: files, workRoot })).rejects.toThrow(/fetch/);
      expect(existsSync(workRoot) ? readdirSync(workRoot) : []).toEqual([]);
    } finally {
      await server.stop();
    }
  });
});

describe('checkSpec', () => {
  it('accepts a consistent spec with macros, URLs and the old %patchN form', () => {
    const spec = 'Patch0: a.patch\nPatch1: https://example.org/x/b.patch\nPatch2: %{name}-c.patch\n%prep\n%patch0 -p1\n%patch1 -p1\n%patch 2 -p1\n';
    expect(checkSpec(spec, new Set(['a.patch', 'b.patch']), ['a.patch'])).toEqual([]);
  });
  it('reports duplicates and published patches the spec does not list', () => {
    const spec = 'Patch1: a.patch\nPatch1: b.patch\n';
    expect(checkSpec(spec, new Set(['a.patch', 'b.patch', 'c.patch']), ['c.patch', 'patches/d.patch'])).toEqual([
      'line 2: Patch1 is defined twice (a.patch and b.patch)',
      'c.patch was published but the spec does not list it',
    ]);
  });
});

describe('the verifier after a publication', () => {
  const API = 'https://api.github.com';
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => {
    const pending = nock.pendingMocks();
    nock.cleanAll();
    expect(pending).toEqual([]);
  });
  const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

  function rows(repo: string, files: string[]) {
    const t = { id: 1, repo, branch: 'master' } as TrackingRow;
    const p = { prNumber: '7', commitSha: 'c'.repeat(40), patchFiles: files, targetBranch: 'master', tempBranch: TEMP } as PublicationRow;
    return { t, p };
  }

  it('GitHub: a failing check run and the conflict label', async () => {
    const { target, files, workRoot } = sourceTreeWithPatches({ conflict: true });
    const octokit = new Octokit({ auth: 'ghp_x', request: { retries: 0 }, log: quiet });
    const verify = createVerifier({
      forges: { resolve: (r) => resolveForgeRepo(r) },
      extras: () => new GitHubExtras(octokit),
      cloneSource: cloneSourceFrom({}, { 'acme/widget': target.url }),
      workRoot,
      logger: silent,
    });
    nock(API)
      .post('/repos/acme/widget/check-runs', (b) => b.name === 'patch-tracking/apply' && b.head_sha === 'c'.repeat(40) && b.conclusion === 'failure' && /conflict/.test(b.output.title))
      .reply(201, { id: 1 })
      .post('/repos/acme/widget/issues/7/labels', { labels: ['conflict'] })
      .reply(200, []);
    const { t, p } = rows('https://github.com/acme/widget', files);
    expect((await verify(t, p))?.outcome).toBe('conflict');
  });

  it('GitHub without check-run permission: a commit status instead; clean means no label', async () => {
    const { target, files, workRoot } = sourceTreeWithPatches();
    const octokit = new Octokit({ auth: 'ghp_x', request: { retries: 0 }, log: quiet });
    const verify = createVerifier({
      forges: { resolve: (r) => resolveForgeRepo(r) },
      extras: () => new GitHubExtras(octokit),
      cloneSource: cloneSourceFrom({}, { 'acme/widget': target.url }),
      workRoot,
      logger: silent,
    });
    nock(API)
      .post('/repos/acme/widget/check-runs')
      .reply(403, { message: 'You must authenticate via a GitHub App.' })
      .post(`/repos/acme/widget/statuses/${'c'.repeat(40)}`, (b) => b.state === 'success' && b.context === 'patch-tracking/apply')
      .reply(201, {});
    const { t, p } = rows('https://github.com/acme/widget', files);
    expect((await verify(t, p))?.outcome).toBe('clean');
  });

  it("a self-hosted Gitee: the check fetches from the forge's git URL, not gitee.com, and reports through its API", async () => {
    const { target, files, workRoot } = sourceTreeWithPatches({ conflict: true });
    const GITEE = 'https://gitee.test/api/v5';
    // the forge's git side is a local directory of owner/name.git repositories
    const forgeRoot = makeTempDir();
    mkdirSync(join(forgeRoot, 'src-openeuler'));
    symlinkSync(target.dir, join(forgeRoot, 'src-openeuler', 'lib.git'));
    const settings = { giteeAccessToken: 'gt', giteeApiUrl: GITEE, giteeGitUrl: `file://${forgeRoot}`, githubAccessToken: '', githubApiUrl: 'https://api.github.com' };
    const forges = createForges(settings);
    expect(forges.resolve('src-openeuler/lib').webUrl).toBe('https://gitee.test/src-openeuler/lib');
    const hooks = runHooks(
      { ...settings, updateOpenPr: false, dataDir: join(workRoot, '..') },
      { db: undefined as never, logger: silent, parts: { sources: {}, unavailable: {}, forges }, publish: { specEdit: 'auto', botName: 'b', botEmail: 'b@example.org' }, extras: extrasFactory(settings) },
    );
    nock(GITEE)
      .post('/repos/src-openeuler/lib/pulls/7/comments', (b) => /conflict: .*\.patch does not apply/.test(b.body))
      .reply(201, {})
      .post('/repos/src-openeuler/lib/pulls/7/labels', ['conflict'])
      .query({ access_token: 'gt' })
      .reply(201, []);
    const { t, p } = rows('src-openeuler/lib', files);
    await hooks.onPublished(t, p);
  });

  it('Gitee: the result as a PR comment and the conflict label', async () => {
    const { target, files, workRoot } = sourceTreeWithPatches({ conflict: true });
    const GITEE = 'https://gitee.test/api/v5';
    const verify = createVerifier({
      forges: { resolve: (r) => resolveForgeRepo(r) },
      extras: () => new GiteeExtras({ token: 'gt', apiUrl: GITEE }),
      cloneSource: cloneSourceFrom({}, { 'src-openeuler/lib': target.url }),
      workRoot,
      logger: silent,
    });
    nock(GITEE)
      .post('/repos/src-openeuler/lib/pulls/7/comments', (b) => b.access_token === 'gt' && /conflict: .*\.patch does not apply/.test(b.body) && /\| 1 \| `.*` \| failed \|/.test(b.body))
      .reply(201, {})
      .post('/repos/src-openeuler/lib/pulls/7/labels', ['conflict'])
      .query({ access_token: 'gt' })
      .reply(201, []);
    const { t, p } = rows('src-openeuler/lib', files);
    expect((await verify(t, p))?.outcome).toBe('conflict');
  });
});
