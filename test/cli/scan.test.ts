/**
 * `scan` drives POST /api/v1/trackings/{id}/scan: the tracking is found by repo/branch, dry_run is passed
 * as a query flag, credentials travel only in the Authorization header, and the answer is printed as JSON.
 * It runs against the real in-process service (a local git upstream, a local fake Gitee as the target), so
 * what it prints is what the engine answers. Only the answer the service cannot give while its engine runs
 * (503 engine_unavailable) is faked, and that fake is checked against the service's OpenAPI document.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeGitee } from '../helpers/fake-servers.js';
import { createUpstreamRepo, removeTempDirs, type TestRepo } from '../helpers/git-repo.js';
import { startTestService, TEST_PASSWORD, type TestService } from '../helpers/service.js';
import { loadContract, type Contract } from './openapi-contract.js';
import { cli } from './run-cli.js';

const SPEC = 'Name: curl\nVersion: 8.0\nRelease: 1\nSummary: s\nLicense: MIT\nSource0: curl.tar.gz\n\n%description\nd\n\n%prep\n%autosetup -p1\n\n%changelog\n* Mon Jan 01 2024 A <a@b.c> - 8.0-1\n- init\n';

let gitee: FakeGitee;
let service: TestService;
let contract: Contract;
let auth: string[];

beforeAll(async () => {
  gitee = await new FakeGitee(() => ({ 'curl.spec': SPEC })).start();
  service = await startTestService({ extraSettings: { GITEE_API_URL: gitee.url, GITEE_ACCESS_TOKEN: 'gitee-token' } });
  contract = await loadContract(service.url);
  auth = ['--server', service.url, '--password', TEST_PASSWORD];
});

afterEach(() => nock.cleanAll());

afterAll(async () => {
  await service?.stop();
  await gitee?.close();
  removeTempDirs();
});

/** A git tracking of `upstream` already processed up to its current head. */
async function addTracking(repo: string, branch: string, upstream: TestRepo): Promise<void> {
  const flags = ['--version_control', 'git', '--scm_repo', upstream.url, '--scm_branch', 'main', '--scm_commit', upstream.head()];
  const added = await cli(['add', ...auth, '--repo', repo, '--branch', branch, ...flags, '--enabled', 'true']);
  expect(added).toMatchObject({ code: 0, stderr: '' });
}

/** The tracking as the service's API lists it. */
async function trackingRow(repo: string, branch: string): Promise<Record<string, unknown>> {
  const answer = await fetch(new URL(`/api/v1/trackings?${new URLSearchParams({ repo, branch })}`, service.url));
  expect(answer.status).toBe(200);
  return (await answer.json())[0];
}

describe('scan', () => {
  it("scans one tracking as a dry run and prints the server's result, changing nothing", async () => {
    const upstream = createUpstreamRepo();
    const from = upstream.head();
    await addTracking('src-openeuler/curl', 'master', upstream);
    const fix = upstream.commit('fix overflow', { files: { 'lib/url.c': 'fixed\n' } });
    const writesBefore = gitee.writes;

    const out = await cli(['scan', ...auth, '--repo', 'src-openeuler/curl', '--branch', 'master', '--dry-run', '--json']);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const result = JSON.parse(out.stdout) as { action: string; head: string; from: string; chunks: Record<string, unknown>[] };
    expect(result).toMatchObject({ action: 'dry_run', head: fix, from });
    // the real answer is what the OpenAPI document says the server sends (the schema the fakes are checked by)
    expect(() => contract.answer('POST', '/api/v1/trackings/1/scan', 200, result)).not.toThrow();
    expect(result.chunks).toHaveLength(1);
    expect(result.chunks[0]).toMatchObject({ range: `${from}..${fix}`, commits: [{ sha: fix, subject: 'fix overflow' }], spec_file: 'curl.spec' });

    expect(gitee.writes).toBe(writesBefore);
    expect(await trackingRow('src-openeuler/curl', 'master')).toMatchObject({ scm_commit: from });
  });

  it("scans every branch of a repo, reporting each tracking's result or error; exit 1 when one failed", async () => {
    const upstream = createUpstreamRepo();
    await addTracking('scan/multi', 'master', upstream);
    // a github upstream needs GITHUB_ACCESS_TOKEN, which this service does not have
    const github = ['--version_control', 'github', '--scm_repo', 'curl/curl', '--scm_branch', 'master', '--enabled', 'true'];
    expect((await cli(['add', ...auth, '--repo', 'scan/multi', '--branch', 'next', ...github])).code).toBe(0);
    const [master, next] = [await trackingRow('scan/multi', 'master'), await trackingRow('scan/multi', 'next')];

    const out = await cli(['scan', ...auth, '--repo', 'scan/multi', '--json']);
    expect(out.code).toBe(1);
    expect(JSON.parse(out.stdout)).toEqual([
      { id: master.id, repo: 'scan/multi', branch: 'master', result: { action: 'up_to_date', head: upstream.head() } },
      { id: next.id, repo: 'scan/multi', branch: 'next', error: expect.stringMatching(/GITHUB_ACCESS_TOKEN is not set/) },
    ]);
  });

  it("says so when the server's engine is not running (503 engine_unavailable)", async () => {
    const server = 'http://scan.test:5001';
    // the faked list holds a row as the real server lists it
    await addTracking('scan/engine', 'master', createUpstreamRepo());
    const row = await trackingRow('scan/engine', 'master');
    nock(server)
      .get('/api/v1/trackings')
      .query(true)
      .reply(200, contract.answer('GET', '/api/v1/trackings', 200, [{ ...row, id: 7 }]))
      .post('/api/v1/trackings/7/scan')
      .reply(
        503,
        contract.answer('POST', '/api/v1/trackings/7/scan', 503, {
          error: { code: 'engine_unavailable', message: 'the tracking engine is not running in this process' },
        }),
      );
    const out = await cli(['scan', '--server', server, '--password', TEST_PASSWORD, '--repo', 'scan/engine', '--branch', 'master']);
    expect(out).toMatchObject({ code: 1, stdout: '' });
    expect(out.stderr).toContain("cannot scan: the server's tracking engine is not running (engine_unavailable)");
  });

  it('refuses a faked answer the server would never send', () => {
    expect(() => contract.answer('GET', '/api/v1/trackings', 200, [{ id: 7, repo: 'src-openeuler/curl', branch: 'master' }])).toThrow(
      /not what the server sends/,
    );
    expect(() => contract.answer('POST', '/api/v1/trackings/7/scan', 503, { code: 'engine_unavailable' })).toThrow(/not what the server sends/);
  });
});
