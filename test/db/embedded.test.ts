/**
 * The embedded PostgreSQL server under DATA_DIR: one service at a time, commands next to it or on their own,
 * no initialisation over a damaged or foreign directory, and a server other users of the machine cannot reach.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { embeddedLayout, embeddedServerRunning, ensureEmbeddedServer } from '../../src/db/embedded.js';
import { mailProject as project } from '../../src/db/schema/index.js';
import { tempDataDirs } from './helpers.js';

const tmp = tempDataDirs('pt-emb-');

/** Every path under dir with its size, to show that nothing was written. */
function snapshot(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: false })
    .map(String)
    .sort()
    .map((p) => `${p}:${statSync(path.join(dir, p)).isFile() ? statSync(path.join(dir, p)).size : 'dir'}`);
}

describe('one embedded database, several processes', { timeout: 120_000 }, () => {
  it('refuses a second service at once, naming the one that holds it; commands connect next to it', async () => {
    const dataDir = tmp();
    const service = await openDatabase({ dataDir, exclusive: 'service' });
    try {
      const started = Date.now();
      await expect(openDatabase({ dataDir, exclusive: 'service' })).rejects.toThrow(
        new RegExp(`already in use by patch-tracking service \\(pid ${process.pid}\\)\\. Only one service may run on it`),
      );
      expect(Date.now() - started).toBeLessThan(5_000);
      const command = await openDatabase({ dataDir });
      await command.db.insert(project).values({ linkName: 'side', name: 'side', listId: 'side.example.org' });
      await command.close();
      expect(embeddedServerRunning(dataDir)).toBe(true); // the service is still connected: the command left the server running
      expect(await service.db.select().from(project)).toHaveLength(1);
    } finally {
      await service.close();
    }
    expect(embeddedServerRunning(dataDir)).toBe(false); // the last one out stopped it
  });

  it('runs with settings sized for a small machine (64 MB of shared buffers, no parallel workers, no JIT)', async () => {
    const handle = await openDatabase({ dataDir: tmp() });
    try {
      const [row] = await handle.client`select current_setting('shared_buffers') as buffers, current_setting('max_parallel_workers_per_gather') as parallel, current_setting('jit') as jit`;
      expect(row).toEqual({ buffers: '64MB', parallel: '0', jit: 'off' });
    } finally {
      await handle.close();
    }
  });

  it('two commands at once on a stopped server: both work, and the server stops after the last', async () => {
    const dataDir = tmp();
    const handles = await Promise.all([openDatabase({ dataDir }), openDatabase({ dataDir })]);
    await Promise.all(handles.map((h, i) => h.db.insert(project).values({ linkName: `p${i}`, name: `p${i}`, listId: `p${i}.example.org` })));
    await handles[0]!.close();
    expect(await handles[1]!.db.select().from(project)).toHaveLength(2);
    await handles[1]!.close();
    expect(embeddedServerRunning(dataDir)).toBe(false);
  });
});

describe('a server shutting down', { timeout: 120_000 }, () => {
  it('a command that arrives while the last one out stops the server waits, then starts it again', async () => {
    const dataDir = tmp();
    const holder = await openDatabase({ dataDir });
    const pidFile = path.join(embeddedLayout(dataDir).cluster, 'postmaster.pid');
    const status = () => (existsSync(pidFile) ? readFileSync(pidFile, 'utf8').split('\n')[7]?.trim() : 'gone');
    // a smart shutdown, as the last process out sends it; the holder's session keeps it in "stopping"
    process.kill(Number(readFileSync(pidFile, 'utf8').split('\n')[0]), 'SIGTERM');
    while (status() !== 'stopping') await new Promise((r) => setTimeout(r, 20));
    const arriving = openDatabase({ dataDir });
    await new Promise((r) => setTimeout(r, 500));
    await holder.close();
    const command = await arriving;
    await command.db.insert(project).values({ linkName: 'late', name: 'late', listId: 'late.example.org' });
    expect(await command.db.select().from(project)).toHaveLength(1);
    await command.close();
    expect(embeddedServerRunning(dataDir)).toBe(false);
  });
});

