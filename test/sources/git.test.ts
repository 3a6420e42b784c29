import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { buildPatchFiles } from '../../src/patches/format.js';
import { GitSource } from '../../src/sources/git.js';
import type { TrackedUpstream } from '../../src/sources/types.js';
import {
  GIT,
  createUpstreamRepo,
  LOCAL_UPSTREAMS_ALLOWED,
  makeTempDir,
  removeTempDirs,
  startGitDaemon,
  startGitHttpServer,
  testGitEnv,
  type GitDaemon,
  type GitHttpServer,
  type TestRepo,
} from '../helpers/git-repo.js';

let nextId = 1;
function tracking(scmRepo: string, scmBranch = 'main'): TrackedUpstream {
  return { id: nextId++, versionControl: 'git', scmRepo, scmBranch };
}

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error('expected a rejection');
}

/** main: init ─ c1 ─────────── c2 ─ merge ─ c3, with feature: c1 ─ f1 ─ f2 merged in. */
function repoWithMerge(): { repo: TestRepo; base: string; f1: string; f2: string; c2: string; merge: string; c3: string } {
  const repo = createUpstreamRepo();
  const base = repo.commit('c1: add util', { files: { 'src/util.c': 'void u(void) {}\n' } });
  repo.checkout('feature', true);
  const f1 = repo.commit('f1: feature part 1', { files: { 'src/feature.c': 'int f = 1;\n' } });
  const f2 = repo.commit('f2: feature part 2', { files: { 'src/feature.c': 'int f = 2;\n' } });
  repo.checkout('main');
  const c2 = repo.commit('c2: drop b', { files: { 'src/lib.c': 'int a;\nint c;\n' } });
  const merge = repo.merge('feature');
  const c3 = repo.commit('c3: docs\n\nA longer body\nwith two lines.', { files: { 'README.md': 'hello\nworld\n' } });
  return { repo, base, f1, f2, c2, merge, c3 };
}

afterAll(() => removeTempDirs());

