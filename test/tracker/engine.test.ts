/**
 * The engine end to end: real upstream git repositories (file:// and git daemon) → patch files, spec edit,
 * branch, issue and PR on an in-memory forge; faults injected at every publishing step; replicas racing.
 */
import { eq, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { issue, publication, tracking } from '../../src/db/schema/index.js';
import { upsertTracking } from '../../src/db/trackings.js';
import { createLogger } from '../../src/log.js';
import { GitSource } from '../../src/sources/git.js';
import { Engine, type EngineOptions } from '../../src/tracker/engine.js';
import { createTestDatabase } from '../helpers/db.js';
import { FakeForge, fakeForges, type FaultPoint } from '../helpers/fake-forge.js';
import { FakeSource } from '../helpers/fake-source.js';
import { LOCAL_UPSTREAMS_ALLOWED, createUpstreamRepo, makeTempDir, removeTempDirs, startGitDaemon, type TestRepo } from '../helpers/git-repo.js';

const SPEC = `Name: lib
Version: 1.2
Release: 3
Summary: test
License: MIT
Source0: lib-1.2.tar.gz
Patch0: old.patch

%description
test

%prep
%setup -q
%patch0 -p1

%changelog
* Mon Jan 01 2024 Someone <someone@example.org> - 1.2-2
- older
`;

let handle: Awaited<ReturnType<typeof createTestDatabase>>;
let upstream: TestRepo;
let forge: FakeForge;
const logger = createLogger('silent');

function engine(overrides: Partial<EngineOptions> = {}): Engine {
  return new Engine({
    db: handle.db,
    logger,
    forges: fakeForges(forge),
    sources: { git: new GitSource({ upstreamPolicy: LOCAL_UPSTREAMS_ALLOWED, dataDir: makeTempDir('pt-data-') }) },
    unavailable: { github: 'GITHUB_ACCESS_TOKEN is not set: cannot read github upstreams' },
    publish: { specEdit: 'auto', botName: 'patch-tracking', botEmail: 'bot@example.org' },
    maxPatchesPerPr: 100,
    now: () => new Date(Date.UTC(2026, 10, 21, 23, 20, 21, 744)),
    backoffBaseMs: 60_000,
    ...overrides,
  });
}

async function addTracking(scmRepo = upstream.url, extra: { scmCommit?: string | null; versionControl?: string; repo?: string } = {}) {
  const { row } = await upsertTracking(handle.db, {
    versionControl: extra.versionControl ?? 'git',
    scmRepo,
    scmBranch: 'main',
    scmCommit: extra.scmCommit,
    repo: extra.repo ?? 'src-openeuler/lib',
    branch: 'master',
    enabled: true,
  });
  return row;
}

const get = async (id: number) => (await handle.db.select().from(tracking).where(eq(tracking.id, id)))[0]!;

beforeEach(async () => {
  handle = await createTestDatabase();
  upstream = createUpstreamRepo();
  forge = new FakeForge({ 'lib.spec': SPEC, 'old.patch': 'x' });
});
afterEach(() => handle.close());
afterAll(() => removeTempDirs());

describe('a git upstream to a PR', () => {
  it('starts a new tracking at the current head without publishing, then publishes new commits once', async () => {
    const t = await addTracking();
    const first = await engine().runCycle();
    expect(first.heads).toMatchObject({ checked: 1, initialized: 1, moved: 0 });
    expect((await get(t.id)).scmCommit).toBe(upstream.head());
    expect(forge.writes).toEqual([]);

    const c1 = upstream.commit('fix: drop line b\n\nbody text', { files: { 'src/lib.c': 'int a;\nint c;\n' } });
    const c2 = upstream.commit('feat: add d', { files: { 'src/lib.c': 'int a;\nint c;\nint d;\n' } });
    const second = await engine().runCycle();
    expect(second.heads).toMatchObject({ checked: 1, moved: 1 });
    expect(second.processed).toBe(1);

    // exactly one branch, one commit, one issue and one PR: 4 forge writes
    expect(forge.writes.map((w) => w.split(' ')[0])).toEqual(['branch', 'commit', 'issue', 'pr']);
    const [temp] = [...forge.branches.keys()].filter((b) => b.startsWith('patch-tracking/'));
    const files = forge.branches.get(temp!)!.files;
    // byte-identical to git format-patch, in the right direction (the old program reversed git patches)
    expect(files.get(`${c1}.patch`)).toBe(upstream.formatPatch(c1));
    expect(files.get(`${c1}.patch`)).toMatch(/^-int b;$/m);
    expect(files.get(`${c2}.patch`)).toBe(upstream.formatPatch(c2));
    const spec = files.get('lib.spec')!;
    expect(spec).toContain(`Patch6000: ${c1}.patch\nPatch6001: ${c2}.patch\n`);
    expect(spec).toContain('%patch0 -p1\n%patch6000 -p1\n%patch6001 -p1\n');
    expect(spec).toContain('Release: 4\n');
    expect(spec).toMatch(/%changelog\n\* Sat Nov 21 2026 patch-tracking <bot@example.org> - 1.2-4\n/);

    const [opened] = forge.issues;
    expect(opened!.title).toBe('[patch tracking] master 20261121232021744000');
    expect(opened!.body).toContain('| Commit | Datetime | Message |');
    expect(opened!.body).toContain('fix: drop line b<br><br>body text');
    expect(forge.pulls[0]).toMatchObject({ title: '[patch tracking] 20261121232021744000', base: 'master', head: temp, issueId: opened!.id });
    expect(forge.pulls[0]!.body.startsWith(`#${opened!.id}`)).toBe(true);

    const after = await get(t.id);
    expect(after).toMatchObject({ scmCommit: c2, status: 'ok', lastError: null, queuedAt: null, leaseOwner: null });
    const rows = await handle.db.select().from(issue);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ issue: opened!.id, repo: 'src-openeuler/lib', branch: 'master', prNumber: '1', rangeFrom: expect.any(String), rangeTo: c2, state: 'open' });

    // nothing new: nothing more is written
    await engine().runCycle();
    expect(forge.writes).toHaveLength(4);
  });

  it('reads upstreams over the git daemon protocol too', async () => {
    const daemon = await startGitDaemon(upstream.dir.replace(/\/upstream$/, ''));
    try {
      const t = await addTracking(daemon.url('upstream'), { scmCommit: upstream.head() });
      const sha = upstream.commit('over git://', { files: { 'x.txt': 'x\n' } });
      await engine().runCycle();
      expect((await get(t.id)).scmCommit).toBe(sha);
      expect(forge.pulls).toHaveLength(1);
    } finally {
      await daemon.stop();
    }
  });

  it('publishes long ranges as successive PRs of MAX_PATCHES_PER_PR, oldest first', async () => {
    const t = await addTracking(upstream.url, { scmCommit: upstream.head() });
    const shas = [1, 2, 3, 4, 5].map((n) => upstream.commit(`c${n}`, { files: { [`f${n}`]: `${n}\n` } }));
    await engine({ maxPatchesPerPr: 2 }).runCycle();
    expect(forge.pulls).toHaveLength(3);
    const patchesPerPr = forge.pulls.map((p) => [...forge.branches.get(p.head)!.files.keys()].filter((f) => f.endsWith('.patch') && f !== 'old.patch'));
    // each PR stacks on the previous one, so its spec numbers its patches after the earlier ones
    expect(patchesPerPr.map((l) => l.length)).toEqual([2, 4, 5]);
    const lastSpec = forge.branches.get(forge.pulls[2]!.head)!.files.get("lib.spec")!;
    expect(lastSpec).toContain(`Patch6004: ${shas[4]}.patch`);
    expect(forge.pulls.map((p) => p.base)).toEqual(["master", "master", "master"]);
    expect((await get(t.id)).scmCommit).toBe(shas[4]);
    const ranges = (await handle.db.select().from(issue)).map((r) => r.rangeTo);
    expect(ranges).toEqual([shas[1], shas[3], shas[4]]);
  });

  it('stops with a plain error after a force-push instead of walking to the root', async () => {
    const base = upstream.head();
    upstream.commit('will be dropped', { files: { a: '1\n' } });
    const t = await addTracking(upstream.url, { scmCommit: upstream.head() });
    upstream.git('reset', '--hard', base);
    upstream.commit('rewritten', { files: { a: '2\n' } });
    await engine().runCycle();
    const after = await get(t.id);
    expect(after.status).toBe('blocked');
    expect(after.lastError).toMatch(/not an ancestor/);
    expect(after.consecutiveFailures).toBe(1);
    expect(forge.writes).toEqual([]);
  });

  it('backs off a failing tracking and says why, without holding up the others', async () => {
    const broken = await addTracking('file:///nonexistent/repo.git', { repo: 'src-openeuler/broken' });
    const good = await addTracking(upstream.url, { scmCommit: upstream.head() });
    upstream.commit('good change', { files: { g: '1\n' } });
    await engine().runCycle();
    const b = await get(broken.id);
    expect(b.status).toBe('error');
    expect(b.lastError).toBeTruthy();
    expect(b.nextAttemptAt!.getTime()).toBeGreaterThan(Date.now() + 30_000);
    expect((await get(good.id)).status).toBe('ok');
    // the next cycle does not even look at the broken one until its time comes
    const next = await engine().runCycle();
    expect(next.heads.checked).toBe(1);
  });

  it('reports trackings whose source cannot run (no token) as blocked, with the reason', async () => {
    const t = await addTracking('owner/proj', { versionControl: 'github' });
    await engine().runCycle();
    expect(await get(t.id)).toMatchObject({ status: 'blocked', lastError: 'GITHUB_ACCESS_TOKEN is not set: cannot read github upstreams' });
  });

  it('dry-runs: shows commits, patch names, spec diff and texts, and writes nothing', async () => {
    const t = await addTracking(upstream.url, { scmCommit: upstream.head() });
    const sha = upstream.commit('dry', { files: { d: '1\n' } });
    const result = await engine().scanNow(t.id, { dryRun: true });
    expect(result.action).toBe('dry_run');
    if (result.action !== 'dry_run') return;
    expect(result.chunks[0]!.patch_files).toEqual([`${sha}.patch`]);
    expect(result.chunks[0]!.spec_diff).toContain(`+Patch6000: ${sha}.patch`);
    expect(result.chunks[0]!.issue_title).toMatch(/^\[patch tracking\] master /);
    expect(forge.writes).toEqual([]);
    expect((await get(t.id)).scmCommit).not.toBe(sha);
  });
});

