/**
 * The commands as an MTA or an admin runs them: real child processes of `patch-tracking`, on a database of
 * their own (a throwaway database on the test run's PostgreSQL server).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { openDatabase, type Database } from '../../src/db/client.js';
import { runBin } from '../db/helpers.js';
import { createThrowawayDatabase } from '../helpers/db.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliHarness {
  /** the temp folder of the test file (the commands' DATA_DIR is its `data/`) */
  readonly dir: string;
  run(args: string[], stdin?: Buffer, extraEnv?: NodeJS.ProcessEnv): Promise<CliResult>;
  /** work on the commands' database from the test */
  inDatabase<T>(work: (db: Database) => Promise<T>): Promise<T>;
}

export function cliHarness(prefix: string): CliHarness {
  let dir = '';
  let env: NodeJS.ProcessEnv = {};
  let drop: (() => Promise<void>) | undefined;
  let databaseUrl = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    env = { ...process.env, DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'silent', PATCH_TRACKING_CONFIG: '' };
    const db = await createThrowawayDatabase();
    databaseUrl = db.url;
    drop = db.drop;
    env.DATABASE_URL = db.url;
  });

  afterAll(async () => {
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  return {
    get dir() {
      return dir;
    },
    run(args, stdin, extraEnv = {}) {
      return runBin(args, { ...env, ...extraEnv } as Record<string, string>, stdin);
    },
    async inDatabase(work) {
      const h = await openDatabase({ databaseUrl });
      try {
        return await work(h.db);
      } finally {
        await h.close();
      }
    },
  };
}
