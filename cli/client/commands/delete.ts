/** `delete`: one branch's tracking, or every branch of a repo, through the old DELETE /tracking. */
import { connect, type RunContext } from '../context.js';
import { operationError } from '../errors.js';
import type { ConnectionFlags } from '../options.js';

export async function deleteAction(context: RunContext, options: ConnectionFlags & { repo: string; branch?: string }) {
  const api = await connect(context, options, 'required');
  // listed first only to say what goes; the server decides what it deletes
  const doomed = await api.listTrackings({ repo: options.repo, branch: options.branch }).catch(() => []);
  const what = `repo ${options.repo}${options.branch ? ` branch ${options.branch}` : ''}`;
  if (!(await api.deleteTrackings(options.repo, options.branch))) throw operationError(`nothing to delete: no tracking for ${what}`);
  if (doomed.length === 0) context.io.stdout.write(`deleted: trackings of ${what}\n`);
  for (const row of doomed) context.io.stdout.write(`deleted: ${row.repo} ${row.branch}\n`);
}
