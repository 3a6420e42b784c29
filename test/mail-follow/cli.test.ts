/**
 * `patch-tracking mail follow` as an admin runs it: separate processes over one database, so a second run
 * is a restart that must continue where the first stopped.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { mailPatch } from '../../src/db/schema/index.js';
import { cliHarness } from '../mail-ingest/cli-harness.js';
import { patchMail } from '../mail-ingest/mails.js';

const missing = ['public-inbox-init', 'public-inbox-mda'].filter((p) => spawnSync('sh', ['-c', `command -v ${p}`]).status !== 0);

describe.skipIf(missing.length > 0)(`patch-tracking mail follow${missing.length ? ` (skipped: ${missing.join(', ')} not installed; apt-get install public-inbox)` : ''}`, () => {
  const cli = cliHarness('pi-follow-cli-');
  let inbox = '';
  let env: NodeJS.ProcessEnv = {};
  const deliver = (raw: Buffer): void => {
    execFileSync('public-inbox-mda', [], { env: { ...env, ORIGINAL_RECIPIENT: 'dev@lists.example.org' }, input: raw, stdio: ['pipe', 'pipe', 'pipe'] });
  };

  beforeAll(() => {
    inbox = join(cli.dir, 'inbox');
    env = { ...process.env, HOME: cli.dir, PI_CONFIG: join(cli.dir, 'pi-config') };
    execFileSync('public-inbox-init', ['-V2', 'dev', inbox, 'http://example.org/dev', 'dev@lists.example.org'], { env, stdio: 'pipe' });
    execFileSync('git', ['config', '-f', join(cli.dir, 'pi-config'), 'publicinboxmda.spamcheck', 'none'], { env });
  });

  it('adds the archive, backfills, skips mails older than --since, and a rerun stores only new mails', async () => {
    expect((await cli.run(['project', 'add', 'dev', '--list-id', 'dev.lists.example.org'])).code).toBe(0);
    // patchMail dates are 2026-11-21 10:MM: --since 10:05 keeps 5 and 6
    for (const n of [1, 2, 5, 6]) deliver(patchMail(n));

    const first = await cli.run(['mail', 'follow', `file://${inbox}`, '--project', 'dev', '--since', '2026-11-21T10:05:00Z']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('epoch 0: 4 messages read, 2 stored, 2 older than --since');

    deliver(patchMail(7));
    const again = await cli.run(['mail', 'follow', `file://${inbox}`, '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).epochs).toEqual([{ epoch: 0, read: 1, stored: 1, skipped: 0 }]);
    const names = await cli.inDatabase(async (db) => (await db.select({ name: mailPatch.name }).from(mailPatch)).map((r) => r.name).sort());
    expect(names).toEqual(['fix counter number 5', 'fix counter number 6', 'fix counter number 7']);
  });

  it('reports a rewritten epoch and exits 1, storing nothing from it', async () => {
    const epoch0 = join(inbox, 'git', '0.git');
    deliver(patchMail(8));
    // history rewritten as a purge does: the newest commits replaced by one with another tree
    const rewritten = execFileSync('git', ['-C', epoch0, 'commit-tree', '-p', 'HEAD~3', '-m', 'purged', 'HEAD~2^{tree}']).toString().trim();
    execFileSync('git', ['-C', epoch0, 'update-ref', 'refs/heads/master', rewritten]);
    const r = await cli.run(['mail', 'follow', `file://${inbox}`]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/epoch 0: 0 messages read, 0 stored\n\s+error: epoch 0 of file:\/\/.*was rewritten/);
    const count = await cli.inDatabase(async (db) => (await db.select({ name: mailPatch.name }).from(mailPatch)).length);
    expect(count).toBe(3);
  });

  it('names a bad --since and an unknown project', async () => {
    const bad = await cli.run(['mail', 'follow', `file://${inbox}`, '--since', 'yesterday-ish']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since "yesterday-ish" is not a date');
    const unknown = await cli.run(['mail', 'follow', `file://${inbox}`, '--project', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('--project "nope": no project has this link name or id');
  });
});
