/**
 * One bad mail never poisons a batch: mails the database used to refuse (a NUL from an encoded word, an
 * 800 kB Subject, a 500 kB Message-Id) are stored with Patchwork's cuts, and a mail the database still
 * refuses is kept in mail_dropped with a short reason while the rest of its batch is stored.
 */
import { count, eq, inArray } from 'drizzle-orm';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/client.js';
import { mailCover, mailDropped, mailMessage, mailPatch, mailPerson } from '../../src/db/schema/mail.js';
import { MailStore } from '../../src/mail/store/mail-store.js';
import { patchMail } from '../mail-ingest/mails.js';
import { mailStoreContext } from './context.js';

const ctx = mailStoreContext();
let handle: DatabaseHandle;
let store: MailStore;
beforeAll(() => ({ handle, store } = ctx));
const newProject = ctx.newProject;

function mail(listId: string, headers: string[], body = 'Some words about the series.'): Buffer {
  return Buffer.from(['From: Ada Lovelace <ada@example.org>', 'Date: Sat, 21 Nov 2026 10:00:00 +0000', `List-Id: <${listId}>`, ...headers, '', body, ''].join('\n'));
}

describe('a batch with hostile mails', () => {
  it('stores all 28 mails: a NUL in an encoded Subject, an 800 kB Subject and a 500 kB Message-Id are cut as Patchwork cuts them', async () => {
    const p = await newProject();
    const nulCover = mail(p.listId, ['Subject: =?utf-8?q?[PATCH_0/2]_a=00b?=', 'Message-Id: <nul-cover@example.org>']);
    const longSubject = patchMail(100, { listId: p.listId, subject: `[PATCH] ${'long '.repeat(160_000)}`, msgid: '<long-subject@example.org>' });
    const longMsgid = `<${'m'.repeat(500_000)}@example.org>`;
    const longId = patchMail(101, { listId: p.listId, msgid: longMsgid });
    const good = Array.from({ length: 25 }, (_, i) => patchMail(i + 1, { listId: p.listId, msgid: `<good-${i}@example.org>` }));
    const batch = [...good.slice(0, 10), nulCover, ...good.slice(10, 20), longSubject, longId, ...good.slice(20)];
    expect(batch).toHaveLength(28);

    const out = await store.storeBatch(batch.map((raw) => ({ raw })));
    expect(out.map((o) => o.status)).toEqual([...Array(10).fill('patch'), 'cover', ...Array(10).fill('patch'), 'patch', 'patch', ...Array(5).fill('patch')]);

    const [cover] = await handle.db.select().from(mailCover).where(eq(mailCover.msgid, '<nul-cover@example.org>'));
    expect(cover!.name).toBe('[0/2] ab');
    const [long] = await handle.db.select().from(mailPatch).where(eq(mailPatch.msgid, '<long-subject@example.org>'));
    expect(long!.name).toHaveLength(255);
    expect(long!.name.startsWith('long long ')).toBe(true);
    const cutId = longMsgid.slice(0, 255);
    const [byId] = await handle.db.select().from(mailPatch).where(eq(mailPatch.msgid, cutId));
    expect(byId).toBeDefined();
    // the raw bytes keep everything that was cut
    const [message] = await handle.db.select().from(mailMessage).where(eq(mailMessage.msgid, cutId));
    expect(message!.raw.equals(longId)).toBe(true);
    const [{ n }] = (await handle.db.select({ n: count() }).from(mailPatch).where(eq(mailPatch.projectId, p.id))) as [{ n: number }];
    expect(n).toBe(27);
  });

  it('a mail the database refuses is kept as dropped with a short reason; the rest of the batch is stored', async () => {
    const p = await newProject();
    // stands for any refusal the parser cannot foresee (a constraint, a trigger, an encoding the server rejects)
    await handle.db.execute(sql.raw(`create or replace function refuse_poison() returns trigger language plpgsql as $$
      begin if new.msgid like '<poison-%' then raise exception 'refused by the test trigger'; end if; return new; end $$`));
    await handle.db.execute(sql.raw(`create trigger refuse_poison before insert on patch for each row execute function refuse_poison()`));
    try {
      const newcomer = (n: number) => patchMail(n, { listId: p.listId, msgid: `<fresh-${n}@example.org>` }).toString().replace(/ada@example\.org/g, `ada${n}@example.org`);
      const batch = [
        Buffer.from(newcomer(1)),
        patchMail(2, { listId: p.listId, msgid: '<poison-2@example.org>' }),
        Buffer.from(newcomer(3)),
      ];
      const out = await store.storeBatch(batch.map((raw) => ({ raw })));
      expect(out.map((o) => o.status)).toEqual(['patch', 'dropped', 'patch']);
      const dropped = out[1] as { reason: string; msgid: string };
      expect(dropped).toMatchObject({ msgid: '<poison-2@example.org>', reason: 'not stored: refused by the test trigger' });
      const rows = await handle.db.select().from(mailDropped).where(eq(mailDropped.msgid, '<poison-2@example.org>'));
      expect(rows).toHaveLength(1);
      expect(rows[0]!.raw.equals(batch[1]!)).toBe(true);
      // people created by the rolled-back attempt are not remembered: the retried mails point at real rows
      const people = await handle.db.select().from(mailPerson).where(inArray(mailPerson.email, ['ada1@example.org', 'ada3@example.org']));
      expect(people).toHaveLength(2);
      const patches = await handle.db.select().from(mailPatch).where(inArray(mailPatch.msgid, ['<fresh-1@example.org>', '<fresh-3@example.org>']));
      expect(patches.map((r) => r.submitterId).sort()).toEqual(people.map((r) => r.id).sort());
    } finally {
      await handle.db.execute(sql.raw('drop trigger refuse_poison on patch'));
    }
  });

  it('keeps the drop reason short when a header value it quotes is huge', async () => {
    const listId = `${'l'.repeat(300_000)}.example.org`;
    const out = await store.storeBatch([{ raw: patchMail(7, { listId, msgid: '<huge-list@example.org>' }) }]);
    expect(out[0]!.status).toBe('dropped');
    const reason = (out[0] as { reason: string }).reason;
    expect(reason.length).toBeLessThanOrEqual(200);
    expect(reason.startsWith('no project for list-id lll')).toBe(true);
    const rows = await handle.db.select().from(mailDropped).where(eq(mailDropped.msgid, '<huge-list@example.org>'));
    expect(rows).toHaveLength(1);
  });
});
