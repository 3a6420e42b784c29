/**
 * `patch-tracking-cli scan` output for people: the dry run printed with its commits, patches and spec diff,
 * coloured only on a terminal without NO_COLOR, and written into a folder with --out. nock stands in for a
 * server whose dry run has commits to publish (scan.test.ts runs the CLI against the real service).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { serviceContract, type Contract } from './openapi-contract.js';
import { cli } from './run-cli.js';

const SERVER = 'http://scan.test:5001';
/** A tracking as GET /api/v1/trackings lists it (the fakes below are checked against the server's OpenAPI document). */
const tracking = (id: number, branch: string) => ({
  id,
  repo: 'src-openeuler/curl',
  branch,
  version_control: 'github',
  scm_repo: 'curl/curl',
  scm_branch: 'master',
  scm_commit: 'a'.repeat(40),
  enabled: true,
  status: 'ok',
  last_checked_at: '2026-01-02T03:04:05.000Z',
  last_head: 'b'.repeat(40),
  last_error: null,
  consecutive_failures: 0,
  next_attempt_at: null,
  check: null,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-02T03:04:05.000Z',
});

let contract: Contract;
beforeAll(async () => {
  contract = await serviceContract();
});

afterEach(() => {
  nock.cleanAll();
});

describe('scan output', () => {
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
    .reply(200, contract.answer('GET', '/api/v1/trackings', 200, [tracking(7, 'master')]))
    .post('/api/v1/trackings/7/scan')
    .query({ dry_run: 'true' })
    .reply(200, contract.answer('POST', '/api/v1/trackings/7/scan', 200, {
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
    }));
}
