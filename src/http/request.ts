/**
 * Request-level facts every HTTP presentation (the API, the dashboard) reads the same way: who is asking
 * and under which origin the service is reached. `requestFacts` settles both once per request, believing
 * forwarded headers only from TRUSTED_PROXIES; handlers read them with clientAddress() and originOf().
 */
import type { Context, MiddlewareHandler } from 'hono';
import { TrustedProxies } from './trusted-proxies.js';

/** What requestFacts puts on every request's context. */
export type RequestFacts = {
  /** the client's address (through trusted proxies) */
  client?: string;
  /** scheme://host[:port] as the client sees the service */
  origin?: string;
};

/** The peer of the socket: the client, or a proxy in front of it. */
export function socketAddress(c: Context): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? 'local';
}

export function requestFacts(trustedProxies: readonly string[]): MiddlewareHandler<{ Variables: RequestFacts }> {
  const proxies = new TrustedProxies(trustedProxies);
  return async (c, next) => {
    const peer = socketAddress(c);
    c.set('client', proxies.clientOf(peer, c.req.header('x-forwarded-for')));
    c.set('origin', proxies.originOf(peer, c.req.url, { proto: c.req.header('x-forwarded-proto'), host: c.req.header('x-forwarded-host') }));
    await next();
  };
}

/** The client as requestFacts resolved it (the socket's peer for a router used on its own). */
export function clientAddress(c: Context): string {
  return (c.var as RequestFacts).client ?? socketAddress(c);
}

/** The service's origin as requestFacts resolved it (the request's own URL for a router used on its own). */
export function originOf(c: Context): string {
  return (c.var as RequestFacts).origin ?? new URL(c.req.url).origin;
}
