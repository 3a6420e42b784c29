/**
 * GET /api/v1/trackings/{id}/upstreamed over a real upstream git repository: the report of which spec
 * patches the release tag already has, nothing written; a mailing-list tracking is a 422, a process
 * without the analysis a 503, an unknown tracking a 404.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertTracking } from '../../src/db/trackings.js';
import { createTestApi } from '../helpers/api.js';
import { removeTempDirs } from '../helpers/git-repo.js';
import { fixAlreadyUpstream } from '../helpers/upstreamed.js';

const { upstream, fix, forge, analyse } = fixAlreadyUpstream({ before: '1.0', after: '1.1' });
let api: Awaited<ReturnType<typeof createTestApi>>;
let bare: Awaited<ReturnType<typeof createTestApi>>;

beforeAll(async () => {
  api = await createTestApi({ upstreamed: analyse });
  bare = await createTestApi();
});
afterAll(async () => {
  await api.close();
  await bare.close();
  removeTempDirs();
});

describe('GET /api/v1/trackings/{id}/upstreamed', () => {
  it('reports each patch with its method and upstream commit, and writes nothing', async () => {
    const { row } = await upsertTracking(api.db, { versionControl: 'git', scmRepo: upstream.url, scmBranch: 'main', repo: 'src-openeuler/lib', branch: 'master', enabled: true });
    const res = await api.app.request(`/api/v1/trackings/${row.id}/upstreamed`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({
      tracking: { id: row.id, repo: 'src-openeuler/lib', branch: 'master' },
      spec: 'lib.spec',
      version: '1.1',
      upstream: { url: upstream.url, branch: 'main', tag: 'v1.1', commit: fix, tags_tried: ['v1.1', '1.1'] },
      patches: [{ file: 'fix.patch', number: 1, status: 'upstream', method: 'from-header', upstream_commit: fix, upstream_subject: 'lib: drop b' }],
      apply_check: { outcome: 'clean', failed: [] },
      removable: true,
    });
    expect(forge.writes).toEqual([]);
  });

  it('a mailing-list tracking is 422 upstream_unsupported; an unknown one 404; without the analysis 503', async () => {
    const { row } = await upsertTracking(api.db, { versionControl: 'mail', scmRepo: 'list.example', scmBranch: '*', repo: 'src-openeuler/other', branch: 'master', enabled: true });
    const mail = await api.app.request(`/api/v1/trackings/${row.id}/upstreamed`);
    expect(mail.status).toBe(422);
    expect((await mail.json()).error.code).toBe('upstream_unsupported');
    expect((await api.app.request('/api/v1/trackings/999999/upstreamed')).status).toBe(404);
    const { row: other } = await upsertTracking(bare.db, { versionControl: 'git', scmRepo: upstream.url, scmBranch: 'main', repo: 'src-openeuler/lib', branch: 'master', enabled: true });
    const off = await bare.app.request(`/api/v1/trackings/${other.id}/upstreamed`);
    expect(off.status).toBe(503);
    expect((await off.json()).error.code).toBe('analysis_unavailable');
  });
});
