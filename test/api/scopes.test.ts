/**
 * Token scopes on every route group: the right scope passes the guard, another gets 403
 * insufficient_scope naming the scope needed, admin (token or the USER/PASSWORD login) passes.
 * "Passes" means the request reached its handler: whatever the handler answers (201, 400 for the empty
 * body, 404 for a missing row, 503 for CI not configured), it is neither 401 nor 403.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken, digestToken } from '../../src/auth/tokens.js';
import { apiToken } from '../../src/db/schema/index.js';
import { SCOPES, type Scope } from '../../src/auth/scopes.js';
import { basicAuth, createTestApi } from '../helpers/api.js';

let api: Awaited<ReturnType<typeof createTestApi>>;
const tokens = new Map<Scope, string>();

beforeAll(async () => {
  api = await createTestApi({ readAuth: true });
  for (const scope of SCOPES) tokens.set(scope, (await createApiToken(api.db, `only-${scope}`, [scope])).token);
});
afterAll(() => api?.close());

interface Call {
  method: string;
  path: string;
  body?: string;
  type?: string;
}

const GROUPS: Array<{ group: string; scope: Scope; call: Call }> = [
  { group: 'trackings (create)', scope: 'trackings', call: { method: 'POST', path: '/api/v1/trackings', body: '{}' } },
  { group: 'trackings (scan)', scope: 'trackings', call: { method: 'POST', path: '/api/v1/trackings/999999/scan' } },
  { group: 'compat /tracking', scope: 'trackings', call: { method: 'POST', path: '/tracking', body: '{}' } },
  { group: 'tokens (create)', scope: 'admin', call: { method: 'POST', path: '/api/v1/tokens', body: '{}' } },
  { group: 'tokens (list)', scope: 'admin', call: { method: 'GET', path: '/api/v1/tokens' } },
  { group: 'tokens (revoke)', scope: 'admin', call: { method: 'DELETE', path: '/api/v1/tokens/999999' } },
  { group: 'mail intake', scope: 'mail', call: { method: 'POST', path: '/api/v1/mail', body: 'x', type: 'text/plain' } },
  { group: 'checks', scope: 'checks', call: { method: 'POST', path: '/api/v1/checks', body: '{}' } },
  { group: 'CI submission', scope: 'checks', call: { method: 'POST', path: '/api/v1/ci' } },
  { group: 'Patchwork checks', scope: 'checks', call: { method: 'POST', path: '/api/1.3/patches/999999/checks/', body: '{}' } },
  { group: 'Patchwork patch update', scope: 'patches', call: { method: 'PATCH', path: '/api/1.3/patches/999999/', body: '{}' } },
  { group: 'testers', scope: 'tester', call: { method: 'POST', path: '/api/v1/testers/claim', body: '{}' } },
  { group: 'reads (trackings)', scope: 'read', call: { method: 'GET', path: '/api/v1/trackings' } },
  { group: 'reads (upstreamed patches)', scope: 'read', call: { method: 'GET', path: '/api/v1/trackings/999999/upstreamed' } },
  { group: 'reads (events)', scope: 'read', call: { method: 'GET', path: '/api/v1/events' } },
  { group: 'reads (Patchwork)', scope: 'read', call: { method: 'GET', path: '/api/1.3/patches/' } },
  { group: 'reads (compat)', scope: 'read', call: { method: 'GET', path: '/tracking' } },
];

function send(call: Call, authorization: string) {
  const headers: Record<string, string> = { authorization };
  if (call.body !== undefined) headers['content-type'] = call.type ?? 'application/json';
  return api.app.request(call.path, { method: call.method, headers, body: call.body });
}

const bearer = (scope: Scope) => `Bearer ${tokens.get(scope)!}`;

describe.each(GROUPS)('$group needs $scope', ({ scope, call }) => {
  it('passes with that scope, with an admin token and with the admin login', async () => {
    for (const authorization of [bearer(scope), bearer('admin'), basicAuth()]) {
      const res = await send(call, authorization);
      expect([401, 403], `${call.method} ${call.path} answered ${res.status}`).not.toContain(res.status);
    }
  });

  it('refuses every other single scope with 403 naming the scope needed', async () => {
    // any scope includes read; so for a read route there is no "other" scope that fails
    const others = SCOPES.filter((s) => s !== scope && s !== 'admin' && scope !== 'read');
    for (const other of others) {
      const res = await send(call, bearer(other));
      expect(res.status, `${other} token on ${call.method} ${call.path}`).toBe(403);
      expect(res.headers.get('x-accepted-oauth-scopes')).toBe(scope);
      expect(res.headers.get('x-oauth-scopes')).toBe(other);
      const text = await res.text();
      if (call.path === '/tracking') expect(text).toBe(`Forbidden: this needs the "${scope}" scope; this credential has: ${other}`);
      else expect(JSON.parse(text).error).toEqual({ code: 'insufficient_scope', message: `this needs the "${scope}" scope; this credential has: ${other}` });
    }
  });
});

describe('tokens', () => {
  it("a tester's token can neither mint, list nor revoke tokens", async () => {
    const tester = bearer('tester');
    const mint = await api.app.request('/api/v1/tokens', { method: 'POST', headers: { authorization: tester, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'escalate', scopes: ['admin'] }) });
    expect(mint.status).toBe(403);
    expect((await mint.json()).error).toEqual({ code: 'insufficient_scope', message: 'this needs the "admin" scope; this credential has: tester' });
    expect((await api.app.request('/api/v1/tokens', { headers: { authorization: tester } })).status).toBe(403);
    expect((await api.app.request('/api/v1/tokens/1', { method: 'DELETE', headers: { authorization: tester } })).status).toBe(403);
  });

  it('scopes are chosen at creation, shown in the answer and the listing; none or an unknown one is a 400 naming scopes', async () => {
    const post = (body: unknown) =>
      api.app.request('/api/v1/tokens', { method: 'POST', headers: { authorization: basicAuth(), 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const created = await post({ name: 'ci', scopes: ['checks', 'read', 'checks'] });
    expect(created.status).toBe(201);
    const body = await created.json();
    expect(body).toMatchObject({ name: 'ci', scopes: ['read', 'checks'] });
    const listing = (await (await api.app.request('/api/v1/tokens', { headers: { authorization: basicAuth() } })).json()) as Array<{ id: number; scopes: string[] }>;
    expect(listing.find((t) => t.id === body.id)?.scopes).toEqual(['read', 'checks']);
    for (const bad of [{ name: 'x' }, { name: 'x', scopes: [] }, { name: 'x', scopes: ['root'] }]) {
      const res = await post(bad);
      expect(res.status).toBe(400);
      expect((await res.json()).error.field).toMatch(/^scopes/);
    }
  });

  it('a token stored before scopes existed (no scopes given) holds every scope, so it keeps working', async () => {
    const old = 'ptk_from-before-scopes-0123456789abcdef';
    await api.db.insert(apiToken).values({ name: 'old', prefix: old.slice(0, 10), digest: digestToken(old) });
    const res = await api.app.request('/api/v1/tokens', { headers: { authorization: `Bearer ${old}` } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Array<{ name: string; scopes: string[] }>).find((t) => t.name === 'old')?.scopes).toEqual([...SCOPES]);
  });

  it('an unknown or missing credential is still 401, not 403', async () => {
    expect((await api.app.request('/api/v1/tokens', { headers: { authorization: 'Bearer ptk_nope' } })).status).toBe(401);
    expect((await api.app.request('/api/v1/tokens')).status).toBe(401);
  });
});
