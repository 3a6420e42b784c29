/**
 * The CI handler program (brep's semantics, src/ci/handler.ts) run for every published range and every
 * complete mail series: a request with the repository, package and custom values describing what to
 * test, the patch files, and the handler's answer turned into a check (context `ci`) and, for a range,
 * a comment on its PR. Publishing a range is also recorded as a `range-published` event.
 */
import path from 'node:path';
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { ciCursor, testerJob, type PublicationRow, type TrackingRow } from '../db/schema/index.js';
import { mailEvent, mailProject, mailSeries } from '../db/schema/mail.js';
import { AppError, errorMessage } from '../errors.js';
import type { ForgeRepo, Forge } from '../forges/types.js';
import { gitUrlOf } from '../forges/resolve.js';
import type { Settings } from '../settings.js';
import { createRangeCheck, createSeriesChecks, type CheckInput, type CheckState } from '../checks/service.js';
import { recordRangeEvent } from '../events/service.js';
import { patchesMbox, seriesPatches } from '../mail/export/mbox.js';
import { runCiRequest, type CiHandlerOptions, type CiLogger, type CiResult } from './handler.js';
import type { CiPatchFile, CiRequest } from './request.js';

export type CiSettings = Pick<Settings, 'ciHandler' | 'ciHandlerArguments' | 'ciHandlerTimeout' | 'ciDataDir' | 'ciEmail'>;

export interface CiHookDeps {
  db: Database;
  settings: CiSettings;
  logger: CiLogger;
  /** the target repository's forge (to read the committed patch files and comment on the PR) */
  forges: { resolve(repo: string): ForgeRepo; forRepo(repo: ForgeRepo): Forge };
  /** who the checks are from */
  checkUser?: string;
}

export const CI_CHECK_CONTEXT = 'ci';

/** The handler options from the settings; null when CI_DATA_DIR is not set (no CI). */
export function ciHandlerOptions(settings: CiSettings, logger: CiLogger): CiHandlerOptions | null {
  if (!settings.ciDataDir) return null;
  return {
    ...(settings.ciHandler ? { handler: settings.ciHandler } : {}),
    handlerArguments: settings.ciHandlerArguments,
    timeoutMs: settings.ciHandlerTimeout * 1000,
    dataDir: settings.ciDataDir,
    ...(settings.ciEmail ? { email: { to: settings.ciEmail } } : {}),
    logger,
  };
}

/**
 * A handler's answer as a check: 2xx means the CI accepted the request (pending) unless the handler
 * states the outcome itself with a `state:` value (success, warning, fail); 4xx a rejected request
 * (warning); 5xx or a failed handler (fail). `reference` becomes the target URL when it is one.
 */
export function checkOfResult(result: CiResult): CheckInput {
  const stated = result.values.find((v) => v.name === 'state')?.value;
  let state: CheckState;
  if (result.status >= 500) state = 'fail';
  else if (result.status >= 400) state = 'warning';
  else state = stated === 'success' || stated === 'warning' || stated === 'fail' || stated === 'pending' ? stated : 'pending';
  const url = result.values.find((v) => v.name === 'url')?.value ?? result.reference;
  return {
    state,
    context: CI_CHECK_CONTEXT,
    target_url: /^https?:\/\/\S+$/.test(url) ? url : null,
    description: `${result.status} ${result.message}`.slice(0, 4000),
  };
}

function ascii(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?');
}

function commentBody(result: CiResult, check: CheckInput): string {
  const lines = [`CI (${CI_CHECK_CONTEXT}): **${check.state}**`, '', `- status: ${result.status}`, `- message: ${result.message}`, `- reference: ${result.reference}`];
  for (const v of result.values) lines.push(`- ${v.name}: ${v.value}`);
  return lines.join('\n');
}

const PACKAGE_RE = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*$/;

/**
 * After a range was published (RunHooks.onPublished): records the event, runs the CI handler when
 * CI_DATA_DIR is set, stores the result as a range check and comments on the PR. Returns the result
 * (null without CI).
 */
