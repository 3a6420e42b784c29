import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { GiteeForge } from '../../src/forges/gitee.js';
import type { ForgeRepo } from '../../src/forges/types.js';

const API = 'https://gitee.com';
const TOKEN = 'GTOKEN-0123456789abcdef';
const repo: ForgeRepo = { forge: 'gitee', owner: 'src-openeuler', name: 'r', webUrl: 'https://gitee.com/src-openeuler/r' };
const BRANCH = 'patch-tracking/r-master-0123abcd';
const MARKER = '<!-- patch-tracking:range:0123abcd -->';

interface Seen {
  method: string;
  path: string;
  body: Record<string, unknown> | undefined;
  authorization: string | undefined;
}

/** a Gitee fake that records every request it answers, so tests can assert order, auth and write counts */
function giteeFake() {
  const seen: Seen[] = [];
  const scope = nock(API);
  scope.on('request', (req: { method: string; path: string; headers: Record<string, string> }, _i: unknown, body: string) => {
    seen.push({
      method: req.method,
      path: decodeURIComponent(req.path),
      body: body ? (JSON.parse(body) as Record<string, unknown>) : undefined,
      authorization: req.headers.authorization,
    });
  });
  return { scope, seen, writes: () => seen.filter((s) => s.method !== 'GET') };
}

function forge() {
  const sleeps: number[] = [];
  const gitee = new GiteeForge({
    token: TOKEN,
    apiUrl: `${API}/api/v5`,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
  });
  return { gitee, sleeps };
}

