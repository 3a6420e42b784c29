/**
 * `scan` drives POST /api/v1/trackings/{id}/scan: the tracking is found by repo/branch, dry_run is passed
 * as a query flag, credentials travel only in the Authorization header, and the answer is printed as JSON.
 * The live service's engine is exercised in cli-http.test.ts; here nock stands in for answers a test service
 * cannot give without the network (a dry run with commits to publish, an engine that is not running).
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './run-cli.js';

const SERVER = 'http://scan.test:5001';
const BASIC = `Basic ${Buffer.from('admin:Test@123').toString('base64')}`;
const tracking = (id: number, branch: string) => ({ id, repo: 'src-openeuler/curl', branch, version_control: 'github', scm_repo: 'curl/curl', scm_branch: 'master', scm_commit: null, enabled: true });

beforeAll(() => {
  nock.disableNetConnect();
});

afterEach(() => {
  nock.cleanAll();
});

afterAll(() => {
  nock.enableNetConnect();
});

describe('scan', () => {
  it('scans one tracking as a dry run and prints the server\'s result', async () => {
    const result = { dry_run: true, range: { from: 'aaa1111', to: 'bbb2222' }, would_publish: [{ sha: 'bbb2222', subject: 'fix overflow' }] };
    const scope = nock(SERVER, { reqheaders: { authorization: BASIC } })
      .get('/api/v1/trackings')
      .query({ repo: 'src-openeuler/curl', branch: 'master', limit: '500' })
      .reply(200, [tracking(7, 'master')])
      .post('/api/v1/trackings/7/scan')
      .query({ dry_run: 'true' })
      .reply(200, result);
    const out = await cli(['scan', '--server', SERVER, '--password', 'Test@123', '--repo', 'src-openeuler/curl', '--branch', 'master', '--dry-run']);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual(result);
    scope.done();
  });

  it('scans every branch of a repo, reporting each tracking\'s result or error; exit 1 when one failed', async () => {
    const scope = nock(SERVER)
      .get('/api/v1/trackings')
      .query({ repo: 'src-openeuler/curl', limit: '500' })
      .reply(200, [tracking(1, 'master'), tracking(2, 'next')])
      .post('/api/v1/trackings/1/scan')
      .reply(200, { published: 0 })
      .post('/api/v1/trackings/2/scan')
      .reply(404, { error: { code: 'not_found', message: 'no such tracking' } });
    const out = await cli(['scan', '--server', SERVER, '--password', 'Test@123', '--repo', 'src-openeuler/curl']);
    expect(out.code).toBe(1);
    expect(JSON.parse(out.stdout)).toEqual([
      { id: 1, repo: 'src-openeuler/curl', branch: 'master', result: { published: 0 } },
      { id: 2, repo: 'src-openeuler/curl', branch: 'next', error: 'no such tracking (not_found)' },
    ]);
    scope.done();
  });

  it('says so when the server\'s engine is not running (503 engine_unavailable)', async () => {
    nock(SERVER)
      .get('/api/v1/trackings')
      .query(true)
      .reply(200, [tracking(7, 'master')])
      .post('/api/v1/trackings/7/scan')
      .reply(503, { error: { code: 'engine_unavailable', message: 'the tracking engine is not running in this process' } });
    const out = await cli(['scan', '--server', SERVER, '--password', 'Test@123', '--repo', 'src-openeuler/curl', '--branch', 'master']);
    expect(out).toMatchObject({ code: 1, stdout: '' });
    expect(out.stderr).toContain("cannot scan: the server's tracking engine is not running (engine_unavailable)");
  });
});
