import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPatchFiles, normalizePatchDir, patchFileName, validatePatch, type PatchCommit } from '../../src/patches/format.js';
import { createUpstreamRepo, removeTempDirs, type TestRepo } from '../helpers/git-repo.js';

afterAll(() => removeTempDirs());

let repo: TestRepo;
function commitOf(sha: string, extra: Partial<PatchCommit> = {}): PatchCommit {
  return { sha, subject: repo.git('log', '-1', '--format=%s', sha).trim(), patch: repo.formatPatch(sha), ...extra };
}
const shas: Record<string, string> = {};

beforeAll(() => {
  repo = createUpstreamRepo();
  shas.modify = repo.commit('lib: drop b', { files: { 'src/lib.c': 'int a;\nint c;\n' } });
  shas.multi = repo.commit('add two files, delete one', {
    files: { 'docs/a.md': '# a\n', 'docs/b.md': '# b\n', 'README.md': null },
  });
  repo.git('mv', 'docs/a.md', 'docs/renamed.md');
  shas.rename = repo.commit('rename a');
  shas.binary = repo.commit('add logo', { files: { 'logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]) } });
  shas.crlf = repo.commit('windows file without final newline', { files: { 'win.txt': 'one\r\ntwo\r\nthree' } });
  // the last diff line is a removed "- " line, which reads exactly like format-patch's signature separator
  repo.commit('list', { files: { 'list.md': 'x\n- \n' } });
  shas.dashLine = repo.commit('drop the dangling item', { files: { 'list.md': 'x\n' } });
  shas.empty = repo.commit('empty release marker', { allowEmpty: true });
});

describe('validatePatch', () => {
  it('accepts real git format-patch output of every kind of change', () => {
    expect(validatePatch(commitOf(shas.modify!))).toBe(1);
    expect(validatePatch(commitOf(shas.multi!))).toBe(3);
    expect(validatePatch(commitOf(shas.rename!))).toBe(1);
    expect(validatePatch(commitOf(shas.binary!))).toBe(1);
    expect(validatePatch(commitOf(shas.crlf!))).toBe(1);
    expect(validatePatch(commitOf(shas.dashLine!))).toBe(1);
  });

  it('accepts an empty commit only when it is known to be empty', () => {
    const patch = repo.git('format-patch', '--always', '-1', shas.empty!, '--stdout');
    expect(validatePatch(commitOf(shas.empty!, { patch, empty: true }))).toBe(0);
    expect(() => validatePatch(commitOf(shas.empty!, { patch }))).toThrow(
      expect.objectContaining({ code: 'invalid_patch', message: expect.stringContaining(shas.empty!) }),
    );
  });

  it('rejects a corrupted hunk, naming the commit and its subject', () => {
    const good = commitOf(shas.modify!);
    const broken = { ...good, patch: good.patch.replace('-int b;\n', '') };
    expect(() => validatePatch(broken)).toThrow(
      expect.objectContaining({
        code: 'invalid_patch',
        message: expect.stringMatching(new RegExp(`${shas.modify} \\("lib: drop b"\\) does not parse`)),
      }),
    );
  });

  it('rejects text that is no patch at all, and a patch of another commit', () => {
    const sha = 'f'.repeat(40);
    expect(() => validatePatch({ sha, subject: 's', patch: '<html>rate limited</html>\n' })).toThrow(/contains no diff/);
    expect(() => validatePatch({ sha, subject: 's', patch: 'diff --git\nnothing here\n' })).toThrow(/contains no file diff/);
    expect(() => validatePatch({ ...commitOf(shas.modify!), sha })).toThrow(/is the patch of another commit/);
  });
});

describe('buildPatchFiles', () => {
  it('names files <full sha>.patch, keeps their text and order, and leaves out empty commits', () => {
    const commits = [commitOf(shas.modify!), commitOf(shas.empty!, { empty: true, patch: '' }), commitOf(shas.rename!)];
    const set = buildPatchFiles(commits);
    expect(set.patches.map((p) => p.name)).toEqual([`${shas.modify}.patch`, `${shas.rename}.patch`]);
    expect(set.files).toEqual([
      { path: `${shas.modify}.patch`, content: commits[0]!.patch },
      { path: `${shas.rename}.patch`, content: commits[2]!.patch },
    ]);
    expect(set.skippedEmpty.map((c) => c.sha)).toEqual([shas.empty]);
    expect(patchFileName({ sha: 'abc' })).toBe('abc.patch');
  });

  it('puts files under PATCH_DIR when set, and refuses a directory outside the repository', () => {
    const set = buildPatchFiles([commitOf(shas.modify!)], { patchDir: './patches/upstream/' });
    expect(set.files[0]!.path).toBe(`patches/upstream/${shas.modify}.patch`);
    expect(set.patches[0]!.name).toBe(`${shas.modify}.patch`);
    expect(normalizePatchDir('  ')).toBeUndefined();
    for (const bad of ['/etc', '../up', 'a/../../b', 'a\\b']) {
      expect(() => normalizePatchDir(bad)).toThrow(expect.objectContaining({ code: 'invalid_setting', field: 'PATCH_DIR' }));
    }
  });

  it('publishes nothing when one patch of the range is broken', () => {
    const broken = { ...commitOf(shas.rename!), patch: 'not a patch' };
    expect(() => buildPatchFiles([commitOf(shas.modify!), broken])).toThrow(new RegExp(shas.rename!));
  });
});
