/**
 * Turns the Authenticator's verdict into HTTP answers: the compat layer answers 401 `Unauthorized Access`
 * exactly as the old program did; /api/v1 answers JSON errors. Each guard needs one scope (declared per
 * route group where app.ts mounts the routers): a credential without it gets 403 `insufficient_scope`
 * naming the scope, with GitHub's `X-Accepted-OAuth-Scopes` / `X-OAuth-Scopes` headers. Routes use a Guard
 * only through guard() or guardByMethod(), as middleware. Failures are logged with the client address
 * and the user name, never the password.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { Access, Authenticator } from '../auth/authenticator.js';
import { grants, type Scope } from '../auth/scopes.js';
import { clientAddress } from '../http/request.js';
import type { ApiEnv } from './context.js';
import { jsonError } from './errors.js';

export type Guard = (c: Context<ApiEnv>) => Promise<Response | null>;

function claimedUser(authorization: string | undefined): string | undefined {
  const match = /^basic\s+(\S+)/i.exec(authorization ?? '');
  if (!match) return authorization ? '(token)' : undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  return decoded.split(':')[0];
}

export function makeGuard(authenticator: Authenticator, style: 'compat' | 'json', scope: Scope): Guard {
  return async (c) => {
    // a request passes several guards at most once through the authenticator (e.g. an admin-only group
    // inside a router that has its own guard)
    const known = c.get('access');
    if (known) return checkScope(c, known, scope, style);
    const authorization = c.req.header('authorization');
    const client = clientAddress(c);
    const result = await authenticator.authenticate(authorization, client);
    if (result.ok) {
      const access: Access = { principal: result.principal, scopes: result.scopes, ...(result.user ? { user: result.user } : {}) };
      c.set('access', access);
      c.set('principal', access.principal);
      return checkScope(c, access, scope, style);
    }
    const logger = c.get('logger');
    if (result.reason === 'throttled') {
      logger?.warn({ client, user: claimedUser(authorization) }, 'authentication throttled');
      c.header('Retry-After', String(result.retryAfterSeconds));
      return style === 'compat'
        ? c.text('Too Many Requests', 429)
        : jsonError(c, 'too_many_attempts', `too many failed logins; retry in ${result.retryAfterSeconds} s`);
    }
    if (result.reason === 'invalid') logger?.warn({ client, user: claimedUser(authorization) }, 'authentication failed');
    c.header('WWW-Authenticate', 'Basic realm="Authentication Required"');
    return style === 'compat'
      ? c.text('Unauthorized Access', 401)
      : jsonError(c, 'unauthorized', result.reason === 'missing' ? 'authentication required' : 'invalid credentials');
  };
}

function checkScope(c: Context<ApiEnv>, access: Access, scope: Scope, style: 'compat' | 'json'): Response | null {
  c.header('X-OAuth-Scopes', access.scopes.join(', '));
  c.header('X-Accepted-OAuth-Scopes', scope);
  if (grants(access.scopes, scope)) return null;
  const held = access.scopes.length ? access.scopes.join(', ') : 'none';
  const message = `this needs the "${scope}" scope; this credential has: ${held}`;
  c.get('logger')?.warn({ client: clientAddress(c), principal: access.principal, scope }, 'insufficient scope');
  return style === 'compat' ? c.text(`Forbidden: ${message}`, 403) : jsonError(c, 'insufficient_scope', message);
}

/** A guard that lets everyone through (GET without READ_AUTH). */
export const openGuard: Guard = async () => null;

/** The one way a route is guarded: as middleware in front of its handlers. */
export function guard(g: Guard): MiddlewareHandler<ApiEnv> {
  return async (c, next) => (await g(c)) ?? next();
}

/** Reads (GET, HEAD) pass `read`, everything else `write`: for a path that serves both. */
export function guardByMethod(read: Guard, write: Guard): MiddlewareHandler<ApiEnv> {
  return async (c, next) => (await (c.req.method === 'GET' || c.req.method === 'HEAD' ? read : write)(c)) ?? next();
}