export async function onRangePublished(deps: CiHookDeps, t: TrackingRow, p: PublicationRow): Promise<CiResult | null> {
  await recordRangePublished(deps.db, t, p);
  return runCiForRange(deps, t, p);
}

export async function recordRangePublished(db: Database, t: TrackingRow, p: PublicationRow): Promise<void> {
  await recordRangeEvent(db, {
    category: 'range-published',
    trackingId: t.id,
    publicationId: p.id,
    payload: { from: p.rangeFrom, to: p.rangeTo, pr_url: p.prUrl, issue_url: p.issueUrl },
  });
}

/** The CI half of onRangePublished (no event). */
export async function runCiForRange(deps: CiHookDeps, t: TrackingRow, p: PublicationRow): Promise<CiResult | null> {
  const options = ciHandlerOptions(deps.settings, deps.logger);
  if (!options) return null;

  const repo = deps.forges.resolve(t.repo);
  const forge = deps.forges.forRepo(repo);
  const files: CiPatchFile[] = [];
  for (const file of p.patchFiles) {
    const found = await forge.readFile(repo, file, p.tempBranch);
    if (!found) throw new AppError('ci_patch_missing', `patch file ${file} is not on ${p.tempBranch}`);
    files.push({ name: path.posix.basename(file), content: found.content });
  }
  const request: CiRequest = {
    repository: gitUrlOf(repo),
    packages: PACKAGE_RE.test(repo.name) ? [repo.name] : [],
    custom: Object.assign(Object.create(null) as Record<string, string>, {
      kind: 'range',
      tracking: String(t.id),
      range: String(p.id),
      upstream: ascii(t.scmRepo),
      'upstream-branch': ascii(t.scmBranch),
      base: p.rangeFrom,
      head: p.rangeTo,
      branch: p.tempBranch,
      'target-branch': p.targetBranch,
      ...(p.prUrl ? { pr: p.prUrl } : {}),
    }),
    files,
  };
  const result = await runCiRequest(options, request);
  const check = checkOfResult(result);
  await createRangeCheck(deps.db, p.id, deps.checkUser ?? 'ci-handler', check);
  const target = p.prNumber ? { kind: 'pull' as const, id: p.prNumber } : p.issueId ? { kind: 'issue' as const, id: p.issueId } : null;
  if (target) {
    await forge.comment(repo, target, commentBody(result, check)).catch((err: unknown) => {
      deps.logger.warn({ publication: p.id, err: errorMessage(err) }, 'could not post the CI result on the PR');
    });
  }
  return result;
}

/**
 * After a mail series became complete: runs the CI handler with the project's repository (scm_url) and
 * the series' patches as git-am-able files, and stores the result as a check on every patch.
 * Null without CI or when the project has no repository URL.
 */
export async function onSeriesCompleted(deps: CiHookDeps, seriesId: number): Promise<CiResult | null> {
  const options = ciHandlerOptions(deps.settings, deps.logger);
  if (!options) return null;
  const [row] = await deps.db
    .select({ s: mailSeries, p: mailProject })
    .from(mailSeries)
    .innerJoin(mailProject, eq(mailProject.id, mailSeries.projectId))
    .where(eq(mailSeries.id, seriesId));
  if (!row) throw new AppError('not_found', `no series ${seriesId}`);
  if (!row.p.scmUrl) {
    deps.logger.info({ series: seriesId, project: row.p.linkName }, 'series not sent to CI: the project has no scm_url');
    return null;
  }
  const patches = await seriesPatches(deps.db, seriesId);
  const files: CiPatchFile[] = [];
  for (const [i, patch] of patches.entries()) {
    const stem = patch.name.replace(/^\[[^\]]*\]\s*/, '').replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 52) || 'patch';
    files.push({ name: `${String(i + 1).padStart(4, '0')}-${stem}.patch`, content: await patchesMbox(deps.db, [patch]) });
  }
  const request: CiRequest = {
    repository: row.p.scmUrl,
    packages: [],
    custom: Object.assign(Object.create(null) as Record<string, string>, {
      kind: 'series',
      series: String(seriesId),
      project: row.p.linkName,
      version: String(row.s.version),
      ...(row.s.name ? { name: ascii(row.s.name) } : {}),
    }),
    files,
  };
  const result = await runCiRequest(options, request);
  const check = checkOfResult(result);
  await createSeriesChecks(deps.db, seriesId, deps.checkUser ?? 'ci-handler', check);
  return result;
}

