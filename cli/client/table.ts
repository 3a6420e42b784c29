/**
 * Rows as an aligned text table (what the old CLI printed with pandas), one row per line, fitted to a width
 * (the terminal's, else 120 columns): the widest shrinkable columns give way first, cut with "…".
 */
export interface Column {
  key: string;
  /** header text; the key by default */
  title?: string;
  /** the narrowest this column may be cut to; unset: never cut */
  minWidth?: number;
  /** where a cut value loses its text: the end (free text), or the start (a path or URL, whose end names it) */
  cut?: 'end' | 'start';
  /** shows the value differently in the table (e.g. an abbreviated commit id) */
  format?: (value: unknown) => string;
}

export const TABLE_WIDTH = 120;
const GAP = 2;

function text(value: unknown): string {
  const raw = value === null || value === undefined ? '-' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return raw.replace(/\s+/g, ' ').trim() || '-';
}

function fitCell(value: string, width: number, cut: Column['cut']): string {
  if (value.length <= width) return value;
  return cut === 'start' ? `…${value.slice(value.length - width + 1)}` : `${value.slice(0, width - 1)}…`;
}

export function formatTable(rows: Record<string, unknown>[], columns: Column[], maxWidth = TABLE_WIDTH): string {
  const header = columns.map((column) => column.title ?? column.key);
  const body = rows.map((row) => columns.map((column) => (column.format && row[column.key] != null ? column.format(row[column.key]) : text(row[column.key]))));
  const widths = header.map((title, i) => Math.max(title.length, ...body.map((line) => line[i]!.length)));
  const floor = columns.map((column, i) => Math.max(header[i]!.length, Math.min(widths[i]!, column.minWidth ?? Infinity)));
  let excess = widths.reduce((a, b) => a + b, 0) + GAP * (columns.length - 1) - maxWidth;
  while (excess > 0) {
    // take one column from the shrinkable column that has the most room above its floor
    let pick = -1;
    for (let i = 0; i < widths.length; i++) if (widths[i]! > floor[i]! && (pick < 0 || widths[i]! - floor[i]! > widths[pick]! - floor[pick]!)) pick = i;
    if (pick < 0) break;
    widths[pick]! -= 1;
    excess -= 1;
  }
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === cells.length - 1 ? fitCell(cell, widths[i]!, columns[i]!.cut) : fitCell(cell, widths[i]!, columns[i]!.cut).padEnd(widths[i]!))).join(' '.repeat(GAP));
  return [line(header), ...body.map(line)].join('\n') + '\n';
}

const abbreviated = (value: unknown) => String(value).slice(0, 12);

/** The old keys first; the new server's status columns only when the server sent them. `show` prints one in full. */
export function trackingColumns(rows: Record<string, unknown>[]): Column[] {
  const columns: Column[] = [
    { key: 'repo', minWidth: 16, cut: 'start' },
    { key: 'branch', minWidth: 8, cut: 'end' },
    { key: 'version_control' },
    { key: 'scm_repo', minWidth: 16, cut: 'start' },
    { key: 'scm_branch', minWidth: 10, cut: 'end' },
    { key: 'scm_commit', format: abbreviated },
    { key: 'enabled' },
  ];
  if (rows.some((row) => 'status' in row)) columns.push({ key: 'status' });
  if (rows.some((row) => 'last_error' in row)) columns.push({ key: 'last_error', minWidth: 10, cut: 'end' });
  return columns;
}

export function issueColumns(rows: Record<string, unknown>[]): Column[] {
  const columns: Column[] = ['issue', 'repo', 'branch'].map((key) => ({ key, minWidth: 10, cut: 'start' as const }));
  for (const key of ['state', 'issue_url', 'pr_url']) if (rows.some((row) => key in row)) columns.push({ key, minWidth: 16, cut: 'start' });
  return columns;
}

export const tokenColumns: Column[] = ['id', 'name', 'prefix', 'scopes', 'created_at', 'last_used_at', 'revoked_at'].map((key) => ({ key }));
