/**
 * Spec patches the upstream already has, end to end: a real upstream git repository with release tags, a
 * packaging repository (the in-memory forge) whose spec carries patches made in different ways, the scan
 * cycle's step analysing them and opening one removal PR through the resumable publishing steps.
 */
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { combinedStateOfTrackings } from '../../src/checks/service.js';
import { issue, publication, tracking, upstreamedLook } from '../../src/db/schema/index.js';
import { upsertTracking } from '../../src/db/trackings.js';
import type { Forges } from '../../src/forges/resolve.js';
import type { LifecycleDeps } from '../../src/lifecycle/deps.js';
import { onPullClosed } from '../../src/lifecycle/pulls.js';
import { recreateRange } from '../../src/lifecycle/recreate.js';
import { createLogger } from '../../src/log.js';
import { GitSource } from '../../src/sources/git.js';
import { proposeRemoval } from '../../src/upstreamed/propose.js';
import { analyseUpstreamed, DEFAULT_TAG_PATTERNS, tagCandidates, upstreamGitUrl, type UpstreamedDeps } from '../../src/upstreamed/report.js';
import { UpstreamedStep } from '../../src/upstreamed/step.js';
import { createTestDatabase } from '../helpers/db.js';
import { FakeForge, fakeForges } from '../helpers/fake-forge.js';
import { LOCAL_UPSTREAMS_ALLOWED, createUpstreamRepo, makeTempDir, removeTempDirs, type TestRepo } from '../helpers/git-repo.js';

const logger = createLogger('silent');
const NOW = new Date(Date.UTC(2026, 11, 7, 10, 0, 0));
const publishOptions = { specEdit: 'auto' as const, botName: 'patch-tracking', botEmail: 'bot@example.org' };

function spec(version: string, patches: string[]): string {
  return `Name: lib
Version: ${version}
Release: 4
Summary: test
License: MIT
Source0: lib-%{version}.tar.gz
${patches.map((p, i) => `Patch${i + 1}: ${p}`).join('\n')}

%description
test

%prep
%setup -q
${patches.map((_, i) => `%patch${i + 1} -p1`).join('\n')}

%build

%changelog
* Mon Jan 05 2026 Someone <someone@example.org> - ${version}-3
- older
`;
}

let handle: Awaited<ReturnType<typeof createTestDatabase>>;
let upstream: TestRepo;
let forge: FakeForge;

/**
 * v1.1 (the old release) → fixes → v1.2. Returns the packaging patches, made the ways packagers make them:
 * `fromHeader` by format-patch of the upstream commit now in v1.2; `remade` the same change committed again
 * elsewhere (another commit id, so only its patch-id ties it to upstream); `downstream` never upstream;
 * `partOf` one file of a bigger upstream commit, written by hand (no From header, another patch-id);
 * `conflicting` a change to a line v1.2 changed differently.
 */
function buildUpstream() {
  upstream = createUpstreamRepo();
  upstream.commit('Add util', { files: { 'src/util.c': 'void u1(void);\nvoid u2(void);\n', 'doc/guide.txt': 'guide\n' } });
  upstream.git('tag', 'v1.1');
  upstream.checkout('side', true);
  const remade = upstream.commit('util: declare u3 (downstream backport)', { files: { 'src/util.c': 'void u1(void);\nvoid u2(void);\nvoid u3(void);\n' } });
  const downstream = upstream.commit('README: packaging note', { files: { 'README.md': 'hello\npackaged\n' } });
  upstream.git('checkout', '--quiet', 'v1.1', '-b', 'side2');
  const conflicting = upstream.commit('lib: rename c', { files: { 'src/lib.c': 'int a;\nint b;\nint c2;\n' } });
  upstream.checkout('main');
  const fixA = upstream.commit('lib: drop b', { files: { 'src/lib.c': 'int a;\nint c;\n' } });
  upstream.commit('util: declare u3', { files: { 'src/util.c': 'void u1(void);\nvoid u2(void);\nvoid u3(void);\n' } });
  upstream.commit('docs and lib together', { files: { 'doc/guide.txt': 'guide\nmore\n', 'src/lib.c': 'int a;\nlong c;\n' } });
  upstream.git('tag', 'v1.2');
  upstream.commit('after the release', { files: { 'README.md': 'hello\nworld\n' } });
  const partOf = [
    'diff --git a/doc/guide.txt b/doc/guide.txt',
    '--- a/doc/guide.txt',
    '+++ b/doc/guide.txt',
    '@@ -1 +1,2 @@',
    ' guide',
    '+more',
    '',
  ].join('\n');
  return {
    fixA,
    fromHeader: upstream.formatPatch(fixA),
    remade: upstream.formatPatch(remade),
    downstream: upstream.formatPatch(downstream),
    partOf,
    conflicting: upstream.formatPatch(conflicting),
  };
}

