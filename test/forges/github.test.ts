import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { GitHubForge } from '../../src/forges/github.js';
import { createGitHubOctokit } from '../../src/forges/octokit.js';
import type { ForgeRepo } from '../../src/forges/types.js';

const API = 'https://api.github.com';
const TOKEN = 'ghp_0123456789abcdefghijABCDEFGHIJ012345';
const repo: ForgeRepo = { forge: 'github', owner: 'acme', name: 'pkg', webUrl: 'https://github.com/acme/pkg' };
const BRANCH = 'patch-tracking/pkg-main-0123abcd';
const MARKER = '<!-- patch-tracking:range:0123abcd -->';
/** Octokit sends a git ref as one path segment (`heads%2Fmain`), which GitHub accepts */
const ref = (branch: string) => encodeURIComponent(`heads/${branch}`);

interface Seen {
  method: string;
  path: string;
  body: unknown;
  authorization: string | undefined;
  at: number;
}

/** write pacing is real time (the throttling plugin's queues): a short interval keeps the tests quick */
const WRITE_INTERVAL_MS = 200;

function setup(options: { timeoutMs?: number; retries?: number; apiUrl?: string; host?: string } = {}) {
  const clock = { sleeps: [] as number[] };
  const octokit = createGitHubOctokit({
    token: TOKEN,
    apiUrl: options.apiUrl,
    timeoutMs: options.timeoutMs,
    retry: { retries: options.retries, retryAfterBaseMs: 1 },
    minWriteIntervalMs: WRITE_INTERVAL_MS,
    // rate-limit waits are recorded, not spent
    sleep: async (ms) => {
      clock.sleeps.push(ms);
    },
  });
  const seen: Seen[] = [];
  const scope = nock(options.host ?? API);
  scope.on('request', (req: { method: string; path: string; headers: Record<string, string> }, _i: unknown, body: string) => {
    seen.push({
      method: req.method,
      path: decodeURIComponent(req.path),
      body: body ? JSON.parse(body) : undefined,
      authorization: req.headers.authorization,
      at: performance.now(),
    });
  });
  const forge = new GitHubForge(octokit, { secrets: [TOKEN] });
  return { forge, scope, seen, clock, writes: () => seen.filter((s) => s.method !== 'GET') };
}

