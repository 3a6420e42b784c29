/** Rows as an aligned text table (what the old CLI printed with pandas), one row per line. */
export interface Column {
  key: string;
  /** header text; the key by default */
  title?: string;
  /** longer values are cut with "…" (free-text columns such as last_error) */
  maxWidth?: number;
}

function cell(value: unknown, maxWidth: number | undefined): string {
  let text = value === null || value === undefined ? '-' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  text = text.replace(/\s+/g, ' ').trim() || '-';
  if (maxWidth && text.length > maxWidth) text = `${text.slice(0, maxWidth - 1)}…`;
  return text;
}

export function formatTable(rows: Record<string, unknown>[], columns: Column[]): string {
  const header = columns.map((column) => column.title ?? column.key);
  const body = rows.map((row) => columns.map((column) => cell(row[column.key], column.maxWidth)));
  const widths = header.map((title, i) => Math.max(title.length, ...body.map((line) => line[i]!.length)));
  const line = (cells: string[]) => cells.map((text, i) => (i === cells.length - 1 ? text : text.padEnd(widths[i]!))).join('  ');
  return [line(header), ...body.map(line)].join('\n') + '\n';
}

/** The old keys first; the new server's status columns only when the server sent them. */
export function trackingColumns(rows: Record<string, unknown>[]): Column[] {
  const columns: Column[] = ['repo', 'branch', 'version_control', 'scm_repo', 'scm_branch', 'scm_commit', 'enabled'].map((key) => ({ key }));
  if (rows.some((row) => 'status' in row)) columns.push({ key: 'status' });
  if (rows.some((row) => 'last_error' in row)) columns.push({ key: 'last_error', maxWidth: 60 });
  return columns;
}

export function issueColumns(rows: Record<string, unknown>[]): Column[] {
  const columns: Column[] = ['issue', 'repo', 'branch'].map((key) => ({ key }));
  for (const key of ['state', 'issue_url', 'pr_url']) if (rows.some((row) => key in row)) columns.push({ key });
  return columns;
}

export const tokenColumns: Column[] = ['id', 'name', 'prefix', 'created_at', 'last_used_at', 'revoked_at'].map((key) => ({ key }));
