/**
 * A local packaging repository as a dry run's target: resolved from an absolute path or a file:// URL, read
 * from a checkout or a bare clone with git, and never written to.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { LocalForge, resolveLocalTarget } from '../../src/forges/local.js';
import { createForges, resolveForgeRepo } from '../../src/forges/resolve.js';
import { createUpstreamRepo, GIT, makeTempDir, removeTempDirs, testGitEnv } from '../helpers/git-repo.js';

afterAll(() => removeTempDirs());

describe('resolving a local target', () => {
  it.each([
    ['/srv/pkgs/hello', 'hello', 'file:///srv/pkgs/hello'],
    ['/srv/pkgs/hello.git/', 'hello', 'file:///srv/pkgs/hello.git'],
    ['file:///srv/pkgs/hello.git', 'hello', 'file:///srv/pkgs/hello.git'],
  ])('%s → local repository %s', (input, name, webUrl) => {
    expect(resolveForgeRepo(input)).toEqual({ forge: 'local', owner: '', name, webUrl });
  });

  it.each([
    ['file://host/srv/hello', /valid file:\/\/ URL/],
    ['/srv/../etc/hello', /must not contain "\.\."/],
    ['/', /names no repository folder/],
  ])('refuses %j naming the repo field', (input, message) => {
    expect(() => resolveLocalTarget(input)).toThrow(
      expect.objectContaining({ constructor: AppError, code: 'invalid_repo', field: 'repo', message: expect.stringMatching(message) }),
    );
  });

  it('needs no forge token', () => {
    const forges = createForges({});
    expect(forges.forRepo(forges.resolve('/srv/pkgs/hello')).kind).toBe('local');
    expect(() => forges.forRepo(forges.resolve('src-openeuler/hello'))).toThrow(/GITEE_ACCESS_TOKEN is not set/);
  });
});

describe('LocalForge', () => {
  const checkout = createUpstreamRepo({ branch: 'master', name: 'hello' });
  checkout.commit('spec', { files: { 'hello.spec': 'Name: hello\n', 'sub/inner.txt': 'x\n' } });
  const bareDir = join(makeTempDir(), 'hello.git');
  execFileSync(GIT, ['clone', '--quiet', '--bare', checkout.dir, bareDir], { env: testGitEnv });
  const forge = new LocalForge();

  for (const [kind, where] of [['checkout', checkout.dir], ['bare clone', `file://${bareDir}`]] as const) {
    it(`reads branch heads, top-level files and file contents of a ${kind}`, async () => {
      const repo = resolveForgeRepo(where);
      expect(await forge.branchHead(repo, 'master')).toBe(checkout.head());
      expect(await forge.branchHead(repo, 'no-such-branch')).toBeNull();
      expect((await forge.listFiles(repo, 'master')).sort()).toEqual(['README.md', 'hello.spec', 'src', 'sub']);
      expect(await forge.readFile(repo, 'hello.spec', 'master')).toMatchObject({ content: 'Name: hello\n' });
      expect(await forge.readFile(repo, 'missing.spec', 'master')).toBeNull();
    });
  }

  it('refuses every write with local_target_read_only, naming the repository', async () => {
    const repo = resolveForgeRepo(checkout.dir);
    const before = checkout.git('for-each-ref');
    const writes = [
      forge.createBranch(repo),
      forge.commitFiles(repo, 'b', 'm', [{ path: 'x', content: 'y' }]),
      forge.createIssue(repo),
      forge.createPullRequest(repo),
      forge.comment(repo),
      forge.closeIssue(repo),
      forge.deleteBranch(repo),
    ];
    for (const write of writes) {
      await expect(write).rejects.toMatchObject({ code: 'local_target_read_only', message: expect.stringContaining(repo.webUrl) });
    }
    expect(checkout.git('for-each-ref')).toBe(before);
  });

  it('says what is wrong with a path that is no repository', async () => {
    await expect(forge.branchHead(resolveForgeRepo(join(makeTempDir(), 'missing')), 'master')).rejects.toMatchObject({
      code: 'invalid_repo',
      message: expect.stringMatching(/is not a git repository the service can read/),
    });
    // a folder inside a repository is not that repository
    await expect(forge.branchHead(resolveForgeRepo(join(checkout.dir, 'src')), 'master')).rejects.toMatchObject({ code: 'invalid_repo' });
    await expect(forge.listFiles(resolveForgeRepo(checkout.dir), 'nope')).rejects.toMatchObject({ code: 'forge_not_found' });
    await expect(forge.branchHead(resolveForgeRepo(checkout.dir), '--upload-pack=x')).rejects.toMatchObject({ code: 'invalid_branch' });
  });
});
