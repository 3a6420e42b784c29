/**
 * `patch-tracking project add/update` naming the upstream, and `patch-tracking mail match --since` as an
 * admin runs them over history: real processes, a real upstream, mails imported with parsearchive.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { asc } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailPatch, mailProject } from '../../src/db/schema/mail.js';
import { removeTempDirs } from '../helpers/git-repo.js';
import { cliHarness } from '../mail-ingest/cli-harness.js';
import { applyWithAm, postSeries, type Posted } from './upstream.js';

const cli = cliHarness('pt-landed-cli-');
let posted: Posted;

beforeAll(async () => {
  posted = postSeries();
  const add = await cli.run(['project', 'add', 'demo', '--list-id', 'demo.example.org', '--scm-url', posted.upstream.url, '--scm-branch', 'main']);
  expect(add.code, add.stderr).toBe(0);
  const mbox = join(cli.dir, 'list.mbox');
  writeFileSync(mbox, Buffer.concat(posted.mails('demo.example.org').map((m) => m.raw)));
  const imported = await cli.run(['parsearchive', '--list-id', 'demo.example.org', mbox]);
  expect(imported.code, imported.stderr).toBe(0);
}, 180_000);
afterAll(() => removeTempDirs());

describe('patch-tracking mail match', { timeout: 120_000 }, () => {
  it('project update sets the landed state and branches, refusing a state the project lacks', async () => {
    const bad = await cli.run(['project', 'update', 'demo', '--landed-state', 'merged']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/landed state "merged" is not a state of the project/);
    const ok = await cli.run(['project', 'update', 'demo', '--landed-state', 'awaiting-upstream']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toBe(`project demo: patches found in branch main of ${posted.upstream.url} become awaiting-upstream\n`);
    const back = await cli.run(['project', 'update', 'demo', '--landed-state', 'accepted', '--default-branch']);
    expect(back.stdout).toContain('patches found in the default branch of');
    const [row] = await cli.inDatabase((db) => db.select().from(mailProject));
    expect(row).toMatchObject({ scmBranches: [], landedState: 'accepted' });
  });

  it('backfills: commits of the history since DATE are matched, with one line per landed patch', async () => {
    const commits = applyWithAm(posted.upstream, [...posted.files.series.filter((f) => !f.endsWith('cover-letter.patch')), posted.files.typo]);
    // the upstream's commits are dated January 2026, older than the first look of a scan cycle
    const r = await cli.run(['mail', 'match', '--since', '2025-12-01', '--project', 'demo']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^demo: \d+ upstream commits read, \d+ new; 0 patch-ids computed; 3 patches landed, series .* complete$/);
    for (const sha of commits) expect(r.stdout).toContain(`-> ${sha.slice(0, 12)} (patch-id): git patch-id`);
    const rows = await cli.inDatabase((db) => db.select().from(mailPatch).orderBy(asc(mailPatch.id)));
    expect(rows.map((p) => [p.state, p.commitRef])).toEqual([
      ['accepted', commits[0]],
      ['accepted', commits[1]],
      ['accepted', commits[2]],
      ['new', null],
    ]);
    const again = await cli.run(['mail', 'match', '--since', '2025-12-01', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject([{ project: 'demo', sync: { recorded: 0 }, match: { landed: [] } }]);
  });

  it('names the bad option or project', async () => {
    const date = await cli.run(['mail', 'match', '--since', 'last tuesday']);
    expect(date.code).toBe(1);
    expect(date.stderr).toBe('patch-tracking: --since: "last tuesday" is not a date (YYYY-MM-DD or an ISO 8601 date and time)\n');
    const project = await cli.run(['mail', 'match', '--since', '2025-12-01', '--project', 'nope']);
    expect(project.code).toBe(1);
    expect(project.stderr).toBe('patch-tracking: no project "nope"\n');
  });
});
