/**
 * The tracking engine of one replica. A cycle:
 *   1. checks the heads of all due trackings in batches (one replica per cycle, by a named lease),
 *   2. queues only the trackings whose upstream moved,
 *   3. claims queued trackings with leases and runs each (several replicas may share the queue).
 * Leases are short (LEASE_SECONDS, 30 s) and renewed by a heartbeat while the work runs, so a dead replica's
 * work resumes elsewhere within one lease. Each of a replica's `concurrency` workers claims one tracking at a
 * time, and replicas that find the heads check taken by another take work from the queue while it fills: the
 * queue is shared out instead of drained by whichever replica queued it.
 * Failures are recorded on the tracking with exponential backoff, so one broken tracking doesn't burn
 * the budget of the others.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, isNull, lte, or, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { tracking, type TrackingRow } from '../db/schema/index.js';
import { AppError, errorMessage } from '../errors.js';
import { redactSecrets, type Logger } from '../log.js';
import type { HeadResult } from '../sources/types.js';
import { acquireNamedLease, claimOne, claimWork, namedLeaseHeld, releaseLeasesOf, releaseNamedLease, releaseWork, renewLease } from './claim.js';
import { runTracking, upstreamOf, type RunDeps, type RunResult } from './run.js';

export interface EngineOptions extends RunDeps {
  /** this replica's name in leases and logs (REPLICA_NAME); the same after a restart */
  owner?: string;
  /** how long a lease lasts without a heartbeat (LEASE_SECONDS); renewed every third of it while work runs */
  leaseMs?: number;
  /** how often a replica without the heads check looks for queued work while that check runs */
  queuePollMs?: number;
  /** trackings processed at once by this replica */
  concurrency?: number;
  /** first retry delay after a failure; doubles per consecutive failure */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

export interface HeadsReport {
  checked: number;
  moved: number;
  initialized: number;
  failed: number;
  skipped: boolean;
}

/** Errors a retry won't fix: the tracking waits for a human (state `blocked`). */
const BLOCKING = new Set(['not_ancestor', 'source_unavailable', 'forge_token_missing', 'invalid_repo', 'invalid_scm_repo', 'upstream_not_found', 'forge_auth', 'invalid_patch', 'commit_unknown', 'commit_ambiguous', 'local_target_read_only']);

const HEADS_BATCH = 500;

export class Engine {
  readonly owner: string;
  private readonly leaseMs: number;
  private readonly concurrency: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly db: Database;
  private readonly logger: Logger;
  /** trackings this process is running now: a lease that outlived its time must not start a second run here */
  private readonly inFlight = new Set<number>();
  private readonly queuePollMs: number;

  constructor(private readonly deps: EngineOptions) {
    this.owner = deps.owner ?? `engine-${randomUUID().slice(0, 8)}`;
    this.leaseMs = deps.leaseMs ?? 30_000;
    this.queuePollMs = deps.queuePollMs ?? 200;
    this.concurrency = deps.concurrency ?? 4;
    this.backoffBaseMs = deps.backoffBaseMs ?? 60_000;
    this.backoffMaxMs = deps.backoffMaxMs ?? 24 * 3600_000;
    this.db = deps.db;
    this.logger = deps.logger.child({ engine: this.owner });
  }

  async runCycle(): Promise<{ heads: HeadsReport; processed: number }> {
    const heads = await this.checkHeads();
    let processed = await this.processQueue();
    if (heads.skipped) {
      // another replica is checking heads and queues moved trackings batch by batch: take a share as they come
      while (await namedLeaseHeld(this.db, 'heads')) {
        await sleep(this.queuePollMs);
        processed += await this.processQueue();
      }
      processed += await this.processQueue();
    }
    return { heads, processed };
  }

  /**
   * At start: leases still held under this replica's name are left over from before a restart (nothing runs
   * here yet), so they are given up at once instead of waiting out their time.
   */
  async releaseLeftoverLeases(): Promise<number> {
    const count = await releaseLeasesOf(this.db, this.owner);
    if (count > 0) this.logger.info({ trackings: count }, 'released the leases this replica held before its restart');
    return count;
  }

