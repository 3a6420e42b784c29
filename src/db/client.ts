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
import { embeddedLayout, embeddedServerRunning, ensureEmbeddedServer, stopEmbeddedServerIfIdle, type EmbeddedLog } from './embedded.js';
import { hasPgliteData, movePgliteData } from './migrate-pglite.js';
import * as schema from './schema/index.js';

export type Schema = typeof schema;
export type Database = PgDatabase<PgQueryResultHKT, Schema>;

export interface DatabaseHandle {
  db: Database;
  engine: 'embedded' | 'postgres';
  /** the driver itself, for what drizzle does not do (backup, restore) */
  client: postgres.Sql;
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
    const client = postgres(options.databaseUrl, {
      max: options.maxConnections ?? 10,
      onnotice: () => {},
      // the URL may carry a password: keep connection errors free of it
      connection: { application_name: 'patch-tracking' },
    });
    try {
      await withMigrationLock(client, () => migrate(drizzle(client, { schema }), { migrationsFolder: MIGRATIONS_FOLDER }));
    } catch (err) {
      await client.end({ timeout: 1 });
      throw err;
    }
    return { db: drizzle(client, { schema }) as unknown as Database, engine: 'postgres', client, close: () => client.end({ timeout: 5 }) };
  }
  if (!options.dataDir) throw new AppError('settings_database', 'no database: set DATABASE_URL, or DATA_DIR for the embedded server', { field: 'DATA_DIR' });
  return openEmbedded(options.dataDir, options, log);
}

async function openEmbedded(dataDir: string, options: OpenOptions, log: EmbeddedLog): Promise<DatabaseHandle> {
  // a damaged PGlite directory stops the start before a new cluster is initialised beside it
  hasPgliteData(dataDir);
  const { connection } = await ensureEmbeddedServer(dataDir, log);
  const role = options.exclusive ?? 'command';
  const client = postgres({
    ...connection,
    // the lock connections come on top: a small pool (commands have 2) must not wait on itself
    max: (options.maxConnections ?? 10) + 2,
    onnotice: () => {},
    // names the process in pg_stat_activity: a refused second service is told who holds the database
    connection: { application_name: `patch-tracking ${role} (pid ${process.pid})` },
  });
  let lock: postgres.ReservedSql | undefined;
  const release = async () => {
    lock?.release();
    lock = undefined;
    await client.end({ timeout: 5 });
    await stopEmbeddedServerIfIdle(dataDir, log).catch((err: unknown) => log('warn', `could not stop the embedded PostgreSQL: ${errorMessage(err)}`));
  };
  try {
    if (options.exclusive) lock = await takeExclusiveLock(client, dataDir, options.exclusive);
    await withMigrationLock(client, async () => {
      await migrate(drizzle(client, { schema }), { migrationsFolder: MIGRATIONS_FOLDER });
      await movePgliteData(client, dataDir, MIGRATIONS_FOLDER, log);
    });
  } catch (err) {
    await release();
    throw err;
  }
  const supervisor = options.exclusive === 'service' ? superviseServer(dataDir, log, async () => {
    lock?.release();
    lock = await takeExclusiveLock(client, dataDir, 'service');
  }) : undefined;
  return {
    db: drizzle(client, { schema }) as unknown as Database,
    engine: 'embedded',
    client,
    async close() {
      if (supervisor) clearInterval(supervisor);
      await release();
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

/** A session lock on a connection of its own, kept until close (PostgreSQL drops it if the process dies). */
async function takeExclusiveLock(client: postgres.Sql, dataDir: string, role: string): Promise<postgres.ReservedSql> {
  const conn = await client.reserve();
  const [row] = await conn`select pg_try_advisory_lock(${EXCLUSIVE_LOCK_KEY}) as ok`;
  if (row?.ok) return conn;
  const [holder] = await conn`
    select a.application_name from pg_locks l join pg_stat_activity a on a.pid = l.pid
    where l.locktype = 'advisory' and l.objid = ${EXCLUSIVE_LOCK_KEY} and l.granted`;
  conn.release();
  const who = holder?.application_name ? String(holder.application_name) : 'another patch-tracking process';
  throw new AppError('database_in_use', `the embedded database in ${embeddedLayout(dataDir).cluster} is already in use by ${who}. ${role === 'service' ? 'Only one service may run on it: stop that one first (commands such as parsemail and project add connect next to a running service by themselves).' : 'Stop it first, then try again.'}`);
}

/** The service restarts its embedded server if it stops under it (killed, crashed); PostgreSQL recovers from its WAL. */
function superviseServer(dataDir: string, log: EmbeddedLog, relock: () => Promise<void>): NodeJS.Timeout {
  let busy = false;
  const timer = setInterval(() => {
    if (busy || embeddedServerRunning(dataDir)) return;
    busy = true;
    log('warn', 'the embedded PostgreSQL is not running: starting it again');
    ensureEmbeddedServer(dataDir, log)
      .then(relock)
      .then(() => log('info', 'the embedded PostgreSQL runs again'))
      .catch((err: unknown) => log('warn', `could not restart the embedded PostgreSQL: ${errorMessage(err)}`))
      .finally(() => (busy = false));
  }, SUPERVISE_INTERVAL_MS);
  timer.unref();
  return timer;
}

/** Cheap liveness probe for health checks. */
export async function ping(db: Database): Promise<void> {
  await db.execute(sql`select 1`);
}
