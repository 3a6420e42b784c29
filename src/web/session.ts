/**
 * The dashboard's login sessions and CSRF tokens. Sessions live in memory (a restart logs everyone out,
 * which is acceptable for a handful of maintainers) under a random id sent as an HttpOnly, SameSite=Strict
 * cookie, Secure when the request came over TLS. The CSRF token is a second random cookie that every form
 * repeats in a hidden field (double submit): a cross-site page can neither read the cookie nor, with
 * SameSite=Strict, make the browser send it.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Access } from '../auth/authenticator.js';
import { AppError } from '../errors.js';

export const SESSION_COOKIE = 'pt_session';
export const CSRF_COOKIE = 'pt_csrf';
export const CSRF_FIELD = '_csrf';

interface Session {
  principal: string;
  /** who logged in and what they may do, for the rules a write follows */
  access?: Access;
  expiresAt: number;
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(
    readonly ttlMs: number = 8 * 60 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  create(principal: string, access?: Access): string {
    this.sweep();
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(id, { principal, ...(access ? { access } : {}), expiresAt: this.now() + this.ttlMs });
    return id;
  }

  /** The principal of a live session; an expired one is forgotten. */
  principal(id: string | undefined): string | undefined {
    return this.live(id)?.principal;
  }

  /** The access of a live session. */
  access(id: string | undefined): Access | undefined {
    return this.live(id)?.access;
  }

  private live(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    if (s.expiresAt <= this.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    return s;
  }

  end(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, s] of this.sessions) if (s.expiresAt <= now) this.sessions.delete(id);
  }
}

/** Secure cookies only when the client talks TLS (directly or through a proxy that says so). */
function overTls(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() === 'https';
}

function cookieOptions(c: Context, maxAgeSeconds: number) {
  return { httpOnly: true, sameSite: 'Strict' as const, secure: overTls(c), path: '/', maxAge: maxAgeSeconds };
}

/** A new session id at every login (an id set before login is never promoted), replacing any earlier one. */
export function startSession(c: Context, store: SessionStore, principal: string, access?: Access): void {
  store.end(getCookie(c, SESSION_COOKIE));
  setCookie(c, SESSION_COOKIE, store.create(principal, access), cookieOptions(c, Math.floor(store.ttlMs / 1000)));
}

export function endSession(c: Context, store: SessionStore): void {
  store.end(getCookie(c, SESSION_COOKIE));
  deleteCookie(c, SESSION_COOKIE, { path: '/', secure: overTls(c) });
}

export function sessionPrincipal(c: Context, store: SessionStore): string | undefined {
  return store.principal(getCookie(c, SESSION_COOKIE));
}

export function sessionAccess(c: Context, store: SessionStore): Access | undefined {
  return store.access(getCookie(c, SESSION_COOKIE));
}

/** The visitor's CSRF token, issued on first sight. */
export function csrfToken(c: Context): string {
  const existing = getCookie(c, CSRF_COOKIE);
  if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
  const token = randomBytes(32).toString('base64url');
  setCookie(c, CSRF_COOKIE, token, cookieOptions(c, 24 * 60 * 60));
  return token;
}

/** Whether the submitted form repeats the visitor's CSRF cookie. */
function csrfMatches(c: Context, submitted: unknown): boolean {
  const cookie = getCookie(c, CSRF_COOKIE);
  if (!cookie || typeof submitted !== 'string') return false;
  const a = Buffer.from(cookie);
  const b = Buffer.from(submitted);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The submitted form, once its CSRF token is checked (csrf_failed, a 403, otherwise). */
export async function verifiedForm(c: Context): Promise<Record<string, unknown>> {
  const form = await c.req.parseBody();
  if (!csrfMatches(c, form[CSRF_FIELD])) throw new AppError('csrf_failed', 'the form is stale or came from another site: reload the page and try again');
  return form;
}
