/**
 * A push to a tracked upstream queues the matching trackings at once instead of waiting for the next
 * interval: github trackings by owner/name, git trackings by any URL the repository is known by.
 */
import { and, eq } from 'drizzle-orm';
import { tracking, type TrackingRow } from '../db/schema/index.js';
import { parseGitHubRepo } from '../sources/github.js';
import { queueTracking } from '../tracker/claim.js';
import type { LifecycleDeps } from './deps.js';
import { branchOfRef, type PushEvent } from './events.js';

/** `https://Host/o/r.git/` and `git@host:o/r.git` → `host/o/r` (lower case), for comparing URLs of one repository. */
export function normalizeRepoUrl(url: string): string {
  let value = url.trim();
  const scp = /^[\w.-]+@([^:/]+):(.+)$/.exec(value);
  if (scp) value = `ssh://${scp[1]}/${scp[2]}`;
  try {
    const u = new URL(value);
    return `${u.hostname}${u.pathname}`.replace(/\/+$/, '').replace(/\.git$/, '').toLowerCase();
  } catch {
    return value.replace(/\/+$/, '').replace(/\.git$/, '').toLowerCase();
  }
}

function matches(t: TrackingRow, event: PushEvent, urls: Set<string>): boolean {
  if (t.versionControl === 'github') {
    if (event.forge !== 'github') return false;
    try {
      const { owner, name } = parseGitHubRepo(t.scmRepo);
      return `${owner}/${name}`.toLowerCase() === event.fullName.toLowerCase();
    } catch {
      return false;
    }
  }
  if (t.versionControl === 'git') return urls.has(normalizeRepoUrl(t.scmRepo));
  return false;
}

/** Queues the enabled trackings of the pushed branch and kicks the queue; returns their ids. */
export async function onPush(deps: Pick<LifecycleDeps, 'db' | 'logger' | 'kick'>, event: PushEvent): Promise<number[]> {
  const branch = branchOfRef(event.ref);
  if (!branch || event.deleted) return [];
  const urls = new Set(event.urls.filter(Boolean).map(normalizeRepoUrl));
  const candidates = await deps.db.select().from(tracking).where(and(eq(tracking.enabled, true), eq(tracking.scmBranch, branch)));
  const ids = candidates.filter((t) => matches(t, event, urls)).map((t) => t.id);
  for (const id of ids) await queueTracking(deps.db, id);
  if (ids.length) {
    deps.logger.info({ upstream: event.fullName, branch, trackings: ids }, 'upstream push: trackings queued');
    deps.kick();
  }
  return ids;
}
