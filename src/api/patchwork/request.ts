/** What every Patchwork route shares: its guards, the URLs of the version asked for, ids, bodies, downloads. */
import type { Context, MiddlewareHandler } from 'hono';
import type { Database } from '../../db/client.js';
import { AppError } from '../../errors.js';
import type { ApiEnv } from '../context.js';
import { originOf } from '../../http/request.js';
import { Urls } from './urls.js';

export type C = Context<ApiEnv>;

/** What a Patchwork resource router needs: the database and the two guards as middleware. */
export interface PatchworkRouteDeps {
  db: Database;
  read: MiddlewareHandler<ApiEnv>;
  write: MiddlewareHandler<ApiEnv>;
  /** posting a check */
  writeCheck: MiddlewareHandler<ApiEnv>;
}

/** The absolute URLs for the API version in the request's path (the unversioned /api/ answers as 1.3). */
export function urlsFor(c: C): Urls {
  const m = /^\/api(\/1\.\d)?/.exec(c.req.path);
  return new Urls(originOf(c), m ? m[0] : '/api/1.3');
}

export function notFound(what: string): AppError {
  return new AppError('not_found', `${what} not found`);
}

/** A numeric path id; anything else is a resource that does not exist (as Django's URL patterns answer). */
export function idOf(c: C, name = 'id'): number {
  const v = c.req.param(name) ?? '';
  if (!/^\d{1,9}$/.test(v)) throw notFound(`${name} ${v}`);
  return Number(v);
}

/** Form-encoded (git-pw, curl -F) or JSON (pwclient) body as a plain object. */
export async function bodyOf(c: C): Promise<Record<string, unknown>> {
  const type = c.req.header('content-type') ?? '';
  if (type.includes('application/json')) {
    const parsed: unknown = await c.req.json().catch(() => {
      throw new AppError('invalid_request', 'the body is not valid JSON', { field: 'body' });
    });
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new AppError('invalid_request', 'expected a JSON object', { field: 'body' });
    return parsed as Record<string, unknown>;
  }
  if (type.includes('application/x-www-form-urlencoded') || type.includes('multipart/form-data')) {
    const form = await c.req.parseBody();
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(form)) if (typeof v === 'string') out[k] = v;
    return out;
  }
  const text = await c.req.text();
  if (text.trim() === '') return {};
  throw new AppError('unsupported_media_type', 'send the fields as JSON or form data', { field: 'content-type' });
}

/** git-pw and pwclient send `Authorization: Token <t>` (Django REST framework's scheme): our API tokens are Bearer tokens. */
export const tokenAsBearer: MiddlewareHandler<ApiEnv> = async (c, next) => {
  const h = c.req.header('authorization');
  if (h && /^token\s+\S/i.test(h)) {
    try {
      c.req.raw.headers.set('authorization', h.replace(/^token\s+/i, 'Bearer '));
    } catch {
      // immutable headers: the guard then refuses the unknown scheme with a 401
    }
  }
  await next();
};

export function mboxResponse(body: Buffer, disposition: string): Response {
  return new Response(new Uint8Array(body), { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8', 'content-disposition': disposition } });
}
