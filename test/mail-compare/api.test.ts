/** GET /api/v1/series/{id}/compare: the comparison as JSON, and clear errors for what cannot be compared. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailStore } from '../../src/mail/store/mail-store.js';
import { createProject } from '../../src/mail/store/projects.js';
import { createTestApi } from '../helpers/api.js';
import { makeTempDir, removeTempDirs } from '../helpers/git-repo.js';
import { rangeDiffRows, twoVersions } from './series.js';

let api: Awaited<ReturnType<typeof createTestApi>>;
let v1: number;
let v2: number;
let rangeDiff: string;

beforeAll(async () => {
  const versions = twoVersions();
  rangeDiff = versions.rangeDiff;
  api = await createTestApi({ compare: { dataDir: makeTempDir('pt-data-') } });
  await createProject(api.db, { linkName: 'demo', listId: 'demo.example.org', scmUrl: versions.upstream.url });
  const outcomes = await new MailStore(api.db).storeBatch(versions.mails('demo.example.org'));
  v1 = (outcomes[1] as { seriesId: number }).seriesId;
  v2 = (outcomes.at(-1) as { seriesId: number }).seriesId;
});
afterAll(async () => {
  await api?.close();
  removeTempDirs();
});

const get = async (path: string) => {
  const res = await api.app.request(path);
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

describe('GET /api/v1/series/{id}/compare', () => {
  it('compares with the previous version by default, through git range-diff on the mirror', async () => {
    const { status, body } = await get(`/api/v1/series/${v2}/compare`);
    expect(status).toBe(200);
    expect(body.method).toBe('git-range-diff');
    expect(body.with.id).toBe(v1);
    expect(body.patches).toHaveLength(rangeDiffRows(rangeDiff).length);
    const byStatus = (s: string) => body.patches.filter((p: { status: string }) => p.status === s);
    expect(body.added).toEqual(byStatus('added').map((p: { newer: { id: number } }) => p.newer.id));
    expect(body.dropped).toEqual(byStatus('dropped').map((p: { older: { id: number } }) => p.older.id));
    expect(body.added).toHaveLength(1);
    expect(body.reordered).toHaveLength(1);
    expect(byStatus('changed')[0].interdiff).toContain('+    d is needed by the parser and the lexer.');
  });

  it('takes the other series from ?with=', async () => {
    const { status, body } = await get(`/api/v1/series/${v1}/compare?with=${v2}`);
    expect(status).toBe(200);
    expect(body.series.id).toBe(v1);
    expect(body.with.id).toBe(v2);
  });

  it('answers 404 for an unknown series and for a series with no earlier version, 400 naming a bad field', async () => {
    expect(await get('/api/v1/series/999999/compare')).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    expect(await get(`/api/v1/series/${v1}/compare`)).toMatchObject({ status: 404, body: { error: { code: 'no_previous_version', field: 'with' } } });
    expect(await get(`/api/v1/series/${v2}/compare?with=abc`)).toMatchObject({ status: 400, body: { error: { code: 'invalid_request', field: 'with' } } });
    expect(await get(`/api/v1/series/${v2}/compare?with=${v2}`)).toMatchObject({ status: 400, body: { error: { field: 'with' } } });
    expect(await get(`/api/v1/series/${v2}/compare?colour=1`)).toMatchObject({ status: 400 });
  });

  it('is in the OpenAPI document', async () => {
    const { body } = await get('/api/v1/openapi.json');
    expect(body.paths['/series/{id}/compare']).toBeDefined();
  });
});
