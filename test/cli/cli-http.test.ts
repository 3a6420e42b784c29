/**
 * patch-tracking-cli end to end against a live service speaking plain HTTP (the default configuration),
 * addressed the old way (`--server 127.0.0.1:PORT`: https first, then plain HTTP once the server shows it
 * does not speak TLS).
 */
import { writeFileSync, cpSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUpstreamRepo, makeTempDir, removeTempDirs } from '../helpers/git-repo.js';
import { startTestService, TEST_PASSWORD, type TestService } from '../helpers/service.js';
import { cli, cliProcess, REPO_ROOT } from './run-cli.js';

let service: TestService;
let server: string;
const auth = () => ['--server', server, '--user', 'admin', '--password', TEST_PASSWORD];

async function trackings(filter: string[] = []) {
  const result = await cli(['query', '--server', server, '--table', 'tracking', '--json', ...filter]);
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as Record<string, unknown>[];
}

function writeYaml(dir: string, name: string, text: string) {
  writeFileSync(path.join(dir, name), text);
}

beforeAll(async () => {
  service = await startTestService();
  server = new URL(service.url).host; // 127.0.0.1:PORT, as the old guide writes it
});

afterAll(async () => {
  await service?.stop();
  removeTempDirs();
});

describe('the old documented commands, verbatim, against a plain HTTP server', () => {
  it('add by flags, query both tables, delete one branch', async () => {
    // patch-tracking-cli add --server 127.0.0.1:5001 --user admin --password Test@123 --version_control github
    //   --repo testPatchTrack/testPatch1 --branch master --scm_repo BJMX/testPatch01 --scm_branch test --enabled true
    const add = await cliProcess('patch-tracking-cli', [
      'add', '--server', server, '--user', 'admin', '--password', 'Test@123', '--version_control', 'github',
      '--repo', 'testPatchTrack/testPatch1', '--branch', 'master', '--scm_repo', 'BJMX/testPatch01', '--scm_branch', 'test', '--enabled', 'true',
    ]);
    expect(add).toMatchObject({ code: 0, stdout: 'added: testPatchTrack/testPatch1 master\n' });

    const table = await cli(['query', '--server', server, '--table', 'tracking']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^repo\s+branch\s+version_control\s+scm_repo\s+scm_branch\s+scm_commit\s+enabled\s+status\s+last_error$/);
    // nine columns of these widths make 121: the widest cuttable one (repo) gives one character at its start
    const row = lines.find((line) => line.startsWith('…stPatchTrack/testPatch1'))!;
    expect(lines[0]!.length).toBe(120);
    expect(row.split(/\s{2,}/)).toEqual(['…stPatchTrack/testPatch1', 'master', 'github', 'BJMX/testPatch01', 'test', '-', 'true', 'idle', '-']);
    // aligned: every column starts at the same offset on every line
    expect(row.indexOf('github')).toBe(lines[0]!.indexOf('version_control'));

    const issues = await cli(['query', '--server', server, '--table', 'issue']);
    expect(issues).toMatchObject({ code: 0, stdout: '', stderr: 'no issues found\n' });

    const del = await cli(['delete', ...auth(), '--repo', 'testPatchTrack/testPatch1', '--branch', 'master']);
    expect(del).toMatchObject({ code: 0, stdout: 'deleted: testPatchTrack/testPatch1 master\n' });
    expect(await trackings(['--repo', 'testPatchTrack/testPatch1'])).toEqual([]);

    const again = await cli(['delete', ...auth(), '--repo', 'testPatchTrack/testPatch1', '--branch', 'master']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('nothing to delete: no tracking for repo testPatchTrack/testPatch1 branch master');
  });

  it('add --file with the documented format, then delete every branch of the repo', async () => {
    const dir = makeTempDir('pt-cli-file-');
    writeYaml(dir, 'tracking.yaml', 'version_control: github\nscm_repo: BJMX/testPatch01\nscm_branch: master\nrepo: testPatchTrack/multi\nbranch: master\nenabled: true\n---\nversion_control: github\nscm_repo: BJMX/testPatch01\nscm_branch: next\nrepo: testPatchTrack/multi\nbranch: next\nenabled: "false"\n');
    const add = await cli(['add', ...auth(), '--file', path.join(dir, 'tracking.yaml')]);
    expect(add.code).toBe(0);
    expect(add.stdout).toContain('2 added, 0 updated, 0 unchanged, 0 failed');
    // items are sent concurrently, so the server's order (by id) is not the file's
    const rows = await trackings(['--repo', 'testPatchTrack/multi']);
    expect(rows.map((r) => [r.branch, r.scm_branch, r.enabled]).sort()).toEqual([
      ['master', 'master', true],
      ['next', 'next', false],
    ]);

    const del = await cli(['delete', ...auth(), '--repo', 'testPatchTrack/multi']);
    expect(del.code).toBe(0);
    expect(del.stdout.split('\n').sort()).toEqual(['', 'deleted: testPatchTrack/multi master', 'deleted: testPatchTrack/multi next']);
    expect(await trackings(['--repo', 'testPatchTrack/multi'])).toEqual([]);
  });

  it('add --dir trackers/ imports the example folder; a re-run changes nothing', async () => {
    const first = await cli(['add', ...auth(), '--dir', path.join(REPO_ROOT, 'trackers/')]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const summary = /(\d+) added, 0 updated, 0 unchanged, 0 failed/.exec(first.stdout);
    expect(summary).not.toBeNull();
    const imported = Number(summary![1]);
    expect(imported).toBeGreaterThanOrEqual(5);
    const rows = (await trackings()).filter((r) => String(r.repo).startsWith('src-openeuler-example/'));
    expect(rows).toHaveLength(imported);
    const before = rows.map((r) => [r.id, r.repo, r.branch, r.enabled]);

    const second = await cli(['add', ...auth(), '--dir', path.join(REPO_ROOT, 'trackers')]);
    expect(second).toMatchObject({ code: 0, stdout: `0 added, 0 updated, ${imported} unchanged, 0 failed\n`, stderr: '' });
    const after = (await trackings()).filter((r) => String(r.repo).startsWith('src-openeuler-example/'));
    expect(after.map((r) => [r.id, r.repo, r.branch, r.enabled])).toEqual(before);
  });

  it('reports updated items, and keeps a tracking\'s progress when a file\'s scm_commit is re-imported', async () => {
    const dir = makeTempDir('pt-cli-upd-');
    const text = (scmBranch: string) => `version_control: github\nscm_repo: o/up\nscm_branch: ${scmBranch}\nscm_commit: 1111111\nrepo: upd/r\nbranch: master\nenabled: true\n`;
    writeYaml(dir, 'a.yaml', text('main'));
    expect((await cli(['add', ...auth(), '--dir', dir])).stdout).toContain('1 added');
    // the engine moved on
    expect((await cli(['update', ...auth(), '--repo', 'upd/r', '--branch', 'master', '--scm_commit', '2222222'])).code).toBe(0);

    const rerun = await cli(['add', ...auth(), '--dir', dir]);
    expect(rerun.stdout).toContain('0 added, 0 updated, 1 unchanged, 0 failed');
    expect(rerun.stderr).toContain('its stored scm_commit 2222222 was kept');
    writeYaml(dir, 'a.yaml', text('develop'));
    const changed = await cli(['add', ...auth(), '--dir', dir]);
    expect(changed.stdout).toContain(`updated: upd/r master (${path.join(dir, 'a.yaml')}:1)`);
    expect(changed.stdout).toContain('0 added, 1 updated, 0 unchanged, 0 failed');
    expect(await trackings(['--repo', 'upd/r'])).toMatchObject([{ scm_branch: 'develop', scm_commit: '2222222' }]);
  });

  it('a folder with one broken file among good ones: nothing is sent, the error names file and line, exit 2', async () => {
    const dir = makeTempDir('pt-cli-bad-');
    cpSync(path.join(REPO_ROOT, 'trackers'), dir, { recursive: true });
    writeYaml(dir, 'aaa-good.yaml', 'version_control: github\nscm_repo: o/r\nscm_branch: main\nrepo: badrun/good\nbranch: master\nenabled: true\n');
    writeYaml(dir, 'broken.yaml', 'version_control: github\nscm_repo: o/r\nscm_branch: main\nrepo: badrun/broken\nbranch: master\nenabled: sometimes\n');
    const before = await trackings();
    const result = await cli(['add', ...auth(), '--dir', dir]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('nothing was sent: 1 problem in');
    expect(result.stderr).toContain(`${path.join(dir, 'broken.yaml')}:6: enabled: expected boolean`);
    expect(await trackings()).toEqual(before);
  });

  it('a wrong password: exit 1 with a clear message that does not repeat the password', async () => {
    const result = await cliProcess('patch-tracking-cli', [
      'add', '--server', server, '--user', 'admin', '--password', 'Wrong@Secret9', '--version_control', 'github',
      '--repo', 'wrong/pw', '--branch', 'master', '--scm_repo', 'o/r', '--scm_branch', 'main', '--enabled', 'true',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('authentication failed: the server rejected user "admin" with the given password');
    expect(result.stderr + result.stdout).not.toContain('Wrong@Secret9');
    expect(await trackings(['--repo', 'wrong/pw'])).toEqual([]);
  });

  it('usage errors exit 2: unknown option, bad --enabled, missing flags, invalid values named by flag', async () => {
    const unknown = await cliProcess('patch-tracking-cli', ['query', '--server', server, '--tabel', 'tracking']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--tabel'");

    const enabled = await cli(['add', ...auth(), '--version_control', 'github', '--repo', 'o/r', '--branch', 'm', '--scm_repo', 'a/b', '--scm_branch', 'x', '--enabled', 'yes please']);
    expect(enabled.code).toBe(2);
    expect(enabled.stderr).toContain('expected true or false');

    const missing = await cli(['add', ...auth(), '--repo', 'o/r', '--branch', 'master']);
    expect(missing).toMatchObject({ code: 2 });
    expect(missing.stderr).toContain('add: missing --version_control, --scm_repo, --scm_branch, --enabled');

    const invalid = await cli(['add', ...auth(), '--version-control', 'github', '--repo', 'o/r', '--branch', 'a..b', '--scm_repo', 'a/b', '--scm_branch', 'x', '--enabled', 'True']);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('--branch: is not a valid branch name');

    const noServer = await cli(['query']);
    expect(noServer.code).toBe(2);
    expect(noServer.stderr).toContain('--server is required');
  });

  it('takes the password from PATCH_TRACKING_PASSWORD, or asks for it on a terminal', async () => {
    const flags = ['--version_control', 'github', '--scm_repo', 'o/r', '--scm_branch', 'main', '--branch', 'master', '--enabled', 'false'];
    const fromEnv = await cli(['add', '--server', server, '--repo', 'pw/env', ...flags], { env: { PATCH_TRACKING_PASSWORD: TEST_PASSWORD } });
    expect(fromEnv).toMatchObject({ code: 0, stdout: 'added: pw/env master\n' });

    const questions: string[] = [];
    const prompted = await cli(['add', '--server', server, '--repo', 'pw/tty', ...flags], {
      stdinIsTTY: true,
      promptPassword: async (question) => {
        questions.push(question);
        return TEST_PASSWORD;
      },
    });
    expect(prompted).toMatchObject({ code: 0, stdout: 'added: pw/tty master\n' });
    expect(questions).toEqual(['Password for admin: ']);

    const noTty = await cli(['delete', '--server', server, '--repo', 'pw/env']);
    expect(noTty.code).toBe(2);
    expect(noTty.stderr).toContain('a password is required');
  });

  it('query --json and filters', async () => {
    await cli(['add', ...auth(), '--version_control', 'git', '--repo', 'json/r', '--branch', 'b1', '--scm_repo', 'https://example.org/x.git', '--scm_branch', 'main', '--enabled', 'true']);
    await cli(['add', ...auth(), '--version_control', 'git', '--repo', 'json/r', '--branch', 'b2', '--scm_repo', 'https://example.org/x.git', '--scm_branch', 'main', '--enabled', 'false']);
    const all = await trackings(['--repo', 'json/r']);
    expect(all.map((r) => r.branch)).toEqual(['b1', 'b2']);
    expect(all[0]).toMatchObject({ version_control: 'git', scm_repo: 'https://example.org/x.git', scm_commit: null, enabled: true, status: 'idle' });
    expect((await trackings(['--repo', 'json/r', '--branch', 'b2'])).map((r) => r.branch)).toEqual(['b2']);
    expect((await trackings(['--repo', 'json/r', '--enabled', 'false'])).map((r) => r.branch)).toEqual(['b2']);
  });

  it('update, disable and enable a tracking through /api/v1', async () => {
    await cli(['add', ...auth(), '--version_control', 'github', '--repo', 'upd/flags', '--branch', 'master', '--scm_repo', 'o/r', '--scm_branch', 'main', '--enabled', 'true']);
    const update = await cli(['update', ...auth(), '--repo', 'upd/flags', '--branch', 'master', '--scm_branch', 'stable', '--scm_commit', 'abcdef0']);
    expect(update).toMatchObject({ code: 0, stdout: 'updated: upd/flags master (scm_branch: main → stable, scm_commit: null → abcdef0)\n' });

    expect(await cli(['disable', ...auth(), '--repo', 'upd/flags', '--branch', 'master'])).toMatchObject({ code: 0, stdout: 'disabled: upd/flags master\n' });
    expect(await trackings(['--repo', 'upd/flags'])).toMatchObject([{ enabled: false, scm_branch: 'stable', scm_commit: 'abcdef0' }]);
    expect(await cli(['enable', ...auth(), '--repo', 'upd/flags', '--branch', 'master'])).toMatchObject({ code: 0, stdout: 'enabled: upd/flags master\n' });
    expect(await cli(['enable', ...auth(), '--repo', 'upd/flags', '--branch', 'master'])).toMatchObject({ code: 0, stdout: 'already enabled: upd/flags master\n' });

    const missing = await cli(['update', ...auth(), '--repo', 'upd/none', '--branch', 'master', '--enabled', 'false']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no tracking for repo upd/none branch master');
    const badCommit = await cli(['update', ...auth(), '--repo', 'upd/flags', '--branch', 'master', '--scm_commit', 'not-a-sha']);
    expect(badCommit.code).toBe(2);
    expect(badCommit.stderr).toContain('--scm_commit: expected a hexadecimal commit id');
  });

  it('scan runs the engine on a tracking now and prints its result; a dry run changes nothing', async () => {
    const upstream = createUpstreamRepo();
    const head = upstream.head();
    const flags = ['--version_control', 'git', '--scm_repo', upstream.url, '--scm_branch', 'main', '--branch', 'master', '--enabled', 'true'];
    expect((await cli(['add', ...auth(), '--repo', 'scan/git', ...flags])).code).toBe(0);

    const dry = await cli(['scan', ...auth(), '--repo', 'scan/git', '--branch', 'master', '--dry-run', '--json']);
    expect(dry).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(dry.stdout)).toEqual({ action: 'initialized', head });
    expect(await trackings(['--repo', 'scan/git'])).toMatchObject([{ scm_commit: null }]);

    const real = await cli(['scan', ...auth(), '--repo', 'scan/git', '--branch', 'master']);
    expect(real.stdout).toBe(`scan/git master: starts at ${head.slice(0, 12)} (the current upstream head); nothing to publish until the upstream moves\n`);
    expect(await trackings(['--repo', 'scan/git'])).toMatchObject([{ scm_commit: head }]);

    // github upstreams need GITHUB_ACCESS_TOKEN, which the test service does not have
    await cli(['add', ...auth(), '--version_control', 'github', '--repo', 'scan/gh', '--branch', 'master', '--scm_repo', 'o/r', '--scm_branch', 'main', '--enabled', 'true']);
    const refused = await cli(['scan', ...auth(), '--repo', 'scan/gh', '--branch', 'master', '--dry-run']);
    expect(refused).toMatchObject({ code: 1, stdout: '' });
    expect(refused.stderr).toContain('scan of scan/gh master failed: GITHUB_ACCESS_TOKEN is not set');

    const none = await cli(['scan', ...auth(), '--repo', 'scan/none']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no tracking for repo scan/none');
  });

  it('token create, use, list and revoke', async () => {
    const unscoped = await cli(['token', 'create', 'ci-bot', ...auth()]);
    expect(unscoped.code).toBe(2);
    expect(unscoped.stderr).toContain('--scope');
    const unknownScope = await cli(['token', 'create', 'ci-bot', '--scope', 'trackings,root', ...auth()]);
    expect(unknownScope.code).toBe(2);
    expect(unknownScope.stderr).toContain('unknown scope "root"');
    const created = await cli(['token', 'create', 'ci-bot', '--scope', 'trackings', '--scope', 'read', ...auth()]);
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token.length).toBeGreaterThanOrEqual(20);
    expect(created.stderr).toMatch(/created token (\d+) "ci-bot" with scopes read, trackings; it is shown only now/);
    const id = /created token (\d+)/.exec(created.stderr)![1]!;

    const withToken = await cli(['add', '--server', server, '--token', token, '--version_control', 'github', '--repo', 'tok/r', '--branch', 'master', '--scm_repo', 'o/r', '--scm_branch', 'main', '--enabled', 'true']);
    expect(withToken).toMatchObject({ code: 0, stdout: 'added: tok/r master\n' });
    const fromEnv = await cli(['disable', '--server', server, '--repo', 'tok/r', '--branch', 'master'], { env: { PATCH_TRACKING_TOKEN: token } });
    expect(fromEnv).toMatchObject({ code: 0, stdout: 'disabled: tok/r master\n' });

    const list = await cli(['token', 'list', ...auth()]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^id\s+name\s+prefix\s+scopes\s+created_at\s+last_used_at\s+revoked_at\n/);
    expect(list.stdout).toMatch(new RegExp(`^${id}\\s+ci-bot\\s+ptk_\\S+\\s+read,trackings\\s`, 'm'));
    const unknownUser = await cli(['token', 'create', 'mine', '--scope', 'patches', '--as', 'nobody', ...auth()]);
    expect(unknownUser.code).toBe(1);
    expect(unknownUser.stderr).toContain('user: no user "nobody"');
    // a trackings token manages trackings, not tokens
    const minted = await cli(['token', 'create', 'more', '--scope', 'admin', '--server', server, '--token', token]);
    expect(minted.code).toBe(1);
    expect(minted.stderr).toContain('"admin" scope');
    expect(list.stdout).not.toContain(token);

    expect(await cli(['token', 'revoke', id, ...auth()])).toMatchObject({ code: 0, stdout: `revoked token ${id}\n` });
    const revoked = await cli(['enable', '--server', server, '--token', token, '--repo', 'tok/r', '--branch', 'master']);
    expect(revoked.code).toBe(1);
    expect(revoked.stderr).toContain('the server rejected the API token');
    expect(revoked.stderr).not.toContain(token);
    const listed = JSON.parse((await cli(['token', 'list', '--json', ...auth()])).stdout) as { id: number; revoked_at: string | null }[];
    expect(listed.find((t) => String(t.id) === id)?.revoked_at).not.toBeNull();

    expect((await cli(['token', 'revoke', 'abc', ...auth()])).code).toBe(2);
  });

  it('project add, list and update through the API; changes need the admin scope', async () => {
    const added = await cli(['project', 'add', 'kernel', '--list-id', 'kernel.lists.example.org', '--list-email', 'kernel@lists.example.org', '--scm-url', 'https://git.example.org/k.git', '--delegate', 'maint@example.org', ...auth()]);
    expect(added).toMatchObject({ code: 0, stdout: expect.stringMatching(/^added project kernel \(id \d+\) tracking kernel\.lists\.example\.org\n$/) });
    const dup = await cli(['project', 'add', 'kernel', '--list-id', 'other.example.org', ...auth()]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain('a project named "kernel" exists (project_exists)');
    const bad = await cli(['project', 'add', 'bad name', '--list-id', 'x.example.org', ...auth()]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('link name "bad name"');

    const updated = await cli(['project', 'update', 'kernel', '--name', 'The Kernel', '--subject-match', '\\[PATCH', ...auth()]);
    expect(updated).toMatchObject({ code: 0, stdout: expect.stringContaining('updated project kernel') });
    const listed = JSON.parse((await cli(['project', 'list', '--json', '--server', server])).stdout) as Array<Record<string, unknown>>;
    expect(listed.find((p) => p.link_name === 'kernel')).toMatchObject({ name: 'The Kernel', subject_match: '\\[PATCH', scm_url: 'https://git.example.org/k.git', list_email: 'kernel@lists.example.org' });
    const table = await cli(['project', 'list', '--server', server]);
    expect(table.stdout).toMatch(/^id\s+link_name\s+name\s+list_id/);

    const created = await cli(['token', 'create', 'trk', '--scope', 'trackings', ...auth()]);
    const refused = await cli(['project', 'update', 'kernel', '--name', 'x', '--server', server, '--token', created.stdout.trim()]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('this needs the "admin" scope');
    expect((await cli(['project', 'update', 'kernel', ...auth()])).code).toBe(2);
  });

  it('an explicit https:// URL to a plain HTTP server does not fall back: exit 1, saying what to use', async () => {
    const result = await cli(['query', '--server', `https://${server}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`does not speak TLS (it answered in plain HTTP); use --server ${server} or --server http://${server}`);
    expect((await cli(['query', '--server', `http://${server}/`, '--json'])).code).toBe(0);
  });
});
