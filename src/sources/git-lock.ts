import { hostname } from 'node:os';
import { open, readFile, rm, stat, utimes } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { AppError } from '../errors.js';
import { processAlive } from '../process-alive.js';

export interface LockOptions {
  /** a lock whose file was not touched for this long is considered abandoned */
  staleMs: number;
  /** give up waiting for a busy lock after this long */
  waitMs: number;
}

interface LockOwner {
  pid: number;
  host: string;
  token: string;
}

/**
 * Mutual exclusion per mirror, within this process (a promise queue per path) and across processes
 * sharing DATA_DIR (an O_EXCL lock file). The holder touches the file periodically, so a lock is
 * stale only when its owner died: same host and the pid is gone, or the file has not been touched
 * for `staleMs`.
 */
export class MirrorLocks {
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly options: LockOptions) {}

  async withLock<T>(lockPath: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(lockPath) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.withFileLock(lockPath, work));
    const tail = run.catch(() => undefined);
    this.queues.set(lockPath, tail);
    try {
      return await run;
    } finally {
      if (this.queues.get(lockPath) === tail) this.queues.delete(lockPath);
    }
  }

  private async withFileLock<T>(lockPath: string, work: () => Promise<T>): Promise<T> {
    const owner: LockOwner = { pid: process.pid, host: hostname(), token: randomUUID() };
    await this.acquire(lockPath, owner);
    const heartbeat = setInterval(() => {
      const now = new Date();
      utimes(lockPath, now, now).catch(() => undefined);
    }, Math.max(50, Math.floor(this.options.staleMs / 3)));
    heartbeat.unref();
    try {
      return await work();
    } finally {
      clearInterval(heartbeat);
      await this.release(lockPath, owner);
    }
  }

  private async acquire(lockPath: string, owner: LockOwner): Promise<void> {
    const deadline = Date.now() + this.options.waitMs;
    let delay = 20;
    for (;;) {
      if (await tryCreate(lockPath, JSON.stringify(owner))) return;
      if (await this.isStale(lockPath)) {
        await this.breakStale(lockPath);
        continue;
      }
      if (Date.now() >= deadline) {
        throw new AppError(
          'mirror_locked',
          `the git mirror is busy (lock ${lockPath} held by another scan for more than ${Math.round(this.options.waitMs / 1000)} s)`,
        );
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 500);
    }
  }

  private async isStale(lockPath: string): Promise<boolean> {
    const holder = await readOwner(lockPath);
    if (holder === 'gone') return false;
    if (holder !== 'unreadable' && holder.host === hostname() && !processAlive(holder.pid)) return true;
    const info = await stat(lockPath).catch(() => null);
    return info !== null && Date.now() - info.mtimeMs > this.options.staleMs;
  }

  /**
   * Two waiters may judge the same lock stale at once; without care the second would delete the
   * fresh lock the first just created. A short-lived breaker lock serialises the removal, and the
   * lock is re-checked under it.
   */
  private async breakStale(lockPath: string): Promise<void> {
    const breaker = `${lockPath}.break`;
    if (!(await tryCreate(breaker, String(process.pid)))) {
      const info = await stat(breaker).catch(() => null);
      if (info && Date.now() - info.mtimeMs > Math.max(this.options.staleMs, 1000)) await rm(breaker, { force: true });
      await sleep(20);
      return;
    }
    try {
      if (await this.isStale(lockPath)) await rm(lockPath, { force: true });
    } finally {
      await rm(breaker, { force: true });
    }
  }

  private async release(lockPath: string, owner: LockOwner): Promise<void> {
    const holder = await readOwner(lockPath);
    // Only remove our own lock: if ours was (wrongly) broken, the new holder's file stays.
    if (holder !== 'gone' && holder !== 'unreadable' && holder.token === owner.token) {
      await rm(lockPath, { force: true });
    }
  }
}

async function tryCreate(path: string, content: string): Promise<boolean> {
  try {
    const handle = await open(path, 'wx');
    try {
      await handle.writeFile(content);
    } finally {
      await handle.close();
    }
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

async function readOwner(path: string): Promise<LockOwner | 'gone' | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone' : 'unreadable';
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockOwner>;
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string' && typeof parsed.token === 'string') {
      return parsed as LockOwner;
    }
  } catch {
    // a holder that died between creating and writing the file: judged by age alone
  }
  return 'unreadable';
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
