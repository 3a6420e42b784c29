/**
 * The dashboard's login sessions, in the database: a restart logs nobody out and every replica knows every
 * session. A session id is 256 random bits, handed to the browser once and stored only as its SHA-256
 * digest; it lasts a fixed time from login. Expired rows are pruned at each login (an indexed delete).
 * A session also ends with what the login rested on: the token it presented is revoked, the user it acts
 * as is removed, deactivated or changed (password, email, admin flag: app_user.stamp moves on), or the
 * settings' admin it logged in as has another USER or PASSWORD. The lookup joins the token and user rows by
 * primary key, so this costs no extra query.
 */
import { randomBytes } from 'node:crypto';
import { and, eq, gt, lte } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import type { Access } from './authenticator.js';
import { apiToken, appUser, webSession } from '../db/schema/index.js';
import { digestToken } from './tokens.js';

export const SESSION_TTL_MS = 8 * 60 * 60_000;

export class SessionStore {
  constructor(
    private readonly db: Database,
    readonly ttlMs: number = SESSION_TTL_MS,
    private readonly now: () => number = Date.now,
    /** the settings' admin as configured now (Authenticator.adminStamp) */
    private readonly adminStamp: () => string = () => '',
  ) {}

  /** A new session of `principal`, with what the login may do; its id (the cookie's value). */
  async create(principal: string, access?: Access): Promise<string> {
    await this.prune();
    const id = randomBytes(32).toString('base64url');
    const { credential, ...kept } = access ?? {};
    await this.db.insert(webSession).values({
      digest: digestToken(id),
      principal,
      access: access ? kept : null,
      tokenId: credential?.tokenId ?? null,
      userId: credential?.userId ?? null,
      userStamp: credential?.userStamp ?? null,
      adminStamp: credential?.adminStamp ?? null,
      expiresAt: new Date(this.now() + this.ttlMs),
    });
    return id;
  }

  /** A live session: who and what they may do; undefined for an unknown, ended or expired one. */
  async session(id: string | undefined): Promise<{ principal: string; access?: Access } | undefined> {
    // a well-formed id only: anything else cannot be a session and costs no query
    if (!id || !/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined;
    const [row] = await this.db
      .select({
        principal: webSession.principal,
        access: webSession.access,
        tokenId: webSession.tokenId,
        revokedAt: apiToken.revokedAt,
        userId: webSession.userId,
        userStamp: webSession.userStamp,
        active: appUser.active,
        stamp: appUser.stamp,
        adminStamp: webSession.adminStamp,
      })
      .from(webSession)
      .leftJoin(apiToken, eq(apiToken.id, webSession.tokenId))
      .leftJoin(appUser, eq(appUser.id, webSession.userId))
      .where(and(eq(webSession.digest, digestToken(id)), gt(webSession.expiresAt, new Date(this.now()))));
    if (!row) return undefined;
    // a deleted token or user deleted the session (foreign keys); a revoked token or a changed user ends it here
    // (checked here, not in the WHERE: the ORs there made each lookup twice as slow, measured on PostgreSQL 15)
    if (row.tokenId !== null && row.revokedAt !== null) return undefined;
    if (row.userId !== null && !(row.active === true && row.stamp === row.userStamp)) return undefined;
    if (row.adminStamp !== null && row.adminStamp !== this.adminStamp()) return undefined;
    return { principal: row.principal, ...(row.access ? { access: row.access as Access } : {}) };
  }

  async end(id: string | undefined): Promise<void> {
    if (id) await this.db.delete(webSession).where(eq(webSession.digest, digestToken(id)));
  }

  /** Forgets the expired sessions; how many there were. */
  async prune(): Promise<number> {
    const gone = await this.db.delete(webSession).where(lte(webSession.expiresAt, new Date(this.now()))).returning({ digest: webSession.digest });
    return gone.length;
  }
}
