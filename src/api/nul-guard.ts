/**
 * PostgreSQL's text cannot hold a NUL character: a string carrying one fails inside the query, as a 500.
 * No route stores or filters by such a string on purpose, so the request is refused at the edge, once for
 * every route: in its path, its query, or a JSON or form body. The answer names the field.
 */
import type { MiddlewareHandler } from 'hono';
import { invalidInput } from '../errors.js';
import type { ApiEnv } from './context.js';

const NUL = '\u0000';

/** The dotted path of the first string (or key) holding a NUL, or undefined. */
export function nulField(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return value.includes(NUL) ? path || 'body' : undefined;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const hit = nulField(item, path ? `${path}.${i}` : String(i));
      if (hit !== undefined) return hit;
    }
    return undefined;
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const at = path ? `${path}.${key}` : key;
      if (key.includes(NUL)) return at;
      const hit = nulField(item, at);
      if (hit !== undefined) return hit;
    }
  }
  return undefined;
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export const refuseNul: MiddlewareHandler<ApiEnv> = async (c, next) => {
  const fail = (field: string) => {
    throw invalidInput(field, 'must not contain a NUL character');
  };
  // a NUL reaches the path or query only percent-encoded: most URLs need no parsing here
  if (c.req.url.includes('%00') || c.req.url.includes(NUL)) {
    const url = new URL(c.req.url);
    if (decoded(url.pathname).includes(NUL)) fail('path');
    for (const [key, value] of url.searchParams) if (key.includes(NUL) || value.includes(NUL)) fail(key.replaceAll(NUL, '') || 'query');
  }
  const type = c.req.header('content-type') ?? '';
  if (/^application\/(.+\+)?json\b/i.test(type)) {
    // a body that is not JSON is the route's to refuse (with its own words); Hono keeps the text for it
    const text = await c.req.text();
    if (text.includes('\\u0000') || text.includes(NUL)) {
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      const field = nulField(body);
      if (field !== undefined) fail(field);
    }
  } else if (/^application\/x-www-form-urlencoded\b/i.test(type)) {
    for (const [key, value] of new URLSearchParams(await c.req.text())) if (key.includes(NUL) || value.includes(NUL)) fail(key.replaceAll(NUL, '') || 'body');
  }
  await next();
};
