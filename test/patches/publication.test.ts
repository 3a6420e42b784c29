import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PatchCommit } from '../../src/patches/format.js';
import { planPublication, type PublicationInput } from '../../src/patches/format.js';
import { createUpstreamRepo, removeTempDirs } from '../helpers/git-repo.js';

afterAll(() => removeTempDirs());

const SPEC = 'Name: r\nVersion: 1.0\nRelease: 3\nSource0: r.tar.gz\nPatch0: old.patch\n%prep\n%autosetup -p1\n%changelog\n';
let commits: PatchCommit[];

beforeAll(() => {
  const repo = createUpstreamRepo();
  const a = repo.commit('fix: first', { files: { 'src/lib.c': 'int a;\n' } });
  const empty = repo.commit('chore: empty', { allowEmpty: true });
  const b = repo.commit('fix: second', { files: { 'src/lib.c': 'int b;\n' } });
  commits = [
    { sha: a, subject: 'fix: first', patch: repo.formatPatch(a) },
    { sha: empty, subject: 'chore: empty', patch: repo.git('format-patch', '--always', '-1', empty, '--stdout'), empty: true },
    { sha: b, subject: 'fix: second', patch: repo.formatPatch(b) },
  ];
});

function input(overrides: Partial<PublicationInput> = {}): PublicationInput {
  return {
    commits,
    repoName: 'r',
    topLevelFiles: ['r.spec', 'r.tar.gz', 'old.patch'],
    readSpec: async (path) => (path === 'r.spec' ? SPEC : null),
    specEdit: 'auto',
    patchDir: 'upstream-patches',
    packager: { name: 'patch-tracking', email: 'bot@example.org' },
    now: new Date('2026-11-22T00:00:00Z'),
    ...overrides,
  };
}

describe('planPublication', () => {
  it('publishes top-level patch files plus the edited spec, leaving the empty commit out', async () => {
    const plan = await planPublication(input());
    const [a, , b] = commits;
    expect(plan.files.map((f) => f.path)).toEqual([`${a!.sha}.patch`, `${b!.sha}.patch`, 'r.spec']);
    expect(plan.files[0]!.content).toBe(a!.patch);
    const spec = plan.files[2]!.content;
    expect(spec).toContain(`Patch0: old.patch\nPatch6000: ${a!.sha}.patch\nPatch6001: ${b!.sha}.patch\n`);
    expect(spec).toContain(`- ${a!.sha.slice(0, 7)} fix: first\n- ${b!.sha.slice(0, 7)} fix: second\n`);
    expect(spec).not.toContain('chore: empty');
    expect(plan.spec).toEqual({ kind: 'edited', path: 'r.spec', warnings: [], patchNumbers: [6000, 6001] });
    expect(plan.notes).toEqual([expect.stringContaining(`change no file and have no patch file: ${commits[1]!.sha.slice(0, 7)}`)]);
  });

  it('with no spec, publishes only the patches, into PATCH_DIR, and says why', async () => {
    const plan = await planPublication(input({ topLevelFiles: ['README.md'] }));
    expect(plan.files.map((f) => f.path)).toEqual(commits.filter((c) => !c.empty).map((c) => `upstream-patches/${c.sha}.patch`));
    expect(plan.spec).toEqual({ kind: 'missing', reason: 'the target branch has no .spec file' });
    expect(plan.notes.at(-1)).toMatch(/No spec file was edited: the target branch has no \.spec file/);
  });

  it('SPEC_EDIT=off never reads or touches the spec', async () => {
    let reads = 0;
    const plan = await planPublication(input({ specEdit: 'off', patchDir: undefined, readSpec: async () => (reads++, SPEC) }));
    expect(reads).toBe(0);
    expect(plan.files.every((f) => f.path.endsWith('.patch') && !f.path.includes('/'))).toBe(true);
    expect(plan.spec).toEqual({ kind: 'off' });
  });

  it('passes spec warnings on as issue notes', async () => {
    const plan = await planPublication(input({ readSpec: async () => SPEC.replace('Release: 3\n', '') }));
    expect(plan.notes).toContainEqual('r.spec: the spec has no Release tag: nothing was bumped.');
  });

  it('publishes nothing when a patch is broken', async () => {
    const broken = [...commits, { sha: 'e'.repeat(40), subject: 'bad', patch: 'From x\n\nnot a diff\n' }];
    await expect(planPublication(input({ commits: broken }))).rejects.toMatchObject({ code: 'invalid_patch' });
  });
});
