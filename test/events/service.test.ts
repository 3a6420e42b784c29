/** The events service without HTTP: one id-ordered stream over the mail and range event tables. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/client.js';
import { listEvents, recordPullClosed, recordRangeEvent } from '../../src/events/service.js';
import { MailStore } from '../../src/mail/store/mail-store.js';
import { createProject } from '../../src/mail/store/projects.js';
import { insertPublishedRange } from '../checks/fixtures.js';
import { createTestDatabase } from '../helpers/db.js';
import { corpusMessages } from '../mail/corpus.js';

let handle: DatabaseHandle;
let range: Awaited<ReturnType<typeof insertPublishedRange>>;
let projectId: number;
const all = { limit: 100, offset: 0, newestFirst: false };

beforeAll(async () => {
  handle = await createTestDatabase();
  projectId = (await createProject(handle.db, { linkName: 'demo', listId: 'demo.example.org' })).id;
  range = await insertPublishedRange(handle.db);
  // a range event between two batches of mail: the stream must interleave them by id
  const raws = await corpusMessages('series/base-cover-letter.mbox');
  const store = new MailStore(handle.db);
  await store.storeBatch([{ raw: raws[0]!, listId: 'demo.example.org' }]);
  await recordRangeEvent(handle.db, { category: 'range-published', trackingId: range.tracking.id, publicationId: range.publication.id, payload: { from: 'a' } });
  await store.storeBatch(raws.slice(1).map((raw) => ({ raw, listId: 'demo.example.org' })));
});
afterAll(async () => {
  await handle?.close();
});

describe('listEvents', () => {
  it('merges both tables in id order', async () => {
    const { count, rows } = await listEvents(handle.db, {}, all);
    expect(count).toBe(rows.length);
    const ids = rows.map((e) => e.id);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    const published = rows.findIndex((e) => e.category === 'range-published');
    expect(published).toBeGreaterThan(0);
    expect(published).toBeLessThan(rows.length - 1);
    expect(rows[published]).toMatchObject({ trackingId: range.tracking.id, publicationId: range.publication.id, projectId: null, payload: { from: 'a' } });
    const newest = await listEvents(handle.db, {}, { ...all, newestFirst: true });
    expect(newest.rows.map((e) => e.id)).toEqual([...ids].reverse());
  });

  it('a mail-side filter leaves out range events and the other way round', async () => {
    const mail = await listEvents(handle.db, { projectId }, all);
    expect(mail.rows.length).toBeGreaterThan(0);
    expect(mail.rows.every((e) => e.projectId === projectId)).toBe(true);
    expect((await listEvents(handle.db, { mailOnly: true }, all)).rows.some((e) => e.trackingId !== null)).toBe(false);
    const ranges = await listEvents(handle.db, { trackingId: range.tracking.id }, all);
    expect(ranges.rows.map((e) => e.category)).toEqual(['range-published']);
    expect((await listEvents(handle.db, { categories: ['range-published'], seriesId: 1 }, all)).count).toBe(0);
  });

  it('pages after a cursor, by category and by date', async () => {
    const { rows } = await listEvents(handle.db, {}, all);
    const after = await listEvents(handle.db, { afterId: rows[1]!.id }, { ...all, limit: 2 });
    expect(after.rows.map((e) => e.id)).toEqual(rows.slice(2, 4).map((e) => e.id));
    expect(after.count).toBe(rows.length - 2);
    expect((await listEvents(handle.db, { categories: ['patch-created'] }, all)).count).toBe(2);
    expect((await listEvents(handle.db, { before: new Date('2001-01-01T00:00:00Z') }, all)).count).toBe(0);
    expect((await listEvents(handle.db, { since: new Date('2001-01-01T00:00:00Z') }, all)).count).toBe(rows.length);
  });
});

describe('recordPullClosed', () => {
  it("records pr-merged or pr-closed on the range that opened the PR; null for a PR that isn't the bot's", async () => {
    const id = await recordPullClosed(handle.db, { repo: range.publication.targetRepo, prNumber: '7', merged: false, actor: 'maint', prUrl: range.publication.prUrl });
    expect(id).not.toBeNull();
    const { rows } = await listEvents(handle.db, { publicationId: range.publication.id, categories: ['pr-closed'] }, all);
    expect(rows).toEqual([expect.objectContaining({ id, actor: 'maint', trackingId: range.tracking.id, payload: { pr: '7', pr_url: range.publication.prUrl } })]);
    expect(await recordPullClosed(handle.db, { repo: range.publication.targetRepo, prNumber: '8', merged: true })).toBeNull();
    expect(await recordPullClosed(handle.db, { repo: 'someone/else', prNumber: '7', merged: true })).toBeNull();
  });
});