const issueJson = (number: number, body: string, extra: Record<string, unknown> = {}) => ({
  number,
  html_url: `https://github.com/acme/pkg/issues/${number}`,
  state: 'open',
  body,
  ...extra,
});
const pullJson = (number: number, head: string, extra: Record<string, unknown> = {}) => ({
  number,
  html_url: `https://github.com/acme/pkg/pull/${number}`,
  state: 'open',
  merged_at: null,
  head: { ref: head },
  ...extra,
});

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe('GitHub: publishing one range', () => {
  it('takes 6 writes (ref, tree, commit, ref update, issue, PR) paced the write interval apart, token in the Authorization header', async () => {
    const { forge, scope, seen, writes } = setup();
    scope
      .get(`/repos/acme/pkg/git/ref/${ref('main')}`)
      .reply(200, { ref: 'refs/heads/main', object: { sha: 'base1' } })
      .post('/repos/acme/pkg/git/refs', { ref: `refs/heads/${BRANCH}`, sha: 'base1' })
      .reply(201, {})
      .get(`/repos/acme/pkg/git/ref/${ref(BRANCH)}`)
      .reply(200, { object: { sha: 'base1' } })
      .get('/repos/acme/pkg/git/commits/base1')
      .reply(200, { sha: 'base1', tree: { sha: 'tree0' } })
      .post('/repos/acme/pkg/git/trees')
      .reply(201, { sha: 'tree1' })
      .post('/repos/acme/pkg/git/commits', { message: 'patches', tree: 'tree1', parents: ['base1'] })
      .reply(201, { sha: 'commit1' })
      .patch(`/repos/acme/pkg/git/refs/${ref(BRANCH)}`, { sha: 'commit1', force: false })
      .reply(200, {})
      .get('/user')
      .reply(200, { login: 'patch-bot' })
      .get('/repos/acme/pkg/issues')
      .query({ state: 'all', creator: 'patch-bot', sort: 'created', direction: 'desc', per_page: 100, page: 1 })
      .reply(200, [issueJson(3, 'older')])
      .post('/repos/acme/pkg/issues', { title: 'T', body: `table\n${MARKER}` })
      .reply(201, issueJson(12, `table\n${MARKER}`))
      .get('/repos/acme/pkg/pulls')
      .query({ state: 'all', head: `acme:${BRANCH}`, per_page: 100 })
      .reply(200, [])
      .post('/repos/acme/pkg/pulls')
      .reply(201, pullJson(13, BRANCH));

    await forge.createBranch(repo, BRANCH, 'main');
    const files = Array.from({ length: 5 }, (_, i) => ({ path: `${i}.patch`, content: `From ${i}\n` }));
    expect(await forge.commitFiles(repo, BRANCH, 'patches', [...files, { path: 'pkg.spec', content: 'Name: pkg\n' }])).toBe(
      'commit1',
    );
    expect(await forge.findIssueByMarker(repo, MARKER)).toBeNull();
    const issue = await forge.createIssue(repo, { title: 'T', body: `table\n${MARKER}` });
    expect(issue).toEqual({ id: '12', url: 'https://github.com/acme/pkg/issues/12', state: 'open' });
    expect(await forge.findPullByHead(repo, BRANCH)).toBeNull();
    const pull = await forge.createPullRequest(repo, { title: 'T', body: MARKER, head: BRANCH, base: 'main', issue });
    expect(pull).toEqual({ number: '13', url: 'https://github.com/acme/pkg/pull/13', state: 'open', head: BRANCH });
    expect(scope.isDone()).toBe(true);

    expect(writes().map((w) => `${w.method} ${w.path}`)).toEqual([
      'POST /repos/acme/pkg/git/refs',
      'POST /repos/acme/pkg/git/trees',
      'POST /repos/acme/pkg/git/commits',
      `PATCH /repos/acme/pkg/git/refs/heads/${BRANCH}`,
      'POST /repos/acme/pkg/issues',
      'POST /repos/acme/pkg/pulls',
    ]);
    for (const request of seen) expect(request.authorization).toBe(`token ${TOKEN}`);
    const tree = writes()[1]!.body as { base_tree: string; tree: unknown[] };
    expect(tree.base_tree).toBe('tree0');
    expect(tree.tree).toHaveLength(6);
    expect(tree.tree[5]).toEqual({ path: 'pkg.spec', mode: '100644', type: 'blob', content: 'Name: pkg\n' });
    expect(writes()[5]!.body).toEqual({ title: 'T', body: `${MARKER}\n\nCloses #12`, head: BRANCH, base: 'main' });
    const gaps = writes()
      .slice(1)
      .map((w, i) => w.at - writes()[i]!.at);
    // the queue spaces the releases of requests; sending follows a release after some ms (more on first use,
    // while the queues are built), so a gap may look up to that much shorter than the interval
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(WRITE_INTERVAL_MS - 50);
  });

  it('finds its own issue among every state, skipping pull requests that carry the marker', async () => {
    const { forge, scope } = setup();
    scope
      .get('/user')
      .reply(200, { login: 'bot' })
      .get('/repos/acme/pkg/issues')
      .query(true)
      .reply(200, [
        issueJson(20, MARKER, { pull_request: { url: 'x' } }),
        issueJson(19, `x ${MARKER}`, { state: 'closed' }),
      ]);
    expect(await forge.findIssueByMarker(repo, MARKER)).toEqual({
      id: '19',
      url: 'https://github.com/acme/pkg/issues/19',
      state: 'closed',
    });
  });

  it('searches every issue when the token cannot tell its login (installation tokens)', async () => {
    const { forge, scope } = setup();
    scope
      .get('/user')
      .reply(403, { message: 'Resource not accessible by integration' })
      .get('/repos/acme/pkg/issues')
      .query((q) => q.creator === undefined && q.state === 'all')
      .reply(200, [issueJson(5, MARKER)]);
    expect(await forge.findIssueByMarker(repo, MARKER)).toMatchObject({ id: '5' });
    expect(scope.isDone()).toBe(true);
  });

  it('finds a merged pull request by head', async () => {
    const { forge, scope } = setup();
    scope.get('/repos/acme/pkg/pulls').query(true).reply(200, [pullJson(8, BRANCH, { state: 'closed', merged_at: '2026-01-01T00:00:00Z' })]);
    expect(await forge.findPullByHead(repo, BRANCH)).toMatchObject({ number: '8', state: 'merged' });
  });

  it('reads a file, treats a missing one as null, lists top-level files', async () => {
    const { forge, scope } = setup();
    scope
      .get('/repos/acme/pkg/contents/pkg.spec')
      .query({ ref: 'main' })
      .reply(200, { type: 'file', sha: 'S', size: 10, content: Buffer.from('Name: pkg\n').toString('base64') })
      .get('/repos/acme/pkg/contents/nope.spec')
      .query(true)
      .reply(404, { message: 'Not Found' })
      .get('/repos/acme/pkg/git/trees/main')
      .reply(200, { sha: 't', tree: [{ path: 'pkg.spec', type: 'blob' }, { path: 'src', type: 'tree' }], truncated: false });
    expect(await forge.readFile(repo, 'pkg.spec', 'main')).toEqual({ content: 'Name: pkg\n', sha: 'S' });
    expect(await forge.readFile(repo, 'nope.spec', 'main')).toBeNull();
    expect(await forge.listFiles(repo, 'main')).toEqual(['pkg.spec']);
  });
});

