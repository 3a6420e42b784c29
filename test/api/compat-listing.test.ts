/**
 * GET /tracking (the old CLI's `query`): a strong ETag read from the database, 304 for a client that has the
 * current listing, gzip when asked for, and a new answer after any write — through this API, another
 * replica's API on the same database, or a direct write such as the engine's.
 */
import { gunzipSync } from 'node:zlib';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../src/api/app.js';
import { tracking } from '../../src/db/schema/index.js';
import { createLogger } from '../../src/log.js';
import { createTestApi, jsonRequest } from '../helpers/api.js';

const item = (i: number, scm_commit: string | null = null) => ({
  version_control: 'github',
  scm_repo: `owner/project-${i}`,
  scm_branch: 'master',
  scm_commit,
  repo: `https://gitee.com/src-openeuler/pkg-${i}`,
  branch: 'master',
  enabled: true,
});

let api: Awaited<ReturnType<typeof createTestApi>>;
beforeAll(async () => {
  api = await createTestApi();
  for (let i = 0; i < 3; i++) expect((await api.app.request('/tracking', jsonRequest('POST', item(i)))).status).toBe(200);
});
afterAll(() => api.close());

const get = (app: typeof api.app, headers: Record<string, string> = {}) => app.request('/tracking', { headers });

describe('GET /tracking: conditional requests and compression', () => {
  it('answers with a strong ETag, and 304 without a body when If-None-Match names it', async () => {
    const first = await get(api.app);
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[^"]+"$/);
    expect(first.headers.get('content-type')).toMatch(/^application\/json/);
    expect((await first.json()).data).toHaveLength(3);

    const again = await get(api.app, { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect(again.headers.get('etag')).toBe(etag);
    // a tag of another listing (or of an older version) gets the full answer
    expect((await get(api.app, { 'if-none-match': '"something-else"' })).status).toBe(200);
  });

  it('changes the ETag on every kind of write: upsert, delete, and a write that bypasses the API', async () => {
    const tagOf = async () => (await get(api.app)).headers.get('etag')!;
    const t0 = await tagOf();
    await api.app.request('/tracking', jsonRequest('POST', item(1, 'a'.repeat(40))));
    const t1 = await tagOf();
    expect(t1).not.toBe(t0);
    const listed = (await (await get(api.app, { 'if-none-match': t0 })).json()).data as { scm_repo: string; scm_commit: string | null }[];
    expect(listed.find((r) => r.scm_repo === 'owner/project-1')?.scm_commit).toBe('a'.repeat(40));

    // the engine writes status fields straight to the table
    await api.db.update(tracking).set({ status: 'error', lastError: 'boom' }).where(eq(tracking.scmRepo, 'owner/project-2'));
    const t2 = await tagOf();
    expect(t2).not.toBe(t1);
    expect(((await (await get(api.app)).json()).data as { last_error: string | null }[]).some((r) => r.last_error === 'boom')).toBe(true);

    // an upsert that changes nothing leaves the listing (and its tag) as it was
    await api.app.request('/tracking', jsonRequest('POST', item(1, 'a'.repeat(40))));
    expect(await tagOf()).toBe(t2);

    await api.app.request(`/tracking?repo=${encodeURIComponent(item(0).repo)}`, jsonRequest('DELETE', ''));
    const t3 = await tagOf();
    expect(t3).not.toBe(t2);
    expect((await (await get(api.app)).json()).data).toHaveLength(2);
  });

  it('sees the writes of another replica sharing the database', async () => {
    const other = createApi({ db: api.db, authenticator: undefined as never, logger: createLogger('silent'), readAuth: false, bodyLimit: 64 * 1024 });
    const before = await get(other);
    const tag = before.headers.get('etag')!;
    await api.app.request('/tracking', jsonRequest('POST', item(7)));
    const after = await get(other, { 'if-none-match': tag });
    expect(after.status).toBe(200);
    expect(((await after.json()).data as { scm_repo: string }[]).map((r) => r.scm_repo)).toContain('owner/project-7');
  });

  it('gzips when the client accepts it (the old CLI, Python requests, sends gzip, deflate), with its own tag', async () => {
    const plain = await get(api.app);
    const plainText = await plain.text();
    const zipped = await get(api.app, { 'accept-encoding': 'gzip, deflate' });
    expect(zipped.status).toBe(200);
    expect(zipped.headers.get('content-encoding')).toBe('gzip');
    expect(zipped.headers.get('vary')).toMatch(/accept-encoding/i);
    const zipTag = zipped.headers.get('etag')!;
    expect(zipTag).not.toBe(plain.headers.get('etag'));
    expect(gunzipSync(Buffer.from(await zipped.arrayBuffer())).toString('utf8')).toBe(plainText);

    expect((await get(api.app, { 'accept-encoding': 'gzip', 'if-none-match': zipTag })).status).toBe(304);
    // gzip refused explicitly: the plain JSON
    const refused = await get(api.app, { 'accept-encoding': 'gzip;q=0, identity' });
    expect(refused.headers.get('content-encoding')).toBeNull();
    expect(await refused.text()).toBe(plainText);
  });

  it('keeps filters apart: a filtered listing has its own tag and rows', async () => {
    const all = await get(api.app);
    const enabled = await api.app.request('/tracking?enabled=true');
    expect(enabled.headers.get('etag')).not.toBe(all.headers.get('etag'));
    await api.db.update(tracking).set({ enabled: false }).where(eq(tracking.scmRepo, 'owner/project-7'));
    const data = (await (await api.app.request('/tracking?enabled=true')).json()).data as { scm_repo: string }[];
    expect(data.map((r) => r.scm_repo)).not.toContain('owner/project-7');
  });
});