  /** Steps 1-2: batched head checks; trackings whose upstream moved become work items. */
  async checkHeads(): Promise<HeadsReport> {
    const report: HeadsReport = { checked: 0, moved: 0, initialized: 0, failed: 0, skipped: false };
    if (!(await acquireNamedLease(this.db, 'heads', this.owner, this.leaseMs))) return { ...report, skipped: true };
    try {
      const due = await this.db
        .select()
        .from(tracking)
        .where(and(eq(tracking.enabled, true), isNull(tracking.queuedAt), or(isNull(tracking.nextAttemptAt), lte(tracking.nextAttemptAt, sql`now()`))));
      const byKind = new Map<string, TrackingRow[]>();
      for (const t of due) {
        const rows = byKind.get(t.versionControl);
        if (rows) rows.push(t);
        else byKind.set(t.versionControl, [t]);
      }
      for (const [kind, rows] of byKind) {
        const source = this.deps.sources[kind];
        if (!source) {
          const reason = this.deps.unavailable[kind] ?? `version_control "${kind}" is not supported`;
          for (const t of rows) await this.recordFailure(t, new AppError('source_unavailable', reason));
          report.failed += rows.length;
          continue;
        }
        for (let i = 0; i < rows.length; i += HEADS_BATCH) {
          const batch = rows.slice(i, i + HEADS_BATCH);
          let results: Map<number, HeadResult>;
          try {
            results = await source.heads(batch.map(upstreamOf));
          } catch (err) {
            for (const t of batch) await this.recordFailure(t, err);
            report.failed += batch.length;
            continue;
          }
          await this.applyHeads(batch, results, report);
          // a long heads check keeps its lease, so no second replica starts the same check beside it
          await acquireNamedLease(this.db, 'heads', this.owner, this.leaseMs);
        }
      }
      return report;
    } finally {
      await releaseNamedLease(this.db, 'heads', this.owner);
    }
  }

  private async applyHeads(batch: TrackingRow[], results: Map<number, HeadResult>, report: HeadsReport): Promise<void> {
    const heads: { id: number; sha: string }[] = [];
    for (const t of batch) {
      const result = results.get(t.id);
      report.checked += 1;
      if (!result || 'error' in result) {
        report.failed += 1;
        await this.recordFailure(t, result ? new AppError(result.code ?? 'upstream_error', result.error) : new AppError('upstream_error', 'no answer for this upstream'));
        continue;
      }
      heads.push({ id: t.id, sha: result.sha });
      if (!t.scmCommit) report.initialized += 1;
      else if (t.scmCommit !== result.sha) report.moved += 1;
    }
    if (heads.length === 0) return;
    const values = sql.join(heads.map((h) => sql`(${h.id}::integer, ${h.sha}::text)`), sql`, `);
    // one statement per batch: record the head, start new trackings at it, queue the ones that moved
    await this.db.execute(sql`
      update ${tracking} t set
        last_checked_at = now(),
        last_head = v.head,
        scm_commit = coalesce(t.scm_commit, v.head),
        queued_at = case when t.scm_commit is not null and t.scm_commit <> v.head then coalesce(t.queued_at, now()) else t.queued_at end,
        status = case when not t.enabled then 'paused' when t.scm_commit is not null and t.scm_commit <> v.head then 'queued' else 'ok' end,
        last_error = case when t.scm_commit is not null and t.scm_commit <> v.head then t.last_error else null end,
        consecutive_failures = case when t.scm_commit is not null and t.scm_commit <> v.head then t.consecutive_failures else 0 end,
        next_attempt_at = case when t.scm_commit is not null and t.scm_commit <> v.head then t.next_attempt_at else null end
      from (values ${values}) as v(id, head)
      where t.id = v.id`);
  }

  /** Step 3: claim and run queued trackings until the queue is empty for this replica, one per free worker. */
  async processQueue(): Promise<number> {
    let processed = 0;
    await Promise.all(
      Array.from({ length: this.concurrency }, async () => {
        for (;;) {
          const [id] = await claimWork(this.db, this.owner, 1, this.leaseMs);
          if (id === undefined) return;
          // the heads phase just recorded where this upstream is: no need to ask again
          await this.runClaimed(id, false, true);
          processed += 1;
        }
      }),
    );
    return processed;
  }

