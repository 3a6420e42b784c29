/**
 * The dashboard's login cookies and CSRF tokens. A session (auth/sessions.ts, kept in the database) is
 * named by a random id sent as an HttpOnly, SameSite=Strict cookie, Secure when the request came over TLS.
 * The CSRF token is a second random cookie that every form repeats in a hidden field (double submit): a
 * cross-site page can neither read the cookie nor, with SameSite=Strict, make the browser send it.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Access } from '../auth/authenticator.js';
import type { SessionStore } from '../auth/sessions.js';
import { AppError } from '../errors.js';
import { originOf } from '../http/request.js';

export const SESSION_COOKIE = 'pt_session';
export const CSRF_COOKIE = 'pt_csrf';
export const CSRF_FIELD = '_csrf';

/** Secure cookies only when the client talks TLS (directly, or through a trusted proxy that says so). */
function overTls(c: Context): boolean {
  return originOf(c).startsWith('https:');
}

function cookieOptions(c: Context, maxAgeSeconds: number) {
  return { httpOnly: true, sameSite: 'Strict' as const, secure: overTls(c), path: '/', maxAge: maxAgeSeconds };
}

/** A new session id at every login (an id set before login is never promoted), replacing any earlier one. */
export async function startSession(c: Context, store: SessionStore, principal: string, access?: Access): Promise<void> {
  await store.end(getCookie(c, SESSION_COOKIE));
  setCookie(c, SESSION_COOKIE, await store.create(principal, access), cookieOptions(c, Math.floor(store.ttlMs / 1000)));
}

export async function endSession(c: Context, store: SessionStore): Promise<void> {
  await store.end(getCookie(c, SESSION_COOKIE));
  deleteCookie(c, SESSION_COOKIE, { path: '/', secure: overTls(c) });
}

/** The visitor's live session (who, and what they may do), if any. */
export function sessionOf(c: Context, store: SessionStore): Promise<{ principal: string; access?: Access } | undefined> {
  return store.session(getCookie(c, SESSION_COOKIE));
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
  // all values of repeated fields (the list's ticked patches); single fields read through params.ts formText
  const form = await c.req.parseBody({ all: true });
  if (!csrfMatches(c, form[CSRF_FIELD])) throw new AppError('csrf_failed', 'the form is stale or came from another site: reload the page and try again');
  return form;
}
