/**
 * Decides whether a request's credentials are good: HTTP Basic against USER/PASSWORD, or a Bearer API token.
 * A verified Basic credential is remembered for a minute under an HMAC with a per-process key (never the
 * plaintext) of the password hash and the credential, so a bulk import of 1,000 items pays for one bcrypt
 * run, not 1,000, and a changed password hash matches no earlier entry. Only successes are remembered: a
 * wrong password costs a full check every time. Concurrent checks of one credential share one bcrypt run
 * (each still waits for it). Repeated failures for one user from one
 * client are throttled, per (client, user): an attacker cannot lock the admin out from elsewhere, and a
 * valid token or the right password is never refused. An unknown user costs a full password check too, so
 * the answer's timing does not tell which user names exist. A deactivated user (users.ts) is refused, by
 * password and by any token of theirs, as if the credential were wrong.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database } from '../db/client.js';
import type { AppUserRow } from '../db/schema/auth.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { ALL_SCOPES, isScope, type Scope } from './scopes.js';
import { findLiveToken, touchToken } from './tokens.js';
import { findUserById, findUserByName } from './users.js';

/** Who a request is from and what they may do. */
export interface Access {
  /** a name for logs, checks and events: the admin user's name or `token:<name>` */
  principal: string;
  scopes: readonly Scope[];
  /** the user a request acts as; absent for the settings' admin and for tokens that belong to no user */
  user?: AccessUser;
  /** what the login rests on: a dashboard session started from it ends when the token is revoked or the user changes */
  credential?: Credential;
}

export interface Credential {
  tokenId?: number;
  userId?: number;
  /** the user's stamp (app_user.stamp) when the credential was checked */
  userStamp?: number;
  /** the settings' admin as configured when the credential was checked (Authenticator.adminStamp) */
  adminStamp?: string;
}

export interface AccessUser {
  id: number;
  name: string;
  email: string;
  admin: boolean;
}

/** What a user who is not an admin may do with the API: read, and manage patches (as the patch rules allow). */
const USER_SCOPES: readonly Scope[] = ['read', 'patches'];

export type AuthResult =
  | ({ ok: true } & Access)
  | { ok: false; reason: 'missing' | 'invalid' }
  | { ok: false; reason: 'throttled'; retryAfterSeconds: number };

export interface AuthenticatorOptions {
  user: string;
  passwordHash: string;
  db: Database;
  /** failures allowed per client within the window before 429 */
  maxFailures?: number;
  windowMs?: number;
  cacheTtlMs?: number;
  now?: () => number;
  /** the slow password check (injectable so tests can count calls) */
  verify?: (password: string, hash: string) => Promise<boolean>;
}

interface FailureRecord {
  count: number;
  windowStart: number;
  blockedUntil: number;
}

export class Authenticator {
  private readonly cacheKey = randomBytes(32);
  /** HMAC of a verified Basic credential → until when, and the user row's hash it was checked against */
  private readonly verified = new Map<string, { expires: number; userHash: string | undefined }>();
  /** checks under way, by cache key: the second of two concurrent requests waits for the first's bcrypt run */
  private readonly pending = new Map<string, Promise<{ ok: boolean; row: AppUserRow | undefined }>>();
  private passwordHash: string;
  /** adminStamp(), made again only when the password changes: it is asked at every admin request */
  private stamp: string;
  private readonly failures = new Map<string, FailureRecord>();
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly cacheTtlMs: number;
  private readonly now: () => number;

  constructor(private readonly options: AuthenticatorOptions) {
    this.maxFailures = options.maxFailures ?? 10;
    this.windowMs = options.windowMs ?? 60_000;
    this.cacheTtlMs = options.cacheTtlMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.passwordHash = options.passwordHash;
    this.stamp = this.stampOf(options.passwordHash);
  }

  /**
   * The settings' admin as configured now: a digest of USER and PASSWORD's hash. A dashboard session of that
   * admin ends when either changes (a new settings.conf after a restart, or setPasswordHash).
   */
  adminStamp(): string {
    return this.stamp;
  }

  private stampOf(passwordHash: string): string {
    return createHash('sha256').update(this.options.user).update('\u0000').update(passwordHash).digest('base64url');
  }

  /** A new password takes effect at once: nothing verified against the old one is answered from memory. */
  setPasswordHash(hash: string): void {
    this.passwordHash = hash;
    this.stamp = this.stampOf(hash);
    this.verified.clear();
  }

  async authenticate(authorization: string | undefined, client: string): Promise<AuthResult> {
    if (!authorization) return { ok: false, reason: 'missing' };
    const [scheme, ...rest] = authorization.trim().split(/\s+/);
    const value = rest.join(' ');
    let access: Access | null = null;
    let claimed = '(token)';
    if (scheme?.toLowerCase() === 'basic') {
      const basic = decodeBasic(value);
      claimed = basic?.user ?? '';
      access = basic ? await this.checkBasic(basic) : null;
    } else if (scheme?.toLowerCase() === 'bearer') access = await this.checkBearer(value);
    const failureKey = `${client}\u0000${claimed}`;
    if (access) {
      this.failures.delete(failureKey);
      return { ok: true, ...access };
    }
    const blocked = this.blockedFor(failureKey);
    if (blocked > 0) return { ok: false, reason: 'throttled', retryAfterSeconds: Math.ceil(blocked / 1000) };
    return this.recordFailure(failureKey);
  }

