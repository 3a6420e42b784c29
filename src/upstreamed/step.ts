/**
 * The scan cycle's step: for every enabled tracking of a git or GitHub upstream that publishes to a forge,
 * analyse its spec's patches against the upstream release and propose the removal of those already upstream.
 * A tracking is analysed again only when its spec or its upstream head changed since its last finished
 * analysis (the forge is asked for the spec's blob id; the engine records the head). Looking costs two forge
 * requests, so a cycle looks at `perCycle` trackings at most, those looked at longest ago (never looked at
 * first): thousands of trackings never turn one cycle into hours of forge calls, and successive cycles go
 * round the table. That bookkeeping is in the database (upstreamed_look), so replicas taking turns and a
 * restarted service go on where the last cycle stopped. One replica runs it at a time (a named lease).
 * Never throws for a tracking: its failure is logged and the others go on (and it is analysed next time).
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { tracking, upstreamedLook, type TrackingRow } from '../db/schema/index.js';
import { errorMessage } from '../errors.js';
import { isLocalTarget } from '../forges/local.js';
import type { Logger } from '../log.js';
import { chooseSpecFile } from '../patches/spec.js';
import { acquireNamedLease, releaseNamedLease } from '../tracker/claim.js';
import type { PublishOptions } from '../publish/publish.js';
import { proposeRemoval, type ProposalResult } from './propose.js';
import { analyseUpstreamed, type UpstreamedDeps } from './report.js';

export interface UpstreamedStepDeps extends UpstreamedDeps {
  db: Database;
  logger: Logger;
  publish: PublishOptions;
  /** trackings looked at in one cycle (UPSTREAMED_PER_CYCLE); 0 turns the step off */
  perCycle: number;
  now?: () => Date;
}

export interface UpstreamedStepResult {
  analysed: number;
  proposed: number;
  failed: number;
  /** another replica runs the step now */
  skipped?: true;
}

/** One replica at a time runs the step: two proposing one removal at once could each open an issue. */
const LEASE = 'upstreamed';
const LEASE_MS = 10 * 60_000;

export class UpstreamedStep {
  private readonly owner = `upstreamed-${randomUUID().slice(0, 8)}`;

  constructor(private readonly deps: UpstreamedStepDeps) {}

  async run(): Promise<UpstreamedStepResult> {
    const result: UpstreamedStepResult = { analysed: 0, proposed: 0, failed: 0 };
    if (this.deps.perCycle <= 0) return result;
    if (!(await acquireNamedLease(this.deps.db, LEASE, this.owner, LEASE_MS))) return { ...result, skipped: true };
    try {
      await this.runAll(result);
    } finally {
      await releaseNamedLease(this.deps.db, LEASE, this.owner);
    }
    return result;
  }

  private async runAll(result: UpstreamedStepResult): Promise<void> {
    for (const { t, analysedMark } of await this.nextRound()) {
      if (isLocalTarget(t.repo)) continue;
      // each tracking renews the lease, so a long step keeps it (and a lost one stops here)
      if (!(await acquireNamedLease(this.deps.db, LEASE, this.owner, LEASE_MS))) return;
      try {
        const outcome = await this.runOne(t, analysedMark);
        if (!outcome) continue;
        result.analysed += 1;
        if (outcome.action === 'proposed') {
          result.proposed += 1;
          this.deps.logger.info({ tracking: t.id, pr: outcome.publication.prUrl }, 'proposed the removal of spec patches already upstream');
        }
      } catch (err) {
        result.failed += 1;
        this.deps.logger.warn({ tracking: t.id, err: errorMessage(err) }, 'could not analyse the spec patches against the upstream');
      }
    }
  }

  /**
   * The `perCycle` eligible trackings looked at longest ago (never first, then by id), marked as looked at
   * now before any is: a round that fails or is cut short still moves the next cycle on.
   */
  private async nextRound(): Promise<{ t: TrackingRow; analysedMark: string | null }[]> {
    const { db } = this.deps;
    const rows = await db
      .select({ t: tracking, analysedMark: upstreamedLook.analysedMark })
      .from(tracking)
      .leftJoin(upstreamedLook, eq(upstreamedLook.trackingId, tracking.id))
      .where(and(eq(tracking.enabled, true), inArray(tracking.versionControl, ['git', 'github'])))
      .orderBy(sql`${upstreamedLook.lookedAt} asc nulls first`, asc(tracking.id))
      .limit(this.deps.perCycle);
    if (rows.length) {
      await db
        .insert(upstreamedLook)
        .values(rows.map(({ t }) => ({ trackingId: t.id, lookedAt: sql`now()` })))
        .onConflictDoUpdate({ target: upstreamedLook.trackingId, set: { lookedAt: sql`excluded.looked_at` } });
    }
    return rows;
  }

  /** null: nothing changed since the last finished analysis (`analysedMark`) */
  async runOne(t: TrackingRow, analysedMark: string | null): Promise<ProposalResult | null> {
    const repo = this.deps.forges.resolve(t.repo);
    const forge = this.deps.forges.forRepo(repo);
    const files = await forge.listFiles(repo, t.branch);
    const choice = chooseSpecFile(repo.name, files);
    const spec = choice.kind === 'edit' ? await forge.readFile(repo, choice.path, t.branch) : null;
    const mark = `${spec?.sha ?? ''} ${t.lastHead ?? ''}`;
    if (choice.kind !== 'edit' || !spec || analysedMark === mark) return null;
    // the analysis starts from what was just read: no second listing or spec read
    const report = await analyseUpstreamed(this.deps, t, { files, spec: { path: choice.path, content: spec.content } });
    const outcome = await proposeRemoval({ db: this.deps.db, forge, repo, options: this.deps.publish, logger: this.deps.logger, now: this.deps.now }, t, report);
    // a failure above is retried when the tracking comes round again; a finished analysis only when something changes
    await this.deps.db.update(upstreamedLook).set({ analysedMark: mark }).where(eq(upstreamedLook.trackingId, t.id));
    return outcome;
  }
}