describe('GitSource over file://', () => {
  let h: ReturnType<typeof repoWithMerge>;
  let source: GitSource;
  let dataDir: string;

  beforeAll(() => {
    h = repoWithMerge();
    dataDir = makeTempDir();
    source = new GitSource({ upstreamPolicy: LOCAL_UPSTREAMS_ALLOWED, dataDir, gitBinary: GIT, timeoutMs: 20_000 });
  });

  it('reports branch heads, and a per-tracking error for a missing branch', async () => {
    const t1 = tracking(h.repo.url, 'main');
    const t2 = tracking(h.repo.url, 'feature');
    const t3 = tracking(h.repo.url, 'no-such-branch');
    const heads = await source.heads([t1, t2, t3]);
    expect(heads.get(t1.id)).toEqual({ sha: h.c3 });
    expect(heads.get(t2.id)).toEqual({ sha: h.f2 });
    expect(heads.get(t3.id)).toEqual({ error: expect.stringContaining('branch "no-such-branch" does not exist') });
  });

  it('lists the range oldest first, parents before children, merge commits skipped', async () => {
    const commits = await source.range(tracking(h.repo.url), h.base, h.c3);
    const shas = commits.map((c) => c.sha);
    expect(new Set(shas)).toEqual(new Set([h.f1, h.f2, h.c2, h.c3]));
    expect(shas).not.toContain(h.merge);
    expect(shas.indexOf(h.f1)).toBeLessThan(shas.indexOf(h.f2));
    expect(shas.at(-1)).toBe(h.c3);
    const c3 = commits.at(-1)!;
    expect(c3).toMatchObject({
      subject: 'c3: docs',
      message: 'c3: docs\n\nA longer body\nwith two lines.\n',
      authorName: 'Upstream Dev',
      authorEmail: 'dev@upstream.example',
      parents: [h.merge],
      empty: false,
    });
    expect(c3.authorDate).toMatch(/^2026-01-01T\d\d:\d\d:\d\dZ$/);
  });

  it('writes each patch byte for byte as git format-patch does', async () => {
    const commits = await source.range(tracking(h.repo.url), h.base, h.c3);
    for (const c of commits) expect(c.patch).toBe(h.repo.formatPatch(c.sha));
  });

  it('patches go old → new: the patch removes what the commit removed', async () => {
    const [c2] = (await source.range(tracking(h.repo.url), h.base, h.c2)).filter((c) => c.sha === h.c2);
    expect(c2!.patch).toMatch(/^-int b;$/m);
    expect(c2!.patch).not.toMatch(/^\+int b;$/m);
    // and it applies forwards onto the parent's tree
    const work = makeTempDir();
    execFileSync(GIT, ['clone', '--quiet', h.repo.dir, work], { env: testGitEnv });
    execFileSync(GIT, ['checkout', '--quiet', `${h.c2}~1`], { cwd: work, env: testGitEnv });
    writeFileSync(join(work, 'c2.patch'), c2!.patch);
    execFileSync(GIT, ['apply', '--check', 'c2.patch'], { cwd: work, env: testGitEnv });
  });

  it('an empty range when from equals to, and empty commits are kept but flagged', async () => {
    expect(await source.range(tracking(h.repo.url), h.c3, h.c3)).toEqual([]);
    const repo = createUpstreamRepo();
    const start = repo.head();
    const empty = repo.commit('release: tag only', { allowEmpty: true });
    const real = repo.commit('fix: real change', { files: { 'README.md': 'fixed\n' } });
    const commits = await source.range(tracking(repo.url), start, real);
    expect(commits.map((c) => [c.sha, c.empty])).toEqual([
      [empty, true],
      [real, false],
    ]);
    expect(commits[0]!.patch).not.toContain('diff --git');
  });

  it('refuses a range whose start is not an ancestor (force-push), naming both commits', async () => {
    const repo = createUpstreamRepo();
    const base = repo.head();
    const old = repo.commit('will be rewritten', { files: { 'a.txt': 'old\n' } });
    const t = tracking(repo.url);
    await source.range(t, base, old); // the mirror now knows `old`
    repo.git('reset', '--quiet', '--hard', base);
    const rewritten = repo.commit('rewritten history', { files: { 'a.txt': 'new\n' } });
    const err = await rejection(source.range(t, old, rewritten));
    expect(err.code).toBe('not_ancestor');
    expect(err.message).toContain(old);
    expect(err.message).toContain(rewritten);
    // a mirror created after the force-push (old commit unreachable upstream) says the same
    const fresh = new GitSource({ upstreamPolicy: LOCAL_UPSTREAMS_ALLOWED, dataDir: makeTempDir(), gitBinary: GIT, timeoutMs: 20_000 });
    repo.git('reflog', 'expire', '--expire=now', '--all');
    repo.git('gc', '--quiet', '--prune=now');
    const err2 = await rejection(fresh.range(t, old, rewritten));
    expect(err2.code).toBe('not_ancestor');
  });

  it('sees new upstream commits on the next range (the mirror is refreshed)', async () => {
    const repo = createUpstreamRepo();
    const a = repo.commit('a', { files: { 'a.txt': '1\n' } });
    const t = tracking(repo.url);
    expect((await source.range(t, repo.head('HEAD~1'), a)).map((c) => c.subject)).toEqual(['a']);
    const b = repo.commit('b', { files: { 'a.txt': '2\n' } });
    expect((await source.range(t, a, b)).map((c) => c.subject)).toEqual(['b']);
  });

  it('two range() calls on one URL at once, from two sources sharing DATA_DIR, both succeed', async () => {
    const repo = createUpstreamRepo();
    const base = repo.head();
    for (let i = 0; i < 5; i++) repo.commit(`change ${i}`, { files: { [`f${i}.txt`]: `${i}\n` } });
    const head = repo.head();
    const shared = makeTempDir();
    const one = new GitSource({ upstreamPolicy: LOCAL_UPSTREAMS_ALLOWED, dataDir: shared, gitBinary: GIT, timeoutMs: 20_000 });
    const two = new GitSource({ upstreamPolicy: LOCAL_UPSTREAMS_ALLOWED, dataDir: shared, gitBinary: GIT, timeoutMs: 20_000 });
    const t = tracking(repo.url);
    const results = await Promise.all([one.range(t, base, head), two.range(t, base, head), one.range(t, base, head)]);
    expect(results[0]).toHaveLength(5);
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
    // a half-made mirror left by a killed process does not get in the way of the next one
    const leftover = join(shared, 'mirrors', `${readdirSync(join(shared, 'mirrors')).find((m) => m.endsWith('.git'))}.tmp-999-1`);
    mkdirSync(join(leftover, 'objects'), { recursive: true });
    rmSync(join(shared, 'mirrors', readdirSync(join(shared, 'mirrors')).find((m) => m.endsWith('.git'))!), { recursive: true });
    expect(await one.range(t, base, head)).toEqual(results[0]);
    const mirrors = readdirSync(join(shared, 'mirrors'));
    expect(mirrors.filter((m) => m.endsWith('.git'))).toHaveLength(1);
    expect(mirrors.filter((m) => m.includes('.lock') || m.includes('.tmp-'))).toEqual([]);
    execFileSync(GIT, ['fsck', '--strict', '--no-progress'], { cwd: join(shared, 'mirrors', mirrors[0]!), env: testGitEnv, stdio: 'pipe' });
  });

  it('rejects bad input with a clear error instead of running git', async () => {
    const err = await rejection(source.range(tracking('ext::sh -c touch% /tmp/pwned'), 'a'.repeat(40), 'b'.repeat(40)));
    expect(err.code).toBe('invalid_git_url');
    const err2 = await rejection(source.range(tracking(h.repo.url, '--upload-pack=x'), h.base, h.c3));
    expect(err2.code).toBe('invalid_branch');
    const err3 = await rejection(source.range(tracking(h.repo.url), 'HEAD~3', h.c3));
    expect(err3).toMatchObject({ code: 'invalid_sha', field: 'from' });
    const err4 = await rejection(source.range(tracking(h.repo.url), '', h.c3));
    expect(err4.message).toMatch(/scm_commit is empty/);
  });
});