  private async checkBasic({ user, password, decoded }: { user: string; password: string; decoded: string }): Promise<Access | null> {
    const passwordHash = this.passwordHash;
    // the admin's hash is part of the key: a new admin password makes every cached admin credential useless
    const key = createHmac('sha256', this.cacheKey).update(passwordHash).update('\u0000').update(decoded).digest('hex');
    const cached = this.verified.get(key);
    if (cached !== undefined && cached.expires > this.now()) {
      if (cached.userHash === undefined) return this.adminAccess(user);
      // a user row may have been removed or given a new password since: the cache holds only while it has not
      const row = await findUserByName(this.options.db, user);
      if (row && row.passwordHash === cached.userHash) return userAccess(row);
      this.verified.delete(key);
    }
    let check = this.pending.get(key);
    if (!check) {
      check = this.verifyBasic(user, password, passwordHash);
      this.pending.set(key, check);
      check.finally(() => this.pending.delete(key)).catch(() => {});
    }
    const { ok, row } = await check;
    if (!ok) return null;
    // the admin password changed while bcrypt ran: the old one no longer lets anyone in
    if (!row && passwordHash !== this.passwordHash) return null;
    if (this.verified.size > 1000) this.verified.clear();
    this.verified.set(key, { expires: this.now() + this.cacheTtlMs, userHash: row?.passwordHash });
    return row ? userAccess(row) : this.adminAccess(user);
  }

  private adminAccess(user: string): Access {
    return { principal: user, scopes: ALL_SCOPES, credential: { adminStamp: this.adminStamp() } };
  }

  /** One bcrypt run: the settings' admin (USER/PASSWORD) or a user row; an unknown user against a decoy of the same cost. */
  private async verifyBasic(user: string, password: string, adminHash: string): Promise<{ ok: boolean; row: AppUserRow | undefined }> {
    const isAdmin = safeEqual(user, this.options.user) && Boolean(adminHash);
    const row = isAdmin ? undefined : await findUserByName(this.options.db, user);
    const hash = isAdmin ? adminHash : row?.passwordHash;
    const ok = await (this.options.verify ?? verifyPassword)(password, hash ?? (await decoyHash()));
    // a deactivated user's password is checked all the same (the same time), then refused
    return { ok: Boolean(hash) && ok && (row?.active ?? true), row };
  }

  private async checkBearer(token: string): Promise<Access | null> {
    const row = await findLiveToken(this.options.db, token);
    if (!row) return null;
    // last-used is informative only: don't make the request wait for it
    touchToken(this.options.db, row.id).catch(() => {});
    const access: Access = { principal: `token:${row.name}`, scopes: row.scopes.filter(isScope), credential: { tokenId: row.id } };
    if (row.userId !== null) {
      // the token of a deactivated user is refused like a revoked one
      const owner = await findUserById(this.options.db, row.userId);
      const ownerAccess = owner && userAccess(owner);
      if (!ownerAccess) return null;
      access.user = ownerAccess.user;
      access.credential = { ...ownerAccess.credential, tokenId: row.id };
    }
    return access;
  }

  private blockedFor(key: string): number {
    const record = this.failures.get(key);
    return record ? Math.max(0, record.blockedUntil - this.now()) : 0;
  }

  private recordFailure(key: string): AuthResult {
    const now = this.now();
    let record = this.failures.get(key);
    if (!record || now - record.windowStart > this.windowMs) {
      record = { count: 0, windowStart: now, blockedUntil: 0 };
      this.failures.set(key, record);
    }
    record.count += 1;
    if (record.count >= this.maxFailures) {
      // doubling back-off per extra failure, capped at 15 minutes
      const penalty = Math.min(15 * 60_000, this.windowMs * 2 ** (record.count - this.maxFailures));
      record.blockedUntil = now + penalty;
    }
    if (this.failures.size > 10_000) this.failures.clear();
    return { ok: false, reason: 'invalid' };
  }
}

/** What a user row may do; null for a deactivated user. */
function userAccess(row: AppUserRow): Access | null {
  if (!row.active) return null;
  return {
    principal: row.name,
    scopes: row.admin ? ALL_SCOPES : USER_SCOPES,
    user: { id: row.id, name: row.name, email: row.email, admin: row.admin },
    credential: { userId: row.id, userStamp: row.stamp },
  };
}

function decodeBasic(encoded: string): { user: string; password: string; decoded: string } | null {
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1), decoded };
}

let decoy: Promise<string> | undefined;
function decoyHash(): Promise<string> {
  decoy ??= hashPassword(randomBytes(18).toString('base64'));
  return decoy;
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
