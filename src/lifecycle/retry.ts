/**
 * Retrying a tracking that failed (`/patch-tracking retry`, the dashboard's "retry"): the backoff is
 * forgotten and the tracking is scanned now, which resumes its unfinished publication where it stopped.
 * A paused tracking is not scanned: it has to be resumed first.
 */
import { eq } from 'drizzle-orm';
import { tracking, type TrackingRow } from '../db/schema/index.js';
import type { LifecycleDeps } from './deps.js';

export type RetryResult = Awaited<ReturnType<LifecycleDeps['engine']['scanNow']>> | { action: 'paused' };

export async function retryTracking(deps: Pick<LifecycleDeps, 'db' | 'engine'>, t: TrackingRow): Promise<RetryResult> {
  await deps.db.update(tracking).set({ consecutiveFailures: 0, nextAttemptAt: null }).where(eq(tracking.id, t.id));
  if (!t.enabled) return { action: 'paused' };
  return deps.engine.scanNow(t.id);
}
