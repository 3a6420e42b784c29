/**
 * Turns the Authenticator's verdict into HTTP answers: the compat layer answers 401 `Unauthorized Access`
 * exactly as the old program did; /api/v1 answers JSON errors. Routes use a Guard only through guard() or
 * guardByMethod(), as middleware. Failures are logged with the client address
 * and the user name, never the password.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { Authenticator } from '../auth/authenticator.js';
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

export function makeGuard(authenticator: Authenticator, style: 'compat' | 'json'): Guard {
  return async (c) => {
    const authorization = c.req.header('authorization');
    const client = clientAddress(c);
    const result = await authenticator.authenticate(authorization, client);
    if (result.ok) {
      c.set('principal', result.principal);
      return null;
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
