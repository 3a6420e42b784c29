/**
 * scm_commit as git takes it: any abbreviation of 4+ hex digits is accepted, made the full id when the
 * upstream answers at add time, and refused (4001 on the old API, 400 on /api/v1) when the upstream says it
 * has no such commit. An upstream that cannot answer leaves the abbreviation for the first scan.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTracking } from '../../src/db/trackings.js';
import { GitSource } from '../../src/sources/git.js';
import { resolveInputCommit } from '../../src/tracker/commit-id.js';
import { createTestApi, jsonRequest } from '../helpers/api.js';
import { LOCAL_UPSTREAMS_ALLOWED, createUpstreamRepo, makeTempDir, removeTempDirs, type TestRepo } from '../helpers/git-repo.js';

let api: Awaited<ReturnType<typeof createTestApi>>;
let upstream: TestRepo;
let unknown: string;

beforeAll(async () => {
  upstream = createUpstreamRepo();
  upstream.commit('second', { files: { b: '1\n' } });
  const all = upstream.git('rev-list', '--all').split('\n');
  unknown = ['abc123', 'ffff', 'dead', '0000'].find((p) => !all.some((s) => s.startsWith(p)))!;
  const sources = { git: new GitSource({ upstreamPolicy: LOCAL_UPSTREAMS_ALLOWED, dataDir: makeTempDir('pt-data-') }) };
  api = await createTestApi({ resolveCommit: (input) => resolveInputCommit(sources, input) });
});
afterAll(async () => {
  await api.close();
  removeTempDirs();
});

const item = (branch: string, scmCommit: string, scmRepo = upstream.url) => ({
  version_control: 'git',
  scm_repo: scmRepo,
  scm_branch: 'main',
  scm_commit: scmCommit,
  repo: 'src-openeuler/lib',
  branch,
  enabled: true,
});

describe('/tracking (the old API)', () => {
  it('takes a 4-digit abbreviation and stores the full id', async () => {
    const first = upstream.head('HEAD~1');
    const res = await (await api.app.request('/tracking', jsonRequest('POST', item('b1', first.slice(0, 4).toUpperCase())))).json();
    expect(res.code).toBe('2001');
    expect((await findTracking(api.db, 'src-openeuler/lib', 'b1'))!.scmCommit).toBe(first);
  });

  it('answers 4001 naming scm_commit when the upstream has no such commit', async () => {
    const res = await (await api.app.request('/tracking', jsonRequest('POST', item('b2', unknown)))).json();
    expect(res).toMatchObject({ code: '4001', data: null });
    expect(res.detail).toBe(`scm_commit ${unknown}: branch "main" of ${upstream.url} has no commit by that id`);
    expect(await findTracking(api.db, 'src-openeuler/lib', 'b2')).toBeUndefined();
  });

  it('keeps the abbreviation when the upstream cannot answer now (the first scan resolves it)', async () => {
    const res = await (await api.app.request('/tracking', jsonRequest('POST', item('b3', 'abc1', 'file:///nonexistent/up.git')))).json();
    expect(res.code).toBe('2001');
    expect((await findTracking(api.db, 'src-openeuler/lib', 'b3'))!.scmCommit).toBe('abc1');
  });

  it('still refuses what git would not take (3 digits, not hex)', async () => {
    for (const bad of ['abc', 'xyz1234']) {
      const res = await (await api.app.request('/tracking', jsonRequest('POST', item('b4', bad)))).json();
      expect(res).toMatchObject({ code: '4001' });
      expect(res.detail).toMatch(/^scm_commit: expected a hexadecimal commit id \(4 to 64 characters\)/);
    }
  });
});

describe('/api/v1/trackings', () => {
  it('400 commit_unknown for an unknown commit; 201 with the full id for a known abbreviation', async () => {
    const bad = await api.app.request('/api/v1/trackings', jsonRequest('POST', item('v1', unknown)));
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatchObject({ code: 'commit_unknown', field: 'scm_commit' });
    const good = await api.app.request('/api/v1/trackings', jsonRequest('POST', item('v1', upstream.head().slice(0, 5))));
    expect(good.status).toBe(201);
    expect((await good.json()).scm_commit).toBe(upstream.head());
  });

  it('PATCH resolves scm_commit against the tracking\'s upstream too', async () => {
    const [row] = await (await api.app.request('/api/v1/trackings?repo=src-openeuler/lib&branch=v1')).json();
    const first = upstream.head('HEAD~1');
    const res = await api.app.request(`/api/v1/trackings/${row.id}`, jsonRequest('PATCH', { scm_commit: first.slice(0, 6) }));
    expect(res.status).toBe(200);
    expect((await res.json()).scm_commit).toBe(first);
    const bad = await api.app.request(`/api/v1/trackings/${row.id}`, jsonRequest('PATCH', { scm_commit: unknown }));
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe('commit_unknown');
  });
});