describe('exactly once under failures', () => {
  const points: FaultPoint[] = ['createBranch', 'commitFiles', 'createIssue', 'createPullRequest'];
  for (const point of points) {
    for (const when of ['before', 'after'] as const) {
      it(`a failure at ${point} (${when === 'after' ? 'applied, answer lost' : 'refused'}) is resumed without duplicates`, async () => {
        const t = await addTracking(upstream.url, { scmCommit: upstream.head() });
        const sha = upstream.commit('one', { files: { o: '1\n' } });
        forge.failNext(point, when);
        await engine().runCycle();
        const failed = await get(t.id);
        expect(failed.status).toBe('error');
        expect(failed.lastError).toContain('injected failure');
        expect(failed.scmCommit).not.toBe(sha);
        // the next attempt (after the backoff) resumes
        await handle.db.update(tracking).set({ nextAttemptAt: null }).where(eq(tracking.id, t.id));
        await engine().runCycle();
        expect(forge.branches.size).toBe(2); // master + one temp branch
        expect(forge.issues).toHaveLength(1);
        expect(forge.pulls).toHaveLength(1);
        expect(forge.writes.filter((w) => w.startsWith('commit'))).toHaveLength(1);
        expect(await get(t.id)).toMatchObject({ scmCommit: sha, status: 'ok' });
        expect(await handle.db.select().from(issue)).toHaveLength(1);
      });
    }
  }

  it('a crash between the PR and the bookkeeping (process killed) is resumed from the database', async () => {
    const t = await addTracking(upstream.url, { scmCommit: upstream.head() });
    const sha = upstream.commit('one', { files: { o: '1\n' } });
    // every forge step done, then the bookkeeping transaction dies on its first write (the issue row)
    await handle.db.execute(sql`create function pt_test_kill() returns trigger language plpgsql as $$ begin raise exception 'killed'; end $$`);
    await handle.db.execute(sql`create trigger pt_test_kill before insert on issue for each row execute function pt_test_kill()`);
    await engine().runCycle().catch(() => {});
    await handle.db.execute(sql`drop trigger pt_test_kill on issue`);
    const [crashed] = await handle.db.select().from(publication);
    expect(crashed!.step).toBe('pr');
    expect(forge.pulls).toHaveLength(1);
    expect((await get(t.id)).scmCommit).not.toBe(sha);
    expect(await handle.db.select().from(issue)).toHaveLength(0);
    await handle.db.update(tracking).set({ nextAttemptAt: null, leaseExpiresAt: null, leaseOwner: null }).where(eq(tracking.id, t.id));
    await engine().runCycle();
    expect(forge.pulls).toHaveLength(1);
    expect((await get(t.id)).scmCommit).toBe(sha);
    const [p] = await handle.db.select().from(publication);
    expect(p!.step).toBe('done');
  });

  it("takes over a crashed replica's tracking once its lease expired", async () => {
    const t = await addTracking(upstream.url, { scmCommit: upstream.head() });
    const sha = upstream.commit('one', { files: { o: '1\n' } });
    // a replica claimed it and died
    await handle.db.update(tracking).set({ queuedAt: new Date(), leaseOwner: 'dead', leaseExpiresAt: new Date(Date.now() - 1000), status: 'running' }).where(eq(tracking.id, t.id));
    await engine().processQueue();
    expect((await get(t.id)).scmCommit).toBe(sha);
    expect(forge.pulls).toHaveLength(1);
  });
});

