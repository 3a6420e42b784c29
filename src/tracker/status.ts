/**
 * What a tracking's status means for a maintainer, in one place: which statuses need a human and what to
 * do about them. The engine sets the status (src/tracker/engine.ts); every presentation reads it here.
 */
export const TRACKING_STATUSES = ['idle', 'queued', 'running', 'ok', 'error', 'blocked', 'paused'] as const;
export type TrackingStatus = (typeof TRACKING_STATUSES)[number];

/** Statuses a maintainer has to look at: the engine retries `error` with back-off, `blocked` not usefully. */
export const NEEDS_HUMAN: ReadonlySet<string> = new Set(['error', 'blocked']);

const ADVICE: Record<string, string> = {
  error:
    'A transient failure (network, forge, git). It is retried automatically at the next attempt with back-off; if it keeps failing, read the error and the service log.',
  blocked:
    'Retrying will not help: fix the cause first (the upstream URL or branch, the forge token, a history rewritten upstream, a patch that does not apply), then reset the tracking\'s commit or disable and re-enable it.',
  paused: 'Disabled by a maintainer: enable it to resume tracking.',
};

/** What to do about a tracking in this status; undefined when nothing is needed. */
export function adviceFor(status: string): string | undefined {
  return ADVICE[status];
}
