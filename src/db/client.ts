/**
 * One database handle for the whole service: PostgreSQL through postgres.js, either the embedded server under
 * DATA_DIR (the default; see embedded.ts) or the server named by DATABASE_URL. Migrations (generated SQL under
 * ./migrations) are applied on open.
 */
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { AppError, errorMessage } from '../errors.js';
import { PACKAGE_ROOT } from '../paths.js';
import {
  embeddedLayout, embeddedServerRunning, ensureEmbeddedServer, stopEmbeddedServerIfIdle, type EmbeddedConnection, type EmbeddedLog,
} from './embedded.js';
import { hasPgliteData, movePgliteData } from './migrate-pglite.js';
import { ChangeWatch, listenForTrackingChanges, reportingTrackingWrites, SEEN_IN_PROCESS_SETTING } from './changes.js';
import * as schema from './schema/index.js';

interface ListenerHooks {
  onnotify: (channel: string) => void;
  onclose: () => void;
}

export type Schema = typeof schema;
export type Database = PgDatabase<PgQueryResultHKT, Schema>;

export interface DatabaseHandle {
  db: Database;
  engine: 'embedded' | 'postgres';
  /** the driver itself, for what drizzle does not do (backup, restore) */
  client: postgres.Sql;
  /** when the tracking table changed (db/changes.ts): live only for the service on its embedded database */
  trackingChanges?: ChangeWatch;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** postgres:// URL; empty = the embedded server under dataDir */
  databaseUrl?: string;
  /** DATA_DIR: where the embedded server keeps its files */
  dataDir?: string;
  /** postgres.js pool size */
  maxConnections?: number;
  /**
   * Only one process at a time may hold the embedded database as `service` (or `restore`); a second one is
   * refused at once. Other commands just connect next to it.
   */
  exclusive?: 'service' | 'restore';
  /**
   * Watch the tracking table for a cache of answers (db/changes.ts): this pool's writes are seen in process,
   * other sessions' through their notifications. Default: the service on the embedded database, the only
   * place where no other service can write unseen.
   */
  watchTrackings?: boolean;
  log?: EmbeddedLog;
}

export const MIGRATIONS_FOLDER = path.join(PACKAGE_ROOT, 'src', 'db', 'migrations');

// Replicas sharing one server must not run the same migration twice at once.
const MIGRATION_LOCK_KEY = 0x70617463; // "patc"
// Held for its whole life by the process that owns the embedded database exclusively (the service).
const EXCLUSIVE_LOCK_KEY = 0x70617464;
const SUPERVISE_INTERVAL_MS = 5_000;

export async function openDatabase(options: OpenOptions = {}): Promise<DatabaseHandle> {
  const log = options.log ?? (() => {});
  if (options.databaseUrl) {
    const url = options.databaseUrl;
    const client = postgres(url, {
      max: options.maxConnections ?? 10,
      onnotice: () => {},
      // the URL may carry a password: keep connection errors free of it
      connection: { application_name: 'patch-tracking', ...quietWrites(options) },
    });
    try {
      await withMigrationLock(client, () => migrate(drizzle(client, { schema }), { migrationsFolder: MIGRATIONS_FOLDER }));
    } catch (err) {
      await client.end({ timeout: 1 });
      throw err;
    }
    const base = { db: drizzle(client, { schema }) as unknown as Database, engine: 'postgres' as const, client, close: () => client.end({ timeout: 5 }) };
    if (!options.watchTrackings) return base;
    return watching(base, (hooks) => postgres(url, { ...listenerOptions(hooks), connection: { application_name: 'patch-tracking listener' } }), options.log);
  }
  if (!options.dataDir) throw new AppError('settings_database', 'no database: set DATABASE_URL, or DATA_DIR for the embedded server', { field: 'DATA_DIR' });
  return openEmbedded(options.dataDir, options, log);
}

async function openEmbedded(dataDir: string, options: OpenOptions, log: EmbeddedLog): Promise<DatabaseHandle> {
  // a damaged PGlite directory stops the start before a new cluster is initialised beside it
  hasPgliteData(dataDir);
  const { connection } = await ensureEmbeddedServer(dataDir, log);
  const role = options.exclusive ?? 'command';
  // names the process in pg_stat_activity: a refused second service is told who holds the database
  const applicationName = `patch-tracking ${role} (pid ${process.pid})`;
  const client = postgres({
    ...connection,
    // the migration lock's connection comes on top: a small pool (commands have 2) must not wait on itself
    max: (options.maxConnections ?? 10) + 1,
    onnotice: () => {},
    connection: { application_name: applicationName, ...quietWrites(options) },
  });
  let lock: ExclusiveLock | undefined;
  const release = async () => {
    await lock?.release();
    lock = undefined;
    await client.end({ timeout: 5 });
    await stopEmbeddedServerIfIdle(dataDir, log).catch((err: unknown) => log('warn', `could not stop the embedded PostgreSQL: ${errorMessage(err)}`));
  };
  try {
    if (options.exclusive) lock = await takeExclusiveLock(connection, dataDir, options.exclusive, applicationName);
    await withMigrationLock(client, async () => {
      await migrate(drizzle(client, { schema }), { migrationsFolder: MIGRATIONS_FOLDER });
      await movePgliteData(client, dataDir, MIGRATIONS_FOLDER, log);
    });
  } catch (err) {
    await release();
    throw err;
  }
  const supervisor = options.exclusive === 'service'
    ? superviseServer(dataDir, log, {
        lost: () => lock?.lost ?? true,
        async retake(connection) {
          await lock?.release();
          lock = undefined;
          lock = await takeExclusiveLock(connection, dataDir, 'service', applicationName);
        },
      })
    : undefined;
  const base = {
    db: drizzle(client, { schema }) as unknown as Database,
    engine: 'embedded' as const,
    client,
    async close() {
      if (supervisor) clearInterval(supervisor);
      await release();
    },
  };
  if (!(options.watchTrackings ?? options.exclusive === 'service')) return base;
  return watching(base, (hooks) => postgres({ ...connection, ...listenerOptions(hooks), connection: { application_name: `${applicationName} listener` } }), log);
}

