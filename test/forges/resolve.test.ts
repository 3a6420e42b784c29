import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { GiteeForge } from '../../src/forges/gitee.js';
import { GitHubForge } from '../../src/forges/github.js';
import { createForges, forgeBases, resolveForgeRepo } from '../../src/forges/resolve.js';
import { compareUrl } from '../../src/publish/texts.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe('resolveForgeRepo', () => {
  it.each([
    ['https://gitee.com/src-openeuler/r', 'gitee', 'src-openeuler', 'r', 'https://gitee.com/src-openeuler/r'],
    ['https://gitee.com/src-openeuler/r.git', 'gitee', 'src-openeuler', 'r', 'https://gitee.com/src-openeuler/r'],
    ['https://gitee.com/src-openeuler/r/', 'gitee', 'src-openeuler', 'r', 'https://gitee.com/src-openeuler/r'],
    ['src-openeuler/python-foo', 'gitee', 'src-openeuler', 'python-foo', 'https://gitee.com/src-openeuler/python-foo'],
    ['  testPatchTrack/testPatch1 ', 'gitee', 'testPatchTrack', 'testPatch1', 'https://gitee.com/testPatchTrack/testPatch1'],
    ['https://github.com/acme/pkg', 'github', 'acme', 'pkg', 'https://github.com/acme/pkg'],
    ['https://GitHub.com/acme/pkg.git/', 'github', 'acme', 'pkg', 'https://github.com/acme/pkg'],
  ])('%s → %s %s/%s', (input, forge, owner, name, webUrl) => {
    expect(resolveForgeRepo(input)).toEqual({ forge, owner, name, webUrl, gitUrl: `${webUrl}.git` });
  });

  it("takes every forge address from that forge's settings: web and git follow the API URL unless set", () => {
    const selfHosted = { giteeApiUrl: 'http://127.0.0.1:8123/api/v5', githubApiUrl: 'https://ghe.example.com/api/v3' };
    expect(forgeBases(selfHosted)).toEqual({
      gitee: { web: 'http://127.0.0.1:8123', git: 'http://127.0.0.1:8123' },
      github: { web: 'https://ghe.example.com', git: 'https://ghe.example.com' },
    });
    expect(resolveForgeRepo('o/r', selfHosted)).toEqual({ forge: 'gitee', owner: 'o', name: 'r', webUrl: 'http://127.0.0.1:8123/o/r', gitUrl: 'http://127.0.0.1:8123/o/r.git' });
    // the GitHub Enterprise host is GitHub without listing it in GITHUB_HOSTS
    expect(resolveForgeRepo('https://ghe.example.com/team/pkg', selfHosted)).toMatchObject({ forge: 'github', webUrl: 'https://ghe.example.com/team/pkg' });
    const gitElsewhere = { ...selfHosted, giteeWebUrl: 'https://code.example.cn', giteeGitUrl: 'ssh://git@code.example.cn:2222' };
    expect(resolveForgeRepo('o/r', gitElsewhere)).toMatchObject({ webUrl: 'https://code.example.cn/o/r', gitUrl: 'ssh://git@code.example.cn:2222/o/r.git' });
    // a repository on another listed host is not at the forge's git address
    expect(resolveForgeRepo('https://gitee.com/o/r', gitElsewhere).gitUrl).toBe('https://gitee.com/o/r.git');
  });

  it('compare links of github upstreams are on the GitHub the settings name', () => {
    const ghe = forgeBases({ githubApiUrl: 'https://ghe.example.com/api/v3' }).github.web;
    expect(compareUrl('github', 'team/pkg', 'a1', 'b2', ghe)).toBe('https://ghe.example.com/team/pkg/compare/a1...b2');
    expect(compareUrl('github', 'https://ghe.example.com/team/pkg', 'a1', 'b2', ghe)).toBe('https://ghe.example.com/team/pkg/compare/a1...b2');
    expect(compareUrl('git', 'https://ghe.example.com/team/pkg.git', 'a1', 'b2', ghe)).toBe('https://ghe.example.com/team/pkg/compare/a1...b2');
    expect(compareUrl('git', 'https://github.com/o/r.git', 'a1', 'b2', ghe)).toBe('https://github.com/o/r/compare/a1...b2');
    expect(compareUrl('github', 'o/r', 'a1', 'b2')).toBe('https://github.com/o/r/compare/a1...b2');
    expect(compareUrl('git', 'https://gitlab.com/o/r.git', 'a1', 'b2', ghe)).toBeUndefined();
  });

  it('maps configured web hosts (GitHub Enterprise, a self-hosted Gitee)', () => {
    const hosts = { githubHosts: ['github.com', 'ghe.example.com'], giteeHosts: ['gitee.com', 'code.example.cn'] };
    expect(resolveForgeRepo('https://ghe.example.com/team/pkg', hosts)).toMatchObject({ forge: 'github', owner: 'team' });
    expect(resolveForgeRepo('https://code.example.cn/o/r', hosts)).toMatchObject({
      forge: 'gitee',
      webUrl: 'https://code.example.cn/o/r',
    });
  });

  it.each([
    ['https://gitlab.com/o/r', /repo "https:\/\/gitlab.com\/o\/r": host gitlab.com is not a known forge/],
    ['https://gitee.com/o', /expected owner\/name/],
    ['o/r/extra', /repo "o\/r\/extra": expected owner\/name/],
    ['', /is empty/],
    ['git@gitee.com:o/r.git', /expected owner\/name/],
    ['ftp://gitee.com/o/r', /expected an https:\/\/ URL/],
  ])('rejects %j with a message naming the value', (input, message) => {
    let caught: unknown;
    try {
      resolveForgeRepo(input);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AppError);
    expect((caught as AppError).code).toBe('invalid_repo');
    expect((caught as AppError).field).toBe('repo');
    expect((caught as AppError).message).toMatch(message);
  });
});