describe('replicas', () => {
  it('two engines on one database racing over the same 100 trackings publish each range exactly once', async () => {
    const source = new FakeSource('git');
    const second = await openDatabase({ databaseUrl: handle.url, maxConnections: 5 });
    try {
      const ids: number[] = [];
      for (let i = 0; i < 100; i++) {
        const base = source.push(`https://up.example/r${i}.git`, 'main', 1);
        ids.push((await addTracking(`https://up.example/r${i}.git`, { scmCommit: base, repo: `src-openeuler/r${i}` })).id);
        source.push(`https://up.example/r${i}.git`, 'main', 2);
      }
      const common = { sources: { git: source }, concurrency: 4 };
      const a = engine({ ...common, owner: 'replica-a' });
      const b = new Engine({ ...(engine() as unknown as { deps: EngineOptions }).deps, ...common, db: second.db, owner: 'replica-b' });
      await Promise.all([a.runCycle(), b.runCycle(), a.processQueue(), b.processQueue()]);
      await Promise.all([a.processQueue(), b.processQueue()]);
      expect(forge.pulls).toHaveLength(100);
      expect(forge.issues).toHaveLength(100);
      expect(new Set(forge.pulls.map((p) => p.head)).size).toBe(100);
      expect(await handle.db.select().from(issue)).toHaveLength(100);
      const rows = await handle.db.select().from(tracking);
      expect(rows.every((r) => r.status === 'ok' && r.queuedAt === null)).toBe(true);
    } finally {
      await second.close();
    }
  });
});

