import { index, integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/** API tokens: shown once at creation, stored as a SHA-256 digest (they are 256-bit random, so no slow hash is needed). */
export const apiToken = pgTable(
  'api_token',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    name: text('name').notNull(),
    /** first characters of the token, to recognise it in listings */
    prefix: text('prefix').notNull(),
    digest: text('digest').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('api_token_digest_key').on(t.digest)],
);

export type ApiTokenRow = typeof apiToken.$inferSelect;

/**
 * The dashboard's login sessions, shared by every replica and kept across restarts. The cookie's random id
 * is stored only as its SHA-256 digest (256-bit random, like a token), so a copy of this table logs nobody in.
 */
export const webSession = pgTable(
  'web_session',
  {
    digest: text('digest').primaryKey(),
    principal: text('principal').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('web_session_expires_at_idx').on(t.expiresAt)],
);
