/** `show`: one tracking in full (nothing cut, unlike the `query` table), or its JSON with --json. */
import { connect, type RunContext } from '../context.js';
import type { ConnectionFlags } from '../options.js';

export async function showAction(context: RunContext, options: ConnectionFlags & { repo: string; branch: string; json?: boolean }) {
  const api = await connect(context, options, 'optional');
  const row = (await api.findTracking(options.repo, options.branch)) as unknown as Record<string, unknown>;
  context.io.stdout.write(options.json ? `${JSON.stringify(row, null, 2)}\n` : formatRecord(row));
}

/** `key: value` lines, keys aligned; a value over several lines continues indented under its first line. */
export function formatRecord(row: Record<string, unknown>): string {
  const keys = Object.keys(row);
  const width = Math.max(...keys.map((k) => k.length)) + 1;
  return keys
    .map((key) => {
      const value = row[key];
      const text = value === null || value === undefined ? '-' : typeof value === 'object' ? JSON.stringify(value) : String(value);
      return `${`${key}:`.padEnd(width)} ${text.replace(/\n/g, `\n${' '.repeat(width + 1)}`)}`;
    })
    .join('\n') + '\n';
}
