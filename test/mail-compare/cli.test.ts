/** `patch-tracking mail compare SERIES [OTHER]` as an admin runs it: range-diff's layout, or JSON for scripts. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { asc } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailSeries } from '../../src/db/schema/mail.js';
import { formatComparison, wantsColor } from '../../src/mail/compare/format.js';
import { removeTempDirs } from '../helpers/git-repo.js';
import { cliHarness } from '../mail-ingest/cli-harness.js';
import { rangeDiffRows, twoVersions, type TwoVersions } from './series.js';

const cli = cliHarness('pt-compare-cli-');
let versions: TwoVersions;
let v1: number;
let v2: number;

beforeAll(async () => {
  versions = twoVersions();
  const add = await cli.run(['project', 'add', 'demo', '--list-id', 'demo.example.org', '--scm-url', versions.upstream.url]);
  expect(add.code, add.stderr).toBe(0);
  const mbox = join(cli.dir, 'both.mbox');
  writeFileSync(mbox, Buffer.concat(versions.mails('demo.example.org').map((m) => m.raw)));
  const imported = await cli.run(['parsearchive', '--list-id', 'demo.example.org', mbox]);
  expect(imported.code, imported.stderr).toBe(0);
  const ids = (await cli.inDatabase((db) => db.select({ id: mailSeries.id }).from(mailSeries).orderBy(asc(mailSeries.id)))).map((s) => s.id);
  expect(ids).toHaveLength(2);
  [v1, v2] = [ids[0]!, ids[1]!];
}, 180_000);
afterAll(() => removeTempDirs());

// real processes on a busy machine
describe('patch-tracking mail compare', { timeout: 120_000 }, () => {
  it('prints the pairs as range-diff does, without colour when stdout is not a terminal', async () => {
    const r = await cli.run(['mail', 'compare', String(v2)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('\x1b[');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^series ${v2} \\(v2.*against series ${v1} \\(v1.*git range-diff`));
    const marks = lines.map((l) => /^ *(?:-|\d+): +\S+ ([<>=!]) /.exec(l)?.[1]).filter(Boolean);
    expect(marks).toEqual(rangeDiffRows(versions.rangeDiff).map((row) => row.mark));
    expect(r.stdout).toContain('    +    d is needed by the parser and the lexer.');
    expect(r.stdout).toMatch(/docs: add notes \(moved\)|lib: add d \(moved\)/);
  });

  it('--json answers what the API answers, and OTHER names the series to compare with', async () => {
    const r = await cli.run(['mail', 'compare', String(v1), String(v2), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const body = JSON.parse(r.stdout);
    expect(body).toMatchObject({ method: 'git-range-diff', series: { id: v1 }, with: { id: v2 } });
    expect(body.added).toHaveLength(1);
    expect(body.dropped).toHaveLength(1);
  });

  it('names the argument at fault, and says when there is nothing to compare with', async () => {
    const bad = await cli.run(['mail', 'compare', 'abc']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('patch-tracking: series: "abc" is not a series id (a positive whole number)\n');
    const none = await cli.run(['mail', 'compare', String(v1)]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/revises no stored series/);
  });
});

describe('colour', () => {
  it('only on a terminal, and never with NO_COLOR set', () => {
    expect(wantsColor(true, {})).toBe(true);
    expect(wantsColor(true, { NO_COLOR: '' })).toBe(false);
    expect(wantsColor(false, {})).toBe(false);
    expect(wantsColor(undefined, {})).toBe(false);
  });

  it('paints added, dropped and changed lines as range-diff does', () => {
    const text = formatComparison(
      {
        method: 'diff-compare',
        reason: 'no upstream',
        series: { id: 2, name: 'x', version: 2 },
        with: { id: 1, name: 'x', version: 1 },
        patches: [
          { status: 'changed', older: { id: 1, position: 1, name: 'a' }, newer: { id: 3, position: 1, name: 'a' }, reordered: false, interdiff: '@@ Commit message\n-old\n+new\n' },
          { status: 'added', older: null, newer: { id: 4, position: 2, name: 'b' }, reordered: false, interdiff: null },
        ],
        added: [4],
        dropped: [],
        reordered: [],
      },
      { color: true },
    );
    expect(text).toContain('\x1b[33m1: #1 ! 1: #3 a\x1b[m');
    expect(text).toContain('    \x1b[31m-old\x1b[m');
    expect(text).toContain('    \x1b[32m+new\x1b[m');
    expect(text).toContain('\x1b[32m-: ------ > 2: #4 b\x1b[m');
  });
});
