import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bumpReleaseValue, changelogDate, chooseSpecFile, editSpec, removePatches, specVersion, type SpecEditInput } from '../../src/patches/spec.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/specs');
const commits = [
  { sha: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678', subject: 'fix: avoid NULL dereference in parser' },
  { sha: '0f1e2d3c4b5a69788796a5b4c3d2e1f009876543', subject: 'tests: do not spin at 100% CPU' },
];

function input(spec: string, overrides: Partial<SpecEditInput> = {}): SpecEditInput {
  return {
    spec,
    patchFiles: commits.map((c) => `${c.sha}.patch`),
    commits,
    packager: { name: 'patch-tracking', email: 'patch-tracking@openeuler.org' },
    now: new Date('2026-11-22T01:02:03Z'),
    ...overrides,
  };
}

/**
 * Each fixture `<case>.spec` is a real-world spec shape; `<case>.expected.spec` is the exact result.
 * `warnings` lists what the maintainer must be told (matched in order), `numbers` the new Patch numbers.
 */
const table: { name: string; what: string; warnings: RegExp[]; numbers?: number[] }[] = [
  { name: 'autosetup', what: '%autosetup: Patch tags only, Release 3 → 4', warnings: [] },
  { name: 'setup-patch-list', what: '%setup + %patchN lines, tabs, Epoch, Release 1.oe1 → 2.oe1', warnings: [] },
  { name: 'patch-dash-p', what: 'modern %patch -P N, Release 2%{?dist}, Version from %global', warnings: [] },
  { name: 'no-patch-lines', what: 'no Patch lines: after the last of several Source lines, %patch after %setup', warnings: [] },
  { name: 'no-changelog', what: 'no %changelog: section added at the end', warnings: [/no %changelog section/] },
  { name: 'macro-release', what: 'Release is a macro: left alone, reported', warnings: [/Release "%\{release_num\}" .*left alone/] },
  { name: 'crlf', what: 'CRLF line endings kept, new lines CRLF too', warnings: [] },
  { name: 'no-trailing-newline', what: 'the old program’s sample, no final newline', warnings: [] },
  { name: 'empty-changelog', what: '%changelog with no entries, pre-release 0.1.rc1 → 0.2.rc1', warnings: [] },
  { name: 'conditionals', what: 'last Patch and %patch inside nested %if: new lines go after %endif', warnings: [] },
  { name: 'tabs', what: 'tab-separated tags (crashed the old program)', warnings: [] },
  { name: 'no-release', what: 'no Release tag (crashed the old program)', warnings: [/no Release tag/] },
  {
    name: 'numbering',
    what: 'Patch:, patch1:, Patch0002:, existing 6000+ → max+1; %autopatch -M limit reported',
    warnings: [/-M 6001.*Patch6002/],
    numbers: [6002, 6003],
  },
  { name: 'autorelease', what: 'rpmautospec: %autorelease untouched, %autochangelog gets no entry', warnings: [/%autochangelog/] },
  {
    name: 'lowercase-ambiguous',
    what: 'lower-case tags, unnumbered %patch, Version macro defined per %if branch',
    warnings: [/Version "%\{upstream_ver\}" uses macros that could not be resolved/],
  },
];

describe('editSpec on real-world spec shapes', () => {
  it.each(table)('$name: $what', ({ name, warnings, numbers }) => {
    const original = readFileSync(join(FIXTURES, `${name}.spec`), 'utf8');
    const expected = readFileSync(join(FIXTURES, `${name}.expected.spec`), 'utf8');
    const result = editSpec(input(original));
    expect(result.content).toBe(expected);
    expect(result.warnings).toHaveLength(warnings.length);
    warnings.forEach((w, i) => expect(result.warnings[i]).toMatch(w));
    expect(result.patchNumbers).toEqual(numbers ?? [6000, 6001]);
  });

  it('the expected files differ from the inputs only by added lines and the Release line', () => {
    for (const { name } of table) {
      const before = readFileSync(join(FIXTURES, `${name}.spec`), 'utf8').split('\n');
      const after = readFileSync(join(FIXTURES, `${name}.expected.spec`), 'utf8').split('\n');
      // every original line is still there, in order; only Release lines may have changed
      let next = 0;
      for (const line of before) {
        const isRelease = /^\s*release\s*:/i.test(line);
        const found = after.findIndex((l, i) => i >= next && (isRelease ? /^\s*release\s*:/i.test(l) : l === line));
        expect(found, `${name}: ${JSON.stringify(line)}`).toBeGreaterThanOrEqual(0);
        next = found + 1;
      }
    }
  });
});

describe('editSpec details', () => {
  const base = 'Name: r\nVersion: 1.0\nRelease: 3\nSource0: r.tar.gz\n%prep\n%autosetup -p1\n%changelog\n';

  it('writes one changelog line per commit, escaping % and flattening control characters', () => {
    const result = editSpec(
      input(base, { commits: [{ sha: 'c'.repeat(40), subject: 'use 50%\tless memory\u0007' }], patchFiles: ['c.patch'] }),
    );
    expect(result.content).toContain('* Sun Nov 22 2026 patch-tracking <patch-tracking@openeuler.org> - 1.0-4\n- ccccccc use 50%% less memory\n');
  });

  it('uses the injected clock in UTC with a zero-padded day', () => {
    expect(changelogDate(new Date('2027-03-05T23:59:59Z'))).toBe('Fri Mar 05 2027');
    expect(changelogDate(new Date('2026-12-31T23:30:00-05:00'))).toBe('Fri Jan 01 2027');
  });

  it('rejects a bot identity that would corrupt the changelog, naming the setting', () => {
    expect(() => editSpec(input(base, { packager: { name: 'bot', email: 'not-an-address' } }))).toThrow(
      expect.objectContaining({ code: 'invalid_setting', field: 'BOT_EMAIL' }),
    );
    expect(() => editSpec(input(base, { packager: { name: 'a\nb', email: 'a@b.c' } }))).toThrow(
      expect.objectContaining({ field: 'BOT_NAME' }),
    );
  });

  it('reports a spec without %prep instead of guessing, and refuses a file that is not a spec', () => {
    const noPrep = editSpec(input('Name: data\nVersion: 1\nRelease: 1\nSource0: d.tar\n%files\n/x\n'));
    expect(noPrep.warnings).toContainEqual(expect.stringContaining('no %prep'));
    expect(noPrep.content).toContain('Source0: d.tar\nPatch6000: ');
    expect(() => editSpec(input('just some text\n'))).toThrow(expect.objectContaining({ code: 'spec_unrecognized' }));
  });

  it('leaves %prep alone when it applies patches with its own commands', () => {
    const spec = 'Name: k\nVersion: 1\nRelease: 1\nPatch1: a.patch\n%prep\n%setup -q\nfor p in %{patches}; do patch -p1 < $p; done\n';
    const result = editSpec(input(spec));
    expect(result.content).not.toMatch(/%patch6000/);
    expect(result.warnings[0]).toMatch(/its own commands/);
  });

  it('does not list a patch twice when the spec already has it (a rerun after a manual merge)', () => {
    const once = editSpec(input(base));
    const again = editSpec(input(once.content));
    expect(again.content).toBe(once.content);
    expect(again.patchNumbers).toEqual([]);
    expect(again.warnings).toEqual([
      `${commits[0]!.sha}.patch is already in the spec as Patch6000; it was not added again`,
      `${commits[1]!.sha}.patch is already in the spec as Patch6001; it was not added again`,
    ]);
    const partly = editSpec(input(base.replace('Source0: r.tar.gz\n', `Source0: r.tar.gz\nPatch6000: ${commits[0]!.sha}.patch\n`)));
    expect(partly.patchNumbers).toEqual([6001]);
    expect(partly.content).toContain(`Patch6000: ${commits[0]!.sha}.patch\nPatch6001: ${commits[1]!.sha}.patch\n`);
  });

  it('copies the %patch form the spec already uses (rpm 4.18 positional, after %autosetup -N)', () => {
    const spec = 'Name: p\nVersion: 1\nRelease: 1\nPatch3: a.patch\n%prep\n%autosetup -N\n  %patch 3 -p1\n%build\n';
    const result = editSpec(input(spec));
    expect(result.content).toContain('  %patch 3 -p1\n  %patch 6000 -p1\n  %patch 6001 -p1\n%build\n');
  });

  it('bumps Release values the way packagers do', () => {
    expect(bumpReleaseValue('3')).toBe('4');
    expect(bumpReleaseValue('1.oe1')).toBe('2.oe1');
    expect(bumpReleaseValue('2%{?dist}')).toBe('3%{?dist}');
    expect(bumpReleaseValue('9.h2')).toBe('10.h2');
    expect(bumpReleaseValue('0.3.beta%{?dist}')).toBe('0.4.beta%{?dist}');
    expect(bumpReleaseValue('%{release_num}')).toBeNull();
  });
});

describe('chooseSpecFile', () => {
  it('prefers <repo>.spec, else the only spec, and never invents one', () => {
    expect(chooseSpecFile('tar', ['README.md', 'tar.spec', 'tar-1.34.tar.xz'])).toEqual({ kind: 'edit', path: 'tar.spec' });
    expect(chooseSpecFile('python-attrs', ['attrs.spec', 'attrs.yaml'])).toEqual({ kind: 'edit', path: 'attrs.spec' });
    expect(chooseSpecFile('gcc', ['gcc.spec', 'gcc-cross.spec'])).toEqual({ kind: 'edit', path: 'gcc.spec' });
    expect(chooseSpecFile('x', ['a.spec', 'b.spec'])).toMatchObject({ kind: 'missing', reason: expect.stringContaining('2 .spec files') });
    expect(chooseSpecFile('x', ['README.md'])).toMatchObject({ kind: 'missing', reason: expect.stringContaining('no .spec') });
    expect(chooseSpecFile('x', ['x.spec'], 'off')).toEqual({ kind: 'off' });
  });
});

describe('removePatches', () => {
  const packager = { name: 'patch-tracking', email: 'bot@example.org' };
  const now = new Date(Date.UTC(2026, 11, 7));

  it('takes out the Patch tags and every style of %patch line of the removed numbers, nothing else', () => {
    const spec = [
      'Name: x',
      'Version: 2.0',
      'Release: 3%{?dist}',
      'Patch0001: a.patch',
      'Patch0002: b.patch',
      'Patch3: c.patch',
      '',
      '%prep',
      '%setup -q',
      '%patch -P 1 -p1',
      '%patch2 -p1',
      '%if 0%{?x}',
      '%patch 3 -p1',
      '%endif',
      '',
      '%changelog',
      '* Mon Jan 05 2026 A <a@b.c> - 2.0-2',
      '- older',
      '',
    ].join('\r\n');
    const out = removePatches({ spec, remove: [{ number: 1, changelog: 'Remove a.patch: upstream in v2.0' }, { number: 3, changelog: 'Remove c.patch: 100% upstream' }], packager, now });
    expect(out.warnings).toEqual([]);
    expect(out.content.split('\r\n')).toEqual([
      'Name: x',
      'Version: 2.0',
      'Release: 4%{?dist}',
      'Patch0002: b.patch',
      '',
      '%prep',
      '%setup -q',
      '%patch2 -p1',
      '%if 0%{?x}',
      '%endif',
      '',
      '%changelog',
      '* Mon Dec 07 2026 patch-tracking <bot@example.org> - 2.0-4',
      '- Remove a.patch: upstream in v2.0',
      '- Remove c.patch: 100%% upstream',
      '',
      '* Mon Jan 05 2026 A <a@b.c> - 2.0-2',
      '- older',
      '',
    ]);
  });

  it('leaves a %patch line that applies a kept patch too, and says so; warns about unnumbered tags', () => {
    const spec = 'Name: x\nVersion: 1\nRelease: 1\nPatch: a.patch\nPatch: b.patch\n\n%prep\n%patch -P 0 -P 1 -p1\n';
    const out = removePatches({ spec, remove: [{ number: 0, changelog: 'Remove a.patch' }], packager, now });
    expect(out.content).not.toContain('Patch: a.patch');
    expect(out.content).toContain('%patch -P 0 -P 1 -p1');
    expect(out.warnings).toEqual([
      'Patch0 has no number in the spec; check that the Patch tags after it still apply the right files',
      '"%patch -P 0 -P 1 -p1" applies Patch0 with others; edit it by hand',
      'the spec had no %changelog section; one was added at the end',
    ]);
  });

  it('specVersion resolves plain macros and gives up on unknown ones', () => {
    expect(specVersion('%global upver 3.1\nName: x\nVersion: %{upver}\n')).toBe('3.1');
    expect(specVersion('Name: x\nVersion: %{from_elsewhere}\n')).toBeNull();
    expect(specVersion('Name: x\n')).toBeNull();
  });
});
