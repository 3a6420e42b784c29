import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { and, asc, count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/client.js';
import {
  mailComment,
  mailDropped,
  mailEvent,
  mailMessage,
  mailPatch,
  mailPerson,
  mailSeries,
  mailSeriesDependency,
  mailTag,
} from '../../src/db/schema/mail.js';
import { MailStore } from '../../src/mail/store/mail-store.js';
import { updatePatch } from '../../src/mail/store/patch-updates.js';
import { addDelegationRule, addProjectDelegate, createProject } from '../../src/mail/store/projects.js';
import { CORPUS, corpusMessages } from '../mail/corpus.js';
import { createTestDatabase } from '../helpers/db.js';
import { patchMail, replyMail } from '../mail-ingest/mails.js';

let handle: DatabaseHandle;
let store: MailStore;
let seq = 0;

beforeAll(async () => {
  handle = await createTestDatabase();
  store = new MailStore(handle.db, { projectRefreshMs: 0 });
});
afterAll(async () => {
  await handle?.close();
});

async function newProject(extra: Partial<Parameters<typeof createProject>[1]> = {}) {
  seq++;
  const p = await createProject(handle.db, { linkName: `proj${seq}`, listId: `list${seq}.example.org`, ...extra });
  store.invalidateProjects();
  return p;
}

describe('hint headers and autodelegation', () => {
  it('X-Patchwork-State and X-Patchwork-Delegate apply when valid and are ignored otherwise', async () => {
    const p = await newProject();
    const maintainer = await addProjectDelegate(handle.db, p.id, 'Maint@Example.org');
    store.invalidateProjects();
    const out = await store.storeBatch([
      { raw: patchMail(1, { listId: p.listId, headers: ['X-Patchwork-State: RFC', 'X-Patchwork-Delegate: maint@example.org'] }) },
      { raw: patchMail(2, { listId: p.listId, headers: ['X-Patchwork-State: Awaiting Upstream'] }) },
      { raw: patchMail(3, { listId: p.listId, headers: ['X-Patchwork-State: bogus', 'X-Patchwork-Delegate: stranger@example.org'] }) },
    ]);
    const rows = await handle.db.select().from(mailPatch).where(eq(mailPatch.projectId, p.id)).orderBy(asc(mailPatch.id));
    expect(out.map((o) => o.status)).toEqual(['patch', 'patch', 'patch']);
    expect(rows.map((r) => [r.state, r.delegateId])).toEqual([
      ['rfc', maintainer],
      ['awaiting-upstream', null],
      ['new', null],
    ]);
  });

  it('X-Patchwork-Ignore drops the mail with its reason and bytes', async () => {
    const p = await newProject();
    const raw = patchMail(4, { listId: p.listId, headers: ['X-Patchwork-Ignore: test'] });
    const [o] = await store.storeBatch([{ raw }]);
    expect(o).toEqual({ status: 'dropped', msgid: '<patch-4@example.org>', projectId: p.id, reason: 'ignored by X-Patchwork-Ignore' });
    const [row] = await handle.db.select().from(mailDropped).where(eq(mailDropped.msgid, '<patch-4@example.org>'));
    expect(row!.raw.equals(raw)).toBe(true);
  });

  it('autodelegates by the highest-priority matching rule when every file maps to the same person', async () => {
    const p = await newProject();
    await addDelegationRule(handle.db, p.id, { path: 'src/counter1.c', email: 'low@example.org', priority: 1 });
    await addDelegationRule(handle.db, p.id, { path: '?/src/counter*', email: 'high@example.org', priority: 5 });
    await addDelegationRule(handle.db, p.id, { path: 'docs/*', email: 'docs@example.org' });
    store.invalidateProjects();
    await store.storeBatch([{ raw: patchMail(1, { listId: p.listId }) }]);
    const [row] = await handle.db
      .select({ email: mailPerson.email })
      .from(mailPatch)
      .innerJoin(mailPerson, eq(mailPerson.id, mailPatch.delegateId))
      .where(eq(mailPatch.projectId, p.id));
    expect(row!.email).toBe('high@example.org');
  });
});

describe('projects', () => {
  it('picks the project by List-Id and subject filter; no project means dropped with the list id', async () => {
    const plain = await newProject({ listId: 'shared.example.org' });
    const net = await newProject({ listId: 'shared.example.org', subjectMatch: '\\[PATCH net' });
    const out = await store.storeBatch([
      { raw: patchMail(10, { listId: 'shared.example.org', subject: '[PATCH net] fix the socket' }) },
      { raw: patchMail(11, { listId: 'shared.example.org' }) },
      { raw: patchMail(12, { listId: 'nobody.example.org' }) },
      { raw: patchMail(13, { listId: '' }) },
      // --list-id overrides the mail's own List-Id
      { raw: patchMail(14, { listId: 'nobody.example.org', subject: '[PATCH net] fix the stack' }), listId: 'shared.example.org' },
    ]);
    expect(out.map((o) => [o.status, o.projectId])).toEqual([
      ['patch', net.id],
      ['patch', plain.id],
      ['dropped', null],
      ['dropped', null],
      ['patch', net.id],
    ]);
    expect(out.slice(2, 4).map((o) => (o.status === 'dropped' ? o.reason : ''))).toEqual(['no project for list-id nobody.example.org', 'no List-Id header (and no --list-id)']);
    await expect(createProject(handle.db, { linkName: 'other', listId: 'shared.example.org' })).rejects.toThrow(/already takes list id shared\.example\.org/);
    await expect(createProject(handle.db, { linkName: 'bad name', listId: 'x.example.org' })).rejects.toThrow(/link name "bad name"/);
    await expect(createProject(handle.db, { linkName: 'badre', listId: 'x.example.org', subjectMatch: '[' })).rejects.toThrow(/subject match is not a regular expression/);
  });
});

describe('comments, tags, events and maintainer changes', () => {
  it('a reply in the same batch as its patch is a comment; its trailers count on the patch', async () => {
    const p = await newProject();
    const out = await store.storeBatch([
      { raw: patchMail(20, { listId: p.listId }) },
      { raw: replyMail(20, '<patch-20@example.org>', 'Reviewed-by: Grace Hopper <grace@example.org>\nAcked-by: Linus <l@example.org>', p.listId) },
      { raw: replyMail(99, '<never-seen@example.org>', 'Acked-by: X <x@example.org>', p.listId) },
    ]);
    expect(out.map((o) => o.status)).toEqual(['patch', 'comment', 'dropped']);
    expect(out[2]).toMatchObject({ reason: 'reply to an unknown message' });
    const [patch] = await handle.db.select().from(mailPatch).where(eq(mailPatch.projectId, p.id));
    expect([patch!.reviewedCount, patch!.ackedCount]).toEqual([1, 1]);
    const tags = await handle.db.select({ name: mailTag.name, value: mailTag.value, commentId: mailTag.commentId }).from(mailTag).where(eq(mailTag.patchId, patch!.id));
    expect(tags.map((t) => `${t.name}: ${t.value}${t.commentId ? ' (reply)' : ''}`).sort()).toEqual([
      'Acked-by: Linus <l@example.org> (reply)',
      'Reviewed-by: Grace Hopper <grace@example.org> (reply)',
      'Signed-off-by: Ada Lovelace <ada@example.org>',
    ]);
    // a later reply, in a batch of its own, adds to the stored counts
    await store.storeBatch([{ raw: Buffer.from(replyMail(20, '<patch-20@example.org>', 'Tested-by: T <t@example.org>', p.listId).toString().replace('<reply-20@', '<reply-20b@')) }]);
    const [after] = await handle.db.select().from(mailPatch).where(eq(mailPatch.id, patch!.id));
    expect([after!.reviewedCount, after!.ackedCount, after!.testedCount]).toEqual([1, 1, 1]);
    const [comments] = await handle.db.select({ n: count() }).from(mailComment).where(eq(mailComment.patchId, patch!.id));
    expect(Number(comments!.n)).toBe(2);
  });

  it('emits patch-created, cover-created, series-created and series-completed; state and delegate changes emit their events', async () => {
    const p = await newProject();
    const maint = await addProjectDelegate(handle.db, p.id, 'maint@example.org');
    const raws = await corpusMessages('series/base-cover-letter.mbox');
    await store.storeBatch(raws.slice(0, 2).map((raw) => ({ raw, listId: p.listId })));
    await store.storeBatch(raws.slice(2).map((raw) => ({ raw, listId: p.listId })));
    const events = await handle.db.select().from(mailEvent).where(eq(mailEvent.projectId, p.id)).orderBy(asc(mailEvent.id));
    expect(events.map((e) => e.category)).toEqual(['series-created', 'cover-created', 'patch-created', 'patch-created', 'series-completed']);
    const [series] = await handle.db.select().from(mailSeries).where(eq(mailSeries.projectId, p.id));
    expect(series).toMatchObject({ name: 'A sample series', total: 2, receivedTotal: 2, receivedAll: true });
    expect(events.every((e) => e.seriesId === series!.id)).toBe(true);

    const patchId = events[2]!.patchId!;
    const updated = await updatePatch(handle.db, patchId, { state: 'Under Review', delegate: 'maint@example.org', archived: true }, 'admin');
    expect(updated).toMatchObject({ state: 'under-review', delegateId: maint, archived: true });
    const changes = await handle.db.select().from(mailEvent).where(and(eq(mailEvent.patchId, patchId), eq(mailEvent.actor, 'admin'))).orderBy(asc(mailEvent.id));
    expect(changes.map((e) => [e.category, e.payload])).toEqual([
      ['patch-state-changed', { previous: 'new', current: 'under-review' }],
      ['patch-delegated', { previous: null, current: maint }],
    ]);
    await expect(updatePatch(handle.db, patchId, { state: 'merged-upstream' })).rejects.toThrow(/"merged-upstream" is not a state of this project/);
    await expect(updatePatch(handle.db, patchId, { delegate: 'who@example.org' })).rejects.toThrow(/who@example\.org is not a delegate of this project/);
  });
});

describe('versions and dependencies', () => {
  it('links v2 of a series to v1, and records Depends-on as a series dependency', async () => {
    const p = await newProject();
    await store.storeBatch((await corpusMessages('series/revision-basic.mbox')).map((raw) => ({ raw, listId: p.listId })));
    const series = await handle.db.select().from(mailSeries).where(eq(mailSeries.projectId, p.id)).orderBy(asc(mailSeries.date));
    expect(series.map((s) => s.version)).toEqual([1, 2]);
    expect(series[1]!.previousVersionId).toBe(series[0]!.id);
    expect(series[1]!.previousVersionReason).toBe('subject');

    const d = await newProject();
    await store.storeBatch((await corpusMessages('series/dependency-base-patch.mbox')).map((raw) => ({ raw, listId: d.listId })));
    const [base] = await handle.db.select().from(mailSeries).where(eq(mailSeries.projectId, d.id));
    const [baseCover] = await handle.db.select().from(mailMessage).where(and(eq(mailMessage.projectId, d.id), eq(mailMessage.kind, 'cover')));
    const template = readFileSync(join(CORPUS, 'series/dependency-one-cover.mbox.template'), 'utf8');
    const mbox = template.replaceAll('{depends_token}', baseCover!.msgid);
    const { readMbox } = await import('../../src/mail/mbox.js');
    const raws: Buffer[] = [];
    for await (const m of readMbox([Buffer.from(mbox)])) raws.push(m.raw);
    await store.storeBatch(raws.map((raw) => ({ raw, listId: d.listId })));
    const deps = await handle.db.select().from(mailSeriesDependency);
    const dependent = (await handle.db.select().from(mailSeries).where(eq(mailSeries.projectId, d.id))).find((s) => s.id !== base!.id)!;
    expect(deps.filter((x) => x.seriesId === dependent.id).map((x) => x.dependencyId)).toEqual([base!.id]);
    expect(dependent.dependsOn).toEqual([baseCover!.msgid]);

    // Patchwork's other forms: a series URL, a patch's msgid; a cross-project series is ignored
    const other = await newProject();
    await store.storeBatch((await corpusMessages('series/dependency-base-patch.mbox')).map((raw) => ({ raw, listId: other.listId })));
    const [foreign] = await handle.db.select().from(mailSeries).where(eq(mailSeries.projectId, other.id));
    const [basePatch] = await handle.db.select().from(mailPatch).where(and(eq(mailPatch.projectId, d.id), eq(mailPatch.number, 1)));
    const multi = readFileSync(join(CORPUS, 'series/dependency-multi.mbox.template'), 'utf8');
    for (const [round, token1, token2, want] of [
      [1, `http://test/project/${d.linkName}/list/?series=${base!.id}`, basePatch!.msgid, [base!.id]],
      [2, `http://test/project/${other.linkName}/list/?series=${foreign!.id}`, '<nothing-known@example.org>', []],
    ] as const) {
      const text = multi.replaceAll('{depends_token_1}', token1).replaceAll('{depends_token_2}', token2).replace(/(<\d[^<>@]*)@iol\.unh\.edu>/g, `$1.r${round}@iol.unh.edu>`);
      const mails: Buffer[] = [];
      for await (const m of readMbox([Buffer.from(text)])) mails.push(m.raw);
      const out = await store.storeBatch(mails.map((raw) => ({ raw, listId: d.listId })));
      const created = out.find((o) => o.status === 'cover');
      expect(created).toBeDefined();
      const seriesId = (created as { seriesId: number }).seriesId;
      const got = await handle.db.select().from(mailSeriesDependency).where(eq(mailSeriesDependency.seriesId, seriesId));
      expect(got.map((x) => x.dependencyId)).toEqual(want);
    }
  });
});

describe('nothing is lost', () => {
  it('every fuzz file is stored or dropped with a reason, never crashes, and re-import adds nothing', async () => {
    const p = await newProject();
    const files = readdirSync(join(CORPUS, 'fuzz'));
    const raws = files.map((f) => readFileSync(join(CORPUS, 'fuzz', f)));
    const out = await store.storeBatch(raws.map((raw) => ({ raw, listId: p.listId })));
    expect(out).toHaveLength(files.length);
    for (const o of out) {
      // some fuzz files share a Message-Id: the second one is a duplicate
      expect(['patch', 'cover', 'comment', 'dropped', 'duplicate']).toContain(o.status);
      if (o.status === 'dropped') expect(o.reason.length).toBeGreaterThan(3);
    }
    const counts = async () => ({
      dropped: Number((await handle.db.select({ n: count() }).from(mailDropped))[0]!.n),
      messages: Number((await handle.db.select({ n: count() }).from(mailMessage).where(eq(mailMessage.projectId, p.id)))[0]!.n),
    });
    const before = await counts();
    expect(before.messages + out.filter((o) => o.status === 'dropped' || o.status === 'duplicate').length).toBe(files.length);
    const again = await store.storeBatch(raws.map((raw) => ({ raw, listId: p.listId })));
    expect(again.filter((o) => o.status !== 'dropped' && o.status !== 'duplicate')).toEqual([]);
    expect(await counts()).toEqual(before);
  });

  it('a NUL byte or a broken charset in the body does not lose the mail', async () => {
    const p = await newProject();
    const raw = Buffer.concat([patchMail(30, { listId: p.listId }).subarray(0, 400), Buffer.from([0, 0xff, 0xfe]), patchMail(30, { listId: p.listId }).subarray(400)]);
    const [o] = await store.storeBatch([{ raw }]);
    expect(['patch', 'dropped']).toContain(o!.status);
    const [m] = await handle.db.select().from(mailMessage).where(eq(mailMessage.projectId, p.id));
    const [d] = await handle.db.select().from(mailDropped).where(eq(mailDropped.projectId, p.id));
    expect((m ?? d)!.raw.equals(raw)).toBe(true);
  });
});