/** The test name under which the CI handler's runs on series are recorded in tester_job (reserved). */
export const CI_HANDLER_TEST = 'ci-handler';

/**
 * Runs the CI handler for every series completed since the last call (call it after each ingest batch, or
 * on a timer; cheap when nothing is new). The position in the event stream is kept in ci_cursor, and
 * each series is claimed in tester_job first, so a series goes to the handler once even with several
 * replicas or after a crash. Returns how many series were sent. A failing series is logged and skipped.
 */
export async function runPendingSeriesCi(deps: CiHookDeps): Promise<number> {
  if (!ciHandlerOptions(deps.settings, deps.logger)) return 0;
  const name = 'series-completed';
  await deps.db.insert(ciCursor).values({ name, position: 0 }).onConflictDoNothing();
  const [cursor] = await deps.db.select().from(ciCursor).where(eq(ciCursor.name, name));
  const events = await deps.db
    .select({ id: mailEvent.id, seriesId: mailEvent.seriesId })
    .from(mailEvent)
    .where(and(eq(mailEvent.category, name), gt(mailEvent.id, cursor?.position ?? 0)))
    .orderBy(asc(mailEvent.id))
    .limit(500);
  let sent = 0;
  for (const e of events) {
    if (e.seriesId !== null) {
      const [claimed] = await deps.db
        .insert(testerJob)
        .values({ kind: 'series', subjectId: e.seriesId, test: CI_HANDLER_TEST, tester: deps.checkUser ?? 'ci-handler', leaseExpiresAt: new Date(Date.now() + deps.settings.ciHandlerTimeout * 1000) })
        .onConflictDoNothing()
        .returning({ id: testerJob.id });
      if (claimed) {
        const result = await onSeriesCompleted(deps, e.seriesId).catch((err: unknown) => {
          deps.logger.warn({ series: e.seriesId, err: errorMessage(err) }, 'CI for a complete series failed');
          return null;
        });
        await deps.db
          .update(testerJob)
          .set({ status: 'done', finishedAt: new Date(), result: result ? checkOfResult(result).state : null, log: result ? `${result.status} ${result.message}` : null })
          .where(eq(testerJob.id, claimed.id));
        if (result) sent++;
      }
    }
    await deps.db
      .update(ciCursor)
      .set({ position: sql`greatest(${ciCursor.position}, ${e.id})`, updatedAt: sql`now()` })
      .where(eq(ciCursor.name, name));
  }
  return sent;
}

/**
 * For RunHooks.onPublished: records the range-published event before returning, and runs the CI handler
 * in the background (it may take up to CI_HANDLER_TIMEOUT, which must not hold the engine's run or its
 * lease). `idle()` resolves when no CI run is in flight (for shutdown and tests).
 */
export function createCiPublishHook(deps: CiHookDeps) {
  const running = new Set<Promise<unknown>>();
  return {
    async onPublished(t: TrackingRow, p: PublicationRow): Promise<void> {
      await recordRangePublished(deps.db, t, p);
      const run = runCiForRange(deps, t, p)
        .catch((err: unknown) => deps.logger.warn({ publication: p.id, err: errorMessage(err) }, 'CI for a published range failed'))
        .finally(() => running.delete(run));
      running.add(run);
    },
    async idle(): Promise<void> {
      while (running.size) await Promise.allSettled([...running]);
    },
  };
}