function deps(): UpstreamedDeps {
  return {
    forges: fakeForges(forge),
    git: new GitSource({ upstreamPolicy: LOCAL_UPSTREAMS_ALLOWED, dataDir: makeTempDir('pt-data-') }),
    tagPatterns: DEFAULT_TAG_PATTERNS,
    githubGitUrl: 'https://github.com',
    workRoot: makeTempDir('pt-work-'),
  };
}

async function addTracking() {
  const { row } = await upsertTracking(handle.db, { versionControl: 'git', scmRepo: upstream.url, scmBranch: 'main', repo: 'src-openeuler/lib', branch: 'master', enabled: true });
  return row;
}

beforeEach(async () => {
  handle = await createTestDatabase();
});
afterEach(() => handle.close());
afterAll(() => removeTempDirs());

describe('a spec with three patches, two of them in the new upstream tag', () => {
  let p: ReturnType<typeof buildUpstream>;
  beforeEach(() => {
    p = buildUpstream();
    forge = new FakeForge({
      'lib.spec': spec('1.2', ['0001-drop-b.patch', '0002-u3.patch', '0003-readme.patch']),
      '0001-drop-b.patch': p.fromHeader,
      '0002-u3.patch': p.remade,
      '0003-readme.patch': p.downstream,
    });
  });

  it('gets one PR removing exactly those two, with the reason for each, and never a second one', async () => {
    const t = await addTracking();
    const step = new UpstreamedStep({ ...deps(), db: handle.db, logger, publish: publishOptions, perCycle: 100, now: () => NOW });
    expect(await step.run()).toEqual({ analysed: 1, proposed: 1, failed: 0 });

    expect(forge.pulls).toHaveLength(1);
    expect(forge.issues).toHaveLength(1);
    const pr = forge.pulls[0]!;
    const files = forge.branches.get(pr.head)!.files;
    expect(files.has('0001-drop-b.patch')).toBe(false);
    expect(files.has('0002-u3.patch')).toBe(false);
    expect(files.get('0003-readme.patch')).toBe(p.downstream);
    const edited = files.get('lib.spec')!;
    expect(edited).not.toMatch(/^Patch1:|^Patch2:|^%patch1 |^%patch2 /m);
    expect(edited).toMatch(/^Patch3: 0003-readme\.patch$/m);
    expect(edited).toMatch(/^%patch3 -p1$/m);
    expect(edited).toMatch(/^Release: 5$/m);
    expect(edited).toContain(`* Mon Dec 07 2026 patch-tracking <bot@example.org> - 1.2-5\n- Remove 0001-drop-b.patch: upstream in v1.2 (${p.fixA.slice(0, 12)})\n- Remove 0002-u3.patch: upstream in v1.2 (`);
    // the target branch itself is untouched
    expect(forge.branches.get('master')!.files.has('0001-drop-b.patch')).toBe(true);

    const body = forge.issues[0]!.body;
    expect(forge.issues[0]!.title).toBe('[patch tracking] master: 2 patches already upstream in v1.2');
    expect(body).toMatch(new RegExp(`\\| Patch1 \\| \`0001-drop-b.patch\` \\| ${p.fixA.slice(0, 12)} lib: drop b \\| made from this commit`));
    expect(body).toMatch(/\| Patch2 \| `0002-u3.patch` \| [0-9a-f]{12} util: declare u3 \| the same change as this commit \(`git patch-id --stable`\)/);
    expect(body).not.toContain('0003-readme.patch');
    expect(body).toContain("Apply check: the remaining patches apply to `v1.2` in rpm's order.");
    expect(pr.body).toContain(`#${forge.issues[0]!.id}`);
    expect(pr.body).toContain('0001-drop-b.patch');

    // later cycles and a new process (a restart) do not analyse the unchanged tracking again; with that
    // bookkeeping lost (an older backup restored), the analysis runs but the same removal is not proposed again
    const writes = forge.writes.length;
    expect(await step.run()).toEqual({ analysed: 0, proposed: 0, failed: 0 });
    const fresh = new UpstreamedStep({ ...deps(), db: handle.db, logger, publish: publishOptions, perCycle: 100, now: () => NOW });
    expect(await fresh.run()).toEqual({ analysed: 0, proposed: 0, failed: 0 });
    await handle.db.delete(upstreamedLook);
    expect(await fresh.run()).toEqual({ analysed: 1, proposed: 0, failed: 0 });
    expect(forge.writes.length).toBe(writes);
    const [row] = await handle.db.select().from(publication).where(eq(publication.trackingId, t.id));
    expect(row).toMatchObject({ kind: 'upstreamed', step: 'done', rangeFrom: 'upstreamed:1.2', prNumber: pr.number });
    expect((await handle.db.select().from(issue)).map((i) => i.state)).toEqual(['open']);
    // no CI runs on a removal: the tracking's check state stays that of its (absent) newest range
    expect((await combinedStateOfTrackings(handle.db, [t.id])).get(t.id)).toBeNull();
  });

  it('the report names each patch, its method and commit, and writes nothing', async () => {
    const t = await addTracking();
    const report = await analyseUpstreamed(deps(), t);
    expect(report.upstream).toMatchObject({ tag: 'v1.2', commit: upstream.head('v1.2^{commit}'), tagsTried: ['v1.2', '1.2'] });
    expect(report.patches.map((f) => [f.file, f.status, f.method, f.upstreamCommit?.slice(0, 7)])).toEqual([
      ['0001-drop-b.patch', 'upstream', 'from-header', p.fixA.slice(0, 7)],
      ['0002-u3.patch', 'upstream', 'patch-id', upstream.head('v1.2~1').slice(0, 7)],
      ['0003-readme.patch', 'not-upstream', undefined, undefined],
    ]);
    expect(report.applyCheck).toEqual({ outcome: 'clean', failed: [] });
    expect(report.removable).toBe(true);
    expect(forge.writes).toEqual([]);
  });

  it('a crash between steps resumes: still one branch, one issue, one PR', async () => {
    const t = await addTracking();
    const report = await analyseUpstreamed(deps(), t);
    const ctx = { db: handle.db, forge, repo: fakeForges(forge).resolve(t.repo), options: publishOptions, logger, now: () => NOW };
    forge.failNext('createIssue', 'after');
    await expect(proposeRemoval(ctx, t, report)).rejects.toThrow(/injected failure/);
    forge.failNext('createPullRequest', 'after');
    await expect(proposeRemoval(ctx, t, report)).rejects.toThrow(/injected failure/);
    const again = await proposeRemoval(ctx, t, report);
    expect(again.action).toBe('proposed');
    expect(forge.issues).toHaveLength(1);
    expect(forge.pulls).toHaveLength(1);
    expect(forge.writes.filter((w) => w.startsWith('branch') || w.startsWith('commit'))).toHaveLength(2);
    expect((await proposeRemoval(ctx, t, report)).action).toBe('already_proposed');
  });
  it('two replicas running the step at once: one proposes, the other stands aside; one issue, one PR', async () => {
    await addTracking();
    const step = () => new UpstreamedStep({ ...deps(), db: handle.db, logger, publish: publishOptions, perCycle: 100, now: () => NOW });
    const results = await Promise.all([step().run(), step().run()]);
    expect(results.map((r) => r.proposed).sort()).toEqual([0, 1]);
    expect(results.filter((r) => r.skipped)).toHaveLength(1);
    expect(forge.issues).toHaveLength(1);
    expect(forge.pulls).toHaveLength(1);
  });

  it('a removal PR closed without merging is recorded as rejected and the same removal is not proposed again', async () => {
    const t = await addTracking();
    const step = () => new UpstreamedStep({ ...deps(), db: handle.db, logger, publish: publishOptions, perCycle: 100, now: () => NOW });
    await step().run();
    const pr = forge.pulls[0]!;
    const lifecycle = { db: handle.db, logger, forges: fakeForges(forge) as unknown as Forges } as LifecycleDeps;
    const repo = fakeForges(forge).resolve(t.repo);
    expect(await onPullClosed(lifecycle, { repo, number: pr.number, merged: false, mergedAt: null, head: pr.head })).toBe('rejected');
    expect(forge.issues[0]!.comments[0]).toBe(`The pull request #${pr.number} was closed without merging: this removal of patches already upstream in version 1.2 will not be proposed again.`);
    expect(forge.issues[0]!.state).toBe('closed');
    const [row] = await handle.db.select().from(publication).where(eq(publication.trackingId, t.id));
    expect(row!.step).toBe('rejected');
    // the upstream moved on: analysed again, the same removal found, and not proposed again
    await handle.db.update(tracking).set({ lastHead: 'f'.repeat(40) }).where(eq(tracking.id, t.id));
    expect(await step().run()).toEqual({ analysed: 1, proposed: 0, failed: 0 });
    expect(forge.pulls).toHaveLength(1);
    // `/patch-tracking recreate` is for ranges of upstream commits, not for removals
    const [rejected] = await handle.db.select().from(issue).where(eq(issue.trackingId, t.id));
    await expect(recreateRange(lifecycle, rejected!)).rejects.toMatchObject({ code: 'not_recreatable' });
  });
});

