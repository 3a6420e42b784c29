/** The forge extras' requests (GitHub REST, Gitee v5) as nock sees them; tokens never in error messages. */
import { Octokit } from '@octokit/rest';
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GiteeExtras, GitHubExtras } from '../../src/lifecycle/extras.js';

const GH = { forge: 'github' as const, owner: 'acme', name: 'widget', webUrl: 'https://github.com/acme/widget' };
const GE = { forge: 'gitee' as const, owner: 'src-openeuler', name: 'lib', webUrl: 'https://gitee.com/src-openeuler/lib' };
const GITEE = 'https://gitee.test/api/v5';

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});

describe('GitHubExtras', () => {
  const extras = new GitHubExtras(new Octokit({ auth: 'ghp_secret', request: { retries: 0 }, log: { debug() {}, info() {}, warn() {}, error() {} } }), ['ghp_secret']);

  it('permission: role_name wins (maintain), a non-collaborator is none', async () => {
    nock('https://api.github.com')
      .get('/repos/acme/widget/collaborators/m/permission')
      .reply(200, { permission: 'write', role_name: 'maintain' })
      .get('/repos/acme/widget/collaborators/x/permission')
      .reply(404, { message: 'Not Found' });
    expect(await extras.permission(GH, 'm')).toBe('maintain');
    expect(await extras.permission(GH, 'x')).toBe('none');
  });

  it('updates issue and PR bodies', async () => {
    nock('https://api.github.com').patch('/repos/acme/widget/issues/6', { body: 'new issue body' }).reply(200, {}).patch('/repos/acme/widget/pulls/7', { body: 'new pr body' }).reply(200, {});
    await extras.updateIssueBody(GH, '6', 'new issue body');
    await extras.updatePullBody(GH, '7', 'new pr body');
  });
});

describe('GiteeExtras', () => {
  const extras = new GiteeExtras({ token: 'gitee-secret', apiUrl: GITEE });

  it('permission from the v5 collaborator endpoint', async () => {
    nock(GITEE).get('/repos/src-openeuler/lib/collaborators/m/permission').query({ access_token: 'gitee-secret' }).reply(200, { permission: 'write' });
    expect(await extras.permission(GE, 'm')).toBe('write');
  });

  it('updates issue and PR bodies with the token in the body', async () => {
    nock(GITEE)
      .patch('/repos/src-openeuler/issues/I1ABCD', { access_token: 'gitee-secret', repo: 'lib', body: 'b1' })
      .reply(200, {})
      .patch('/repos/src-openeuler/lib/pulls/12', { access_token: 'gitee-secret', body: 'b2' })
      .reply(200, {});
    await extras.updateIssueBody(GE, 'I1ABCD', 'b1');
    await extras.updatePullBody(GE, '12', 'b2');
  });

  it('a refused write says what failed without the token', async () => {
    nock(GITEE).patch('/repos/src-openeuler/lib/pulls/12').reply(403, { message: 'Forbidden' });
    const err = await extras.updatePullBody(GE, '12', 'b').catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/403/);
    expect((err as Error).message).not.toContain('gitee-secret');
  });
});