describe('createForges', () => {
  it('builds one adapter per kind and names the missing token and the repository', () => {
    const forges = createForges({ giteeAccessToken: 'g-token', githubAccessToken: '' });
    const gitee = forges.resolve('src-openeuler/r');
    expect(forges.forRepo(gitee)).toBeInstanceOf(GiteeForge);
    expect(forges.forRepo(gitee)).toBe(forges.forRepo(forges.resolve('https://gitee.com/o/other')));
    expect(() => forges.forRepo(forges.resolve('https://github.com/acme/pkg'))).toThrow(
      'GITHUB_ACCESS_TOKEN is not set: cannot publish to github.com/acme/pkg',
    );
    const githubOnly = createForges({ githubAccessToken: 'h-token' });
    expect(githubOnly.forRepo(githubOnly.resolve('https://github.com/a/b'))).toBeInstanceOf(GitHubForge);
    expect(() => githubOnly.forRepo(githubOnly.resolve('https://gitee.com/o/r'))).toThrow(
      'GITEE_ACCESS_TOKEN is not set: cannot publish to gitee.com/o/r',
    );
  });

  it('sends requests to the configured API base URLs', async () => {
    const forges = createForges({
      giteeAccessToken: 'g-token-1234',
      giteeApiUrl: 'https://gitee.internal/api/v5/',
      githubAccessToken: 'h-token-1234',
      githubApiUrl: 'https://ghe.example.com/api/v3',
      githubHosts: ['ghe.example.com'],
    });
    const scope = nock('https://gitee.internal')
      .get('/api/v5/repos/o/r/branches/master')
      .query({ access_token: 'g-token-1234' })
      .reply(200, { name: 'master', commit: { sha: 'g1' } });
    const ghe = nock('https://ghe.example.com')
      .get(`/api/v3/repos/t/p/git/ref/${encodeURIComponent('heads/main')}`)
      .matchHeader('authorization', 'token h-token-1234')
      .reply(200, { object: { sha: 'h1' } });
    const gitee = forges.resolve('o/r');
    expect(await forges.forRepo(gitee).branchHead(gitee, 'master')).toBe('g1');
    const github = forges.resolve('https://ghe.example.com/t/p');
    expect(await forges.forRepo(github).branchHead(github, 'main')).toBe('h1');
    expect(scope.isDone() && ghe.isDone()).toBe(true);
  });
});
