/**
 * The old program's API, case by case (test/fixtures/old-program/observed_api_responses.txt): same
 * codes, messages and HTTP status; JSON content type; and the cases where it crashed now answer 4001.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApi, basicAuth, jsonRequest } from '../helpers/api.js';

const ITEM = {
  version_control: 'github',
  scm_repo: 'BJMX/testPatch01',
  scm_branch: 'test',
  scm_commit: null,
  repo: 'https://gitee.com/testPatchTrack/testPatch1',
  branch: 'master',
  enabled: true,
};

let api: Awaited<ReturnType<typeof createTestApi>>;
beforeAll(async () => {
  api = await createTestApi();
});
afterAll(() => api.close());

async function call(path: string, init?: RequestInit) {
  const res = await api.app.request(path, init);
  const text = await res.text();
  return { res, text, json: text.startsWith('{') ? JSON.parse(text) : undefined };
}

describe('compat /tracking and /issue', () => {
  it('refuses POST without credentials: 401 Unauthorized Access with a Basic challenge', async () => {
    const { res, text } = await call('/tracking', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ITEM) });
    expect(res.status).toBe(401);
    expect(text).toBe('Unauthorized Access');
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic/);
  });

  it('refuses a wrong password the same way', async () => {
    const { res } = await call('/tracking', jsonRequest('POST', ITEM, { authorization: basicAuth('admin', 'wrong') }));
    expect(res.status).toBe(401);
  });

  it('adds a tracking and echoes the request body with sorted keys, as JSON', async () => {
    const { res, json } = await call('/tracking', jsonRequest('POST', ITEM));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(json).toEqual({
      code: '2001',
      msg: 'Successful Operation!',
      data: { branch: 'master', enabled: true, repo: ITEM.repo, scm_branch: 'test', scm_commit: null, scm_repo: 'BJMX/testPatch01', version_control: 'github' },
    });
    expect(Object.keys(json.data)).toEqual([...Object.keys(json.data)].sort());
  });

  it('lists trackings with the old keys first, filtered by repo and branch', async () => {
    const { json } = await call(`/tracking?repo=${encodeURIComponent(ITEM.repo)}&branch=master`);
    expect(json.code).toBe('2001');
    expect(json.data).toHaveLength(1);
    expect(Object.keys(json.data[0]).slice(0, 7)).toEqual(['version_control', 'scm_repo', 'scm_branch', 'scm_commit', 'repo', 'branch', 'enabled']);
    expect(json.data[0]).toMatchObject(ITEM);
  });

  it('understands enabled=True in a query (the old program matched nothing)', async () => {
    expect((await call('/tracking?enabled=True')).json.data).toHaveLength(1);
    expect((await call('/tracking?enabled=false')).json.data).toHaveLength(0);
    expect((await call('/tracking?enabled=maybe')).json.code).toBe('4001');
  });

  it('keeps stored progress when an upsert omits scm_commit, resets it when null is given', async () => {
    const withCommit = { ...ITEM, scm_commit: 'a'.repeat(40) };
    await call('/tracking', jsonRequest('POST', withCommit));
    const { scm_commit: _omit, ...withoutCommit } = ITEM;
    const { json } = await call('/tracking', jsonRequest('POST', { ...withoutCommit, enabled: false }));
    expect(json.code).toBe('2001');
    expect(json.data).not.toHaveProperty('scm_commit');
    const stored = (await call('/tracking')).json.data[0];
    expect(stored.scm_commit).toBe('a'.repeat(40));
    expect(stored.enabled).toBe(false);
    await call('/tracking', jsonRequest('POST', ITEM));
    expect((await call('/tracking')).json.data[0].scm_commit).toBeNull();
  });

  it.each([
    ['an unknown key', { ...ITEM, extra: 1 }, /extra/],
    ['an unsupported version_control', { ...ITEM, version_control: 'svn' }, /version_control/],
    ['a string for enabled (the old program answered 500)', { ...ITEM, enabled: 'yes' }, /enabled/],
    ['a missing repo', { ...ITEM, repo: undefined }, /repo/],
    ['a branch with spaces', { ...ITEM, branch: 'a b' }, /branch/],
    ['a commit id that is not hex', { ...ITEM, scm_commit: "'; drop table tracking; --" }, /scm_commit/],
    ['a JSON array', [ITEM], /expected object/],
  ])('answers 4001 for %s, naming the problem', async (_name, body, detail) => {
    const { res, json } = await call('/tracking', jsonRequest('POST', body));
    expect(res.status).toBe(200);
    expect(json).toMatchObject({ code: '4001', msg: 'Please enter the correct parameters', data: null });
    expect(json.detail).toMatch(detail);
  });

  it('answers 4001 for a form body and for broken JSON (the old program answered 415 / 400 HTML)', async () => {
    const form = await call('/tracking', { method: 'POST', headers: { authorization: basicAuth(), 'content-type': 'application/x-www-form-urlencoded' }, body: 'repo=x' });
    expect(form.json.code).toBe('4001');
    const broken = await call('/tracking', jsonRequest('POST', '{"repo": '));
    expect(broken.json).toMatchObject({ code: '4001', detail: 'the body is not valid JSON' });
  });

  it('rejects an oversized body with 413 naming the limit, in the envelope', async () => {
    const { res, json } = await call('/tracking', jsonRequest('POST', { ...ITEM, scm_repo: 'x'.repeat(100_000) }));
    expect(res.status).toBe(413);
    expect(json.code).toBe('4001');
    expect(json.detail).toMatch(/larger than 65536 bytes/);
  });

  it('rejects unknown query keys with 4001 (GET /tracking and GET /issue)', async () => {
    expect((await call('/tracking?rep=x')).json).toMatchObject({ code: '4001', data: null });
    expect((await call('/issue?table=x')).json).toMatchObject({ code: '4001', data: null });
  });

  it('lists issues (none yet) with the envelope', async () => {
    expect((await call('/issue')).json).toEqual({ code: '2001', msg: 'Successful Operation!', data: [] });
  });

  it('DELETE: 4001 without repo, 6005 when nothing matches, 2001 when deleted', async () => {
    expect((await call('/tracking', { method: 'DELETE', headers: { authorization: basicAuth() } })).json.code).toBe('4001');
    const missing = await call('/tracking?repo=nope', { method: 'DELETE', headers: { authorization: basicAuth() } });
    expect(missing.json).toEqual({ code: '6005', msg: 'The tracking you want to delete does not exist', data: null });
    await call('/tracking', jsonRequest('POST', { ...ITEM, branch: 'openEuler-22.03' }));
    const one = await call(`/tracking?repo=${encodeURIComponent(ITEM.repo)}&branch=openEuler-22.03`, { method: 'DELETE', headers: { authorization: basicAuth() } });
    expect(one.json).toEqual({ code: '2001', msg: 'Successful Operation!', data: null });
    expect((await call('/tracking')).json.data.map((t: { branch: string }) => t.branch)).toEqual(['master']);
  });

  it('DELETE without branch removes every branch of the repo', async () => {
    await call('/tracking', jsonRequest('POST', { ...ITEM, branch: 'b1' }));
    await call('/tracking', jsonRequest('POST', { ...ITEM, branch: 'b2' }));
    const all = await call(`/tracking?repo=${encodeURIComponent(ITEM.repo)}`, { method: 'DELETE', headers: { authorization: basicAuth() } });
    expect(all.json.code).toBe('2001');
    expect((await call('/tracking')).json.data).toEqual([]);
  });

  it('DELETE needs auth', async () => {
    expect((await call('/tracking?repo=x', { method: 'DELETE' })).res.status).toBe(401);
  });

  it('answers HEAD / (the old CLI probes it) and 405 for other methods on /tracking', async () => {
    expect((await call('/', { method: 'HEAD' })).res.status).toBe(200);
    expect((await call('/tracking', { method: 'PUT' })).res.status).toBe(405);
  });
});

describe('READ_AUTH', () => {
  it('requires credentials on GET when turned on', async () => {
    const guarded = await createTestApi({ readAuth: true });
    try {
      expect((await guarded.app.request('/tracking')).status).toBe(401);
      expect((await guarded.app.request('/issue')).status).toBe(401);
      expect((await guarded.app.request('/tracking', { headers: { authorization: basicAuth() } })).status).toBe(200);
      expect((await guarded.app.request('/api/v1/trackings')).status).toBe(401);
    } finally {
      await guarded.close();
    }
  });
});