describe('supervision', { timeout: 120_000 }, () => {
  const killServer = (dataDir: string) =>
    process.kill(Number(readFileSync(path.join(embeddedLayout(dataDir).cluster, 'postmaster.pid'), 'utf8').split('\n')[0]), 'SIGKILL');
  const serviceRefused = new RegExp(`already in use by patch-tracking service \\(pid ${process.pid}\\)`);

  /** The service's log lines, and a wait for one of them. */
  function serviceLog() {
    const lines: string[] = [];
    return {
      log: (_level: string, message: string) => void lines.push(message),
      async until(pattern: RegExp, ms = 60_000) {
        const deadline = Date.now() + ms;
        while (!lines.some((l) => pattern.test(l))) {
          if (Date.now() > deadline) throw new Error(`no log line ${pattern} in ${ms} ms; log: ${lines.join(' | ')}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      },
    };
  }

  // Any uncaught error in this process (the driver throwing on a dead socket) fails the run.
  it('the service starts its server again after a kill -9 of it, with its data, and holds it alone again', async () => {
    const dataDir = tmp();
    const log = serviceLog();
    const service = await openDatabase({ dataDir, exclusive: 'service', log: log.log });
    try {
      await service.db.insert(project).values({ linkName: 'before', name: 'before', listId: 'before.example.org' });
      killServer(dataDir);
      await log.until(/runs again, held by this service/);
      expect(await service.db.select().from(project)).toHaveLength(1);
      await expect(openDatabase({ dataDir, exclusive: 'service' })).rejects.toThrow(serviceRefused);
    } finally {
      await service.close();
    }
    expect(embeddedServerRunning(dataDir)).toBe(false);
  });

  it('transactions in flight when the server is killed fail with an error the caller can catch', async () => {
    const dataDir = tmp();
    const log = serviceLog();
    const service = await openDatabase({ dataDir, exclusive: 'service', log: log.log });
    try {
      const inFlight = [1, 2, 3].map((i) =>
        service.db.transaction(async (tx) => {
          await tx.insert(project).values({ linkName: `tx${i}`, name: `tx${i}`, listId: `tx${i}.example.org` });
          await tx.execute(sql`select pg_sleep(30)`);
        }),
      );
      await new Promise((r) => setTimeout(r, 500));
      killServer(dataDir);
      for (const outcome of await Promise.allSettled(inFlight)) expect(outcome.status).toBe('rejected');
      await log.until(/runs again, held by this service/);
      expect(await service.db.select().from(project)).toEqual([]); // nothing of them was committed
    } finally {
      await service.close();
    }
  });

  it('takes its lock back when a command started the killed server before the service did', async () => {
    const dataDir = tmp();
    const log = serviceLog();
    const service = await openDatabase({ dataDir, exclusive: 'service', log: log.log });
    try {
      killServer(dataDir);
      while (embeddedServerRunning(dataDir)) await new Promise((r) => setTimeout(r, 50));
      const command = await openDatabase({ dataDir }); // starts the server again itself
      try {
        await log.until(/taking its lock again/);
        await log.until(/held by this service/);
        await expect(openDatabase({ dataDir, exclusive: 'service' })).rejects.toThrow(serviceRefused);
        await command.db.insert(project).values({ linkName: 'after', name: 'after', listId: 'after.example.org' });
      } finally {
        await command.close();
      }
      expect(await service.db.select().from(project)).toHaveLength(1);
    } finally {
      await service.close();
    }
  });
});

describe('a directory that is not a usable cluster', { timeout: 120_000 }, () => {
  it('refuses to start when PG_VERSION is missing, names the file, and initialises nothing over it', async () => {
    const dataDir = tmp();
    const first = await openDatabase({ dataDir });
    await first.db.insert(project).values({ linkName: 'keep', name: 'keep', listId: 'keep.example.org' });
    await first.close();
    const { cluster } = embeddedLayout(dataDir);
    unlinkSync(path.join(cluster, 'PG_VERSION'));
    const before = snapshot(dataDir);
    await expect(openDatabase({ dataDir })).rejects.toThrow(`${path.join(cluster, 'PG_VERSION')} is missing`);
    expect(snapshot(dataDir)).toEqual(before);
    expect(embeddedServerRunning(dataDir)).toBe(false);

    writeFileSync(path.join(cluster, 'PG_VERSION'), '18\n');
    const again = await openDatabase({ dataDir });
    expect(await again.db.select().from(project)).toHaveLength(1);
    await again.close();
  });

  it('refuses a directory of files that was never a cluster, and one made by another PostgreSQL version', async () => {
    const dataDir = tmp();
    const { cluster } = embeddedLayout(dataDir);
    mkdirSync(cluster);
    writeFileSync(path.join(cluster, 'notes.txt'), 'mine\n');
    await expect(openDatabase({ dataDir })).rejects.toThrow(/PG_VERSION is missing: .* so nothing was started or initialised over it/);
    expect(readdirSync(cluster)).toEqual(['notes.txt']);

    writeFileSync(path.join(cluster, 'PG_VERSION'), '15\n');
    await expect(openDatabase({ dataDir })).rejects.toThrow(`${path.join(cluster, 'PG_VERSION')} says PostgreSQL 15, but the embedded server is PostgreSQL 18`);
    expect(readdirSync(cluster).sort()).toEqual(['PG_VERSION', 'notes.txt']);
  });
});

describe('reachable only by its own user', { timeout: 120_000 }, () => {
  it('listens on a Unix socket in a 0700 directory, not on TCP, with a 0600 password file', async () => {
    const dataDir = tmp();
    const handle = await openDatabase({ dataDir });
    try {
      const layout = embeddedLayout(dataDir);
      expect(statSync(layout.socketDir).mode & 0o777).toBe(0o700);
      expect(statSync(layout.passwordFile).mode & 0o777).toBe(0o600);
      expect(existsSync(path.join(layout.socketDir, '.s.PGSQL.5432'))).toBe(true);
      const [row] = await handle.client`select current_setting('listen_addresses') as listen`;
      expect(row!.listen).toBe('');
    } finally {
      await handle.close();
    }
  });

  it('falls back to 127.0.0.1 with the password when the socket path would be too long', async () => {
    const parent = tmp();
    chmodSync(parent, 0o711); // as root, the server's user must pass through it
    const deep = path.join(parent, 'x'.repeat(60), 'y'.repeat(40));
    mkdirSync(deep, { recursive: true });
    const { connection } = await ensureEmbeddedServer(deep);
    expect(connection.host).toBe('127.0.0.1');
    const handle = await openDatabase({ dataDir: deep });
    const [row] = await handle.client`select current_setting('listen_addresses') as listen, current_setting('unix_socket_directories') as sockets`;
    expect(row).toEqual({ listen: '127.0.0.1', sockets: '' });
    await handle.close();
    expect(embeddedServerRunning(deep)).toBe(false);
  });
});
