import { sql } from 'drizzle-orm';
import { boolean, index, integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/** What the old program called the tracking table, plus the engine's bookkeeping. */
export const tracking = pgTable(
  'tracking',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    versionControl: text('version_control').notNull(),
    scmRepo: text('scm_repo').notNull(),
    scmBranch: text('scm_branch').notNull(),
    /** last upstream commit processed; null = start from the current head */
    scmCommit: text('scm_commit'),
    repo: text('repo').notNull(),
    branch: text('branch').notNull(),
    enabled: boolean('enabled').notNull().default(true),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    /** idle | ok | queued | running | error | blocked | paused */
    status: text('status').notNull().default('idle'),
    lastCheckedAt: timestamp('last_checked_at', { withTimezone: true }),
    lastHead: text('last_head'),
    lastError: text('last_error'),
    consecutiveFailures: integer('consecutive_failures').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }),
    /** set when the upstream moved (or a scan was asked for): the tracking is a work item until processed */
    queuedAt: timestamp('queued_at', { withTimezone: true }),
    /** the engine replica working on it, until the lease expires (a crashed replica's work is picked up again) */
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('tracking_repo_branch_key').on(t.repo, t.branch),
    index('tracking_queue_idx').on(t.queuedAt).where(sql`${t.queuedAt} is not null`),
    index('tracking_enabled_idx').on(t.enabled).where(sql`${t.enabled}`),
    // the dashboard's counts by status and its list filtered by status, in id order (keyset pages)
    index('tracking_status_id_idx').on(t.status, t.id),
  ],
);

/** Issues (and their PRs) the bot opened. `issue` is a string: Gitee numbers look like I1ABCD. */
export const issue = pgTable(
  'issue',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    issue: text('issue').notNull(),
    repo: text('repo').notNull(),
    branch: text('branch').notNull(),
    trackingId: integer('tracking_id').references(() => tracking.id, { onDelete: 'set null' }),
    forge: text('forge').notNull().default('gitee'),
    issueUrl: text('issue_url'),
    prNumber: text('pr_number'),
    prUrl: text('pr_url'),
    /** open | merged | closed | rejected */
    state: text('state').notNull().default('open'),
    rangeFrom: text('range_from'),
    rangeTo: text('range_to'),
    tempBranch: text('temp_branch'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    mergedAt: timestamp('merged_at', { withTimezone: true }),
    closedAt: timestamp('closed_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('issue_repo_issue_key').on(t.repo, t.issue),
    index('issue_repo_branch_idx').on(t.repo, t.branch),
    // the overview's open PRs, oldest first, and how many there are: open ones are few among all ever opened
    index('issue_open_idx').on(t.id).where(sql`${t.state} = 'open'`),
  ],
);

export type TrackingRow = typeof tracking.$inferSelect;
export type IssueRow = typeof issue.$inferSelect;
