/**
 * What external CI attaches to published upstream ranges (checks), the range-side events (a range was
 * published, its PR merged or closed, a check was added) and the leases of tester work. Mail-side checks
 * and events live in mail.ts; range events take their ids from the same sequence as mail events so the
 * events APIs can serve one id-ordered stream.
 */
import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { publication } from './engine.js';
import { tracking } from './tracking.js';

/** A CI result on one published range (same fields as patch_check). */
export const rangeCheck = pgTable(
  'range_check',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    publicationId: integer('publication_id')
      .notNull()
      .references(() => publication.id, { onDelete: 'cascade' }),
    user: text('user').notNull(),
    /** pending | success | warning | fail */
    state: text('state').notNull(),
    targetUrl: text('target_url'),
    context: text('context').notNull().default('default'),
    description: text('description'),
    date: timestamp('date', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('range_check_publication_idx').on(t.publicationId, t.context)],
);

/** range-published | range-check-created | pr-merged | pr-closed */
export const rangeEvent = pgTable(
  'range_event',
  {
    // shares the mail event table's sequence: ids are unique and ordered across both tables
    id: integer('id').primaryKey().default(sql`nextval(pg_get_serial_sequence('event', 'id'))`),
    category: text('category').notNull(),
    trackingId: integer('tracking_id').references(() => tracking.id, { onDelete: 'set null' }),
    publicationId: integer('publication_id').references(() => publication.id, { onDelete: 'cascade' }),
    actor: text('actor'),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull().default({}),
    date: timestamp('date', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('range_event_date_idx').on(t.date), index('range_event_category_idx').on(t.category)],
);

/**
 * One test of one series or published range, handed to a tester. `lease_expires_at` passed without a
 * report: the job is handed out again to the next tester that asks.
 */
export const testerJob = pgTable(
  'tester_job',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    /** series | range */
    kind: text('kind').notNull(),
    /** series id or publication id */
    subjectId: integer('subject_id').notNull(),
    test: text('test').notNull(),
    tester: text('tester').notNull(),
    /** running | done */
    status: text('status').notNull().default('running'),
    attempts: integer('attempts').notNull().default(1),
    leasedAt: timestamp('leased_at', { withTimezone: true }).notNull().defaultNow(),
    leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true }).notNull(),
    /** pending | success | warning | fail, once reported */
    result: text('result'),
    log: text('log'),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('tester_job_subject_test_key').on(t.kind, t.subjectId, t.test), index('tester_job_lease_idx').on(t.status, t.leaseExpiresAt)],
);

/** How far a background consumer of the event stream got (e.g. CI for complete series). */
export const ciCursor = pgTable('ci_cursor', {
  name: text('name').primaryKey(),
  position: integer('position').notNull().default(0),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

export type RangeCheckRow = typeof rangeCheck.$inferSelect;
export type RangeEventRow = typeof rangeEvent.$inferSelect;
export type TesterJobRow = typeof testerJob.$inferSelect;
