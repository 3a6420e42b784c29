/**
 * Data of a PGlite database (the embedded engine before PostgreSQL proper: DATA_DIR/pglite) moves into the
 * embedded server on the first start that finds it: PGlite is brought to the current schema, written out as a
 * backup file, and loaded into the (still empty) server in one transaction. The old directory stays, renamed.
 */
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import type postgres from 'postgres';
import { AppError } from '../errors.js';
import { queryOf, readDumpFile, writeDumpFile } from './backup.js';
import { dumpTables, loadTables, type DumpSummary } from './dump.js';
import type { EmbeddedLog } from './embedded.js';

export function pgliteDir(dataDir: string): string {
  return path.join(path.resolve(dataDir), 'pglite');
}

export function hasPgliteData(dataDir: string): boolean {
  const dir = pgliteDir(dataDir);
  if (!existsSync(dir) || readdirSync(dir).length === 0) return false;
  if (!existsSync(path.join(dir, 'PG_VERSION'))) {
    throw new AppError('pglite_damaged', `${path.join(dir, 'PG_VERSION')} is missing: ${dir} (the data of an earlier patch-tracking) is damaged, so it was not copied and nothing was started. Put the file back if it was removed by mistake, or move ${dir} away to start without its data.`);
  }
  return true;
}

/** Copies DATA_DIR/pglite into `target` (which must be empty), then renames the directory. The caller holds the migration lock. */
export async function movePgliteData(target: postgres.Sql, dataDir: string, migrationsFolder: string, log: EmbeddedLog): Promise<DumpSummary | undefined> {
  if (!hasPgliteData(dataDir)) return undefined;
  const dir = pgliteDir(dataDir);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const exportFile = path.join(path.dirname(dir), `pglite-export-${stamp}.backup`);
  // loaded only here: PGlite is needed to read old data, nowhere else
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  const { migrate } = await import('drizzle-orm/pglite/migrator');
  const pglite = new PGlite(dir);
  try {
    await migrate(drizzle(pglite), { migrationsFolder });
    const query = (text: string, params?: unknown[]) => pglite.query<Record<string, unknown>>(text, params).then((r) => r.rows);
    await writeDumpFile(exportFile, (emit) => dumpTables(query, emit));
  } finally {
    await pglite.close();
  }
  const summary = await target.begin((tx) => loadTables(queryOf(tx), readDumpFile(exportFile), { replace: false, source: dir }));
  const kept = `${dir}.migrated-${stamp}`;
  renameSync(dir, kept);
  rmSync(exportFile, { force: true });
  // warn, not info: whichever process did it (the service, or a command that prints only warnings), the admin must learn that the data moved
  log('warn', `moved the PGlite data of ${dir} into the embedded PostgreSQL server: ${summary.rows} rows in ${summary.tables} tables; the old directory is kept as ${kept} (delete it once you are satisfied)`);
  return summary;
}
