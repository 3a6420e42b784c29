/**
 * The commands as an MTA or an admin runs them: real child processes of `patch-tracking`, on a database of
 * their own (a throwaway database on the test run's PostgreSQL server).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { openDatabase, type Database } from '../../src/db/client.js';
import { createThrowawayDatabase } from '../helpers/db.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'cli/patch-tracking.ts');

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
      return new Promise((resolvePromise, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, env: { ...env, ...extraEnv }, stdio: ['pipe', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        child.on('error', reject);
        child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
        child.stdin.end(stdin ?? Buffer.alloc(0));
      });
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
