import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/auth/tokens.js';
import { testerJob } from '../../src/db/schema/index.js';
import { createProject } from '../../src/mail/store/projects.js';
import { corpusMessages } from '../mail/corpus.js';
import { createIntegrationApi } from '../patchwork/integration-api.js';
import { insertPublishedRange } from '../checks/fixtures.js';

type Api = Awaited<ReturnType<typeof createIntegrationApi>>;
let api: Api;
let alice: string;
let bob: string;
let range: Awaited<ReturnType<typeof insertPublishedRange>>;

const call = async (path: string, token: string | null, body?: unknown) => {
  const res = await api.app.request(path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as any };
};
const claim = (token: string, body: Record<string, unknown>) => call('/api/v1/testers/claim', token, body);

beforeAll(async () => {
  api = await createIntegrationApi();
  await createProject(api.db, { linkName: 'demo', listId: 'demo.example.org', scmUrl: 'https://git.example.org/demo.git' });
  await createProject(api.db, { linkName: 'other', listId: 'other.example.org' });
  const store = async (file: string, listId: string) => api.store.storeBatch((await corpusMessages(file)).map((raw) => ({ raw, listId })));
  await store('series/base-cover-letter.mbox', 'demo.example.org'); // series 1, complete
  await store('series/base-incomplete.mbox', 'demo.example.org'); // series 2, incomplete: never handed out
  await store('series/base-single-patch.mbox', 'other.example.org'); // series 3, complete, other project
  range = await insertPublishedRange(api.db, { repo: 'src-openeuler/foo' });
  await insertPublishedRange(api.db, { repo: 'src-openeuler/bar', step: 'pr' }); // not published yet
  alice = (await createApiToken(api.db, 'alice', ['tester'])).token;
  bob = (await createApiToken(api.db, 'bob', ['tester'])).token;
});
afterAll(async () => {
  await api?.close();
});