/**
 * The service's writes to the tracking table send no notification: nobody needs one on PostgreSQL (no cache
 * there), and on the embedded database it sees them itself. A notifying transaction holds a database-wide
 * lock through its commit: the upserts of concurrent requests would commit one by one.
 */
function quietWrites(options: OpenOptions): Record<string, string> {
  return options.exclusive === 'service' || options.watchTrackings ? { [SEEN_IN_PROCESS_SETTING]: 'on' } : {};
}

const listenerOptions = (hooks: ListenerHooks) => ({ max: 1, max_lifetime: 0, idle_timeout: 0, onnotice: () => {}, ...hooks });

/** `base` with its writes to the tracking table reported, and other sessions' heard, on a watch. */
async function watching(base: DatabaseHandle, connect: (hooks: ListenerHooks) => postgres.Sql, log: EmbeddedLog = () => {}): Promise<DatabaseHandle> {
  const watch = new ChangeWatch();
  const client = reportingTrackingWrites(base.client, () => watch.changed());
  const db = drizzle(client, { schema }) as unknown as Database;
  let stop: () => Promise<void>;
  try {
    stop = await listenForTrackingChanges(watch, connect, (message) => log('warn', message));
  } catch (err) {
    await base.close();
    throw err;
  }
  return {
    ...base,
    db,
    client,
    trackingChanges: watch,
    async close() {
      await stop();
      await base.close();
    },
  };
}

async function withMigrationLock<T>(client: postgres.Sql, work: () => Promise<T>): Promise<T> {
  const conn = await client.reserve();
  try {
    await conn`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    try {
      return await work();
    } finally {
      await conn`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
    }
  } finally {
    conn.release();
  }
}

interface ExclusiveLock {
  /** the lock's connection closed (the server died or was stopped): the lock is gone with it */
  readonly lost: boolean;
  release(): Promise<void>;
}

/**
 * A session lock, kept until close (PostgreSQL drops it if the process dies), on a one-connection client of
 * its own rather than a connection reserved from the pool: when the server dies under a reserved connection,
 * handing it back puts a connection without a socket into the pool, and the next query on it throws
 * uncaught inside postgres.js. A client of its own is simply ended and opened again.
 */
async function takeExclusiveLock(connection: EmbeddedConnection, dataDir: string, role: string, applicationName: string): Promise<ExclusiveLock> {
  let lost = false;
  const sql = postgres({
    ...connection,
    max: 1,
    // the session is the lock: never recycled for its age (0 turns the timer off)
    max_lifetime: 0,
    onnotice: () => {},
    onclose: () => (lost = true),
    connection: { application_name: applicationName },
  });
  try {
    const [row] = await sql`select pg_try_advisory_lock(${EXCLUSIVE_LOCK_KEY}) as ok`;
    if (!row?.ok) {
      const [holder] = await sql`
        select a.application_name from pg_locks l join pg_stat_activity a on a.pid = l.pid
        where l.locktype = 'advisory' and l.objid = ${EXCLUSIVE_LOCK_KEY} and l.granted`;
      const who = holder?.application_name ? String(holder.application_name) : 'another patch-tracking process';
      throw new AppError('database_in_use', `the embedded database in ${embeddedLayout(dataDir).cluster} is already in use by ${who}. ${role === 'service' ? 'Only one service may run on it: stop that one first (commands such as parsemail and project add connect next to a running service by themselves).' : 'Stop it first, then try again.'}`);
    }
  } catch (err) {
    await sql.end({ timeout: 0 });
    throw err;
  }
  return {
    get lost() {
      return lost;
    },
    release: () => sql.end({ timeout: 5 }),
  };
}

/**
 * The service restarts its embedded server if it stops under it (killed, crashed; PostgreSQL recovers from
 * its WAL), and takes its exclusive lock again whenever the lock's connection is gone, also when a command
 * started the server first: otherwise a second service could start on the same data directory.
 */
function superviseServer(
  dataDir: string,
  log: EmbeddedLog,
  lock: { lost(): boolean; retake(connection: EmbeddedConnection): Promise<void> },
): NodeJS.Timeout {
  let busy = false;
  const timer = setInterval(() => {
    const running = embeddedServerRunning(dataDir);
    if (busy || (running && !lock.lost())) return;
    busy = true;
    log('warn', running ? 'the embedded PostgreSQL was restarted under the service: taking its lock again' : 'the embedded PostgreSQL is not running: starting it again');
    ensureEmbeddedServer(dataDir, log)
      .then(({ connection }) => lock.retake(connection))
      .then(() => log('info', 'the embedded PostgreSQL runs again, held by this service'))
      .catch((err: unknown) => log('warn', `could not restart the embedded PostgreSQL or take its lock: ${errorMessage(err)}`))
      .finally(() => (busy = false));
  }, SUPERVISE_INTERVAL_MS);
  timer.unref();
  return timer;
}

/** Cheap liveness probe for health checks. */
export async function ping(db: Database): Promise<void> {
  await db.execute(sql`select 1`);
}
