/**
 * `scan` drives POST /api/v1/trackings/{id}/scan: the tracking is found by repo/branch, dry_run is passed
 * as a query flag, credentials travel only in the Authorization header, and the answer is printed for
 * people (coloured only on a terminal without NO_COLOR), as JSON with --json, or into a folder with --out.
 * The live service's engine is exercised in cli-http.test.ts; here nock stands in for answers a test service
 * cannot give without the network (a dry run with commits to publish, an engine that is not running).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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
    const out = await cli(['scan', '--server', SERVER, '--password', 'Test@123', '--repo', 'src-openeuler/curl', '--branch', 'master', '--dry-run', '--json']);
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
    const out = await cli(['scan', '--server', SERVER, '--password', 'Test@123', '--repo', 'src-openeuler/curl', '--json']);
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

  it('prints a dry run for people: commits, each patch, the spec diff, the issue and the PR', async () => {
    mockDryRun();
    const out = await cli([...DRY_RUN_ARGS]);
    expect(out).toMatchObject({ code: 0, stderr: '' });
    expect(out.stdout).toContain('src-openeuler/curl master: dry run: 1 commit(s) after aaaaaaaaaaaa up to bbbbbbbbbbbb would become 1 PR(s)');
    expect(out.stdout).toContain('  bbbbbbbbbbbb fix overflow');
    expect(out.stdout).toContain('-int a = 1;\n+int a = 2;');
    expect(out.stdout).toContain('-Release: 1\n+Release: 2');
    expect(out.stdout).toContain('[patch tracking] master fix overflow');
    expect(out.stdout).toContain('Closes #<issue>');
    expect(out.stdout).not.toContain('\x1b[');
  });

  it('colours the diff lines only on a terminal, and never with NO_COLOR set', async () => {
    mockDryRun();
    let ttyOut = '';
    const tty = await cli([...DRY_RUN_ARGS], { stdout: { write: (t: string) => (ttyOut += t), isTTY: true } });
    expect(tty.code).toBe(0);
    expect(ttyOut).toContain('\x1b[32m+int a = 2;\x1b[39m');
    expect(ttyOut).toContain('\x1b[31m-int a = 1;\x1b[39m');
    // the commit message's "- item" line is not a removal
    expect(ttyOut).toContain('\n- keeps the old API\n');
    mockDryRun();
    let plain = '';
    await cli([...DRY_RUN_ARGS], { stdout: { write: (t: string) => (plain += t), isTTY: true }, env: { NO_COLOR: '' } });
    expect(plain).toContain('+int a = 2;');
    expect(plain).not.toContain('\x1b[');
  });

  it('--out writes the files of the commit, the spec diff and the texts into a new folder', async () => {
    mockDryRun();
    const dir = join(mkdtempSync(join(tmpdir(), 'pt-out-')), 'out');
    try {
      const out = await cli([...DRY_RUN_ARGS, '--out', dir]);
      expect(out.code).toBe(0);
      expect(out.stderr).toContain(`wrote 6 files to ${dir}`);
      expect(readFileSync(join(dir, 'files', 'bbb.patch'), 'utf8')).toBe(PATCH);
      expect(readFileSync(join(dir, 'files', 'curl.spec'), 'utf8')).toBe('Release: 2\n');
      expect(readFileSync(join(dir, 'spec.diff'), 'utf8')).toContain('+Release: 2');
      expect(readFileSync(join(dir, 'issue.md'), 'utf8')).toBe('[patch tracking] master fix overflow\n\nissue text\n');
      expect(readFileSync(join(dir, 'pull-request.md'), 'utf8')).toBe('[patch tracking] master fix overflow\n\npr text\n\nCloses #<issue>\n');
      expect(readFileSync(join(dir, 'commits.txt'), 'utf8')).toBe(`${'b'.repeat(40)} fix overflow\n`);
    } finally {
      rmSync(dirname(dir), { recursive: true, force: true });
    }
  });

  it('--out refuses a folder that is not empty, a scan that is not a dry run, and paths leaving the folder', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'pt-out-'));
    try {
      writeFileSync(join(parent, 'old'), 'x');
      expect(await cli([...DRY_RUN_ARGS, '--out', parent])).toMatchObject({ code: 2, stderr: expect.stringContaining('the folder is not empty') });
      const notDry = DRY_RUN_ARGS.filter((a) => a !== '--dry-run');
      expect(await cli([...notDry, '--out', join(parent, 'x')])).toMatchObject({ code: 2, stderr: expect.stringContaining('add --dry-run') });
      mockDryRun([{ path: '../escape.patch', content: 'x' }]);
      const out = await cli([...DRY_RUN_ARGS, '--out', join(parent, 'new')]);
      expect(out).toMatchObject({ code: 1, stderr: expect.stringContaining('not a plain relative path: "../escape.patch"') });
      expect(() => readFileSync(join(parent, 'escape.patch'))).toThrow();
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});

const DRY_RUN_ARGS = ['scan', '--server', SERVER, '--password', 'Test@123', '--repo', 'src-openeuler/curl', '--branch', 'master', '--dry-run'];

const PATCH = `From ${'b'.repeat(40)} Mon Sep 17 00:00:00 2001
From: Dev <dev@example.org>
Subject: [PATCH] fix overflow

- keeps the old API
---
 a.c | 2 +-
 1 file changed, 1 insertion(+), 1 deletion(-)

diff --git a/a.c b/a.c
index 1111111..2222222 100644
--- a/a.c
+++ b/a.c
@@ -1 +1 @@
-int a = 1;
+int a = 2;
-- 
2.43.0
`;

function mockDryRun(files = [{ path: 'bbb.patch', content: PATCH }, { path: 'curl.spec', content: 'Release: 2\n' }]) {
  nock(SERVER)
    .get('/api/v1/trackings')
    .query(true)
    .reply(200, [tracking(7, 'master')])
    .post('/api/v1/trackings/7/scan')
    .query({ dry_run: 'true' })
    .reply(200, {
      action: 'dry_run',
      head: 'b'.repeat(40),
      from: 'a'.repeat(40),
      chunks: [
        {
          range: `${'a'.repeat(40)}..${'b'.repeat(40)}`,
          commits: [{ sha: 'b'.repeat(40), subject: 'fix overflow' }],
          patch_files: ['bbb.patch'],
          spec_file: 'curl.spec',
          spec_diff: '--- a/curl.spec\n+++ b/curl.spec\n@@ -1 +1 @@\n-Release: 1\n+Release: 2\n',
          issue_title: '[patch tracking] master fix overflow',
          issue_body: 'issue text\n',
          pr_title: '[patch tracking] master fix overflow',
          pr_body: 'pr text\n\nCloses #<issue>',
          notes: [],
          files,
        },
      ],
    });
}
