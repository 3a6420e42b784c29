/**
 * POST /api/gitee/webhooks: X-Gitee-Token verification (signature and password modes, bad, stale,
 * replayed), and Merge Request / Note / Push hooks with the Gitee v5 calls asserted by nock.
 */
import { eq, sql } from 'drizzle-orm';
import { Hono } from 'hono';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApiEnv } from '../../src/api/context.js';
import { giteeWebhookRoutes } from '../../src/api/webhooks/gitee.js';
import { giteeSignature } from '../../src/api/webhooks/gitee-verify.js';
import { issue, tracking } from '../../src/db/schema/index.js';
import { createForges } from '../../src/forges/resolve.js';
import { GiteeExtras } from '../../src/lifecycle/extras.js';
import { Lifecycle } from '../../src/lifecycle/index.js';
import { createLogger } from '../../src/log.js';
import { createTestDatabase } from '../helpers/db.js';
import { payload } from './fixtures.js';
import { publishedRange, TEMP } from './rows.js';

const GITEE = 'https://gitee.test';
const API = `${GITEE}/api/v5`;
const TOKEN = 'gitee-access-token-xyz';
const SECRET = 'gitee-hook-secret';
const NOW = Date.UTC(2026, 10, 22, 1, 0, 0);
const logger = createLogger('silent');

let handle: Awaited<ReturnType<typeof createTestDatabase>>;
let app: Hono<ApiEnv>;
let kicks = 0;
let clock = NOW;

beforeAll(async () => {
  nock.disableNetConnect();
  handle = await createTestDatabase();
  const lifecycle = new Lifecycle({
    db: handle.db,
    logger,
    forges: createForges({ giteeAccessToken: TOKEN, giteeApiUrl: API, giteeHosts: ['gitee.com'] }),
    extras: () => new GiteeExtras({ token: TOKEN, apiUrl: API }),
    sources: {},
    unavailable: {},
    publish: { specEdit: 'auto', botName: 'patch-tracking', botEmail: 'bot@example.org' },
    engine: { scanNow: async () => ({ action: 'busy' }) },
    kick: () => void (kicks += 1),
  });
  app = giteeWebhookRoutes({ db: handle.db, secret: SECRET, lifecycle, now: () => clock });
});
beforeEach(async () => {
  await handle.db.execute(sql`truncate tracking, issue, publication, webhook_delivery restart identity cascade`);
  kicks = 0;
  clock = NOW;
});
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});
afterAll(() => handle.close());

