/**
 * An on-demand scan as a caller sees it (the API's POST /trackings/{id}/scan, the dashboard's "scan now"
 * and "preview"): the tracking must exist, the engine must run in this process, and a scan already under
 * way is a `tracking_busy` refusal, never a second run beside it. A paused tracking is the engine's refusal
 * (`tracking_paused`); a dry run answers for it too.
 */
import type { Database } from '../db/client.js';
import { getTracking } from '../db/trackings.js';
import { AppError } from '../errors.js';
import type { RunResult } from './run.js';

/** The engine's scanNow, as the presentations are handed it. */
export type ScanNow = (id: number, options: { dryRun: boolean }) => Promise<RunResult | { action: 'busy' }>;

export async function scanOnDemand(db: Database, scanNow: ScanNow | undefined, id: number, options: { dryRun: boolean }): Promise<RunResult> {
  if (!(await getTracking(db, id))) throw new AppError('not_found', 'no such tracking');
  if (!scanNow) throw engineUnavailable();
  const result = await scanNow(id, options);
  if (result.action === 'busy') throw busyError();
  return result;
}

/** A scan, retry or recreate asked of a process that runs no tracking engine (e.g. an API-only replica). */
export function engineUnavailable(): AppError {
  return new AppError('engine_unavailable', 'the tracking engine is not running in this process');
}

export function busyError(): AppError {
  return new AppError('tracking_busy', 'a scan of this tracking is running right now; try again when it is done');
}