describe('a cycle looks at UPSTREAMED_PER_CYCLE trackings, going round over cycles', () => {
  beforeEach(() => {
    const p = buildUpstream();
    forge = new FakeForge({ 'lib.spec': spec('1.2', ['0001-drop-b.patch']), '0001-drop-b.patch': p.fromHeader });
  });

  it('three trackings, two a cycle: the first cycle looks at two, the next (another replica) at the third, then the first two again', async () => {
    const ids: number[] = [];
    for (const repo of ['src-openeuler/lib', 'src-openeuler/lib2', 'src-openeuler/lib3']) {
      ids.push((await upsertTracking(handle.db, { versionControl: 'git', scmRepo: upstream.url, scmBranch: 'main', repo, branch: 'master', enabled: true })).row.id);
    }
    const replica = () => new UpstreamedStep({ ...deps(), db: handle.db, logger, publish: publishOptions, perCycle: 2, now: () => NOW });
    const [a, b] = [replica(), replica()];
    const lookedAt = async () => new Map((await handle.db.select().from(upstreamedLook)).map((r) => [r.trackingId, r.lookedAt.getTime()]));
    expect(await a.run()).toEqual({ analysed: 2, proposed: 2, failed: 0 });
    expect([...(await lookedAt()).keys()].sort((x, y) => x - y)).toEqual(ids.slice(0, 2));
    // the replicas share where the round stands: the other one goes on with the third
    expect(await b.run()).toEqual({ analysed: 1, proposed: 1, failed: 0 });
    const proposed = await handle.db.select({ trackingId: publication.trackingId }).from(publication);
    expect(proposed.map((r) => r.trackingId).sort((x, y) => x - y)).toEqual(ids);
    // then round again to the first two: looked at (forge reads), unchanged, so no analysis
    const before = await lookedAt();
    expect(await a.run()).toEqual({ analysed: 0, proposed: 0, failed: 0 });
    const after = await lookedAt();
    expect(ids.map((id) => after.get(id)! > before.get(id)!)).toEqual([true, true, false]);
  });

  it('0 turns the step off: no forge request, nothing proposed', async () => {
    await addTracking();
    const step = new UpstreamedStep({ ...deps(), db: handle.db, logger, publish: publishOptions, perCycle: 0, now: () => NOW });
    expect(await step.run()).toEqual({ analysed: 0, proposed: 0, failed: 0 });
    expect(forge.pulls).toHaveLength(0);
  });
});

