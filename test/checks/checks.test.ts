import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/auth/tokens.js';
import { createProject } from '../../src/mail/store/projects.js';
import { corpusMessages } from '../mail/corpus.js';
import { basicAuth, createIntegrationApi } from '../patchwork/integration-api.js';
import { insertPublishedRange } from './fixtures.js';

type Api = Awaited<ReturnType<typeof createIntegrationApi>>;
let api: Api;
let range: Awaited<ReturnType<typeof insertPublishedRange>>;

const post = (body: unknown, authorization: string | null = basicAuth()) =>
  api.app.request('/api/v1/checks', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify(body),
  });
const getJson = async (path: string) => {
  const res = await api.app.request(path);
  return { res, body: (await res.json()) as any };
};

beforeAll(async () => {
  api = await createIntegrationApi();
  await createProject(api.db, { linkName: 'demo', listId: 'demo.example.org' });
  const raws = await corpusMessages('series/base-cover-letter.mbox');
  await api.store.storeBatch(raws.map((raw) => ({ raw, listId: 'demo.example.org' })));
  range = await insertPublishedRange(api.db);
});
afterAll(async () => {
  await api?.close();
});

describe('/api/v1/checks', () => {
  it('a check on a series lands on each of its patches and shows in the Patchwork API', async () => {
    const res = await post({ series: 1, state: 'warning', context: 'lint', description: '2 warnings' });
    expect(res.status).toBe(201);
    const created = (await res.json()) as any[];
    expect(created.map((c) => c.patch)).toEqual([1, 2]);
    expect(created[0]).toMatchObject({ state: 'warning', context: 'lint', user: 'admin', description: '2 warnings' });
    expect((await getJson('/api/v1/checks?series=1')).body).toHaveLength(2);
    expect((await getJson('/api/v1/checks/combined?series=1')).body).toEqual({ state: 'warning', checks: 2 });
    expect((await getJson('/api/1.3/patches/2/')).body.check).toBe('warning');
    expect((await getJson('/api/1.3/series/1/')).body.check).toBe('warning');
    await post({ patch: 2, state: 'fail', context: 'build' });
    expect((await getJson('/api/1.3/series/1/')).body.check).toBe('fail');
    expect((await getJson('/api/1.3/patches/1/')).body.check).toBe('warning');
  });

  it('a check on a published range: listed by range and by tracking, combined on the range', async () => {
    const token = (await createApiToken(api.db, 'jenkins', ['checks'])).token;
    const first = await post({ range: range.publication.id, state: 'pending', context: 'build' }, `Bearer ${token}`);
    expect(first.status).toBe(201);
    expect(((await first.json()) as any[])[0]).toMatchObject({ range: range.publication.id, user: 'token:jenkins', state: 'pending' });
    await post({ range: range.publication.id, state: 'fail', context: 'build', target_url: 'https://ci.example.org/b/2' }, `Bearer ${token}`);

    const { body } = await getJson(`/api/v1/ranges/${range.publication.id}`);
    expect(body).toMatchObject({ id: range.publication.id, tracking_id: range.tracking.id, pr_url: range.publication.prUrl, check: 'fail' });
    expect(body.checks.map((c: any) => c.state)).toEqual(['pending', 'fail']);
    const byTracking = await getJson(`/api/v1/checks?tracking=${range.tracking.id}&state=fail`);
    expect(byTracking.body).toEqual([expect.objectContaining({ target_url: 'https://ci.example.org/b/2', context: 'build' })]);
    expect((await getJson(`/api/v1/checks/combined?tracking=${range.tracking.id}`)).body.state).toBe('fail');
    // and with the tracking itself, in /api/v1
    expect((await getJson(`/api/v1/trackings/${range.tracking.id}`)).body.check).toBe('fail');
    const listed = (await getJson('/api/v1/trackings')).body as { id: number; check: string | null }[];
    expect(listed.find((t) => t.id === range.tracking.id)!.check).toBe('fail');
  });

  it('needs write access to post, and answers bad input with a 400 naming the field', async () => {
    expect((await post({ patch: 1, state: 'success' }, null)).status).toBe(401);
    for (const [body, field] of [
      [{ state: 'success' }, 'patch'],
      [{ patch: 1, range: 1, state: 'success' }, 'patch'],
      [{ patch: 1, state: 'excellent' }, 'state'],
      [{ patch: 1, state: 'success', context: 'a b' }, 'context'],
      [{ patch: 1, state: 'success', target_url: 'javascript:alert(1)' }, 'target_url'],
      [{ patch: 1, state: 'success', colour: 'red' }, 'colour'],
      [{ patch: 'one', state: 'success' }, 'patch'],
    ] as const) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as any).error.field).toBe(field);
    }
    const bad = await api.app.request('/api/v1/checks', { method: 'POST', headers: { 'content-type': 'application/json', authorization: basicAuth() }, body: '{' });
    expect(bad.status).toBe(400);
    expect((await post({ range: 9999, state: 'success' })).status).toBe(404);
    expect((await post({ patch: 9999, state: 'success' })).status).toBe(404);
  });

  it('a listing needs a subject (or kind) and validates its filters', async () => {
    const none = await getJson('/api/v1/checks');
    expect(none.res.status).toBe(400);
    expect(none.body.error.field).toBe('kind');
    expect((await getJson('/api/v1/checks?kind=range')).body.length).toBe(2);
    expect((await getJson('/api/v1/checks?patch=1&state=great')).body.error.field).toBe('state');
    expect((await getJson('/api/v1/checks?patch=1&since=soon')).body.error.field).toBe('since');
    expect((await getJson('/api/v1/ranges/abc')).res.status).toBe(400);
    expect((await getJson('/api/v1/ranges/424242')).res.status).toBe(404);
  });
});
