import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject } from '../../src/mail/store/projects.js';
import { onRangePublished } from '../../src/ci/publish-hook.js';
import { recordPullClosed } from '../../src/events/service.js';
import { corpusMessages } from '../mail/corpus.js';
import { createIntegrationApi, NO_CI } from '../patchwork/integration-api.js';
import { insertPublishedRange } from '../checks/fixtures.js';
import { FakeForge } from '../helpers/fake-forge.js';
import { resolveForgeRepo } from '../../src/forges/resolve.js';

type Api = Awaited<ReturnType<typeof createIntegrationApi>>;
let api: Api;
let range: Awaited<ReturnType<typeof insertPublishedRange>>;

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
  const forge = new FakeForge();
  // the engine's after-publish hook: without CI it only records the event
  const result = await onRangePublished(
    { db: api.db, settings: NO_CI, logger: api.logger, forges: { resolve: (r) => resolveForgeRepo(r), forRepo: () => forge } },
    range.tracking,
    range.publication,
  );
  expect(result).toBeNull();
  expect(forge.writes).toEqual([]);
  // the lifecycle, on a merged PR
  expect(await recordPullClosed(api.db, { repo: 'src-openeuler/foo', prNumber: '7', merged: true, actor: 'gitee', prUrl: range.publication.prUrl })).toBeGreaterThan(0);
  expect(await recordPullClosed(api.db, { repo: 'src-openeuler/foo', prNumber: '8', merged: false })).toBeNull();
});
afterAll(async () => {
  await api?.close();
});

describe('/api/v1/events', () => {
  it('serves mail and range events as one stream in id order, polled with after=', async () => {
    const { body: all } = await getJson('/api/v1/events');
    expect(all.map((e: any) => e.category)).toEqual(['series-created', 'cover-created', 'patch-created', 'patch-created', 'series-completed', 'range-published', 'pr-merged']);
    const ids = all.map((e: any) => e.id);
    expect([...ids].sort((a: number, b: number) => a - b)).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(all[5]).toMatchObject({ tracking_id: range.tracking.id, range_id: range.publication.id, project_id: null, payload: { from: range.publication.rangeFrom, to: range.publication.rangeTo } });

    const page = await getJson('/api/v1/events?limit=3');
    expect(page.body).toHaveLength(3);
    const next = page.res.headers.get('link')!;
    expect(next).toContain(`after=${ids[2]}`);
    const rest = await getJson(`/api/v1/events?after=${ids[2]}`);
    expect(rest.body.map((e: any) => e.id)).toEqual(ids.slice(3));
    expect((await getJson(`/api/v1/events?after=${ids.at(-1)}`)).body).toEqual([]);
  });

  it('filters by category, project, series, tracking and range', async () => {
    expect((await getJson('/api/v1/events?category=patch-created&category=pr-merged')).body.map((e: any) => e.category)).toEqual(['patch-created', 'patch-created', 'pr-merged']);
    expect((await getJson('/api/v1/events?project=demo')).body).toHaveLength(5);
    expect((await getJson('/api/v1/events?series=1&category=series-completed')).body).toHaveLength(1);
    expect((await getJson(`/api/v1/events?tracking=${range.tracking.id}`)).body.map((e: any) => e.category)).toEqual(['range-published', 'pr-merged']);
    expect((await getJson(`/api/v1/events?range=${range.publication.id}&category=pr-merged`)).body[0].actor).toBe('gitee');
    expect((await getJson('/api/v1/events?since=2000-01-01T00:00:00Z&before=2001-01-01')).body).toEqual([]);
  });

  it('answers bad filters with a 400 naming the parameter', async () => {
    for (const [q, field] of [
      ['category=patch-exploded', 'category'],
      ['limit=0', 'limit'],
      ['after=-1', 'after'],
      ['since=noon', 'since'],
    ]) {
      const { res, body } = await getJson(`/api/v1/events?${q}`);
      expect(res.status, q).toBe(400);
      expect(body.error.field).toBe(field);
    }
    expect((await getJson('/api/v1/events?project=nope')).body.error.field).toBe('project');
  });
});

describe('/api/1.3/events/', () => {
  it("Patchwork's shape, newest first; range events carry the tracking and range, with no project", async () => {
    const { body } = await getJson('/api/1.3/events/');
    expect(body[0]).toMatchObject({ category: 'pr-merged', project: null, actor: { username: 'gitee' } });
    expect(body[1].payload.range).toMatchObject({ id: range.publication.id, from: range.publication.rangeFrom, pr_url: range.publication.prUrl });
    expect(body[1].payload.tracking).toMatchObject({ id: range.tracking.id, repo: 'src-openeuler/foo' });
    const completed = body.find((e: any) => e.category === 'series-completed');
    expect(completed).toMatchObject({ project: { link_name: 'demo' }, payload: { series: { id: 1, mbox: 'http://localhost/series/1/mbox/' } } });
    expect(Object.keys(completed).sort()).toEqual(['actor', 'category', 'date', 'id', 'payload', 'project']);
    // Patchwork clients filtering by project see the mail side only
    expect((await getJson('/api/1.3/events/?project=demo')).body.every((e: any) => e.project?.link_name === 'demo')).toBe(true);
    expect((await getJson('/api/1.3/events/?category=series-created&order=date')).body).toHaveLength(1);
  });
});
