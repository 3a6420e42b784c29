/**
 * Bulk import of validated trackings, idempotent: each item is looked up (GET /tracking?repo=&branch=) and
 * only sent (POST /tracking) when it is new or differs, so a re-run reports everything unchanged.
 *
 * We stay on the compat routes rather than /api/v1 (POST + PATCH) because they are the only ones the old
 * Python server has too: the same command keeps working during a migration, and the compat POST is an
 * upsert on (repo, branch), so a concurrent writer cannot make us fail with a conflict.
 *
 * scm_commit is where tracking starts. From a file it only applies to a new tracking: re-importing the same
 * files must not rewind the progress the engine made since (`update --scm_commit` rewinds on purpose). Given
 * as a flag of a single `add`, it is sent as the old CLI did.
 */
import { isFatal, type CompatTracking, type PatchTrackingApi, type TrackingBody } from './api.js';
import type { TrackingItem } from './tracking-files.js';

export type Outcome = 'added' | 'updated' | 'unchanged' | 'failed';

export interface ImportSummary {
  added: number;
  updated: number;
  unchanged: number;
  failed: number;
  /** items never tried because the import stopped (authentication or connection failure) */
  skipped: number;
  failures: { location: string; message: string }[];
  /** things the user should know that are not failures */
  notices: string[];
  /** the failure that stopped the import, if any */
  stoppedBy?: Error;
  /** per item, in input order */
  outcomes: { location: string; repo: string; branch: string; outcome: Outcome | 'skipped' }[];
}

export interface ImportOptions {
  /** 'always': send a given scm_commit even to an existing tracking (a single `add` by flags) */
  commitPolicy: 'always' | 'on-create';
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
}

const COMPARED_FIELDS = ['version_control', 'scm_repo', 'scm_branch', 'enabled'] as const;

function differs(existing: CompatTracking, body: TrackingBody): boolean {
  if (COMPARED_FIELDS.some((field) => existing[field] !== body[field])) return true;
  return body.scm_commit !== undefined && (existing.scm_commit ?? null) !== body.scm_commit;
}

async function importOne(api: PatchTrackingApi, item: TrackingItem, options: ImportOptions, notices: string[]): Promise<Exclude<Outcome, 'failed'>> {
  const { repo, branch } = item.input;
  const existing = (await api.listTrackings({ repo, branch })).find((row) => row.repo === repo && row.branch === branch);
  const sendCommit = item.hasCommit && (!existing || options.commitPolicy === 'always');
  const body: TrackingBody = { ...item.input };
  if (!sendCommit) delete body.scm_commit;
  if (existing && !differs(existing, body)) {
    if (item.hasCommit && !sendCommit && (existing.scm_commit ?? null) !== (item.input.scm_commit ?? null)) {
      notices.push(
        `${item.location}: ${repo} ${branch} exists; its stored scm_commit ${existing.scm_commit ?? 'null'} was kept ` +
          '(the file\'s scm_commit only applies to a new tracking; use `update --scm_commit` to rewind)',
      );
    }
    return 'unchanged';
  }
  await api.upsertTracking(body);
  return existing ? 'updated' : 'added';
}

export async function importTrackings(api: PatchTrackingApi, items: TrackingItem[], options: ImportOptions): Promise<ImportSummary> {
  const summary: ImportSummary = { added: 0, updated: 0, unchanged: 0, failed: 0, skipped: 0, failures: [], notices: [], outcomes: [] };
  const outcomes: (Outcome | 'skipped')[] = items.map(() => 'skipped');
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < items.length && !summary.stoppedBy) {
      const index = next++;
      const item = items[index]!;
      try {
        outcomes[index] = await importOne(api, item, options, summary.notices);
      } catch (err) {
        outcomes[index] = 'failed';
        // every further request would fail the same way: stop (the rest is reported as not attempted) and
        // report the reason once rather than for each item in flight
        if (isFatal(err)) summary.stoppedBy ??= err as Error;
        else summary.failures.push({ location: item.location, message: (err as Error).message });
      }
      options.onProgress?.(++done, items.length);
    }
  };
  // a few requests in flight keep the connection busy without flooding the server
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, items.length) }, worker));
  items.forEach((item, index) => {
    const outcome = outcomes[index]!;
    if (outcome === 'skipped') summary.skipped++;
    else summary[outcome]++;
    summary.outcomes.push({ location: item.location, repo: item.input.repo, branch: item.input.branch, outcome });
  });
  summary.failures.sort((a, b) => a.location.localeCompare(b.location, undefined, { numeric: true }));
  return summary;
}

export function formatSummary(summary: ImportSummary): string {
  const parts = [`${summary.added} added`, `${summary.updated} updated`, `${summary.unchanged} unchanged`, `${summary.failed} failed`];
  if (summary.skipped) parts.push(`${summary.skipped} not attempted`);
  return parts.join(', ');
}
