/**
 * parsearchive and parsemail facing mails the database used to refuse: every mail is stored or kept as
 * dropped, stderr stays short, and the exit code says "try later" (75) only for an unreachable database.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { count, eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { mailDropped, mailPatch } from '../../src/db/schema/mail.js';
import { createProject } from '../../src/mail/store/projects.js';
import { cliHarness } from './cli-harness.js';
import { LIST_ID, patchMail } from './mails.js';

const cli = cliHarness('pt-mail-poison-');
const { run, inDatabase } = cli;

beforeAll(async () => {
  await inDatabase((db) => createProject(db, { linkName: 'dev', listId: LIST_ID }));
});

const envelope = 'From ada@example.org Sat Nov 21 10:00:00 2026\n';
// each test starts real processes, which take long on a busy machine
const SLOW = { timeout: 120_000 };

describe('parsearchive and parsemail with mails the database used to refuse', () => {
  it('parsearchive stores all 28 mails of a batch holding a NUL subject, an 800 kB Subject and a 500 kB Message-Id', SLOW, async () => {
    const mails = Array.from({ length: 25 }, (_, i) => patchMail(i + 1, { msgid: `<arch-${i}@example.org>` }));
    mails.splice(5, 0, patchMail(90, { subject: '=?utf-8?q?[PATCH_0/2]_a=00b?=', msgid: '<arch-nul@example.org>' }));
    mails.splice(12, 0, patchMail(91, { subject: `[PATCH] ${'long '.repeat(160_000)}`, msgid: '<arch-long@example.org>' }));
    mails.splice(20, 0, patchMail(92, { msgid: `<${'m'.repeat(500_000)}@example.org>` }));
    const mbox = join(cli.dir, 'hostile.mbox');
    writeFileSync(mbox, Buffer.concat(mails.flatMap((m) => [Buffer.from(envelope), Buffer.from(m.toString('latin1').replace(/\r\n/g, '\n'), 'latin1'), Buffer.from('\n')])));

    const r = await run(['parsearchive', mbox]);
    expect(r.code, r.stderr.slice(0, 500)).toBe(0);
    expect(r.stderr.length).toBeLessThan(2000);
    expect(r.stdout).toContain('Processed 28 messages --> 28 patches, 0 covers, 0 comments, 0 duplicates, 0 dropped');
    const stored = await inDatabase(async (db) => (await db.select({ n: count() }).from(mailPatch))[0]!.n);
    expect(stored).toBe(28);
  });

  it('parsemail keeps a mail the database refuses as dropped and exits 0, with one short line on stderr', SLOW, async () => {
    await inDatabase(async (db) => {
      await db.execute(sql.raw(`create or replace function refuse_poison() returns trigger language plpgsql as $$
        begin if new.msgid like '<poison-%' then raise exception 'refused by the test trigger'; end if; return new; end $$`));
      await db.execute(sql.raw('create trigger refuse_poison before insert on patch for each row execute function refuse_poison()'));
    });
    const raw = patchMail(93, { msgid: '<poison-93@example.org>' });
    const r = await run(['parsemail'], raw);
    expect(r.code, r.stderr.slice(0, 500)).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'dropped', reason: 'not stored: refused by the test trigger' });
    expect(r.stderr).toBe('patch-tracking: mail dropped: not stored: refused by the test trigger\n');
    const rows = await inDatabase((db) => db.select().from(mailDropped).where(eq(mailDropped.msgid, '<poison-93@example.org>')));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.raw.equals(raw)).toBe(true);
  });
});