const issueJson = (number: string, body: string, state = 'open') => ({
  number,
  html_url: `https://gitee.com/src-openeuler/r/issues/${number}`,
  state,
  body,
});
const pullJson = (number: number, head: string) => ({
  number,
  html_url: `https://gitee.com/src-openeuler/r/pulls/${number}`,
  state: 'open',
  head: { ref: head },
});
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe('Gitee: publishing one range', () => {
  it('takes 4 writes (branch, one commit for every file, issue, PR) with access_token in query for GET and body for writes', async () => {
    const { scope, seen, writes } = giteeFake();
    const v5 = '/api/v5/repos/src-openeuler/r';
    scope
      .get(`${v5}/branches/${encodeURIComponent(BRANCH)}`)
      .query({ access_token: TOKEN })
      .reply(404, { message: 'Branch not found' })
      .post(`${v5}/branches`, { access_token: TOKEN, refs: 'master', branch_name: BRANCH })
      .reply(201, { name: BRANCH, commit: { sha: 'base' } })
      .get(`${v5}/git/trees/${encodeURIComponent(BRANCH)}`)
      .query({ access_token: TOKEN, recursive: 1 })
      .reply(200, { sha: 't', tree: [{ path: 'r.spec', type: 'blob', sha: 'SPECSHA' }], truncated: false })
      .post(`${v5}/commits`)
      .reply(201, { sha: 'c0ffee' })
      .get('/api/v5/user')
      .query({ access_token: TOKEN })
      .reply(200, { login: 'patch-bot' })
      .get(`${v5}/issues`)
      .query({ access_token: TOKEN, state: 'all', creator: 'patch-bot', sort: 'created', direction: 'desc', per_page: 100, page: 1 })
      .reply(200, [issueJson('I0OLD1', 'someone else')])
      .post('/api/v5/repos/src-openeuler/issues')
      .reply(201, issueJson('I1ABCD', `table\n${MARKER}`))
      .get(`${v5}/pulls`)
      .query({ access_token: TOKEN, state: 'all', head: BRANCH, per_page: 100, page: 1 })
      .reply(200, [])
      .post(`${v5}/pulls`)
      .reply(201, pullJson(7, BRANCH));

    const { gitee } = forge();
    expect(await gitee.branchHead(repo, BRANCH)).toBeNull();
    await gitee.createBranch(repo, BRANCH, 'master');
    const sha = await gitee.commitFiles(repo, BRANCH, '[patch tracking] 2 patches', [
      { path: 'aaaa.patch', content: 'From aaaa\n' },
      { path: 'bbbb.patch', content: 'From bbbb\n' },
      { path: 'r.spec', content: 'Name: r\n' },
    ]);
    expect(sha).toBe('c0ffee');
    expect(await gitee.findIssueByMarker(repo, MARKER)).toBeNull();
    const issue = await gitee.createIssue(repo, { title: '[patch tracking] master', body: `table\n${MARKER}` });
    expect(issue).toEqual({ id: 'I1ABCD', url: 'https://gitee.com/src-openeuler/r/issues/I1ABCD', state: 'open' });
    expect(await gitee.findPullByHead(repo, BRANCH)).toBeNull();
    const pull = await gitee.createPullRequest(repo, { title: '[patch tracking] master', body: MARKER, head: BRANCH, base: 'master', issue });
    expect(pull).toEqual({ number: '7', url: 'https://gitee.com/src-openeuler/r/pulls/7', state: 'open', head: BRANCH });
    expect(scope.isDone()).toBe(true);

    expect(writes().map((w) => `${w.method} ${w.path}`)).toEqual([
      `POST ${v5}/branches`,
      `POST ${v5}/commits`,
      'POST /api/v5/repos/src-openeuler/issues',
      `POST ${v5}/pulls`,
    ]);
    for (const request of seen) {
      expect(request.authorization).toBeUndefined();
      if (request.method === 'GET') expect(request.path).toContain(`access_token=${TOKEN}`);
      else {
        expect(request.path).not.toContain('access_token');
        expect(request.body?.access_token).toBe(TOKEN);
      }
    }
    const commit = writes()[1]!.body!;
    expect(commit).toMatchObject({ branch: BRANCH, message: '[patch tracking] 2 patches' });
    expect(commit.actions).toEqual([
      { action: 'create', path: 'aaaa.patch', content: b64('From aaaa\n'), encoding: 'base64' },
      { action: 'create', path: 'bbbb.patch', content: b64('From bbbb\n'), encoding: 'base64' },
      { action: 'update', path: 'r.spec', content: b64('Name: r\n'), encoding: 'base64' },
    ]);
    expect(writes()[2]!.body).toMatchObject({ repo: 'r', title: '[patch tracking] master' });
    expect(writes()[3]!.body).toEqual({
      access_token: TOKEN,
      title: '[patch tracking] master',
      head: BRANCH,
      base: 'master',
      body: `${MARKER}\n\n#I1ABCD`,
      issue: 'I1ABCD',
      prune_source_branch: true,
    });
  });

  it('falls back to one contents call per file when the multi-file commit endpoint answers 404', async () => {
    const { scope, writes } = giteeFake();
    const v5 = '/api/v5/repos/src-openeuler/r';
    scope
      .get(`${v5}/git/trees/${encodeURIComponent(BRANCH)}`)
      .query(true)
      .reply(200, { tree: [{ path: 'r.spec', type: 'blob', sha: 'SPECSHA' }] })
      .post(`${v5}/commits`)
      .reply(404, { message: 'Not Found Project' })
      .post(`${v5}/contents/aaaa.patch`)
      .reply(201, { content: {}, commit: { sha: 'c1' } })
      .put(`${v5}/contents/r.spec`)
      .reply(200, { content: {}, commit: { sha: 'c2' } });
    const { gitee } = forge();
    const sha = await gitee.commitFiles(repo, BRANCH, 'msg', [
      { path: 'aaaa.patch', content: 'From aaaa\n' },
      { path: 'r.spec', content: 'Name: r\nRelease: 4\n' },
    ]);
    expect(sha).toBe('c2');
    expect(scope.isDone()).toBe(true);
    const [, create, update] = writes();
    expect(create!.body).toEqual({ access_token: TOKEN, content: b64('From aaaa\n'), message: 'msg', branch: BRANCH });
    expect(update!.body).toEqual({
      access_token: TOKEN,
      content: b64('Name: r\nRelease: 4\n'),
      message: 'msg',
      branch: BRANCH,
      sha: 'SPECSHA',
    });
  });

  it('removes files: a delete action in the multi-file commit, a DELETE contents call in the fallback', async () => {
    const { scope, writes } = giteeFake();
    const v5 = '/api/v5/repos/src-openeuler/r';
    const tree = { tree: [{ path: 'r.spec', type: 'blob', sha: 'SPECSHA' }, { path: 'old.patch', type: 'blob', sha: 'OLDSHA' }] };
    scope
      .get(`${v5}/git/trees/${encodeURIComponent(BRANCH)}`)
      .query(true)
      .reply(200, tree)
      .post(`${v5}/commits`)
      .reply(201, { commit: { sha: 'c1' } })
      .get(`${v5}/git/trees/${encodeURIComponent(BRANCH)}`)
      .query(true)
      .reply(200, tree)
      .post(`${v5}/commits`)
      .reply(404, { message: 'Not Found Project' })
      .put(`${v5}/contents/r.spec`)
      .reply(200, { content: {}, commit: { sha: 'c2' } })
      .delete(`${v5}/contents/old.patch`)
      .query({ access_token: TOKEN, sha: 'OLDSHA', message: 'm', branch: BRANCH })
      .reply(200, { content: null, commit: { sha: 'c3' } });
    const { gitee } = forge();
    const files = [
      { path: 'r.spec', content: 'Name: r\n' },
      { path: 'old.patch', delete: true as const },
    ];
    expect(await gitee.commitFiles(repo, BRANCH, 'm', files)).toBe('c1');
    expect(writes()[0]!.body!.actions).toEqual([
      { action: 'update', path: 'r.spec', content: b64('Name: r\n'), encoding: 'base64' },
      { action: 'delete', path: 'old.patch' },
    ]);
    expect(await gitee.commitFiles(repo, BRANCH, 'm', files)).toBe('c3');
    expect(scope.isDone()).toBe(true);
    expect(writes().map((w) => w.method)).toEqual(['POST', 'POST', 'PUT', 'DELETE']);
  });

  it('asks file by file which paths exist when the tree is too big to list whole', async () => {
    const { scope, writes } = giteeFake();
    const v5 = '/api/v5/repos/src-openeuler/r';
    scope
      .get(`${v5}/git/trees/${encodeURIComponent(BRANCH)}`)
      .query(true)
      .reply(200, { tree: [], truncated: true })
      .get(`${v5}/contents/patches/a.patch`)
      .query({ access_token: TOKEN, ref: BRANCH })
      .reply(200, [])
      .get(`${v5}/contents/r.spec`)
      .query({ access_token: TOKEN, ref: BRANCH })
      .reply(200, { type: 'file', sha: 'SPECSHA', content: b64('old') })
      .post(`${v5}/commits`)
      .reply(201, { commit: { sha: 'c9' } });
    const { gitee } = forge();
    expect(
      await gitee.commitFiles(repo, BRANCH, 'm', [
        { path: 'patches/a.patch', content: 'x' },
        { path: 'r.spec', content: 'new' },
      ]),
    ).toBe('c9');
    expect(scope.isDone()).toBe(true);
    expect((writes()[0]!.body!.actions as Array<{ action: string }>).map((a) => a.action)).toEqual(['create', 'update']);
  });

  it('reads the branch head when the commit answer carries no sha', async () => {
    const { scope, writes } = giteeFake();
    const v5 = '/api/v5/repos/src-openeuler/r';
    scope
      .get(`${v5}/git/trees/${encodeURIComponent(BRANCH)}`)
      .query(true)
      .reply(200, { tree: [] })
      .post(`${v5}/commits`)
      .reply(201, { message: 'ok' })
      .get(`${v5}/branches/${encodeURIComponent(BRANCH)}`)
      .query(true)
      .reply(200, { name: BRANCH, commit: { sha: 'headsha' } });
    const { gitee } = forge();
    expect(await gitee.commitFiles(repo, BRANCH, 'm', [{ path: 'a.patch', content: 'x' }])).toBe('headsha');
    expect(writes()).toHaveLength(1);
  });

  it('does not fall back on other failures (a 400 is reported, not turned into per-file writes)', async () => {
    const { scope, writes } = giteeFake();
    scope
      .get(/git\/trees/)
      .query(true)
      .reply(200, { tree: [] })
      .post('/api/v5/repos/src-openeuler/r/commits')
      .reply(400, { message: 'branch is protected' });
    const { gitee } = forge();
    await expect(gitee.commitFiles(repo, BRANCH, 'm', [{ path: 'a.patch', content: 'x' }])).rejects.toMatchObject({
      code: 'forge_http',
      upstreamStatus: 400,
    });
    expect(writes()).toHaveLength(1);
  });
});

