import { index, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Gitee webhook deliveries already accepted, by (timestamp, token): a replayed request is refused even when
 * it reaches another replica. Rows older than the accepted clock skew are useless and pruned.
 */
export const webhookDelivery = pgTable(
  'webhook_delivery',
  {
    key: text('key').primaryKey(),
    seenAt: timestamp('seen_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('webhook_delivery_seen_idx').on(t.seenAt)],
);