describe('GitHub: failures and rate limits', () => {
  it('waits out a secondary rate limit (403 + Retry-After) and then creates the issue once', async () => {
    const { forge, scope, clock } = setup();
    scope
      .post('/repos/acme/pkg/issues')
      .reply(403, { message: 'You have exceeded a secondary rate limit.' }, { 'retry-after': '60' })
      .post('/repos/acme/pkg/issues')
      .reply(201, issueJson(4, 'b'));
    expect(await forge.createIssue(repo, { title: 't', body: 'b' })).toMatchObject({ id: '4' });
    expect(clock.sleeps).toContain(60_000);
    expect(scope.isDone()).toBe(true);
  });

  it('waits a minute on a secondary limit without Retry-After', async () => {
    const { forge, scope, clock } = setup();
    scope
      .get(`/repos/acme/pkg/git/ref/${ref('main')}`)
      .reply(403, { message: 'You have exceeded a secondary rate limit' })
      .get(`/repos/acme/pkg/git/ref/${ref('main')}`)
      .reply(200, { object: { sha: 'h' } });
    expect(await forge.branchHead(repo, 'main')).toBe('h');
    expect(clock.sleeps).toEqual([60_000]);
  });

  it('retries reads on 5xx and network errors but never replays an issue creation after a 502', async () => {
    const { forge, scope, writes } = setup();
    scope
      .get(`/repos/acme/pkg/git/ref/${ref('main')}`)
      .reply(500)
      .get(`/repos/acme/pkg/git/ref/${ref('main')}`)
      .replyWithError({ code: 'ECONNRESET', message: 'reset' })
      .get(`/repos/acme/pkg/git/ref/${ref('main')}`)
      .reply(200, { object: { sha: 'h' } })
      .post('/repos/acme/pkg/issues')
      .reply(502, { message: 'Server Error' })
      .post('/repos/acme/pkg/issues')
      .reply(201, issueJson(99, 'dup'));
    expect(await forge.branchHead(repo, 'main')).toBe('h');
    const err = (await forge.createIssue(repo, { title: 't', body: 'b' }).catch((e: unknown) => e)) as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('forge_http');
    expect(err.upstreamStatus).toBe(502);
    expect(writes()).toHaveLength(1);
  });

  it('replays tree/commit/ref writes after a 5xx: they are content-addressed', async () => {
    const { forge, scope } = setup();
    scope
      .get(`/repos/acme/pkg/git/ref/${ref(BRANCH)}`)
      .reply(200, { object: { sha: 'b' } })
      .get('/repos/acme/pkg/git/commits/b')
      .reply(200, { tree: { sha: 't0' } })
      .post('/repos/acme/pkg/git/trees')
      .reply(502)
      .post('/repos/acme/pkg/git/trees')
      .reply(201, { sha: 't1' })
      .post('/repos/acme/pkg/git/commits')
      .reply(201, { sha: 'c1' })
      .patch(`/repos/acme/pkg/git/refs/${ref(BRANCH)}`)
      .reply(200, {});
    expect(await forge.commitFiles(repo, BRANCH, 'm', [{ path: 'a.patch', content: 'x' }])).toBe('c1');
    expect(scope.isDone()).toBe(true);
  });

  it('removes a file in the same commit: a tree entry with a null sha', async () => {
    const { forge, scope, writes } = setup();
    scope
      .get(`/repos/acme/pkg/git/ref/${ref(BRANCH)}`)
      .reply(200, { object: { sha: 'b' } })
      .get('/repos/acme/pkg/git/commits/b')
      .reply(200, { tree: { sha: 't0' } })
      .post('/repos/acme/pkg/git/trees')
      .reply(201, { sha: 't1' })
      .post('/repos/acme/pkg/git/commits')
      .reply(201, { sha: 'c1' })
      .patch(`/repos/acme/pkg/git/refs/${ref(BRANCH)}`)
      .reply(200, {});
    expect(await forge.commitFiles(repo, BRANCH, 'm', [{ path: 'pkg.spec', content: 'Name: pkg\n' }, { path: 'old.patch', delete: true }])).toBe('c1');
    expect(scope.isDone()).toBe(true);
    expect((writes()[0]!.body as { tree: unknown[] }).tree).toEqual([
      { path: 'pkg.spec', mode: '100644', type: 'blob', content: 'Name: pkg\n' },
      { path: 'old.patch', mode: '100644', type: 'blob', sha: null },
    ]);
  });

  it('times out a hanging request with forge_timeout', async () => {
    const { forge, scope } = setup({ timeoutMs: 50, retries: 0 });
    scope.get(`/repos/acme/pkg/git/ref/${ref('main')}`).delay(2000).reply(200, { object: { sha: 'h' } });
    const err = (await forge.branchHead(repo, 'main').catch((e: unknown) => e)) as AppError;
    expect(err.code).toBe('forge_timeout');
  });

  it('maps a bad token to forge_auth without showing it', async () => {
    const { forge, scope } = setup();
    scope.post('/repos/acme/pkg/issues').reply(401, { message: `Bad credentials for ${TOKEN}` });
    const err = (await forge.createIssue(repo, { title: 't', body: 'b' }).catch((e: unknown) => e)) as AppError;
    expect(err.code).toBe('forge_auth');
    expect(err.message).toContain('Bad credentials');
    expect(err.message).not.toContain(TOKEN);
  });

  it('talks to a GitHub Enterprise API URL and tolerates deleting a branch that is already gone', async () => {
    const { forge, scope } = setup({ apiUrl: 'https://ghe.example.com/api/v3', host: 'https://ghe.example.com' });
    scope
      .delete(`/api/v3/repos/acme/pkg/git/refs/${ref(BRANCH)}`)
      .reply(422, { message: 'Reference does not exist' })
      .patch('/api/v3/repos/acme/pkg/issues/12', { state: 'closed' })
      .reply(200, issueJson(12, '', { state: 'closed' }))
      .post('/api/v3/repos/acme/pkg/issues/13/comments', { body: 'hello' })
      .reply(201, {});
    await forge.deleteBranch(repo, BRANCH);
    await forge.closeIssue(repo, '12');
    await forge.comment(repo, { kind: 'pull', id: '13' }, 'hello');
    expect(scope.isDone()).toBe(true);
  });
});

describe('GitHub: GraphQL reads are not paced like writes', () => {
  it('sends successive branch-head queries without the write interval between them', async () => {
    const interval = 2_000;
    const octokit = createGitHubOctokit({ token: TOKEN, minWriteIntervalMs: interval, sleep: async () => {} });
    nock(API)
      .post('/graphql')
      .times(3)
      .reply(200, { data: { r0: { ref: { target: { oid: 'a'.repeat(40) } } } } });
    const started = performance.now();
    for (let i = 0; i < 3; i++) await octokit.graphql('query { r0: repository(owner: "acme", name: "pkg") { ref(qualifiedName: "refs/heads/main") { target { oid } } } }');
    // paced as writes, three queries would need at least two intervals (4 s)
    expect(performance.now() - started).toBeLessThan(interval);
  });
});
