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

export type PublicationRow = typeof publication.$inferSelect;
