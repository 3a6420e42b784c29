/**
 * The GitHub App end to end through Probot: recorded-style payloads delivered with probot.receive, forge
 * calls asserted with nock at api.github.com; and a badly signed delivery refused by the real middleware.
 */
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Octokit } from '@octokit/rest';
import { eq, sql } from 'drizzle-orm';
import nock from 'nock';
import { createNodeMiddleware, Probot } from 'probot';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { issue, publication, tracking } from '../../src/db/schema/index.js';
import { createForges } from '../../src/forges/resolve.js';
import { GitHubExtras } from '../../src/lifecycle/extras.js';
import { firstDelivery } from '../../src/lifecycle/deliveries.js';
import { Lifecycle } from '../../src/lifecycle/index.js';
import { createLogger } from '../../src/log.js';
import { createTestDatabase } from '../helpers/db.js';
import { payload } from './fixtures.js';
import { FROM, publishedRange, TEMP } from './rows.js';

const API = 'https://api.github.com';
const SECRET = 'webhook-secret-for-tests';
const logger = createLogger('silent');
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });

let handle: Awaited<ReturnType<typeof createTestDatabase>>;
let probot: Probot;
let kicks = 0;
let scanned: number[] = [];

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  handle = await createTestDatabase();
  const octokit = new Octokit({ auth: 'ghp_test', request: { retries: 0 }, log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} } });
  const forges = createForges({ githubOctokit: octokit });
  const lifecycle = new Lifecycle({
    db: handle.db,
    logger,
    forges,
    extras: () => new GitHubExtras(octokit),
    sources: {},
    unavailable: {},
    publish: { specEdit: 'auto', botName: 'patch-tracking', botEmail: 'bot@example.org' },
    engine: {
      scanNow: async (id) => {
        scanned.push(id);
        return { action: 'up_to_date', head: FROM };
      },
    },
    kick: () => void (kicks += 1),
  });
  probot = new Probot({ appId: 123, privateKey, secret: SECRET, log: logger });
  await probot.load(createApp({ lifecycle }));
});
beforeEach(async () => {
  await handle.db.execute(sql`truncate tracking, issue, publication restart identity cascade`);
  kicks = 0;
  scanned = [];
});
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});
afterAll(() => handle.close());

const rowOf = async () => (await handle.db.select().from(issue))[0]!;

