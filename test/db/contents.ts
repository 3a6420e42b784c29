/** Every table's rows as PostgreSQL prints them, in first-column order: two databases with equal contents compare equal. */
export type Rows = (text: string) => Promise<Record<string, unknown>[]>;

export async function contents(rows: Rows): Promise<Record<string, string[]>> {
  const tables = (await rows(`select tablename::text as t from pg_tables where schemaname = 'public' order by 1`)).map((r) => String(r.t));
  const out: Record<string, string[]> = {};
  for (const t of tables) out[t] = (await rows(`select row_to_json(x)::text as r from "${t}" x order by 1`)).map((r) => String(r.r));
  return out;
}
