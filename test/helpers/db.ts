/**
 * A fresh, migrated database for one test file: PGlite in memory by default, or a throwaway database on the
 * PostgreSQL server named by TEST_DATABASE_URL (created here, dropped on close), so test files never share rows.
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { openDatabase, type DatabaseHandle } from '../../src/db/client.js';

export const usingPostgres = Boolean(process.env.TEST_DATABASE_URL);

/** A new empty database on the test server; `drop` removes it. Only with TEST_DATABASE_URL. */
export async function createThrowawayDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) throw new Error('TEST_DATABASE_URL is not set');
  const name = `pt_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

export async function createTestDatabase(): Promise<DatabaseHandle & { url?: string }> {
  if (!usingPostgres) return openDatabase();
  const throwaway = await createThrowawayDatabase();
  const handle = await openDatabase({ databaseUrl: throwaway.url, maxConnections: 5 });
  return {
    ...handle,
    url: throwaway.url,
    async close() {
      await handle.close();
      await throwaway.drop();
    },
  };
}
