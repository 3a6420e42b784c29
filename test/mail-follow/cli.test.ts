/**
 * `patch-tracking mail follow` as an admin runs it: separate processes over one database, so a second run
 * is a restart that must continue where the first stopped.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { asc, eq } from 'drizzle-orm';
import { mailEvent, mailPatch, mailProject } from '../../src/db/schema/index.js';
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

  it('accepts a rewrite made by public-inbox-purge: at the new head, or re-reading the rewritten part with --reingest', async () => {
    const dir = join(cli.dir, 'purged');
    execFileSync('public-inbox-init', ['-V2', 'purged', dir, 'http://example.org/purged', 'purged@lists.example.org'], { env, stdio: 'pipe' });
    expect((await cli.run(['project', 'add', 'purged', '--list-id', 'purged.lists.example.org'])).code).toBe(0);
    const mail = (n: number) => patchMail(n, { listId: 'purged.lists.example.org', headers: ['Cc: purged@lists.example.org'] });
    const put = (n: number) => execFileSync('public-inbox-mda', [], { env: { ...env, ORIGINAL_RECIPIENT: 'purged@lists.example.org' }, input: mail(n), stdio: ['pipe', 'pipe', 'pipe'] });
    const purge = (n: number) => execFileSync('public-inbox-purge', [dir], { env, input: mail(n), stdio: ['pipe', 'pipe', 'pipe'] });
    const url = `file://${dir}`;
    const follow = (...extra: string[]) => cli.run(['mail', 'follow', url, '--project', 'purged', ...extra]);
    const names = () =>
      cli.inDatabase(async (db) => (await db.select({ name: mailPatch.name }).from(mailPatch).innerJoin(mailProject, eq(mailProject.id, mailPatch.projectId)).where(eq(mailProject.linkName, 'purged'))).map((r) => r.name).sort());

    for (const n of [31, 32, 33]) put(n);
    expect((await follow()).stdout).toContain('epoch 0: 3 messages read, 3 stored');

    // public-inbox-purge rewrites the epoch from the purged message on; 34 arrives after it
    purge(32);
    put(34);
    const reported = await follow();
    expect(reported.code).toBe(1);
    expect(reported.stdout).toContain('Nothing more is read from this epoch until the rewrite is accepted (patch-tracking mail follow URL --accept-rewrite 0)');

    const lonely = await follow('--reingest');
    expect(lonely.code).toBe(2);
    expect(lonely.stderr).toContain('--reingest goes with --accept-rewrite EPOCH');
    const wrong = await follow('--accept-rewrite', '3');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('--accept-rewrite 3: epoch 3 of file://');

    // accepted at the new head: the rewritten part (33 again, and 34) is not read
    const accepted = await follow('--accept-rewrite', '0');
    expect(accepted.stderr).toBe('');
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toMatch(/^epoch 0: rewrite accepted; the cursor is now the new head [0-9a-f]{12} \(2 messages in the rewritten part not read: --reingest reads them\)\n/);
    expect(accepted.stdout).toContain('epoch 0: 0 messages read, 0 stored');
    expect(await names()).toEqual(['fix counter number 31', 'fix counter number 32', 'fix counter number 33']);
    put(35);
    expect((await follow()).stdout).toContain('epoch 0: 1 messages read, 1 stored');

    // rewritten again (34 purged, 36 after it); accepted with --reingest: 35 read again but kept once, 36 stored
    purge(34);
    put(36);
    expect((await follow()).code).toBe(1);
    const reingested = await follow('--accept-rewrite', '0', '--reingest', '--json');
    expect(reingested.code).toBe(0);
    const json = JSON.parse(reingested.stdout);
    expect(json.accepted).toMatchObject({ epoch: 0, reingest: true, rewritten: 2 });
    expect(json.epochs).toEqual([{ epoch: 0, read: 2, stored: 1, skipped: 0 }]);
    expect(await names()).toEqual(['fix counter number 31', 'fix counter number 32', 'fix counter number 33', 'fix counter number 35', 'fix counter number 36']);
    const events = await cli.inDatabase(async (db) => db.select().from(mailEvent).where(eq(mailEvent.category, 'archive-rewrite-accepted')).orderBy(asc(mailEvent.id)));
    expect(events.map((e) => e.payload.reingest)).toEqual([false, true]);

    // and it follows on as before
    expect((await follow()).stdout).toContain('epoch 0: 0 messages read, 0 stored');
    // thirteen runs of the command, each a cold start: more than the default minute on a busy machine
  }, 180_000);

  it('names a bad --since, an unknown project and an epoch URL given for the inbox', async () => {
    const bad = await cli.run(['mail', 'follow', `file://${inbox}`, '--since', 'yesterday-ish']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since "yesterday-ish" is not a date');
    const unknown = await cli.run(['mail', 'follow', `file://${inbox}`, '--project', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('--project "nope": no project has this link name or id');
    // an epoch's clone URL, as lore lists them, is not the inbox
    const epoch = await cli.run(['mail', 'follow', 'https://lore.kernel.org/netdev/1', '--project', 'dev']);
    expect(epoch.code).toBe(1);
    expect(epoch.stderr).toContain('https://lore.kernel.org/netdev/1 is epoch 1 of the v2 inbox https://lore.kernel.org/netdev: follow the inbox URL, its epochs come with it');
  });
});
