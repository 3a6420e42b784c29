/**
 * A new version of a series supersedes the older one: its patches still in an action-required state move
 * to `superseded` (patchwork#327), with a patch-state-changed event; a maintainer's decision stays.
 */
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/client.js';
import { mailEvent, mailPatch, mailSeries } from '../../src/db/schema/mail.js';
import { MailStore } from '../../src/mail/store/mail-store.js';
import { createProject } from '../../src/mail/store/projects.js';
import { updatePatch } from '../../src/patchwork/patch-update.js';
import { createTestDatabase } from '../helpers/db.js';
import { removeTempDirs } from '../helpers/git-repo.js';
import { twoVersions } from '../mail-compare/series.js';

let h: DatabaseHandle;

beforeAll(async () => {
  h = await createTestDatabase();
});
afterAll(async () => {
  await h?.close();
  removeTempDirs();
});

const ofSeries = (seriesId: number) => h.db.select().from(mailPatch).where(eq(mailPatch.seriesId, seriesId)).orderBy(asc(mailPatch.number));

describe('superseded older versions', { timeout: 60_000 }, () => {
  it('v2 arriving moves the open patches of v1 to superseded, keeps a rejected one, and leaves v2 new', async () => {
    const { id: projectId } = await createProject(h.db, { linkName: 'sup', listId: 'sup.example.org' });
    const mails = twoVersions().mails('sup.example.org');
    const store = new MailStore(h.db);
    // v1: its cover letter and three patches
    const v1Outcomes = await store.storeBatch(mails.slice(0, 4));
    const v1 = (v1Outcomes[1] as { seriesId: number }).seriesId;
    const [first, second, third] = await ofSeries(v1);
    await updatePatch(h.db, second!.id, { state: 'rejected' }, 'maintainer');
    await updatePatch(h.db, third!.id, { state: 'under-review' }, 'maintainer');

    const v2Outcomes = await store.storeBatch(mails.slice(4));
    const v2 = (v2Outcomes.at(-1) as { seriesId: number }).seriesId;
    const [series2] = await h.db.select().from(mailSeries).where(eq(mailSeries.id, v2));
    expect(series2!.previousVersionId).toBe(v1);

    expect((await ofSeries(v1)).map((p) => p.state)).toEqual(['superseded', 'rejected', 'superseded']);
    expect((await ofSeries(v2)).every((p) => p.state === 'new')).toBe(true);
    const events = await h.db
      .select()
      .from(mailEvent)
      .where(and(eq(mailEvent.projectId, projectId), eq(mailEvent.category, 'patch-state-changed'), eq(mailEvent.seriesId, v1)))
      .orderBy(asc(mailEvent.id));
    const superseding = events.filter((e) => e.payload.current === 'superseded').sort((a, b) => a.patchId! - b.patchId!);
    expect(superseding.map((e) => [e.patchId, e.payload.previous, e.payload.superseded_by])).toEqual([
      [first!.id, 'new', v2],
      [third!.id, 'under-review', v2],
    ]);
  });

  it('both versions in one batch: the older one is superseded all the same', async () => {
    await createProject(h.db, { linkName: 'sup2', listId: 'sup2.example.org' });
    const outcomes = await new MailStore(h.db).storeBatch(twoVersions().mails('sup2.example.org'));
    const v1 = (outcomes[1] as { seriesId: number }).seriesId;
    const v2 = (outcomes.at(-1) as { seriesId: number }).seriesId;
    expect(v1).not.toBe(v2);
    expect((await ofSeries(v1)).map((p) => p.state)).toEqual(['superseded', 'superseded', 'superseded']);
    expect((await ofSeries(v2)).every((p) => p.state === 'new')).toBe(true);
  });
});
