import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDirs } from '../helpers/git-repo.js';
import { listYamlFiles, loadTrackingFiles, parseTrackingYaml } from '../../cli/client/tracking-files.js';

const item = (repo: string, extra = '') =>
  `version_control: github\nscm_repo: BJMX/testPatch01\nscm_branch: test\nrepo: ${repo}\nbranch: master\nenabled: true\n${extra}`;

afterAll(() => removeTempDirs());

describe('tracking YAML files', () => {
  it('reads the old one-mapping format, several documents and lists of mappings', () => {
    const text = `# comment\n${item('o/one')}---\n${item('o/two')}---\n- ${item('o/three').replace(/\n(?=.)/g, '\n  ')}- ${item('o/four').replace(/\n(?=.)/g, '\n  ')}---\n`;
    const { items, problems } = parseTrackingYaml(text, 'a.yaml');
    expect(problems).toEqual([]);
    expect(items.map((i) => [i.input.repo, i.location])).toEqual([
      ['o/one', 'a.yaml:2'],
      ['o/two', 'a.yaml:9'],
      ['o/three', 'a.yaml:16'],
      ['o/four', 'a.yaml:22'],
    ]);
    expect(items[0]!.input).toEqual({ version_control: 'github', scm_repo: 'BJMX/testPatch01', scm_branch: 'test', repo: 'o/one', branch: 'master', enabled: true });
  });

  it('converts quoted and PyYAML-style booleans for enabled, and keeps digit-only values as written', () => {
    const text = [
      'version_control: github',
      'scm_repo: o/r',
      'scm_branch: 1.10',
      'scm_commit: 0123456',
      'repo: t/r',
      'branch: 8.0',
      'enabled: "False"',
      '---',
      item('t/yes').replace('enabled: true', 'enabled: yes'),
    ].join('\n');
    const { items, problems } = parseTrackingYaml(text, 'b.yaml');
    expect(problems).toEqual([]);
    expect(items[0]!.input).toMatchObject({ scm_branch: '1.10', scm_commit: '0123456', branch: '8.0', enabled: false });
    expect(items[0]!.hasCommit).toBe(true);
    expect(items[1]!.input.enabled).toBe(true);
    expect(items[1]!.hasCommit).toBe(false);
  });

  it('reads an empty or null scm_commit as null (start from the current head)', () => {
    const { items } = parseTrackingYaml(`${item('o/a', 'scm_commit:\n')}---\n${item('o/b', 'scm_commit: null\n')}`, 'c.yaml');
    expect(items.map((i) => i.input.scm_commit)).toEqual([null, null]);
  });

  it('names the file and the line of each bad field, unknown key and syntax error', () => {
    const text = [
      'version_control: svn', // 1
      'scm_repo: o/r',
      'scm_branch: main',
      'repo: not a repo', // 4
      'branch: master',
      'enabled: maybe', // 6
      'colour: red', // 7
    ].join('\n');
    const { items, problems } = parseTrackingYaml(text, 'dir/bad.yaml');
    expect(items).toEqual([]);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^dir\/bad\.yaml:1: version_control: /),
        expect.stringMatching(/^dir\/bad\.yaml:4: repo: expected owner\/name/),
        expect.stringMatching(/^dir\/bad\.yaml:6: enabled: expected boolean/),
        'dir/bad.yaml:7: unknown field: colour',
      ]),
    );
    expect(parseTrackingYaml('a: 1\nb: [1,\n  c: 2\nd: }\n', 'syntax.yaml').problems[0]).toMatch(/^syntax\.yaml:\d+: YAML: /);
    expect(parseTrackingYaml('repo: a/b\nrepo: c/d\n', 'dup.yaml').problems[0]).toMatch(/^dup\.yaml:2: YAML: Map keys must be unique/);
  });

  it('points a missing field at the start of its item, and rejects non-mappings', () => {
    const text = `${item('o/ok')}---\n\nversion_control: github\nrepo: o/r\n---\n- just a string\n`;
    const { problems } = parseTrackingYaml(text, 'm.yaml');
    expect(problems).toContain('m.yaml:9: scm_repo: is required');
    expect(problems).toContain('m.yaml:12: expected a mapping of tracking fields (version_control, scm_repo, scm_branch, repo, branch, enabled)');
  });

  it('lists *.yaml and *.yml of a folder in natural order and reports a (repo, branch) defined twice', () => {
    const dir = makeTempDir('pt-yaml-');
    writeFileSync(path.join(dir, 'item10.yaml'), item('o/x'));
    writeFileSync(path.join(dir, 'item2.yml'), item('o/y'));
    writeFileSync(path.join(dir, 'notes.txt'), 'not yaml');
    writeFileSync(path.join(dir, 'item3.yaml'), item('o/x'));
    const files = listYamlFiles(dir);
    expect(files.map((f) => path.basename(f))).toEqual(['item2.yml', 'item3.yaml', 'item10.yaml']);
    const { problems } = loadTrackingFiles(files);
    expect(problems).toEqual([`${path.join(dir, 'item10.yaml')}:1: repo o/x branch master is defined already at ${path.join(dir, 'item3.yaml')}:1`]);
  });
});
