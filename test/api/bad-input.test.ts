/** Hostile input is a 400 naming the field (4001 on the compat routes), never a 500: issue 9, items 9 and 11. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, createTestApi, jsonRequest } from '../helpers/api.js';

let api: Awaited<ReturnType<typeof createTestApi>>;
beforeAll(async () => {
  api = await createTestApi();
});
afterAll(() => api.close());

const req = (path: string, init?: RequestInit) => api.app.request(path, init);

async function expectField(res: Response, field: string) {
  expect(res.status).toBe(400);
  expect((await res.json()).error).toMatchObject({ code: 'invalid_request', field });
}

describe('NUL bytes', () => {
  it('in a compat query is 4001 in the envelope', async () => {
    const res = await req('/tracking?repo=%00');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ code: '4001', detail: expect.stringContaining('repo') });
  });

  it('in a JSON body or a v1 query is a 400 naming the field', async () => {
    await expectField(await req('/api/v1/tokens', jsonRequest('POST', { name: '\u0000' })), 'name');
    await expectField(await req('/api/v1/trackings?repo=a%00b'), 'repo');
    await expectField(await req('/api/v1/issues?state=%00'), 'state');
  });
});

describe('integers', () => {
  it('past PostgreSQL integer range are a 400 naming the field', async () => {
    await expectField(await req('/api/v1/trackings/2147483648'), 'id');
    await expectField(await req('/api/v1/trackings?after=2147483648'), 'after');
    await expectField(await req('/api/v1/issues?tracking_id=99999999999'), 'tracking_id');
    await expectField(await req('/api/v1/checks', jsonRequest('POST', { patch: 2147483648, context: 'ci', state: 'success' })), 'patch');
  });

  it('are decimal only', async () => {
    const created = await req('/api/v1/trackings', jsonRequest('POST', { version_control: 'git', scm_repo: 'https://example.org/x.git', scm_branch: 'main', repo: 'o/hex', branch: 'master', enabled: true }));
    expect(created.status).toBe(201);
    const { id } = await created.json();
    expect((await req(`/api/v1/trackings/${id}`)).status).toBe(200);
    await expectField(await req(`/api/v1/trackings/0x${id.toString(16)}`), 'id');
    await expectField(await req(`/api/v1/trackings/${id}e0`), 'id');
    await expectField(await req('/api/v1/trackings?limit=1e2'), 'limit');
  });
});

describe('content types', () => {
  it('multipart/form-data on a JSON route is refused, not a 500', async () => {
    const form = new FormData();
    form.set('name', 'x');
    const res = await req('/api/v1/tokens', { method: 'POST', body: form, headers: { authorization: basicAuth() } });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect((await res.json()).error.code).toMatch(/unsupported_media_type|invalid_request/);
  });
});

describe('PATCH /api/v1/trackings/{id} passes the checks POST makes', () => {
  it('refuses what a POST refuses, naming the field', async () => {
    const created = await req('/api/v1/trackings', jsonRequest('POST', { version_control: 'github', scm_repo: 'up/lib', scm_branch: 'main', repo: 'o/patched', branch: 'master', enabled: true }));
    const { id } = await created.json();
    await expectField(await req(`/api/v1/trackings/${id}`, jsonRequest('PATCH', { scm_commit: 'not a sha; $(id)' })), 'scm_commit');
    await expectField(await req(`/api/v1/trackings/${id}`, jsonRequest('PATCH', { scm_branch: '--upload-pack=touch /tmp/x' })), 'scm_branch');
    await expectField(await req(`/api/v1/trackings/${id}`, jsonRequest('PATCH', { scm_repo: '$(id) ; ../../' })), 'scm_repo');
    const ok = await req(`/api/v1/trackings/${id}`, jsonRequest('PATCH', { scm_commit: 'abcdef1234567' }));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ scm_commit: 'abcdef1234567', scm_repo: 'up/lib' });
  });
});