describe('Gitee: finding earlier results', () => {
  it('pages through the bot issues, newest first, until the marker is found (closed issues count)', async () => {
    const { scope } = giteeFake();
    const others = Array.from({ length: 100 }, (_, i) => issueJson(`I0X${i}`, `other range ${i}`));
    scope
      .get('/api/v5/repos/src-openeuler/r/issues')
      .query((q) => q.page === '1' && q.creator === 'bot' && q.state === 'all')
      .reply(200, others)
      .get('/api/v5/repos/src-openeuler/r/issues')
      .query((q) => q.page === '2')
      .reply(200, [issueJson('I2FOUND', `body\n${MARKER}\n`, 'closed')]);
    const gitee = new GiteeForge({ token: TOKEN, apiUrl: `${API}/api/v5`, login: 'bot' });
    expect(await gitee.findIssueByMarker(repo, MARKER)).toEqual({
      id: 'I2FOUND',
      url: 'https://gitee.com/src-openeuler/r/issues/I2FOUND',
      state: 'closed',
    });
    expect(scope.isDone()).toBe(true);
  });

  it('finds the pull request by its head branch, ignoring other heads', async () => {
    giteeFake()
      .scope.get('/api/v5/repos/src-openeuler/r/pulls')
      .query(true)
      .reply(200, [pullJson(3, 'other'), { ...pullJson(9, BRANCH), state: 'merged' }]);
    const { gitee } = forge();
    expect(await gitee.findPullByHead(repo, BRANCH)).toMatchObject({ number: '9', state: 'merged', head: BRANCH });
  });

  it('reads files (base64) and treats Gitee empty-array answers and 404 as absent', async () => {
    giteeFake()
      .scope.get('/api/v5/repos/src-openeuler/r/contents/r.spec')
      .query({ access_token: TOKEN, ref: 'master' })
      .reply(200, { type: 'file', sha: 'S1', content: `${b64('Name: r\n').slice(0, 4)}\n${b64('Name: r\n').slice(4)}` })
      .get('/api/v5/repos/src-openeuler/r/contents/missing.spec')
      .query(true)
      .reply(200, [])
      .get('/api/v5/repos/src-openeuler/r/contents/gone.spec')
      .query(true)
      .reply(404, { message: 'Not Found' })
      .get('/api/v5/repos/src-openeuler/r/git/trees/master')
      .query({ access_token: TOKEN })
      .reply(200, { tree: [{ path: 'r.spec', type: 'blob', sha: 'a' }, { path: 'docs', type: 'tree', sha: 'b' }] });
    const { gitee } = forge();
    expect(await gitee.readFile(repo, 'r.spec', 'master')).toEqual({ content: 'Name: r\n', sha: 'S1' });
    expect(await gitee.readFile(repo, 'missing.spec', 'master')).toBeNull();
    expect(await gitee.readFile(repo, 'gone.spec', 'master')).toBeNull();
    expect(await gitee.listFiles(repo, 'master')).toEqual(['r.spec']);
  });
});

