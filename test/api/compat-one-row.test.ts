/**
 * GET /tracking?repo=&branch= (the old CLI's lookup) is answered from memory while the tracking table is
 * unchanged: every way of writing a tracking must show in the next lookup. The service's own writes (the API,
 * the engine, in a transaction or not) are seen at once; another process's (a command) when the database's
 * notification arrives; while the listening connection is down, lookups go to the database.
 */
import { eq, sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tracking } from '../../src/db/schema/index.js';
import { createTestApi, jsonRequest } from '../helpers/api.js';

const REPO = 'https://gitee.com/src-openeuler/one-row';
const item = (scm_commit: string | null, branch = 'master') => ({
  version_control: 'github', scm_repo: 'owner/one-row', scm_branch: 'master', scm_commit, repo: REPO, branch, enabled: true,
});

let api: Awaited<ReturnType<typeof createTestApi>>;
let other: postgres.Sql;
beforeAll(async () => {
  api = await createTestApi();
  other = postgres(api.url, { max: 1, onnotice: () => {} });
  expect((await api.app.request('/tracking', jsonRequest('POST', item('a'.repeat(40))))).status).toBe(200);
});
afterAll(async () => {
  await other.end();
  await api.close();
});

interface Row { scm_commit: string | null; status: string; enabled: boolean; id: number; last_error: string | null }
async function lookup(branch = 'master'): Promise<Row[]> {
  const res = await api.app.request(`/tracking?repo=${encodeURIComponent(REPO)}&branch=${branch}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await res.json()) as { code: string; data: Row[] };
  expect(body.code).toBe('2001');
  return body.data;
}

/** waits for the database's notification of a write made elsewhere (the window the cache has) */
async function notified(since: number): Promise<number> {
  const started = Date.now();
  while (api.changes.generation === since) {
    if (Date.now() - started > 5_000) throw new Error('no notification within 5 s');
    await new Promise((r) => setTimeout(r, 5));
  }
  return Date.now() - started;
}

describe('GET /tracking?repo=&branch=: the next lookup after a write shows it', () => {
  it('after an upsert, an update and a delete through the API (no wait)', async () => {
    expect((await lookup())[0]?.scm_commit).toBe('a'.repeat(40));
    // twice: the second answer comes from memory
    expect((await lookup())[0]?.scm_commit).toBe('a'.repeat(40));
    await api.app.request('/tracking', jsonRequest('POST', item('b'.repeat(40))));
    expect((await lookup())[0]?.scm_commit).toBe('b'.repeat(40));

    const id = (await lookup())[0]!.id;
    const patched = await api.app.request(`/api/v1/trackings/${id}`, jsonRequest('PATCH', { enabled: false }));
    expect(patched.status).toBe(200);
    expect((await lookup())[0]).toMatchObject({ enabled: false, status: 'paused' });

    // a row that is not there is an answer too: a lookup before the insert must not hide it
    expect(await lookup('next')).toEqual([]);
    await api.app.request('/tracking', jsonRequest('POST', item(null, 'next')));
    expect(await lookup('next')).toHaveLength(1);
    const deleted = await api.app.request(`/tracking?repo=${encodeURIComponent(REPO)}&branch=next`, { method: 'DELETE', headers: jsonRequest('DELETE', {}).headers });
    expect((await deleted.json()).code).toBe('2001');
    expect(await lookup('next')).toEqual([]);
  });

  it("after another process's write (a command) once notified, and the engine's at once", async () => {
    await lookup();
    const since = api.changes.generation;
    await other`update tracking set scm_commit = ${'c'.repeat(40)} where repo = ${REPO} and branch = 'master'`;
    const ms = await notified(since);
    expect(ms).toBeLessThan(1_000);
    expect((await lookup())[0]?.scm_commit).toBe('c'.repeat(40));

    // the engine's bookkeeping: this process, straight to the table, seen without a notification
    await api.db.update(tracking).set({ status: 'error', lastError: 'boom' }).where(eq(tracking.repo, REPO));
    expect((await lookup())[0]).toMatchObject({ status: 'error', last_error: 'boom' });
    await api.db.execute(sql`update ${tracking} set last_error = 'raw' where repo = ${REPO}`);
    expect((await lookup())[0]).toMatchObject({ last_error: 'raw' });
    await api.db.transaction(async (tx) => {
      await tx.update(tracking).set({ lastError: 'in a transaction' }).where(eq(tracking.repo, REPO));
      // not committed yet: the lookup reads the row as it is outside the transaction
      expect((await lookup())[0]).toMatchObject({ last_error: 'raw' });
    });
    expect((await lookup())[0]).toMatchObject({ last_error: 'in a transaction' });
  });

  it("sends no notification for the service's own writes (they would commit one at a time), one for a command's", async () => {
    const heard: string[] = [];
    const listener = postgres(api.url, { max: 1, onnotice: () => {} });
    try {
      await listener.listen('tracking_changed', (payload) => heard.push(payload));
      await api.app.request('/tracking', jsonRequest('POST', item('f'.repeat(40))));
      await api.db.update(tracking).set({ lastError: null }).where(eq(tracking.repo, REPO));
      await other`update tracking set last_error = 'by a command' where repo = ${REPO}`;
      for (let i = 0; heard.length === 0 && i < 400; i++) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 50));
      expect(heard).toHaveLength(1);
    } finally {
      await listener.end();
    }
  });

  it('reads the database while the listening connection is down, and keeps answers again once it is back', async () => {
    await lookup();
    await other`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'patch-tracking listener' and datname = current_database()`;
    for (let i = 0; api.changes.live && i < 500; i++) await new Promise((r) => setTimeout(r, 5));
    expect(api.changes.live).toBe(false);
    // written while no notification can arrive: the lookup must not come from memory
    await other`update tracking set scm_commit = ${'d'.repeat(40)} where repo = ${REPO} and branch = 'master'`;
    expect((await lookup())[0]?.scm_commit).toBe('d'.repeat(40));

    for (let i = 0; !api.changes.live && i < 1000; i++) await new Promise((r) => setTimeout(r, 5));
    expect(api.changes.live).toBe(true);
    await lookup();
    const since = api.changes.generation;
    await other`update tracking set scm_commit = ${'e'.repeat(40)} where repo = ${REPO} and branch = 'master'`;
    await notified(since);
    expect((await lookup())[0]?.scm_commit).toBe('e'.repeat(40));
  });
});
