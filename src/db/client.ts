/**
 * One database handle for the whole service, whichever engine is behind it: PGlite (embedded PostgreSQL,
 * the default, data under DATA_DIR) or a PostgreSQL server through postgres.js (DATABASE_URL).
 * Migrations (generated SQL under ./migrations) are applied on open, on both engines.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { PACKAGE_ROOT } from '../paths.js';
import * as schema from './schema/index.js';

export type Schema = typeof schema;
export type Database = PgDatabase<PgQueryResultHKT, Schema>;

export interface DatabaseHandle {
  db: Database;
  engine: 'pglite' | 'postgres';
  close(): Promise<void>;
}

export interface OpenOptions {
  /** postgres:// URL; empty = embedded PGlite */
  databaseUrl?: string;
  /** where PGlite keeps its files; omitted = in memory (tests) */
  dataDir?: string;
  /** postgres.js pool size */
  maxConnections?: number;
}

export const MIGRATIONS_FOLDER = path.join(PACKAGE_ROOT, 'src', 'db', 'migrations');

// Replicas sharing one server must not run the same migration twice at once.
const MIGRATION_LOCK_KEY = 0x70617463; // "patc"

export async function openDatabase(options: OpenOptions = {}): Promise<DatabaseHandle> {
  if (options.databaseUrl) {
    const client = postgres(options.databaseUrl, {
      max: options.maxConnections ?? 10,
      onnotice: () => {},
      // the URL may carry a password: keep connection errors free of it
      connection: { application_name: 'patch-tracking' },
    });
    const db = drizzlePostgres(client, { schema }) as unknown as Database;
    try {
      await client`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
      try {
        await migratePostgres(drizzlePostgres(client, { schema }), { migrationsFolder: MIGRATIONS_FOLDER });
      } finally {
        await client`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
      }
    } catch (err) {
      await client.end({ timeout: 1 });
      throw err;
    }
    return { db, engine: 'postgres', close: () => client.end({ timeout: 5 }) };
  }
  let dataDir: string | undefined;
  if (options.dataDir) {
    dataDir = path.join(options.dataDir, 'pglite');
    mkdirSync(dataDir, { recursive: true });
  }
  const client = new PGlite(dataDir);
  const pglite = drizzlePglite(client, { schema });
  try {
    await migratePglite(pglite, { migrationsFolder: MIGRATIONS_FOLDER });
  } catch (err) {
    await client.close();
    throw err;
  }
  return { db: pglite as unknown as Database, engine: 'pglite', close: () => client.close() };
}

/** Cheap liveness probe for health checks. */
export async function ping(db: Database): Promise<void> {
  await db.execute(sql`select 1`);
}