let seq = 0;
function deliver(event: string, body: unknown, headers: Record<string, string | undefined> = {}) {
  // a distinct millisecond per delivery, as Gitee's own are
  const timestamp = String(NOW - 1000 + ++seq);
  const all: Record<string, string | undefined> = {
    'content-type': 'application/json',
    'x-gitee-event': event,
    'x-gitee-timestamp': timestamp,
    'x-gitee-token': giteeSignature(SECRET, timestamp),
    ...headers,
  };
  const clean = Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined)) as Record<string, string>;
  return app.request('/api/gitee/webhooks', { method: 'POST', headers: clean, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

describe('verification', () => {
  const ping = { hook_name: 'ping' };

  it('accepts the HMAC signature (also URL-encoded) and the plain password', async () => {
    expect((await deliver('Ping Hook', ping)).status).toBe(200);
    const ts = String(NOW + 2000);
    expect((await deliver('Ping Hook', ping, { 'x-gitee-timestamp': ts, 'x-gitee-token': encodeURIComponent(giteeSignature(SECRET, ts)) })).status).toBe(200);
    expect((await deliver('Ping Hook', ping, { 'x-gitee-token': SECRET })).status).toBe(200);
  });

  it('refuses a wrong token or signature, without echoing it', async () => {
    const ts = String(NOW);
    for (const token of ['wrong-password', giteeSignature('other-secret', ts)]) {
      const res = await deliver('Merge Request Hook', payload('gitee-merge_request-merge'), { 'x-gitee-timestamp': ts, 'x-gitee-token': token });
      expect(res.status).toBe(401);
      const text = await res.text();
      expect(text).toMatch(/does not match the configured secret/);
      expect(text).not.toContain(token);
      expect(text).not.toContain(SECRET);
    }
    expect((await deliver('Ping Hook', ping, { 'x-gitee-token': undefined })).status).toBe(401);
    expect((await deliver('Ping Hook', ping, { 'x-gitee-timestamp': undefined })).status).toBe(401);
  });

  it('refuses replays: a timestamp outside Gitee\'s one-hour window, and a delivery seen before', async () => {
    const old = String(NOW - 61 * 60_000);
    const stale = await deliver('Ping Hook', ping, { 'x-gitee-timestamp': old, 'x-gitee-token': giteeSignature(SECRET, old) });
    expect(stale.status).toBe(401);
    expect(await stale.json()).toMatchObject({ error: { code: 'webhook_stale' } });
    const late = String(NOW - 50 * 60_000);
    expect((await deliver('Ping Hook', ping, { 'x-gitee-timestamp': late, 'x-gitee-token': giteeSignature(SECRET, late) })).status).toBe(200);

    const ts = String(NOW - 60_000);
    const headers = { 'x-gitee-timestamp': ts, 'x-gitee-token': giteeSignature(SECRET, ts) };
    expect((await deliver('Ping Hook', ping, headers)).status).toBe(200);
    const replay = await deliver('Ping Hook', ping, headers);
    expect(replay.status).toBe(409);
    expect(await replay.json()).toMatchObject({ error: { code: 'webhook_replayed' } });
    // the password mode is protected the same way
    const other = { hook_name: 'ping', hook_id: 2 };
    expect((await deliver('Ping Hook', other, { 'x-gitee-timestamp': ts, 'x-gitee-token': SECRET })).status).toBe(200);
    expect((await deliver('Ping Hook', other, { 'x-gitee-timestamp': ts, 'x-gitee-token': SECRET })).status).toBe(409);
  });

  it('recognises a replay however its token is percent-encoded', async () => {
    const ts = String(NOW - 30_000);
    const signature = giteeSignature(SECRET, ts);
    expect((await deliver('Ping Hook', ping, { 'x-gitee-timestamp': ts, 'x-gitee-token': encodeURIComponent(signature) })).status).toBe(200);
    const spellings = [
      signature,
      encodeURIComponent(signature).replace(/%3D/g, '%3d').replace(/%2B/g, '%2b').replace(/%2F/g, '%2f'),
      `%${signature.charCodeAt(0).toString(16)}${encodeURIComponent(signature.slice(1))}`,
    ];
    for (const token of spellings) {
      const res = await deliver('Ping Hook', ping, { 'x-gitee-timestamp': ts, 'x-gitee-token': token });
      expect(res.status).toBe(409);
    }
  });

  it('takes two different deliveries sent in the same millisecond', async () => {
    const ts = String(NOW - 20_000);
    const headers = { 'x-gitee-timestamp': ts, 'x-gitee-token': giteeSignature(SECRET, ts) };
    expect((await deliver('Ping Hook', { hook_name: 'ping', hook_id: 10 }, headers)).status).toBe(200);
    expect((await deliver('Ping Hook', { hook_name: 'ping', hook_id: 11 }, headers)).status).toBe(200);
  });

  it('without GITEE_WEBHOOK_SECRET every delivery is refused', async () => {
    const bare = giteeWebhookRoutes({ db: handle.db, secret: '', lifecycle: {} as Lifecycle, now: () => NOW });
    const res = await bare.request('/api/gitee/webhooks', { method: 'POST', headers: { 'x-gitee-token': '', 'x-gitee-timestamp': String(NOW) }, body: '{}' });
    expect(res.status).toBe(403);
  });

  it('a body that is not JSON is a 400', async () => {
    const res = await deliver('Merge Request Hook', '{not json');
    expect(res.status).toBe(400);
  });
});

describe('events', () => {
  it('Merge Request Hook (merge): comment + close the issue, delete the branch, row merged', async () => {
    await publishedRange(handle.db, { repo: 'src-openeuler/lib', forge: 'gitee', issue: 'I1ABCD', pr: '12' });
    const calls: string[] = [];
    nock(API)
      .post('/repos/src-openeuler/lib/issues/I1ABCD/comments', (b) => b.access_token === TOKEN && /#12 .* was merged/.test(b.body))
      .reply(201, () => (calls.push('comment'), { id: 1 }))
      .patch('/repos/src-openeuler/issues/I1ABCD', { access_token: TOKEN, repo: 'lib', state: 'closed' })
      .reply(200, () => (calls.push('close'), { number: 'I1ABCD' }))
      .delete(`/repos/src-openeuler/lib/branches/${encodeURIComponent(TEMP)}`)
      .query({ access_token: TOKEN })
      .reply(204, () => (calls.push('delete'), ''));
    const res = await deliver('Merge Request Hook', payload('gitee-merge_request-merge'));
    expect(await res.json()).toEqual({ handled: true, outcome: 'merged' });
    expect(calls).toEqual(['comment', 'close', 'delete']);
    expect((await handle.db.select().from(issue))[0]).toMatchObject({ state: 'merged', mergedAt: new Date('2026-11-22T01:00:00Z') });
  });

  it('Merge Request Hook (close): the range is rejected', async () => {
    await publishedRange(handle.db, { repo: 'https://gitee.com/src-openeuler/lib', forge: 'gitee', issue: 'I1ABCD', pr: '12' });
    const event = payload('gitee-merge_request-merge');
    event.action = 'close';
    event.state = 'closed';
    event.pull_request.state = 'closed';
    event.pull_request.merged_at = null;
    nock(API)
      .post('/repos/src-openeuler/lib/issues/I1ABCD/comments', (b) => /rejected/.test(b.body))
      .reply(201, {})
      .patch('/repos/src-openeuler/issues/I1ABCD')
      .reply(200, {})
      .delete(`/repos/src-openeuler/lib/branches/${encodeURIComponent(TEMP)}`)
      .query(true)
      .reply(404, { message: 'Not Found' });
    expect(await (await deliver('Merge Request Hook', event)).json()).toEqual({ handled: true, outcome: 'rejected' });
    expect((await handle.db.select().from(issue))[0]!.state).toBe('rejected');
  });

  it('Merge Request Hook (open/update) is not a close', async () => {
    const event = payload('gitee-merge_request-merge');
    event.action = 'update';
    event.pull_request.state = 'open';
    expect(await (await deliver('Merge Request Hook', event)).json()).toMatchObject({ handled: false });
  });

  it('Note Hook: status for an admin (permission asked on the v5 endpoint), a polite refusal for a reader', async () => {
    await publishedRange(handle.db, { repo: 'src-openeuler/lib', forge: 'gitee', issue: 'I1ABCD', pr: '12' });
    nock(API)
      .get('/repos/src-openeuler/lib/collaborators/maintainer/permission')
      .query({ access_token: TOKEN })
      .reply(200, { permission: 'admin', user: { login: 'maintainer' } })
      .post('/repos/src-openeuler/lib/pulls/12/comments', (b) => b.body.includes('| tracking | status | last error | last head | next attempt | open PRs |'))
      .reply(201, {});
    expect(await (await deliver('Note Hook', payload('gitee-note-pull'))).json()).toEqual({ handled: true, outcome: 'done' });

    const event = payload('gitee-note-pull');
    event.comment.body = '/patch-tracking pause';
    event.comment.user.login = 'passer-by';
    nock(API)
      .get('/repos/src-openeuler/lib/collaborators/passer-by/permission')
      .query(true)
      .reply(404, { message: 'Not Found' })
      .post('/repos/src-openeuler/lib/pulls/12/comments', (b) => /^@passer-by sorry, `\/patch-tracking pause` needs write access/.test(b.body))
      .reply(201, {});
    expect(await (await deliver('Note Hook', event)).json()).toEqual({ handled: true, outcome: 'no_permission' });
    expect((await handle.db.select().from(tracking))[0]!.enabled).toBe(true);
  });

  it('Push Hook on a tracked upstream queues the git tracking', async () => {
    const t = await publishedRange(handle.db, { repo: 'src-openeuler/lib', forge: 'gitee', issue: 'I1ABCD', pr: '12', versionControl: 'git', scmRepo: 'https://gitee.com/upstream/lib.git' });
    const res = await deliver('Push Hook', payload('gitee-push'));
    expect(await res.json()).toEqual({ handled: true, queued: [t.id] });
    expect((await handle.db.select().from(tracking).where(eq(tracking.id, t.id)))[0]!.status).toBe('queued');
    expect(kicks).toBe(1);
  });
});