describe('patches that only the tree proves, or nothing proves', () => {
  it('removes a hand-made part of an upstream commit (reverse-apply), keeps a conflicting one and lists it', async () => {
    const p = buildUpstream();
    forge = new FakeForge({
      'lib.spec': spec('1.2', ['guide.patch', 'rename-c.patch', 'readme.patch']),
      'guide.patch': p.partOf,
      'rename-c.patch': p.conflicting,
      'readme.patch': p.downstream,
    });
    const t = await addTracking();
    const report = await analyseUpstreamed(deps(), t);
    expect(report.patches.map((f) => [f.file, f.status, f.method])).toEqual([
      ['guide.patch', 'upstream', 'reverse-apply'],
      ['rename-c.patch', 'uncertain', undefined],
      ['readme.patch', 'not-upstream', undefined],
    ]);
    expect(report.applyCheck?.outcome).toBe('conflict');
    expect(report.applyCheck?.failed.map((f) => f.file)).toEqual(['rename-c.patch']);

    const ctx = { db: handle.db, forge, repo: fakeForges(forge).resolve(t.repo), options: publishOptions, logger, now: () => NOW };
    expect((await proposeRemoval(ctx, t, report)).action).toBe('proposed');
    const files = forge.branches.get(forge.pulls[0]!.head)!.files;
    expect([...files.keys()].sort()).toEqual(['lib.spec', 'readme.patch', 'rename-c.patch']);
    const body = forge.issues[0]!.body;
    expect(body).toContain('| Patch1 | `guide.patch` | (the tag\'s tree) | applies in reverse to the tag');
    expect(body).toMatch(/Kept: not proved to be upstream[^\n]*\n- `rename-c.patch` \(Patch2\): neither applies to tag v1.2 nor is found in it/);
    expect(body).toContain("these patches do not apply to `v1.2` in rpm's order:\n- `rename-c.patch`");
  });

  it('proposes nothing when no tag matches the spec Version, and says it compared with the branch head', async () => {
    const p = buildUpstream();
    forge = new FakeForge({ 'lib.spec': spec('1.3', ['0001-drop-b.patch']), '0001-drop-b.patch': p.fromHeader });
    const t = await addTracking();
    const report = await analyseUpstreamed(deps(), t);
    expect(report.upstream).toMatchObject({ tag: null, commit: upstream.head('main') });
    expect(report.patches[0]).toMatchObject({ status: 'upstream', method: 'from-header' });
    expect(report.removable).toBe(false);
    expect(report.notes.join('\n')).toContain('no upstream tag v1.3 or 1.3 for Version 1.3: compared with the head of main instead');
    const ctx = { db: handle.db, forge, repo: fakeForges(forge).resolve(t.repo), options: publishOptions, logger, now: () => NOW };
    expect(await proposeRemoval(ctx, t, report)).toMatchObject({ action: 'none' });
    expect(forge.writes).toEqual([]);
  });

  it('with a configured tag pattern (%{name}-%{version}) the release tag is found', async () => {
    const p = buildUpstream();
    upstream.git('tag', 'lib-1.2', 'v1.2');
    forge = new FakeForge({ 'lib.spec': spec('1.2', ['0001-drop-b.patch']), '0001-drop-b.patch': p.fromHeader });
    const t = await addTracking();
    const report = await analyseUpstreamed({ ...deps(), tagPatterns: ['%{name}-%{version}'] }, t);
    expect(report.upstream).toMatchObject({ tag: 'lib-1.2', tagsTried: ['lib-1.2'] });
    expect(report.removable).toBe(true);
  });
});

describe('naming the upstream release', () => {
  it('expands the tag patterns in order, without duplicates; %{name} only when the spec has one', () => {
    expect(tagCandidates(['v%{version}', '%{version}', 'v%{version}'], { version: '2.4.1', name: 'curl' })).toEqual(['v2.4.1', '2.4.1']);
    expect(tagCandidates(['%{name}-%{version}', 'release-%{version}'], { version: '1.0', name: null })).toEqual(['release-1.0']);
  });

  it('fetches a github upstream from the GitHub git URL; a mailing list has no tree', () => {
    expect(upstreamGitUrl({ versionControl: 'github', scmRepo: 'curl/curl' }, 'https://ghe.example/')).toBe('https://ghe.example/curl/curl.git');
    expect(upstreamGitUrl({ versionControl: 'git', scmRepo: 'https://git.example/x.git' }, 'https://github.com')).toBe('https://git.example/x.git');
    expect(() => upstreamGitUrl({ versionControl: 'mail', scmRepo: 'list' }, 'https://github.com')).toThrow(/no upstream tree/);
  });
});