describe('GitSource patches in use', () => {
  it('applied in order with patch -p1, as rpmbuild does, they turn the old tree into the new one', async () => {
    const repo = createUpstreamRepo();
    const from = repo.head();
    repo.commit('add module', { files: { 'src/mod.c': 'int mod(void) { return 1; }\n' } });
    repo.commit('empty marker', { allowEmpty: true });
    repo.commit('edit and delete', { files: { 'src/lib.c': 'int a;\nint c;\nint d;\n', 'README.md': null } });
    repo.git('mv', 'src/mod.c', 'src/module.c');
    const to = repo.commit('rename module');
    const source = new GitSource({ upstreamPolicy: LOCAL_UPSTREAMS_ALLOWED, dataDir: makeTempDir(), gitBinary: GIT, timeoutMs: 20_000 });
    const { files, skippedEmpty } = buildPatchFiles(await source.range(tracking(repo.url), from, to));
    expect(files).toHaveLength(3);
    expect(skippedEmpty).toHaveLength(1);

    const work = makeTempDir();
    execFileSync(GIT, ['clone', '--quiet', repo.dir, work], { env: testGitEnv });
    execFileSync(GIT, ['checkout', '--quiet', from], { cwd: work, env: testGitEnv });
    for (const f of files) {
      execFileSync('patch', ['-p1', '--batch', '--forward', '--silent'], { cwd: work, input: f.content });
    }
    execFileSync(GIT, ['add', '-A'], { cwd: work, env: testGitEnv });
    const tree = execFileSync(GIT, ['write-tree'], { cwd: work, env: testGitEnv }).toString().trim();
    expect(tree).toBe(repo.head(`${to}^{tree}`));
  });
});

describe('GitSource heads batching and secrets', () => {
  it('runs one git ls-remote per distinct URL however many trackings use it', async () => {
    const a = createUpstreamRepo();
    const b = createUpstreamRepo();
    b.checkout('next', true);
    b.commit('next work', { files: { 'n.txt': 'n\n' } });
    const dir = makeTempDir();
    const log = join(dir, 'calls.log');
    const wrapper = join(dir, 'git-wrapper.sh');
    writeFileSync(wrapper, `#!/bin/sh\necho "$*" >> '${log}'\nexec ${GIT} "$@"\n`);
    chmodSync(wrapper, 0o755);
    const source = new GitSource({ upstreamPolicy: LOCAL_UPSTREAMS_ALLOWED, dataDir: dir, gitBinary: wrapper, concurrency: 2 });
    const upstreams = [
      tracking(a.url),
      tracking(a.url),
      tracking(b.url, 'main'),
      tracking(b.url, 'next'),
      tracking(b.url, 'main'),
    ];
    const heads = await source.heads(upstreams);
    expect([...heads.values()].every((r) => 'sha' in r)).toBe(true);
    expect(heads.get(upstreams[3]!.id)).toEqual({ sha: b.head('next') });
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    expect(calls.filter((c) => c.includes('ls-remote'))).toHaveLength(2);
  });

  it('gives up on an upstream that never answers, as an error for that tracking only', async () => {
    const silent = createServer(() => undefined); // accepts connections, says nothing
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as AddressInfo).port;
    try {
      const good = createUpstreamRepo();
      const logged: string[] = [];
      const logger = { warn: (obj: { err: string }) => logged.push(obj.err) } as never;
      const source = new GitSource({ upstreamPolicy: LOCAL_UPSTREAMS_ALLOWED, dataDir: makeTempDir(), gitBinary: GIT, timeoutMs: 1_500, logger });
      const hanging = tracking(`git://127.0.0.1:${port}/up.git`);
      const fine = tracking(good.url);
      const started = Date.now();
      const heads = await source.heads([hanging, fine]);
      expect(Date.now() - started).toBeLessThan(10_000);
      // the caller learns only that it failed (a timeout must not be told from a closed port); the log says why
      expect(heads.get(hanging.id)).toEqual({ error: expect.stringContaining('could not fetch the upstream git://127.0.0.1') });
      expect(logged).toEqual([expect.stringContaining('timed out')]);
      expect(heads.get(fine.id)).toEqual({ sha: good.head() });
    } finally {
      silent.close();
    }
  });

  it('never shows credentials from the URL in errors', async () => {
    const source = new GitSource({ upstreamPolicy: LOCAL_UPSTREAMS_ALLOWED, dataDir: makeTempDir(), gitBinary: GIT, timeoutMs: 10_000 });
    const t = tracking('http://builder:s3cr3t-t0ken@127.0.0.1:9/up/proj.git');
    const heads = await source.heads([t]);
    const result = heads.get(t.id);
    expect(result).toEqual({ error: expect.any(String) });
    const message = (result as { error: string }).error;
    expect(message).not.toContain('s3cr3t');
    expect(message).toContain('127.0.0.1');
    const err = await rejection(source.range(t, 'a'.repeat(40), 'b'.repeat(40)));
    expect(err.message).not.toContain('s3cr3t');
    expect(JSON.stringify(err)).not.toContain('s3cr3t');
  });
});

