/**
 * `patch-tracking-cli upstreamed` against the real in-process service (a local git upstream with release
 * tags, a local fake Gitee holding the packaging repository): the report as a table and as JSON, nothing
 * written; then the service's own scan cycle opens the one removal PR on the fake Gitee, and only once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeGitee } from '../helpers/fake-servers.js';
import { createUpstreamRepo, removeTempDirs } from '../helpers/git-repo.js';
import { startTestService, TEST_PASSWORD, type TestService } from '../helpers/service.js';
import { loadContract, type Contract } from './openapi-contract.js';
import { cli } from './run-cli.js';

const upstream = createUpstreamRepo();
upstream.git('tag', 'v1.1');
upstream.checkout('side', true);
const remade = upstream.commit('lib: add d (backport)', { files: { 'src/d.c': 'int d;\n' } });
const downstream = upstream.commit('packaging note', { files: { 'README.md': 'hello\npackaged\n' } });
upstream.checkout('main');
const fix = upstream.commit('lib: drop b', { files: { 'src/lib.c': 'int a;\nint c;\n' } });
const addD = upstream.commit('lib: add d', { files: { 'src/d.c': 'int d;\n' } });
upstream.git('tag', 'v1.2');

const SPEC = `Name: lib
Version: 1.2
Release: 1
Summary: s
License: MIT
Source0: lib-%{version}.tar.gz
Patch1: fix.patch
Patch2: add-d.patch
Patch3: note.patch

%description
d

%prep
%autosetup -p1

%changelog
* Mon Jan 05 2026 A <a@b.c> - 1.2-0
- init
`;

let gitee: FakeGitee;
let service: TestService;
let contract: Contract;
let auth: string[];

beforeAll(async () => {
  gitee = await new FakeGitee(() => ({
    'lib.spec': SPEC,
    'fix.patch': upstream.formatPatch(fix),
    'add-d.patch': upstream.formatPatch(remade),
    'note.patch': upstream.formatPatch(downstream),
  })).start();
  service = await startTestService({ extraSettings: { GITEE_API_URL: gitee.url, GITEE_ACCESS_TOKEN: 'gitee-token' } });
  contract = await loadContract(service.url);
  auth = ['--server', service.url, '--password', TEST_PASSWORD];
  const flags = ['--version_control', 'git', '--scm_repo', upstream.url, '--scm_branch', 'main', '--scm_commit', upstream.head()];
  expect(await cli(['add', ...auth, '--repo', 'src-openeuler/lib', '--branch', 'master', ...flags, '--enabled', 'true'])).toMatchObject({ code: 0, stderr: '' });
});

afterAll(async () => {
  await service?.stop();
  await gitee?.close();
  removeTempDirs();
});

describe('upstreamed', () => {
  it('prints which patches the release tag has, as a table and as JSON, and changes nothing', async () => {
    const writes = gitee.writes;
    const table = await cli(['upstreamed', ...auth, '--repo', 'src-openeuler/lib', '--branch', 'master']);
    expect(table).toMatchObject({ code: 0, stderr: '' });
    expect(table.stdout).toContain(`src-openeuler/lib master: lib.spec Version 1.2 against ${upstream.url} tag v1.2 (${addD.slice(0, 12)})`);
    expect(table.stdout).toMatch(new RegExp(`Patch1 +fix\\.patch +upstream +from-header +${fix.slice(0, 12)} `));
    expect(table.stdout).toMatch(new RegExp(`Patch2 +add-d\\.patch +upstream +patch-id +${addD.slice(0, 12)} `));
    expect(table.stdout).toMatch(/Patch3 +note\.patch +not-upstream +- +- /);
    expect(table.stdout).toContain("apply check: the patches not upstream apply to it in rpm's order");
    expect(table.stdout).toContain('2 patch(es) can be removed');

    const json = await cli(['upstreamed', ...auth, '--repo', 'src-openeuler/lib', '--branch', 'master', '--json']);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(() => contract.answer('GET', '/api/v1/trackings/1/upstreamed', 200, report)).not.toThrow();
    expect(report.patches.map((p: { status: string }) => p.status)).toEqual(['upstream', 'upstream', 'not-upstream']);
    expect(gitee.writes).toBe(writes);

    const missing = await cli(['upstreamed', ...auth, '--repo', 'src-openeuler/none', '--branch', 'master']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no tracking for repo src-openeuler/none branch master');
  });

  it("the service's scan cycle opens one PR removing exactly the two, and a later cycle none", async () => {
    await service.runCycle();
    const repo = gitee.repo('src-openeuler/lib');
    expect(repo.pulls).toHaveLength(1);
    expect(repo.issues).toHaveLength(1);
    const pull = repo.pulls[0]!;
    expect(pull.title).toBe('[patch tracking] remove 2 patches already upstream in v1.2');
    const files = repo.branches.get(pull.head)!.files;
    expect([...files.keys()].sort()).toEqual(['lib.spec', 'note.patch']);
    expect(files.get('lib.spec')).not.toMatch(/^Patch[12]:/m);
    expect(files.get('lib.spec')).toMatch(/^Release: 2$/m);
    expect(repo.issues[0]!.body).toContain(`| Patch1 | \`fix.patch\` | ${fix.slice(0, 12)} lib: drop b | made from this commit`);
    expect(repo.issues[0]!.body).toContain(`| Patch2 | \`add-d.patch\` | ${addD.slice(0, 12)} lib: add d | the same change as this commit`);
    expect(repo.branches.get('master')!.files.has('fix.patch')).toBe(true);

    await service.runCycle();
    expect(repo.pulls).toHaveLength(1);
    expect(repo.issues).toHaveLength(1);
  });
});
