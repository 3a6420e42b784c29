/** What the test/db files share: temp DATA_DIRs whose servers are stopped afterwards, the bin, table contents. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { stopEmbeddedServer } from '../../src/db/embedded.js';

/** A maker of fresh DATA_DIRs for one test file; after it, their embedded servers are stopped and the directories removed. */
export function tempDataDirs(prefix: string): () => string {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) {
      await stopEmbeddedServer(d);
      rmSync(d, { recursive: true, force: true });
    }
  });
  return () => {
    const d = mkdtempSync(path.join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
}

export const ROOT = path.resolve(import.meta.dirname, '../..');

export interface BinResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `patch-tracking` as an admin or an MTA runs it: a child process through tsx, with a minimal environment. */
export function runBin(args: string[], env: Record<string, string>, stdin?: Buffer): Promise<BinResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/patch-tracking.ts', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/root', LOG_LEVEL: 'silent', PATCH_TRACKING_CONFIG: '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin ?? Buffer.alloc(0));
  });
}

/** Every table's rows as PostgreSQL prints them, in first-column order: two databases with equal contents compare equal. */
export type Rows = (text: string) => Promise<Record<string, unknown>[]>;

export async function contents(rows: Rows): Promise<Record<string, string[]>> {
  const tables = (await rows(`select tablename::text as t from pg_tables where schemaname = 'public' order by 1`)).map((r) => String(r.t));
  const out: Record<string, string[]> = {};
  for (const t of tables) out[t] = (await rows(`select row_to_json(x)::text as r from "${t}" x order by 1`)).map((r) => String(r.r));
  return out;
}
