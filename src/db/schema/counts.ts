import { boolean, index, integer, pgTable, text } from 'drizzle-orm/pg-core';

/*
 * Counts the dashboard shows over whole tables (trackings by status, a project's patches by state), kept as
 * rows change instead of counted at every page: statement triggers with transition tables (migration 0010)
 * append one signed row per key and statement. Appending never waits on another writer, where one counter
 * row per key would make concurrent writes queue on its lock. A read sums the rows of its keys; src/db/counts.ts
 * folds them into one row per key when they pile up.
 */

/** trackings per status: the sum of n over a status's rows */
export const trackingStatusCount = pgTable('tracking_status_count', {
  status: text('status').notNull(),
  n: integer('n').notNull(),
});

/** patches per project, state and archived flag: the sum of n over a key's rows */
export const patchStateCount = pgTable(
  'patch_state_count',
  {
    projectId: integer('project_id').notNull(),
    state: text('state').notNull(),
    archived: boolean('archived').notNull(),
    n: integer('n').notNull(),
  },
  (t) => [index('patch_state_count_key_idx').on(t.projectId, t.state, t.archived)],
);
