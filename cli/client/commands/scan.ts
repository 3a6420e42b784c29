/** `scan`: run trackings now (or as a dry run) through POST /api/v1/trackings/{id}/scan; prints JSON. */
import { ServerError, type V1Tracking } from '../api.js';
import { connect, type RunContext } from '../context.js';
import { EXIT_FAILED, operationError, usageError } from '../errors.js';
import type { ConnectionFlags } from '../options.js';

export async function scanAction(context: RunContext, options: ConnectionFlags & { repo?: string; branch?: string; dryRun?: boolean }) {
  if (options.branch && !options.repo) throw usageError('scan: --branch needs --repo');
  const api = await connect(context, options, 'required');
  const targets: V1Tracking[] = await api.listV1Trackings({ repo: options.repo, branch: options.branch });
  if (targets.length === 0) {
    throw operationError(options.repo ? `no tracking for repo ${options.repo}${options.branch ? ` branch ${options.branch}` : ''}` : 'there are no trackings');
  }
  // one named tracking: its result as is; several: a list saying which result (or error) is whose
  const single = targets.length === 1 && options.repo !== undefined && options.branch !== undefined;
  const results: Record<string, unknown>[] = [];
  for (const tracking of targets) {
    try {
      const result = await api.scan(tracking.id, Boolean(options.dryRun));
      results.push({ id: tracking.id, repo: tracking.repo, branch: tracking.branch, result });
    } catch (err) {
      if (err instanceof ServerError && err.code === 'engine_unavailable') {
        throw operationError(`cannot scan: the server's tracking engine is not running (engine_unavailable); the server said: ${err.message}`);
      }
      if (!(err instanceof ServerError) || err.fatal) throw err;
      if (single) throw operationError(`scan of ${tracking.repo} ${tracking.branch} failed: ${err.message}`);
      results.push({ id: tracking.id, repo: tracking.repo, branch: tracking.branch, error: err.message });
      context.exitCode = EXIT_FAILED;
    }
  }
  context.io.stdout.write(`${JSON.stringify(single ? results[0]!.result : results, null, 2)}\n`);
}
