import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApi, basicAuth, jsonRequest } from '../helpers/api.js';

const ITEM = {
  version_control: 'git',
  scm_repo: 'https://example.org/up/lib.git',
  scm_branch: 'main',
  repo: 'src-openeuler/lib',
  branch: 'master',
  enabled: true,
};

let api: Awaited<ReturnType<typeof createTestApi>>;
beforeAll(async () => {
  api = await createTestApi();
});
afterAll(() => api.close());

const req = (path: string, init?: RequestInit) => api.app.request(path, init);

describe('/api/v1/trackings', () => {
  let id: number;

  it('creates with 201 and a Location, and refuses a duplicate with 409', async () => {
    const res = await req('/api/v1/trackings', jsonRequest('POST', ITEM));
    expect(res.status).toBe(201);
    const body = await res.json();
    id = body.id;
    expect(res.headers.get('location')).toBe(`/api/v1/trackings/${id}`);
    expect(body).toMatchObject({ ...ITEM, scm_commit: null, status: 'idle', consecutive_failures: 0 });
    const again = await req('/api/v1/trackings', jsonRequest('POST', ITEM));
    expect(again.status).toBe(409);
    expect((await again.json()).error.code).toBe('conflict');
  });

  it('gets one, 404 for a missing id, 400 for a non-numeric id', async () => {
    expect((await (await req(`/api/v1/trackings/${id}`)).json()).repo).toBe(ITEM.repo);
    const missing = await req('/api/v1/trackings/99999');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: 'not_found', message: 'no such tracking' } });
    const bad = await req('/api/v1/trackings/abc');
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.field).toBe('id');
  });

  it('disables and re-enables with PATCH', async () => {
    const off = await req(`/api/v1/trackings/${id}`, jsonRequest('PATCH', { enabled: false }));
    expect(off.status).toBe(200);
    expect(await off.json()).toMatchObject({ enabled: false, status: 'paused' });
    const on = await req(`/api/v1/trackings/${id}`, jsonRequest('PATCH', { enabled: true }));
    expect(await on.json()).toMatchObject({ enabled: true, status: 'idle' });
  });

  it('validates input with field-level errors', async () => {
    const wrongType = await req('/api/v1/trackings', jsonRequest('POST', { ...ITEM, branch: 'other', enabled: 'yes' }));
    expect(wrongType.status).toBe(400);
    expect((await wrongType.json()).error).toMatchObject({ code: 'invalid_request', field: 'enabled' });
    const unknown = await req(`/api/v1/trackings/${id}`, jsonRequest('PATCH', { colour: 'red' }));
    expect((await unknown.json()).error).toMatchObject({ field: 'colour' });
    const empty = await req(`/api/v1/trackings/${id}`, jsonRequest('PATCH', {}));
    expect(empty.status).toBe(400);
    const notJson = await req('/api/v1/trackings', jsonRequest('POST', '{oops'));
    expect(notJson.status).toBe(400);
    expect((await notJson.json()).error.code).toBe('invalid_request');
  });

  it('requires auth for writes, 401 JSON with a Basic challenge', async () => {
    const res = await req('/api/v1/trackings', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ITEM) });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/Basic/);
    expect((await res.json()).error.code).toBe('unauthorized');
  });

  it('pages with a Link header until the last page', async () => {
    for (let i = 0; i < 5; i++) await req('/api/v1/trackings', jsonRequest('POST', { ...ITEM, branch: `b${i}` }));
    const seen: string[] = [];
    let next: string | null = '/api/v1/trackings?limit=2&enabled=true';
    while (next) {
      const res = await req(next);
      seen.push(...(await res.json()).map((t: { branch: string }) => t.branch));
      next = /<([^>]+)>; rel="next"/.exec(res.headers.get('link') ?? '')?.[1] ?? null;
    }
    expect(seen).toEqual(['master', 'b0', 'b1', 'b2', 'b3', 'b4']);
    expect((await req('/api/v1/trackings?limit=0')).status).toBe(400);
    expect((await req('/api/v1/trackings?bogus=1')).status).toBe(400);
  });

  it('deletes with 204, then 404', async () => {
    expect((await req(`/api/v1/trackings/${id}`, { method: 'DELETE', headers: { authorization: basicAuth() } })).status).toBe(204);
    expect((await req(`/api/v1/trackings/${id}`, { method: 'DELETE', headers: { authorization: basicAuth() } })).status).toBe(404);
  });

  it('says 503 for scan when the engine is not wired in', async () => {
    const [first] = await (await req('/api/v1/trackings?limit=1')).json();
    const res = await req(`/api/v1/trackings/${first.id}/scan`, { method: 'POST', headers: { authorization: basicAuth() } });
    expect(res.status).toBe(503);
  });
});

describe('failed logins', () => {
  it('throttles a client after repeated failures with 429 and Retry-After, never echoing the password', async () => {
    // an API of its own: the throttle is per client, and every in-process request comes from the same one
    const own = await createTestApi();
    const req = (path: string, init?: RequestInit) => own.app.request(path, init);
    const wrong = { authorization: basicAuth('admin', 'Secret-Guess-1') };
    let last: Response | undefined;
    for (let i = 0; i < 11; i++) last = await req('/api/v1/tokens', { headers: wrong });
    expect(last!.status).toBe(429);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = await last!.text();
    expect(body).not.toContain('Secret-Guess-1');
    // the compat layer answers the same client the same way
    expect((await req('/tracking?repo=x', { method: 'DELETE', headers: wrong })).status).toBe(429);
    await own.close();
  });
});

describe('/api/v1/issues', () => {
  it('lists (empty) and 404s a missing one', async () => {
    expect(await (await req('/api/v1/issues')).json()).toEqual([]);
    expect((await req('/api/v1/issues/5')).status).toBe(404);
  });
});

describe('API tokens', () => {
  it('creates a token shown once, authenticates with it as Bearer, lists without it, and revokes it', async () => {
    const created = await req('/api/v1/tokens', jsonRequest('POST', { name: 'ci', scopes: ['trackings'] }));
    expect(created.status).toBe(201);
    const { token, id } = await created.json();
    expect(token).toMatch(/^ptk_/);
    const bearer = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    const add = await req('/api/v1/trackings', { method: 'POST', headers: bearer, body: JSON.stringify({ ...ITEM, branch: 'via-token' }) });
    expect(add.status).toBe(201);
    const listing = await (await req('/api/v1/tokens', { headers: { authorization: basicAuth() } })).json();
    expect(JSON.stringify(listing)).not.toContain(token);
    expect(listing[0]).toMatchObject({ id, name: 'ci', scopes: ['trackings'], revoked_at: null });
    expect(listing[0].last_used_at).not.toBeNull();
    expect((await req(`/api/v1/tokens/${id}`, { method: 'DELETE', headers: { authorization: basicAuth() } })).status).toBe(204);
    const after = await req('/api/v1/trackings', { method: 'POST', headers: bearer, body: JSON.stringify({ ...ITEM, branch: 'again' }) });
    expect(after.status).toBe(401);
  });
});

describe('OpenAPI', () => {
  it('serves an OpenAPI 3.1 document generated from the validating schemas, and a readable page', async () => {
    const doc = await (await req('/api/v1/openapi.json')).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/trackings', '/trackings/{id}', '/issues', '/tokens']));
    expect(doc.components.schemas.TrackingInput.properties.version_control.enum).toEqual(['github', 'git', 'mail']);
    const page = await req('/api/v1/docs');
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain('/api/v1/trackings/{id}');
    expect(html).toContain('TrackingInput');
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await req('/api/v1/nothing');
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe('not_found');
  });
});
