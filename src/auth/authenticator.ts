/**
 * Decides whether a request's credentials are good: HTTP Basic against USER/PASSWORD, or a Bearer API token.
 * A verified Basic credential is remembered under an HMAC with a per-process key (never the plaintext), so
 * a bulk import of 1,000 items pays for one bcrypt run, not 1,000. Repeated failures from one client are
 * throttled.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database } from '../db/client.js';
import { verifyPassword } from './passwords.js';
import { findLiveToken, touchToken } from './tokens.js';

export type AuthResult =
  | { ok: true; principal: string }
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
  private readonly verified = new Map<string, number>();
  private readonly failures = new Map<string, FailureRecord>();
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly cacheTtlMs: number;
  private readonly now: () => number;

  constructor(private readonly options: AuthenticatorOptions) {
    this.maxFailures = options.maxFailures ?? 10;
    this.windowMs = options.windowMs ?? 60_000;
    this.cacheTtlMs = options.cacheTtlMs ?? 10 * 60_000;
    this.now = options.now ?? Date.now;
  }

  async authenticate(authorization: string | undefined, client: string): Promise<AuthResult> {
    const blocked = this.blockedFor(client);
    if (blocked > 0) return { ok: false, reason: 'throttled', retryAfterSeconds: Math.ceil(blocked / 1000) };
    if (!authorization) return { ok: false, reason: 'missing' };
    const [scheme, ...rest] = authorization.trim().split(/\s+/);
    const value = rest.join(' ');
    let principal: string | null = null;
    if (scheme?.toLowerCase() === 'basic') principal = await this.checkBasic(value);
    else if (scheme?.toLowerCase() === 'bearer') principal = await this.checkBearer(value);
    if (principal) {
      this.failures.delete(client);
      return { ok: true, principal };
    }
    return this.recordFailure(client);
  }

  private async checkBasic(encoded: string): Promise<string | null> {
    let decoded: string;
    try {
      decoded = Buffer.from(encoded, 'base64').toString('utf8');
    } catch {
      return null;
    }
    const colon = decoded.indexOf(':');
    if (colon < 0) return null;
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    if (!safeEqual(user, this.options.user) || !this.options.passwordHash) return null;
    const key = createHmac('sha256', this.cacheKey).update(decoded).digest('hex');
    const expires = this.verified.get(key);
    if (expires !== undefined && expires > this.now()) return user;
    if (!(await (this.options.verify ?? verifyPassword)(password, this.options.passwordHash))) return null;
    if (this.verified.size > 1000) this.verified.clear();
    this.verified.set(key, this.now() + this.cacheTtlMs);
    return user;
  }

  private async checkBearer(token: string): Promise<string | null> {
    const row = await findLiveToken(this.options.db, token);
    if (!row) return null;
    // last-used is informative only: don't make the request wait for it
    touchToken(this.options.db, row.id).catch(() => {});
    return `token:${row.name}`;
  }

  private blockedFor(client: string): number {
    const record = this.failures.get(client);
    return record ? Math.max(0, record.blockedUntil - this.now()) : 0;
  }

  private recordFailure(client: string): AuthResult {
    const now = this.now();
    let record = this.failures.get(client);
    if (!record || now - record.windowStart > this.windowMs) {
      record = { count: 0, windowStart: now, blockedUntil: 0 };
      this.failures.set(client, record);
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

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