describe('pull_request.closed', () => {
  it('merged: comment + close the issue, delete the temp branch, record merged_at', async () => {
    await publishedRange(handle.db, { repo: 'https://github.com/acme/widget', forge: 'github', issue: '6', pr: '7' });
    const calls: string[] = [];
    nock(API)
      .post('/repos/acme/widget/issues/6/comments', (b) => /#7 .* was merged/.test(b.body))
      .reply(201, () => (calls.push('comment'), { id: 1 }))
      .patch('/repos/acme/widget/issues/6', { state: 'closed' })
      .reply(200, () => (calls.push('close'), { number: 6, state: 'closed' }))
      .delete(`/repos/acme/widget/git/refs/${encodeURIComponent(`heads/${TEMP}`)}`)
      .reply(204, () => (calls.push('delete'), ''));
    await probot.receive({ id: 'd-1', name: 'pull_request', payload: payload('github-pull_request-closed-merged') } as never);
    expect(calls).toEqual(['comment', 'close', 'delete']);
    expect(await rowOf()).toMatchObject({ state: 'merged', mergedAt: new Date('2026-11-22T01:00:00Z') });
  });

  it('closed unmerged: the issue row and the publication are rejected, the issue is closed', async () => {
    await publishedRange(handle.db, { repo: 'https://github.com/acme/widget', forge: 'github', issue: '6', pr: '7' });
    const event = payload('github-pull_request-closed-merged');
    event.pull_request.merged = false;
    event.pull_request.merged_at = null;
    nock(API)
      .post('/repos/acme/widget/issues/6/comments', (b) => /closed without merging.*\/patch-tracking recreate/.test(b.body))
      .reply(201, { id: 1 })
      .patch('/repos/acme/widget/issues/6', { state: 'closed' })
      .reply(200, { number: 6 })
      .delete(`/repos/acme/widget/git/refs/${encodeURIComponent(`heads/${TEMP}`)}`)
      .reply(422, { message: 'Reference does not exist' });
    await probot.receive({ id: 'd-2', name: 'pull_request', payload: event } as never);
    expect(await rowOf()).toMatchObject({ state: 'rejected', mergedAt: null });
    expect((await handle.db.select().from(publication))[0]!.step).toBe('rejected');
  });
});

describe('issue_comment.created', () => {
  it('a writer pauses the tracking and gets a reply', async () => {
    const t = await publishedRange(handle.db, { repo: 'https://github.com/acme/widget', forge: 'github', issue: '6', pr: '7' });
    nock(API)
      .get('/repos/acme/widget/collaborators/maintainer/permission')
      .reply(200, { permission: 'write', role_name: 'write', user: { login: 'maintainer' } })
      .post('/repos/acme/widget/issues/7/comments', (b) => /^@maintainer paused tracking/.test(b.body))
      .reply(201, { id: 2 });
    await probot.receive({ id: 'd-3', name: 'issue_comment', payload: payload('github-issue_comment-created') } as never);
    expect((await handle.db.select().from(tracking).where(eq(tracking.id, t.id)))[0]).toMatchObject({ enabled: false, status: 'paused' });
  });

  it('a triage user is refused politely and nothing changes', async () => {
    const t = await publishedRange(handle.db, { repo: 'https://github.com/acme/widget', forge: 'github', issue: '6', pr: '7' });
    const event = payload('github-issue_comment-created');
    event.comment.body = '/patch-tracking retry';
    nock(API)
      .get('/repos/acme/widget/collaborators/maintainer/permission')
      .reply(200, { permission: 'read', role_name: 'triage' })
      .post('/repos/acme/widget/issues/7/comments', (b) => /needs write access to acme\/widget \(yours: triage\)/.test(b.body))
      .reply(201, { id: 3 });
    await probot.receive({ id: 'd-4', name: 'issue_comment', payload: event } as never);
    expect(scanned).toEqual([]);
    expect((await handle.db.select().from(tracking).where(eq(tracking.id, t.id)))[0]!.enabled).toBe(true);
  });

  it("the bot's own comments are never taken as commands", async () => {
    await publishedRange(handle.db, { repo: 'https://github.com/acme/widget', forge: 'github', issue: '6', pr: '7' });
    const event = payload('github-issue_comment-created');
    event.comment.user = { login: 'patch-tracking[bot]', type: 'Bot' };
    await probot.receive({ id: 'd-5', name: 'issue_comment', payload: event } as never);
    // no nock interceptor: any forge call would have failed the delivery
  });
});

describe('push', () => {
  it('a push to a tracked github upstream queues its trackings and kicks the queue', async () => {
    const t = await publishedRange(handle.db, { repo: 'https://github.com/acme/widget', forge: 'github', issue: '6', pr: '7', scmRepo: 'https://github.com/Upstream/widget' });
    await handle.db.insert(tracking).values({ versionControl: 'github', scmRepo: 'upstream/widget', scmBranch: 'dev', repo: 'https://github.com/acme/widget', branch: 'other' });
    await probot.receive({ id: 'd-6', name: 'push', payload: payload('github-push') } as never);
    const rows = await handle.db.select().from(tracking).orderBy(tracking.id);
    expect(rows.map((r) => [r.id, r.status, r.queuedAt !== null])).toEqual([
      [t.id, 'queued', true],
      [t.id + 1, 'idle', false],
    ]);
    expect(kicks).toBe(1);
  });
});

describe('X-GitHub-Delivery', () => {
  it('a delivery id is acted on once, however often it is delivered', async () => {
    const pushes: unknown[] = [];
    const once = new Probot({ appId: 123, privateKey, secret: SECRET, log: logger });
    await once.load(
      createApp({
        lifecycle: { push: async (e: unknown) => void pushes.push(e) } as unknown as Lifecycle,
        firstDelivery: (id) => firstDelivery(handle.db, 'github', id, 60_000),
      }),
    );
    await once.receive({ id: 'same-delivery', name: 'push', payload: payload('github-push') } as never);
    await once.receive({ id: 'same-delivery', name: 'push', payload: payload('github-push') } as never);
    expect(pushes).toHaveLength(1);
    await once.receive({ id: 'next-delivery', name: 'push', payload: payload('github-push') } as never);
    expect(pushes).toHaveLength(2);
  });
});

describe('signatures', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    const middleware = await createNodeMiddleware(createApp(), { probot, webhooksPath: '/api/github/webhooks' });
    server = createServer((req, res) => {
      void middleware(req, res, () => res.writeHead(404).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/github/webhooks`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const deliver = (body: string, signature: string) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': 'd-7', 'x-hub-signature-256': signature },
      body,
    });

  it('a badly signed delivery gets a 4xx; a well signed one is accepted', async () => {
    const body = JSON.stringify(payload('github-push'));
    const bad = await deliver(body, `sha256=${createHmac('sha256', 'not-the-secret').update(body).digest('hex')}`);
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(bad.status).toBeLessThan(500);
    const good = await deliver(body, `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`);
    expect(good.status).toBe(200);
  });
});