  /**
   * An on-demand scan (API, CLI, a maintainer's retry): runs now under a lease, or answers `busy` while a run
   * of the tracking is under way here or on another replica. A dry run takes no lease and writes nothing, so it
   * also shows a paused tracking; a real scan of a paused one publishes nothing.
   */
  async scanNow(id: number, options: { dryRun?: boolean } = {}): Promise<RunResult | { action: 'busy' }> {
    const [t] = await this.db.select().from(tracking).where(eq(tracking.id, id));
    if (!t) throw new AppError('not_found', 'no such tracking');
    if (options.dryRun) return runTracking(this.deps, t, { dryRun: true });
    if (!t.enabled) throw pausedError(id);
    if (this.inFlight.has(id) || !(await claimOne(this.db, id, this.owner, this.leaseMs))) {
      const [now] = await this.db.select({ enabled: tracking.enabled }).from(tracking).where(eq(tracking.id, id));
      if (now && !now.enabled) throw pausedError(id);
      return { action: 'busy' };
    }
    return this.runClaimed(id, true);
  }

  private async runClaimed(id: number, rethrow: true): Promise<RunResult>;
  private async runClaimed(id: number, rethrow?: false, useRecordedHead?: boolean): Promise<RunResult | null>;
  private async runClaimed(id: number, rethrow = false, useRecordedHead = false): Promise<RunResult | null> {
    // claimed again here after its lease ran out while the first run goes on: that run keeps the tracking
    if (this.inFlight.has(id)) return null;
    const [t] = await this.db.select().from(tracking).where(eq(tracking.id, id));
    if (!t) throw new AppError('not_found', 'no such tracking');
    // renewed in the background while the run goes on (a step may outlast a lease: a big fetch, a slow forge);
    // the run checks between steps whether another replica took the tracking over meanwhile
    let lost = false;
    const renew = async () => {
      try {
        if (!(await renewLease(this.db, id, this.owner, this.leaseMs))) lost = true;
      } catch (err) {
        this.logger.warn({ tracking: id, err: errorMessage(err) }, 'lease renewal failed');
      }
    };
    const timer = setInterval(() => void renew(), Math.max(100, Math.floor(this.leaseMs / 3)));
    timer.unref();
    const heartbeat = async () => {
      if (lost) throw new AppError('lease_lost', 'another replica took over this tracking');
    };
    this.inFlight.add(id);
    try {
      const head = useRecordedHead && t.lastHead && t.lastHead !== t.scmCommit ? t.lastHead : undefined;
      const result = await runTracking({ ...this.deps, logger: this.logger, heartbeat }, t, { head });
      await this.recordSuccess(id);
      // the logger names this replica (engine: owner)
      this.logger.info({ tracking: id, repo: t.repo, branch: t.branch, action: result.action, published: 'published' in result ? result.published.length : 0 }, 'tracking run done');
      return result;
    } catch (err) {
      // the replica that took over owns the tracking's status now
      if (!(err instanceof AppError && err.code === 'lease_lost')) await this.recordFailure(t, err);
      if (rethrow) throw err;
      return null;
    } finally {
      clearInterval(timer);
      this.inFlight.delete(id);
      await releaseWork(this.db, id, this.owner);
    }
  }

  private async recordSuccess(id: number): Promise<void> {
    await this.db
      .update(tracking)
      .set({ status: statusUnlessPaused('ok'), lastError: null, consecutiveFailures: 0, nextAttemptAt: null, lastCheckedAt: sql`now()` })
      .where(eq(tracking.id, id));
  }

  async recordFailure(t: TrackingRow, err: unknown): Promise<void> {
    const code = err instanceof AppError ? err.code : 'internal';
    const message = redactSecrets(errorMessage(err));
    const failures = t.consecutiveFailures + 1;
    const delay = Math.min(this.backoffMaxMs, this.backoffBaseMs * 2 ** (failures - 1));
    const status = BLOCKING.has(code) ? 'blocked' : 'error';
    this.logger.warn({ tracking: t.id, repo: t.repo, branch: t.branch, code, failures }, `tracking failed: ${message}`);
    await this.db
      .update(tracking)
      .set({
        status: statusUnlessPaused(status),
        lastError: message,
        consecutiveFailures: sql`${tracking.consecutiveFailures} + 1`,
        nextAttemptAt: new Date(Date.now() + delay),
        lastCheckedAt: sql`now()`,
      })
      .where(eq(tracking.id, t.id));
  }
}

/** A tracking paused while it ran stays `paused`: its status says what `enabled` says. */
function statusUnlessPaused(status: string) {
  return sql<string>`case when ${tracking.enabled} then ${status} else 'paused' end`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function pausedError(id: number): AppError {
  return new AppError('tracking_paused', `tracking ${id} is paused: nothing is published until it is resumed (a dry run shows what would be)`);
}
