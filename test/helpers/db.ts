/**
 * A fresh, migrated database for one test file: a throwaway database (created here, dropped on close) on the
 * PostgreSQL server of the run, so test files never share rows. That server is the embedded one the global
 * setup starts, or the one named by TEST_DATABASE_URL.
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { openDatabase, type DatabaseHandle } from '../../src/db/client.js';

function serverUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set: run the tests through vitest (its global setup starts a server)');
  return url;
}

/** A new empty database on the test server; `drop` removes it. */
export async function createThrowawayDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `pt_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(serverUrl(), { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

export async function createTestDatabase(options: { watchTrackings?: boolean } = {}): Promise<DatabaseHandle & { url: string }> {
  const throwaway = await createThrowawayDatabase();
  const handle = await openDatabase({ databaseUrl: throwaway.url, maxConnections: 5, ...options });
  return {
    ...handle,
    url: throwaway.url,
    async close() {
      await handle.close();
      await throwaway.drop();
    },
  };
}