describe('Gitee: failures', () => {
  it('does not replay an issue creation that failed with 5xx, and never shows the token', async () => {
    const { scope, writes } = giteeFake();
    scope
      .post('/api/v5/repos/src-openeuler/issues')
      .reply(502, { message: `upstream error for access_token=${TOKEN}` })
      .post('/api/v5/repos/src-openeuler/issues')
      .reply(201, issueJson('I9DUP', 'dup'));
    const { gitee, sleeps } = forge();
    const err = await gitee.createIssue(repo, { title: 't', body: 'b' }).catch((e: unknown) => e as AppError);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('forge_http');
    expect((err as AppError).message).not.toContain(TOKEN);
    expect(writes()).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('retries reads on 5xx and waits Retry-After on 429', async () => {
    const { scope } = giteeFake();
    scope
      .get('/api/v5/repos/src-openeuler/r/branches/master')
      .query(true)
      .reply(503)
      .get('/api/v5/repos/src-openeuler/r/branches/master')
      .query(true)
      .reply(429, {}, { 'Retry-After': '2' })
      .get('/api/v5/repos/src-openeuler/r/branches/master')
      .query(true)
      .reply(200, { name: 'master', commit: { sha: 'h1' } });
    const { gitee, sleeps } = forge();
    expect(await gitee.branchHead(repo, 'master')).toBe('h1');
    expect(sleeps).toEqual([375, 2000]);
  });

  it('reports an invalid token as forge_auth without the token', async () => {
    giteeFake().scope.get('/api/v5/repos/src-openeuler/r/branches/master').query(true).reply(401, { message: '401 Unauthorized: Access token does not exist' });
    const { gitee } = forge();
    const err = (await gitee.branchHead(repo, 'master').catch((e: unknown) => e)) as AppError;
    expect(err.code).toBe('forge_auth');
    expect(err.message).toContain('Access token does not exist');
    expect(err.message).not.toContain(TOKEN);
  });

  it('closes issues, comments and deletes branches; an already deleted branch is fine', async () => {
    const { scope, writes } = giteeFake();
    scope
      .post('/api/v5/repos/src-openeuler/r/issues/I1ABCD/comments')
      .reply(201, {})
      .patch('/api/v5/repos/src-openeuler/issues/I1ABCD')
      .reply(200, issueJson('I1ABCD', '', 'closed'))
      .delete(`/api/v5/repos/src-openeuler/r/branches/${encodeURIComponent(BRANCH)}`)
      .query({ access_token: TOKEN })
      .reply(404, { message: 'Not Found' });
    const { gitee } = forge();
    await gitee.comment(repo, { kind: 'issue', id: 'I1ABCD' }, 'superseded');
    await gitee.closeIssue(repo, 'I1ABCD');
    await gitee.deleteBranch(repo, BRANCH);
    expect(scope.isDone()).toBe(true);
    expect(writes()[1]!.body).toEqual({ access_token: TOKEN, repo: 'r', state: 'closed' });
  });
});
