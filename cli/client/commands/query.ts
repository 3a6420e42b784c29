/** `query`: trackings or issues as an aligned table fitted to the width (the old keys first), or JSON with --json. */
import { connect, type RunContext } from '../context.js';
import { usageError } from '../errors.js';
import type { ConnectionFlags } from '../options.js';
import { formatTable, issueColumns, TABLE_WIDTH, trackingColumns } from '../table.js';

export async function queryAction(context: RunContext, options: ConnectionFlags & { table: 'tracking' | 'issue'; repo?: string; branch?: string; enabled?: boolean; json?: boolean }) {
  const { io } = context;
  if (options.table === 'issue' && options.enabled !== undefined) throw usageError('--enabled only applies to --table tracking');
  const api = await connect(context, options, 'optional');
  const rows =
    options.table === 'tracking'
      ? await api.listTrackings({ repo: options.repo, branch: options.branch, enabled: options.enabled })
      : await api.listIssues({ repo: options.repo, branch: options.branch });
  if (options.json) {
    io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  if (rows.length === 0) {
    io.stderr.write(`no ${options.table === 'tracking' ? 'trackings' : 'issues'} found\n`);
    return;
  }
  // a terminal's own width; 120 columns for a pipe or a file
  const width = io.stdout.isTTY && io.stdout.columns ? io.stdout.columns : TABLE_WIDTH;
  io.stdout.write(formatTable(rows, options.table === 'tracking' ? trackingColumns(rows) : issueColumns(rows), width));
}
