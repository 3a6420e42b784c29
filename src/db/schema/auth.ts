import { sql } from 'drizzle-orm';
import { integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/** API tokens: shown once at creation, stored as a SHA-256 digest (they are 256-bit random, so no slow hash is needed). */
export const apiToken = pgTable(
  'api_token',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    name: text('name').notNull(),
    /** first characters of the token, to recognise it in listings */
    prefix: text('prefix').notNull(),
    digest: text('digest').notNull(),
    /**
     * what the token may do (src/auth/scopes.ts); always given at creation. The default (every scope) is
     * what tokens made before scopes existed received, so they keep working as they did.
     */
    scopes: text('scopes')
      .array()
      .notNull()
      .default(sql`'{read,trackings,patches,checks,tester,mail,admin}'::text[]`),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('api_token_digest_key').on(t.digest)],
);

export type ApiTokenRow = typeof apiToken.$inferSelect;
