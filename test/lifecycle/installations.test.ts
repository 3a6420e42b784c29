/**
 * The GitHub App's installations instead of the personal token: which installation covers a repository
 * (GET /repos/{o}/{r}/installation with the app's JWT, or installation_repositories events), its token
 * (POST /app/installations/{id}/access_tokens), and the engine's forge and source using it; nock at the edge.
 */
import { generateKeyPairSync } from 'node:crypto';
import { Octokit } from '@octokit/rest';
import nock from 'nock';
import { Probot } from 'probot';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createForges } from '../../src/forges/resolve.js';
import { InstallationRegistry, withInstallations } from '../../src/lifecycle/installations.js';
import { cloneSourceWith } from '../../src/lifecycle/wiring.js';
import { createLogger } from '../../src/log.js';
import { GitHubSource } from '../../src/sources/github.js';

const API = 'https://api.github.com';
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const REPO = { forge: 'github' as const, owner: 'acme', name: 'widget', webUrl: 'https://github.com/acme/widget' };
const SHA = '1'.repeat(40);

let registry: InstallationRegistry;
let personal: Octokit;

beforeAll(() => nock.disableNetConnect());
beforeEach(() => {
  const probot = new Probot({ appId: 123, privateKey, log: createLogger('silent') });
  registry = new InstallationRegistry(async (id) => (await probot.auth(id)) as unknown as Octokit);
  personal = new Octokit({ auth: 'ghp_personal', request: { retries: 0 }, log: quiet });
});
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});

function parts() {
  return withInstallations(
    { sources: { github: new GitHubSource({ octokit: personal }) }, unavailable: {}, forges: createForges({ githubOctokit: personal }) },
    registry,
  );
}

const accessToken = (id: number, token: string) =>
  nock(API)
    .post(`/app/installations/${id}/access_tokens`)
    .matchHeader('authorization', /^bearer \S+\.\S+\.\S+$/i)
    .reply(201, { token, expires_at: new Date(Date.now() + 3600_000).toISOString(), permissions: {}, repository_selection: 'selected' });

describe('installation-aware forge', () => {
  it('an installed target repository is written with the installation token, looked up once', async () => {
    nock(API).get('/repos/acme/widget/installation').matchHeader('authorization', /^bearer /i).reply(200, { id: 55, account: { login: 'acme' } });
    accessToken(55, 'ghs_installation');
    nock(API)
      .get('/repos/acme/widget/git/ref/heads%2Fmain')
      .times(2)
      .matchHeader('authorization', 'token ghs_installation')
      .reply(200, { ref: 'refs/heads/main', object: { sha: SHA, type: 'commit' } });
    const forge = parts().forges.forRepo(REPO);
    expect(await forge.branchHead(REPO, 'main')).toBe(SHA);
    expect(await parts().forges.forRepo(REPO).branchHead(REPO, 'main')).toBe(SHA);
  });

  it('a repository without the app falls back to the personal token', async () => {
    nock(API).get('/repos/acme/widget/installation').reply(404, { message: 'Not Found' });
    nock(API).get('/repos/acme/widget/git/ref/heads%2Fmain').matchHeader('authorization', 'token ghp_personal').reply(200, { object: { sha: SHA } });
    expect(await parts().forges.forRepo(REPO).branchHead(REPO, 'main')).toBe(SHA);
  });

  it('installation_repositories events say where the app is, without asking', async () => {
    registry.noteEvent({ action: 'added', installation: { id: 77 }, repositories_added: [{ full_name: 'Acme/Widget' }], repositories_removed: [] });
    accessToken(77, 'ghs_77');
    nock(API).post('/repos/acme/widget/issues/3/comments').matchHeader('authorization', 'token ghs_77').reply(201, {});
    await parts().forges.forRepo(REPO).comment(REPO, { kind: 'issue', id: '3' }, 'hello');

    registry.noteEvent({ action: 'removed', installation: { id: 77 }, repositories_added: [], repositories_removed: [{ full_name: 'acme/widget' }] });
    nock(API).post('/repos/acme/widget/issues/3/comments').matchHeader('authorization', 'token ghp_personal').reply(201, {});
    await parts().forges.forRepo(REPO).comment(REPO, { kind: 'issue', id: '3' }, 'hello again');
  });
});

describe('installation-aware source', () => {
  it('head checks are batched per installation; without the app and without a token the upstream is explained', async () => {
    registry.noteEvent({ action: 'added', installation: { id: 9 }, repositories_added: [{ full_name: 'up/one' }] });
    registry.noteEvent({ action: 'removed', installation: { id: 9 }, repositories_removed: [{ full_name: 'up/two' }] });
    accessToken(9, 'ghs_9');
    nock(API)
      .post('/graphql', (b) => b.variables.o0 === 'up' && b.variables.n0 === 'one' && b.variables.o1 === undefined)
      .matchHeader('authorization', 'token ghs_9')
      .reply(200, { data: { r0: { ref: { target: { oid: SHA } } } } });
    const noToken = withInstallations({ sources: {}, unavailable: { github: 'GITHUB_ACCESS_TOKEN is not set (and the GitHub App is not installed on this upstream)' }, forges: createForges({}) }, registry);
    expect(noToken.unavailable.github).toBeUndefined();
    const heads = await noToken.sources.github!.heads([
      { id: 1, versionControl: 'github', scmRepo: 'up/one', scmBranch: 'main' },
      { id: 2, versionControl: 'github', scmRepo: 'https://github.com/up/two', scmBranch: 'main' },
    ]);
    expect(heads.get(1)).toEqual({ sha: SHA });
    expect(heads.get(2)).toEqual({ error: 'GITHUB_ACCESS_TOKEN is not set (and the GitHub App is not installed on this upstream)' });
  });
});

describe('apply-check clone credentials', () => {
  it('an installed GitHub target is fetched with an installation token, others with the forge token', async () => {
    registry.noteEvent({ action: 'added', installation: { id: 31 }, repositories_added: [{ full_name: 'acme/widget' }] });
    accessToken(31, 'ghs_clone');
    const source = cloneSourceWith({ github: 'ghp_personal', gitee: 'gt' }, registry);
    expect(await source(REPO)).toEqual({ url: 'https://github.com/acme/widget.git', authorization: `Basic ${Buffer.from('x-access-token:ghs_clone').toString('base64')}` });
    const gitee = { forge: 'gitee' as const, owner: 'o', name: 'r', webUrl: 'https://gitee.com/o/r' };
    expect(await source(gitee)).toEqual({ url: 'https://gitee.com/o/r.git', authorization: `Basic ${Buffer.from('oauth2:gt').toString('base64')}` });
  });
});