describe('one run per tracking', () => {
  /** the forge takes `ms` to answer an issue creation, as a loaded Gitee does */
  function slowIssues(ms: number) {
    const create = forge.createIssue.bind(forge);
    forge.createIssue = async (repo, input) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return create(repo, input);
    };
  }

  it('an on-demand scan while one is running answers busy instead of publishing beside it', async () => {
    const t = await addTracking(upstream.url, { scmCommit: upstream.head() });
    const sha = upstream.commit('one', { files: { o: '1\n' } });
    slowIssues(1_500);
    const e = engine();
    const first = e.scanNow(t.id);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const second = await e.scanNow(t.id);
    expect(second).toEqual({ action: 'busy' });
    expect((await first).action).toBe('published');
    expect(forge.issues).toHaveLength(1);
    expect(forge.pulls).toHaveLength(1);
    expect(await get(t.id)).toMatchObject({ scmCommit: sha, status: 'ok', lastError: null, consecutiveFailures: 0, leaseOwner: null });
  });

  it("a scheduled cycle and an on-demand scan of one process don't run one tracking twice", async () => {
    const t = await addTracking(upstream.url, { scmCommit: upstream.head() });
    upstream.commit('one', { files: { o: '1\n' } });
    slowIssues(1_500);
    const e = engine();
    const cycle = e.runCycle();
    // wait until the cycle holds the tracking
    while ((await get(t.id)).leaseOwner === null) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await e.scanNow(t.id)).toEqual({ action: 'busy' });
    await cycle;
    expect(forge.issues).toHaveLength(1);
    expect((await get(t.id)).status).toBe('ok');
  });
});

