/**
 * A logical copy of the application's tables, as lines of text: what `patch-tracking backup`/`restore` write
 * and read, and how PGlite data moves into the embedded server. One snapshot in, one transaction out.
 *
 * Lines: `H {header}`, then per table `T {"table","columns"}` followed by one `R <row as JSON>` per row, then
 * `S {"sequence","value"}` per sequence. Rows stay JSON text end to end (never parsed here), so bigint and
 * numeric values keep every digit; PostgreSQL itself turns them back into typed rows.
 */
import { AppError } from '../errors.js';

/** Runs one statement on whatever connection the caller holds (a transaction, usually). */
export type Query = (text: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

export const DUMP_FORMAT = 'patch-tracking-backup';
const DUMP_VERSION = 1;
const BATCH_ROWS = 500;

export interface DumpHeader {
  format: string;
  version: number;
  /** migrations applied to the source: a dump loads only into a database at the same schema */
  migrations: number;
  created: string;
}

export interface DumpSummary {
  tables: number;
  rows: number;
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

async function appliedMigrations(query: Query): Promise<number> {
  const [row] = await query(`select count(*)::int as n from drizzle.__drizzle_migrations`);
  return Number(row!.n);
}

/** Tables of the public schema, parents before the tables whose foreign keys point at them. */
async function tablesInLoadOrder(query: Query): Promise<string[]> {
  const tables = (await query(`select tablename::text as name from pg_tables where schemaname = 'public' order by tablename`)).map((r) => String(r.name));
  const edges = await query(`
    select c.relname::text as child, p.relname::text as parent
    from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_class p on p.oid = k.confrelid
    where k.contype = 'f' and k.connamespace = 'public'::regnamespace and k.conrelid <> k.confrelid`);
  const parents = new Map(tables.map((t) => [t, new Set<string>()]));
  for (const e of edges) parents.get(String(e.child))?.add(String(e.parent));
  const ordered: string[] = [];
  const placed = new Set<string>();
  const visit = (t: string, path: Set<string>) => {
    if (placed.has(t) || path.has(t)) return;
    path.add(t);
    for (const p of parents.get(t) ?? []) visit(p, path);
    placed.add(t);
    ordered.push(t);
  };
  for (const t of tables) visit(t, new Set());
  return ordered;
}

async function insertableColumns(query: Query, table: string): Promise<string[]> {
  const rows = await query(
    `select column_name::text as name from information_schema.columns
     where table_schema = 'public' and table_name = $1 and is_generated = 'NEVER' order by ordinal_position`,
    [table],
  );
  return rows.map((r) => String(r.name));
}

async function orderColumns(query: Query, table: string, columns: string[]): Promise<string> {
  const pk = await query(
    `select a.attname::text as name from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
     where i.indrelid = $1::regclass and i.indisprimary order by array_position(i.indkey::int2[], a.attnum)`,
    [`public.${ident(table)}`],
  );
  // without a primary key, every column: a total order keeps LIMIT/OFFSET pages from overlapping
  return pk.length > 0 ? pk.map((r) => ident(String(r.name))).join(', ') : columns.map((_, i) => String(i + 1)).join(', ');
}

/** Writes every table and sequence; the caller runs it inside one repeatable-read snapshot. */
export async function dumpTables(query: Query, emit: (line: string) => Promise<void> | void): Promise<DumpSummary> {
  const header: DumpHeader = { format: DUMP_FORMAT, version: DUMP_VERSION, migrations: await appliedMigrations(query), created: new Date().toISOString() };
  await emit(`H ${JSON.stringify(header)}`);
  const summary: DumpSummary = { tables: 0, rows: 0 };
  for (const table of await tablesInLoadOrder(query)) {
    const columns = await insertableColumns(query, table);
    await emit(`T ${JSON.stringify({ table, columns })}`);
    summary.tables += 1;
    const order = await orderColumns(query, table, columns);
    const select = columns.map(ident).join(', ');
    for (let offset = 0; ; offset += BATCH_ROWS) {
      const rows = await query(`select row_to_json(t)::text as r from (select ${select} from public.${ident(table)} order by ${order} limit ${BATCH_ROWS} offset ${offset}) t`);
      for (const row of rows) await emit(`R ${String(row.r)}`);
      summary.rows += rows.length;
      if (rows.length < BATCH_ROWS) break;
    }
  }
  const sequences = await query(`select sequencename::text as name, last_value::text as value from pg_sequences where schemaname = 'public' and last_value is not null order by 1`);
  for (const s of sequences) await emit(`S ${JSON.stringify({ sequence: String(s.name), value: String(s.value) })}`);
  return summary;
}

export interface LoadOptions {
  /** restore: empty every table first; migration from PGlite: refuse a target that already holds rows */
  replace: boolean;
  /** names the input in errors (a file, a directory) */
  source: string;
}

/** Reads what dumpTables wrote into the caller's transaction. */
export async function loadTables(query: Query, lines: AsyncIterable<string>, options: LoadOptions): Promise<DumpSummary> {
  const tables = await tablesInLoadOrder(query);
  const [role] = await query(`select rolsuper from pg_roles where rolname = current_user`);
  // foreign keys and triggers stay out of the way while rows arrive in batches (superusers only; the load order covers the rest)
  if (role?.rolsuper) await query(`set local session_replication_role = replica`);
  if (options.replace) {
    if (tables.length > 0) await query(`truncate table ${tables.map((t) => `public.${ident(t)}`).join(', ')} restart identity cascade`);
  } else {
    for (const t of tables) {
      const [row] = await query(`select exists (select 1 from public.${ident(t)}) as found`);
      if (row?.found) throw new AppError('restore_not_empty', `the target database already has rows in "${t}": nothing was copied from ${options.source}`);
    }
  }

  const summary: DumpSummary = { tables: 0, rows: 0 };
  let current: { table: string; columns: string[] } | undefined;
  let batch: string[] = [];
  const flush = async () => {
    if (!current || batch.length === 0) return;
    const cols = current.columns.map(ident).join(', ');
    await query(
      `insert into public.${ident(current.table)} (${cols}) overriding system value select ${cols} from json_populate_recordset(null::public.${ident(current.table)}, $1::json)`,
      [`[${batch.join(',')}]`],
    );
    summary.rows += batch.length;
    batch = [];
  };
  let header: DumpHeader | undefined;
  let lineNo = 0;
  for await (const line of lines) {
    lineNo += 1;
    if (line === '') continue;
    const kind = line.slice(0, 2);
    const body = line.slice(2);
    if (!header) {
      header = kind === 'H ' ? (safeJson(body) as DumpHeader | undefined) : undefined;
      if (header?.format !== DUMP_FORMAT || header.version !== DUMP_VERSION) {
        throw new AppError('restore_bad_file', `${options.source} is not a patch-tracking backup (version ${DUMP_VERSION}): its first line is not the expected header`);
      }
      const here = await appliedMigrations(query);
      if (header.migrations !== here) {
        throw new AppError('restore_schema_mismatch', `${options.source} was written at schema migration ${header.migrations}, this database is at ${here}: restore it with the patch-tracking version that wrote it, then upgrade`);
      }
      continue;
    }
    if (kind === 'R ') {
      if (!current) throw badLine(options.source, lineNo);
      batch.push(body);
      if (batch.length >= BATCH_ROWS) await flush();
    } else if (kind === 'T ') {
      await flush();
      const next = safeJson(body) as { table?: unknown; columns?: unknown } | undefined;
      if (typeof next?.table !== 'string' || !Array.isArray(next.columns) || !tables.includes(next.table)) throw badLine(options.source, lineNo);
      current = { table: next.table, columns: next.columns.map(String) };
      summary.tables += 1;
    } else if (kind === 'S ') {
      await flush();
      const seq = safeJson(body) as { sequence?: unknown; value?: unknown } | undefined;
      if (typeof seq?.sequence !== 'string' || typeof seq.value !== 'string' || !/^-?\d+$/.test(seq.value)) throw badLine(options.source, lineNo);
      await query(`select setval($1::regclass, $2::bigint, true)`, [`public.${ident(seq.sequence)}`, seq.value]);
    } else {
      throw badLine(options.source, lineNo);
    }
  }
  await flush();
  if (!header) throw new AppError('restore_bad_file', `${options.source} is empty`);
  // without session_replication_role the triggers ran too, appending the kept counts a second time
  if (!role?.rolsuper) await query(`select recount_kept_counts()`);
  return summary;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function badLine(source: string, lineNo: number): AppError {
  return new AppError('restore_bad_file', `${source}, line ${lineNo}: not a line a patch-tracking backup contains (damaged file?)`);
}
