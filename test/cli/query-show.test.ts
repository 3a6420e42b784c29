/**
 * `query` prints a table that fits 120 columns (the terminal's width on a terminal) whatever the values,
 * and `show` prints one tracking with nothing cut. nock stands in for the server.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { serviceContract, type Contract } from './openapi-contract.js';
import { cli } from './run-cli.js';

const SERVER = 'http://query.test:5001';
const ERROR = 'git ls-remote https://git.example.org/very/long/path/to/an/upstream/repository.git failed: fatal: unable to access: Could not resolve host: git.example.org (after 3 attempts)';
const row = {
  id: 3,
  repo: 'https://gitee.com/src-openeuler/python-a-package-with-a-very-long-name',
  branch: 'openEuler-24.03-LTS-SP1',
  version_control: 'git',
  scm_repo: 'https://git.example.org/very/long/path/to/an/upstream/repository.git',
  scm_branch: 'master',
  scm_commit: '0123456789abcdef0123456789abcdef01234567',
  enabled: true,
  status: 'error',
  last_error: ERROR,
};

/** The row as GET /api/v1/trackings lists it: every field the server sends (checked against its OpenAPI document). */
const v1Row = {
  ...row,
  last_checked_at: '2026-01-02T03:04:05.000Z',
  last_head: '89abcdef0123456789abcdef0123456789abcdef',
  consecutive_failures: 3,
  next_attempt_at: '2026-01-02T03:34:05.000Z',
  check: null,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-02T03:04:05.000Z',
};

let contract: Contract;
beforeAll(async () => {
  contract = await serviceContract();
  nock.disableNetConnect();
});
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('query', () => {
  it('fits the table in 120 columns: long repositories cut at the start, the error at the end, commits abbreviated', async () => {
    nock(SERVER).get('/tracking').reply(200, { code: '2001', msg: 'Successful Operation!', data: [row, { ...row, repo: 'o/r', last_error: null, scm_commit: null }] });
    const out = await cli(['query', '--server', SERVER]);
    expect(out).toMatchObject({ code: 0, stderr: '' });
    const lines = out.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^repo\s+branch\s+version_control\s+scm_repo\s+scm_branch\s+scm_commit\s+enabled\s+status\s+last_error$/);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(120);
    expect(lines[1]).toContain('0123456789ab ');
    expect(lines[1]).not.toContain('0123456789abc');
    expect(lines[1]).toMatch(/^…\S*long-name /);
    expect(lines[1]).toMatch(/\sgit ls-\S*…$/);
    expect(lines[2]).toMatch(/^o\/r\s/);
  });

  it('uses the width of the terminal it prints to', async () => {
    nock(SERVER).get('/tracking').reply(200, { code: '2001', msg: 'Successful Operation!', data: [row] });
    let stdout = '';
    await cli(['query', '--server', SERVER], { stdout: { write: (t: string) => (stdout += t), isTTY: true, columns: 117 } });
    const lines = stdout.trimEnd().split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBe(117);
  });
});

describe('show', () => {
  it('prints every field of one tracking, the whole last error included', async () => {
    nock(SERVER)
      .get('/api/v1/trackings')
      .query({ repo: row.repo, branch: row.branch, limit: '500' })
      .reply(200, contract.answer('GET', '/api/v1/trackings', 200, [v1Row]));
    const out = await cli(['show', '--server', SERVER, '--repo', row.repo, '--branch', row.branch]);
    expect(out).toMatchObject({ code: 0, stderr: '' });
    // one line per field, values in one column (the longest name sets it)
    const lines = out.stdout.trimEnd().split('\n');
    expect(lines.map((l) => l.split(/:\s+/)[0])).toEqual(Object.keys(v1Row));
    expect(new Set(lines.map((l) => l.search(/(?<=:\s+)\S/))).size).toBe(1);
    expect(lines).toContain(`last_error:           ${ERROR}`);
    expect(lines).toContain('scm_commit:           0123456789abcdef0123456789abcdef01234567');
  });

  it('says which tracking does not exist', async () => {
    nock(SERVER).get('/api/v1/trackings').query(true).reply(200, contract.answer('GET', '/api/v1/trackings', 200, []));
    const out = await cli(['show', '--server', SERVER, '--repo', 'o/r', '--branch', 'master']);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('no tracking for repo o/r branch master');
  });
});
