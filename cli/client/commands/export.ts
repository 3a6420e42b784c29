/**
 * `export`: every tracking of a server as YAML documents in the `add --file` format, progress included
 * (scm_commit). Pointed at the old program's server it is the migration path: export there, `add --file` here.
 */
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { connect, type RunContext } from '../context.js';
import type { ConnectionFlags } from '../options.js';

const KEYS = ['version_control', 'scm_repo', 'scm_branch', 'scm_commit', 'repo', 'branch', 'enabled'] as const;

export async function exportAction(context: RunContext, options: ConnectionFlags & { repo?: string; out?: string }) {
  const api = await connect(context, options, 'optional');
  const rows = (await api.listTrackings({ repo: options.repo })) as unknown as Record<string, unknown>[];
  const documents = rows.map((row) => {
    const item: Record<string, unknown> = {};
    for (const key of KEYS) if (row[key] !== null && row[key] !== undefined) item[key] = row[key];
    return stringify(item).trimEnd();
  });
  const text = documents.length ? `${documents.join('\n---\n')}\n` : '';
  if (options.out) {
    writeFileSync(options.out, text);
    context.io.stderr.write(`exported ${rows.length} tracking${rows.length === 1 ? '' : 's'} to ${options.out}\n`);
  } else {
    context.io.stdout.write(text);
  }
}