describe('a paused tracking', () => {
  it('an explicit scan publishes nothing and the status stays paused; a dry run still shows the range', async () => {
    const t = await addTracking(upstream.url, { scmCommit: upstream.head() });
    const start = upstream.head();
    upstream.commit('one', { files: { o: '1\n' } });
    await handle.db.update(tracking).set({ enabled: false, status: 'paused' }).where(eq(tracking.id, t.id));
    await expect(engine().scanNow(t.id)).rejects.toMatchObject({ code: 'tracking_paused' });
    expect(forge.writes).toEqual([]);
    expect(await get(t.id)).toMatchObject({ enabled: false, status: 'paused', scmCommit: start, leaseOwner: null });
    const dry = await engine().scanNow(t.id, { dryRun: true });
    expect(dry.action).toBe('dry_run');
    expect(forge.writes).toEqual([]);
    expect((await get(t.id)).status).toBe('paused');
  });

  it('paused while its run goes on: the run ends with the status still paused', async () => {
    const t = await addTracking(upstream.url, { scmCommit: upstream.head() });
    upstream.commit('one', { files: { o: '1\n' } });
    const create = forge.createIssue.bind(forge);
    forge.createIssue = async (repo, input) => {
      await handle.db.update(tracking).set({ enabled: false, status: 'paused' }).where(eq(tracking.id, t.id));
      return create(repo, input);
    };
    await engine().scanNow(t.id);
    expect(await get(t.id)).toMatchObject({ enabled: false, status: 'paused' });
  });
});

describe('an abbreviated scm_commit', () => {
  /** a prefix of no commit of the upstream */
  const unknownPrefix = () => ['0000', 'ffff', 'dead', 'beef'].find((p) => !upstream.git('rev-list', '--all').split('\n').some((s) => s.startsWith(p)))!;

  it('is resolved to the full id at the first scan, which then publishes from there', async () => {
    const start = upstream.head();
    const t = await addTracking(upstream.url, { scmCommit: start.slice(0, 4) });
    const sha = upstream.commit('after the abbreviated start', { files: { a: '1\n' } });
    await engine().runCycle();
    expect(await get(t.id)).toMatchObject({ scmCommit: sha, status: 'ok', lastError: null });
    expect(forge.pulls).toHaveLength(1);
    expect((await handle.db.select().from(issue))[0]).toMatchObject({ rangeFrom: start, rangeTo: sha });
  });

  it('that names no commit of the branch blocks the tracking and says so', async () => {
    const prefix = unknownPrefix();
    const t = await addTracking(upstream.url, { scmCommit: prefix });
    upstream.commit('new', { files: { a: '1\n' } });
    await engine().runCycle();
    const after = await get(t.id);
    expect(after.status).toBe('blocked');
    expect(after.lastError).toBe(`scm_commit ${prefix}: branch "main" of ${upstream.url} has no commit by that id`);
    expect(after.scmCommit).toBe(prefix);
    expect(forge.writes).toEqual([]);
  });
});