describe('tester API', () => {
  it('hands out the next complete series matching the tester, once per test name', async () => {
    const first = await claim(alice, { test: 'build', kinds: ['series'], projects: ['de*'] });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      kind: 'series',
      subject_id: 1,
      test: 'build',
      tester: 'token:alice',
      repository: 'https://git.example.org/demo.git',
      project: 'demo',
      patches_url: 'http://localhost/series/1/mbox/',
      attempts: 1,
    });
    // the incomplete series 2 and the other project's series 3 don't match
    expect((await claim(alice, { test: 'build', kinds: ['series'], projects: ['de*'] })).status).toBe(204);
    expect((await claim(bob, { test: 'build', kinds: ['series'], projects: ['demo'] })).status).toBe(204);
    // another test of the same series is separate work
    const lint = await claim(bob, { test: 'lint', kinds: ['series'], projects: ['demo'] });
    expect(lint.body).toMatchObject({ subject_id: 1, test: 'lint', tester: 'token:bob' });
    // the patches URL serves the series
    const mbox = await api.app.request(new URL(first.body.patches_url).pathname);
    expect((await mbox.text()).match(/^From patchwork /gm)).toHaveLength(2);
  });

  it('a report becomes a check on every patch of the series, from the tester, with the log behind it', async () => {
    const { body: jobs } = await call('/api/v1/testers/jobs?kind=series&test=build', alice);
    const job = jobs[0];
    expect((await call(`/api/v1/testers/jobs/${job.id}/report`, bob, { result: 'success', log: 'x' })).status).toBe(409);
    const report = await call(`/api/v1/testers/jobs/${job.id}/report`, alice, { result: 'fail', log: 'make: *** [all] Error 1\n' });
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({ status: 'done', result: 'fail' });
    expect((await call(`/api/v1/testers/jobs/${job.id}/report`, alice, { result: 'success' })).status).toBe(409);

    const { body: checks } = await call('/api/v1/checks?series=1&context=build', alice);
    expect(checks.map((c: any) => [c.patch, c.state, c.user])).toEqual([
      [1, 'fail', 'token:alice'],
      [2, 'fail', 'token:alice'],
    ]);
    expect(checks[0].target_url).toBe(`http://localhost/api/v1/testers/jobs/${job.id}/log`);
    expect((await call(`/api/v1/testers/jobs/${job.id}/log`, null)).body).toBe('make: *** [all] Error 1\n');
    expect((await call('/api/1.3/patches/1/', null)).body.check).toBe('fail');
  });

  it('hands out published ranges by repository glob with base and head', async () => {
    const job = await claim(alice, { test: 'build', kinds: ['range'], repos: ['src-openeuler/*'], lease_seconds: 60 });
    expect(job.body).toMatchObject({
      kind: 'range',
      subject_id: range.publication.id,
      repository: range.tracking.scmRepo,
      base: range.publication.rangeFrom,
      head: range.publication.rangeTo,
      branch: range.publication.tempBranch,
      target_repository: 'src-openeuler/foo',
      pr_url: range.publication.prUrl,
    });
    // the range still being published (step pr) is not handed out
    expect((await claim(bob, { test: 'build', kinds: ['range'], repos: ['src-openeuler/*'] })).status).toBe(204);
  });

  it('abandoned work (lease run out without a report) goes to the next tester; the late report is refused', async () => {
    const [job] = await api.db.select().from(testerJob).where(eq(testerJob.kind, 'range'));
    await api.db.update(testerJob).set({ leaseExpiresAt: new Date(Date.now() - 1000) }).where(eq(testerJob.id, job!.id));
    const again = await claim(bob, { test: 'build', kinds: ['range'], repos: ['*/foo'] });
    expect(again.body).toMatchObject({ id: job!.id, tester: 'token:bob', attempts: 2 });
    expect((await call(`/api/v1/testers/jobs/${job!.id}/report`, alice, { result: 'success' })).status).toBe(409);
    const done = await call(`/api/v1/testers/jobs/${job!.id}/report`, bob, { result: 'warning', log: 'flaky test\n', description: '1 flaky test' });
    expect(done.status).toBe(200);
    const { body } = await call(`/api/v1/ranges/${range.publication.id}`, null);
    expect(body.check).toBe('warning');
    expect(body.checks[0]).toMatchObject({ context: 'build', user: 'token:bob', description: '1 flaky test' });
    const events = await call(`/api/v1/events?range=${range.publication.id}&category=range-check-created`, null);
    expect(events.body).toHaveLength(1);
  });

  it('needs credentials and answers bad input with a 400 naming the field', async () => {
    expect((await call('/api/v1/testers/claim', null, { test: 'build' })).status).toBe(401);
    for (const [body, field] of [
      [{}, 'test'],
      [{ test: 'no spaces please' }, 'test'],
      [{ test: 'build', kinds: ['bundle'] }, 'kinds.0'],
      [{ test: 'build', lease_seconds: 1 }, 'lease_seconds'],
      [{ test: 'build', projects: ['a b'] }, 'projects.0'],
      [{ test: 'build', os: 'linux' }, 'os'],
      [{ test: 'ci-handler' }, 'test'],
    ] as const) {
      const r = await claim(alice, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.field).toBe(field);
    }
    const r = await call('/api/v1/testers/jobs/1/report', alice, { result: 'great' });
    expect(r.body.error.field).toBe('result');
    expect((await call('/api/v1/testers/jobs/abc/report', alice, { result: 'fail' })).status).toBe(400);
    expect((await call('/api/v1/testers/jobs/999/report', alice, { result: 'fail' })).status).toBe(404);
  });

  it('serves a job, its log only once reported, and lists jobs newest first by kind, subject, test and status', async () => {
    const { body: all } = await call('/api/v1/testers/jobs', alice);
    expect(all.map((j: any) => [j.kind, j.test, j.status])).toEqual([
      ['range', 'build', 'done'],
      ['series', 'lint', 'running'],
      ['series', 'build', 'done'],
    ]);
    expect((await call('/api/v1/testers/jobs?kind=series&status=running', alice)).body.map((j: any) => j.test)).toEqual(['lint']);
    expect((await call(`/api/v1/testers/jobs?kind=range&subject=${range.publication.id}&test=build`, alice)).body.map((j: any) => j.id)).toEqual([all[0].id]);
    const lint = all[1];
    expect((await call(`/api/v1/testers/jobs/${lint.id}`, null)).body).toEqual(lint);
    expect((await call(`/api/v1/testers/jobs/${lint.id}/log`, null)).status).toBe(404);
    expect((await call('/api/v1/testers/jobs/999', null)).status).toBe(404);
    const bad = await call('/api/v1/testers/jobs?kind=bundle', alice);
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('kind');
  });
});
