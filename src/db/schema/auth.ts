import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { mailProject } from './mail.js';

/**
 * People who log in (besides the USER/PASSWORD admin of the settings): maintainers of mailing-list projects,
 * submitters who manage their own patches, admins. The password is kept as a bcrypt hash only.
 */
export const appUser = pgTable(
  'app_user',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    name: text('name').notNull(),
    /** matched (case-insensitively) against a patch's submitter to let users manage their own patches */
    email: text('email').notNull(),
    passwordHash: text('password_hash').notNull(),
    admin: boolean('admin').notNull().default(false),
    /** a deactivated user keeps their rows but cannot log in, and their tokens stop working */
    active: boolean('active').notNull().default(true),
    /**
     * bumped whenever what the user's logins prove or may do changes (password, email, admin flag,
     * deactivation): a dashboard session started before the change no longer matches and ends
     */
    stamp: integer('stamp').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('app_user_name_key').on(t.name)],
);

export type AppUserRow = typeof appUser.$inferSelect;

/** Who maintains a mailing-list project: they (and admins) change its patches' state, delegate and archived flag. */
export const projectMaintainer = pgTable(
  'project_maintainer',
  {
    projectId: integer('project_id')
      .notNull()
      .references(() => mailProject.id, { onDelete: 'cascade' }),
    userId: integer('user_id')
      .notNull()
      .references(() => appUser.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.userId] })],
);

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
    /** the user the token acts as (its writes follow that user's permissions); null = the service's admin */
    userId: integer('user_id').references(() => appUser.id, { onDelete: 'cascade' }),
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
    /** what the login may do (its scopes and user), as it was at login */
    access: jsonb('access'),
    /** the token the login presented: revoking (or deleting) it ends the session */
    tokenId: integer('token_id').references(() => apiToken.id, { onDelete: 'cascade' }),
    /** the user the login acts as, and their stamp at login: a change of the user (app_user.stamp) ends the session */
    userId: integer('user_id').references(() => appUser.id, { onDelete: 'cascade' }),
    userStamp: integer('user_stamp'),
    /** the settings' admin (USER, PASSWORD) at login: another USER or PASSWORD ends the session */
    adminStamp: text('admin_stamp'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('web_session_expires_at_idx').on(t.expiresAt)],
);
