/**
 * `scan`: run trackings now (or as a dry run) through POST /api/v1/trackings/{id}/scan. People get a
 * readable report (a dry run shows the commits, every patch and the spec diff, coloured on a terminal);
 * `--json` prints the server's answers as they are, for scripts; `--out DIR` writes a dry run's files.
 */
import { ServerError, type V1Tracking } from '../api.js';
import { painter, wantsColour } from '../colour.js';
import { connect, type RunContext } from '../context.js';
import { EXIT_FAILED, operationError, usageError } from '../errors.js';
import type { ConnectionFlags } from '../options.js';
import { assertEmptyOutDir, renderScanResult, writeDryRun } from '../scan-report.js';

type ScanOptions = ConnectionFlags & { repo?: string; branch?: string; dryRun?: boolean; json?: boolean; out?: string };

export async function scanAction(context: RunContext, options: ScanOptions) {
  const { io } = context;
  if (options.branch && !options.repo) throw usageError('scan: --branch needs --repo');
  if (options.out !== undefined) {
    if (!options.dryRun) throw usageError('scan: --out writes what a dry run would publish; add --dry-run');
    if (!options.repo || !options.branch) throw usageError('scan: --out needs --repo and --branch naming one tracking');
    assertEmptyOutDir(options.out);
  }
  const api = await connect(context, options, 'required');
  const targets: V1Tracking[] = await api.listV1Trackings({ repo: options.repo, branch: options.branch });
  if (targets.length === 0) {
    throw operationError(options.repo ? `no tracking for repo ${options.repo}${options.branch ? ` branch ${options.branch}` : ''}` : 'there are no trackings');
  }
  // one named tracking: its result as is; several: a list saying which result (or error) is whose
  const single = targets.length === 1 && options.repo !== undefined && options.branch !== undefined;
  const paint = painter(wantsColour(io));
  const results: Record<string, unknown>[] = [];
  for (const tracking of targets) {
    const title = `${tracking.repo} ${tracking.branch}`;
    try {
      const result = (await api.scan(tracking.id, Boolean(options.dryRun))) as Record<string, unknown>;
      results.push({ id: tracking.id, repo: tracking.repo, branch: tracking.branch, result });
      if (!options.json) io.stdout.write(renderScanResult(title, result, paint));
      if (options.out !== undefined) {
        const written = writeDryRun(options.out, result);
        io.stderr.write(written.length ? `wrote ${written.length} files to ${options.out}: ${written.join(', ')}\n` : `nothing to write to ${options.out}: there is nothing to publish\n`);
      }
    } catch (err) {
      if (err instanceof ServerError && err.code === 'engine_unavailable') {
        throw operationError(`cannot scan: the server's tracking engine is not running (engine_unavailable); the server said: ${err.message}`);
      }
      if (!(err instanceof ServerError) || err.fatal) throw err;
      if (single) throw operationError(`scan of ${title} failed: ${err.message}`);
      results.push({ id: tracking.id, repo: tracking.repo, branch: tracking.branch, error: err.message });
      if (!options.json) io.stdout.write(`${paint('bold', title)}: ${paint('red', `failed: ${err.message}`)}\n`);
      context.exitCode = EXIT_FAILED;
    }
  }
  if (options.json) io.stdout.write(`${JSON.stringify(single ? results[0]!.result : results, null, 2)}\n`);
}
