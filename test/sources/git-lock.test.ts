import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MirrorLocks } from '../../src/sources/git-lock.js';
import { redactSecrets } from '../../src/log.js';
import { commitWebUrl, mirrorDirName } from '../../src/sources/git-url.js';
import { makeTempDir, removeTempDirs } from '../helpers/git-repo.js';

afterAll(() => removeTempDirs());

function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  return child.pid!;
}

describe('MirrorLocks', () => {
  it('runs work for one mirror strictly one at a time, across lock instances', async () => {
    const lockPath = join(makeTempDir(), 'm.git.lock');
    const a = new MirrorLocks({ staleMs: 5_000, waitMs: 5_000 });
    const b = new MirrorLocks({ staleMs: 5_000, waitMs: 5_000 });
    let inside = 0;
    let maxInside = 0;
    const work = async () => {
      inside++;
      maxInside = Math.max(maxInside, inside);
      await new Promise((r) => setTimeout(r, 30));
      inside--;
    };
    await Promise.all([a.withLock(lockPath, work), b.withLock(lockPath, work), a.withLock(lockPath, work)]);
    expect(maxInside).toBe(1);
    expect(existsSync(lockPath)).toBe(false);
  });

  it('takes over a lock left by a process that died', async () => {
    const lockPath = join(makeTempDir(), 'm.git.lock');
    writeFileSync(lockPath, JSON.stringify({ pid: deadPid(), host: hostname(), token: 'dead' }));
    const locks = new MirrorLocks({ staleMs: 60_000, waitMs: 2_000 });
    await expect(locks.withLock(lockPath, async () => 'ran')).resolves.toBe('ran');
  });

  it('takes over a lock nobody touched for longer than staleMs, waits for a live one', async () => {
    const dir = makeTempDir();
    const old = join(dir, 'old.lock');
    writeFileSync(old, JSON.stringify({ pid: process.pid, host: 'another-host', token: 'x' }));
    const past = new Date(Date.now() - 10_000);
    utimesSync(old, past, past);
    const locks = new MirrorLocks({ staleMs: 1_000, waitMs: 300 });
    await expect(locks.withLock(old, async () => 'ran')).resolves.toBe('ran');

    const live = join(dir, 'live.lock');
    writeFileSync(live, JSON.stringify({ pid: process.pid, host: hostname(), token: 'someone-else' }));
    await expect(locks.withLock(live, async () => 'ran')).rejects.toMatchObject({ code: 'mirror_locked' });
    // a lock we did not take is left alone
    expect(JSON.parse(readFileSync(live, 'utf8')).token).toBe('someone-else');
  });

  it('releases the lock when the work throws', async () => {
    const lockPath = join(makeTempDir(), 'm.git.lock');
    const locks = new MirrorLocks({ staleMs: 5_000, waitMs: 1_000 });
    await expect(locks.withLock(lockPath, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(existsSync(lockPath)).toBe(false);
    await expect(locks.withLock(lockPath, async () => 'again')).resolves.toBe('again');
  });
});

describe('git URL helpers', () => {
  it('redacts user info of every URL in a text', () => {
    expect(redactSecrets("fatal: unable to access 'https://bot:ghp_abc123@github.com/o/r.git/': 403")).toBe(
      "fatal: unable to access 'https://***@github.com/o/r.git/': 403",
    );
    expect(redactSecrets('ssh://git@host/x and git@host:y')).toBe('ssh://***@host/x and git@host:y');
  });

  it('names mirrors safely and identically with or without credentials', () => {
    const plain = mirrorDirName('https://github.com/o/r.git');
    expect(plain).toMatch(/^github\.com_o_r\.git-[0-9a-f]{12}\.git$/);
    expect(mirrorDirName('https://u:tok@github.com/o/r.git')).toBe(plain);
    expect(mirrorDirName('https://github.com/o/other.git')).not.toBe(plain);
    expect(mirrorDirName('file:///../../etc')).not.toContain('/');
  });

  it('links commits on the known forges only', () => {
    expect(commitWebUrl('https://github.com/o/r.git', 'abc')).toBe('https://github.com/o/r/commit/abc');
    expect(commitWebUrl('https://x:y@gitee.com/o/r', 'abc')).toBe('https://gitee.com/o/r/commit/abc');
    expect(commitWebUrl('https://gitlab.com/g/sub/r.git', 'abc')).toBe('https://gitlab.com/g/sub/r/-/commit/abc');
    expect(commitWebUrl('git://git.kernel.org/pub/scm/x.git', 'abc')).toBeUndefined();
  });
});
