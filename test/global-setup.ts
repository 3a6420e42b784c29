/**
 * One embedded PostgreSQL server for the whole run (each test file gets a throwaway database on it, see
 * helpers/db.ts), unless TEST_DATABASE_URL names a server already. Workers and the processes tests spawn
 * inherit TEST_DATABASE_URL from here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureEmbeddedServer, stopEmbeddedServer } from '../src/db/embedded.js';

export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (process.env.TEST_DATABASE_URL) return undefined;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'pt-test-server-'));
  // TCP (the fallback path of the product): a postgres:// URL cannot name a Unix socket directory
  const { connection } = await ensureEmbeddedServer(dataDir, () => {}, { tcp: true });
  const url = new URL(`postgres://${connection.host}:${connection.port}/postgres`);
  url.username = connection.user;
  url.password = connection.password;
  process.env.TEST_DATABASE_URL = url.toString();
  return async () => {
    await stopEmbeddedServer(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  };
}