describe('GitSource over the git daemon transport', () => {
  let daemon: GitDaemon;
  let h: ReturnType<typeof repoWithMerge>;

  beforeAll(async () => {
    h = repoWithMerge();
    daemon = await startGitDaemon(join(h.repo.dir, '..'));
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('reads heads and ranges over git://127.0.0.1 with byte-identical patches', async () => {
    const source = new GitSource({ upstreamPolicy: LOCAL_UPSTREAMS_ALLOWED, dataDir: makeTempDir(), gitBinary: GIT, timeoutMs: 20_000 });
    const t = tracking(daemon.url('upstream'));
    const heads = await source.heads([t]);
    expect(heads.get(t.id)).toEqual({ sha: h.c3 });
    const commits = await source.range(t, h.base, h.c3);
    expect(commits).toHaveLength(4);
    for (const c of commits) expect(c.patch).toBe(h.repo.formatPatch(c.sha));
  });
});

describe('GitSource over smart HTTP with credentials in the URL', () => {
  let server: GitHttpServer;
  let h: ReturnType<typeof repoWithMerge>;

  beforeAll(async () => {
    h = repoWithMerge();
    server = await startGitHttpServer(join(h.repo.dir, '..'), { basicAuth: { user: 'builder', password: 's3cr3t-t0ken' } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('authenticates with the token without ever putting it on a command line or on disk', async () => {
    const dir = makeTempDir();
    const log = join(dir, 'calls.log');
    const wrapper = join(dir, 'git-wrapper.sh');
    writeFileSync(wrapper, `#!/bin/sh\necho "$*" >> '${log}'\nexec ${GIT} "$@"\n`);
    chmodSync(wrapper, 0o755);
    const source = new GitSource({ upstreamPolicy: LOCAL_UPSTREAMS_ALLOWED, dataDir: dir, gitBinary: wrapper, timeoutMs: 20_000 });
    const t = tracking(`http://builder:s3cr3t-t0ken@127.0.0.1:${server.port}/upstream`);
    expect((await source.heads([t])).get(t.id)).toEqual({ sha: h.c3 });
    const commits = await source.range(t, h.base, h.c3);
    for (const c of commits) expect(c.patch).toBe(h.repo.formatPatch(c.sha));
    expect(server.authorizations).toContain(`Basic ${Buffer.from('builder:s3cr3t-t0ken').toString('base64')}`);
    expect(readFileSync(log, 'utf8')).not.toContain('s3cr3t');
    const onDisk = spawnSync('grep', ['-r', '-l', 's3cr3t', dir], { encoding: 'utf8' });
    expect(onDisk.stdout).toBe('');
    expect(onDisk.status).toBe(1); // grep: no match anywhere in DATA_DIR (mirror config included)
  });

  it('a wrong token is an error for that tracking, without the token in it', async () => {
    const source = new GitSource({ upstreamPolicy: LOCAL_UPSTREAMS_ALLOWED, dataDir: makeTempDir(), gitBinary: GIT, timeoutMs: 20_000 });
    const t = tracking(`http://builder:wr0ng-t0ken@127.0.0.1:${server.port}/upstream`);
    const result = (await source.heads([t])).get(t.id) as { error: string };
    expect(result.error).toBe(`could not fetch the upstream http://127.0.0.1:${server.port}/upstream (the service log has the details)`);
  });
});

