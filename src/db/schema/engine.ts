import { index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { tracking } from './tracking.js';

export interface PublishedCommit {
  sha: string;
  subject: string;
  message: string;
  authorName: string;
  authorDate: string;
  url?: string;
}

/** Why one spec patch is (or may be) in the upstream already. */
export interface PatchFinding {
  /** the file the spec's Patch tag names */
  file: string;
  /** its Patch number */
  number: number;
  status: 'upstream' | 'uncertain' | 'not-upstream';
  method?: 'from-header' | 'patch-id' | 'reverse-apply';
  upstreamCommit?: string;
  upstreamSubject?: string;
  /** one sentence for the maintainer */
  reason: string;
}

/** The removal a publication of kind `upstreamed` proposes (see src/upstreamed/). */
export interface RemovalDetail {
  specPath: string;
  version: string;
  /** the upstream tag the version resolved to, and its commit */
  tag: string;
  commit: string;
  upstream: string;
  removed: PatchFinding[];
  uncertain: PatchFinding[];
  /** the remaining patches applied to the upstream tree at the tag, in rpm's order */
  applyCheck: { outcome: 'clean' | 'conflict'; failed: { file: string; error: string }[] };
}

/**
 * One upstream range on its way to a PR. Each publishing step records its result here, so a run after a
 * crash resumes where the last one stopped; (tracking, range_from, range_to) is unique, so a range is
 * published once however many replicas race for it.
 */
export const publication = pgTable(
  'publication',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    trackingId: integer('tracking_id')
      .notNull()
      .references(() => tracking.id, { onDelete: 'cascade' }),
    /** range: upstream commits as patch files; upstreamed: a removal of spec patches the upstream already has */
    kind: text('kind').notNull().default('range'),
    rangeFrom: text('range_from').notNull(),
    rangeTo: text('range_to').notNull(),
    /** planned | branch | files | issue | pr | done | rejected | failed */
    step: text('step').notNull().default('planned'),
    targetRepo: text('target_repo').notNull(),
    targetBranch: text('target_branch').notNull(),
    tempBranch: text('temp_branch').notNull(),
    /** the timestamp used in titles (stable across resumed runs) */
    stamp: text('stamp').notNull(),
    commits: jsonb('commits').$type<PublishedCommit[]>().notNull(),
    commitSha: text('commit_sha'),
    issueId: text('issue_id'),
    issueUrl: text('issue_url'),
    prNumber: text('pr_number'),
    prUrl: text('pr_url'),
    /** paths of the patch files committed (known from the files step on) */
    patchFiles: jsonb('patch_files').$type<string[]>().notNull().default([]),
    /** sentences for the maintainer (spec warnings, skipped empty commits) */
    warnings: jsonb('warnings').$type<string[]>().notNull().default([]),
    /** the branch the temp branch was made from: the target branch, or the previous range's temp branch */
    baseBranch: text('base_branch').notNull(),
    /** kind upstreamed: what is removed and why, as analysed when the row was planned (the texts come from it) */
    removal: jsonb('removal').$type<RemovalDetail>(),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('publication_range_key').on(t.trackingId, t.rangeFrom, t.rangeTo), index('publication_step_idx').on(t.step)],
);

/** Named leases for work only one replica should do at a time (the heads check of a cycle). */
export const engineLease = pgTable('engine_lease', {
  name: text('name').primaryKey(),
  owner: text('owner').notNull(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
});

/**
 * The spec-patches-upstream step's bookkeeping per tracking (src/upstreamed/step.ts), shared by replicas and
 * kept across restarts: each cycle looks at the trackings looked at longest ago, and analyses one again
 * only when its spec or upstream head moved since the last finished analysis.
 */
export const upstreamedLook = pgTable(
  'upstreamed_look',
  {
    trackingId: integer('tracking_id')
      .primaryKey()
      .references(() => tracking.id, { onDelete: 'cascade' }),
    lookedAt: timestamp('looked_at', { withTimezone: true }).notNull(),
    /** the spec's blob and the upstream head at the last finished analysis; null before one finished */
    analysedMark: text('analysed_mark'),
  },
  (t) => [index('upstreamed_look_looked_at_idx').on(t.lookedAt)],
);

export type PublicationRow = typeof publication.$inferSelect;
