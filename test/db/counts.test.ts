/**
 * The counts kept as rows change (migration 0010, src/db/counts.ts): after every kind of write, concurrent
 * writers and folds, they equal a count over the table itself.
 */
import { count, eq, inArray, sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/client.js';
import { patchCount, trackingCountsByStatus } from '../../src/db/counts.js';
import { mailPatch, tracking, trackingStatusCount } from '../../src/db/schema/index.js';
import { deleteTrackingById, upsertTracking } from '../../src/db/trackings.js';
import { MailStore } from '../../src/mail/store/mail-store.js';
import { createProject } from '../../src/mail/store/projects.js';
import { updatePatches } from '../../src/patchwork/bulk-update.js';
import { countPatches } from '../../src/patchwork/patches.js';
import { createTestDatabase } from '../helpers/db.js';
import { patchMail } from '../mail-ingest/mails.js';

let handle: DatabaseHandle & { url: string };
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => {
  await handle?.close();
});

/** trackings per status, counted over the table */
async function countedByStatus(): Promise<Map<string, number>> {
  const rows = await handle.db.select({ status: tracking.status, n: count() }).from(tracking).groupBy(tracking.status);
  return new Map(rows.map((r) => [r.status, r.n]));
}

const sorted = (m: Map<string, number>) => [...m].sort(([a], [b]) => a.localeCompare(b));

async function addTrackings(n: number, from = 0) {
  for (let i = from; i < from + n; i++) {
    await upsertTracking(handle.db, { versionControl: 'github', scmRepo: `https://github.com/up/p${i}`, scmBranch: 'master', repo: `src/p${i}`, branch: 'master', enabled: true });
  }
}

describe('trackings per status', () => {
  it('follow inserts, upserts, updates of one and many rows, deletes and truncate', async () => {
    const { db } = handle;
    expect(sorted(await trackingCountsByStatus(db))).toEqual([]);
    await addTrackings(12);
    expect(sorted(await trackingCountsByStatus(db))).toEqual([['idle', 12]]);

    // an upsert that changes nothing and an update that keeps the status append nothing
    const kept = await db.select({ n: count() }).from(trackingStatusCount);
    await addTrackings(3);
    await db.update(tracking).set({ lastError: 'x' }).where(eq(tracking.status, 'idle'));
    expect((await db.select({ n: count() }).from(trackingStatusCount))[0]!.n).toBe(kept[0]!.n);

    await db.update(tracking).set({ status: 'ok' }).where(sql`${tracking.id} % 3 = 0`);
    await db.update(tracking).set({ status: 'error' }).where(sql`${tracking.id} % 3 = 1`);
    const [first] = await db.select({ id: tracking.id }).from(tracking).orderBy(tracking.id).limit(1);
    await db.update(tracking).set({ status: 'blocked' }).where(eq(tracking.id, first!.id));
    expect(sorted(await trackingCountsByStatus(db))).toEqual(sorted(await countedByStatus()));

    expect(await deleteTrackingById(db, first!.id)).toBe(true);
    await db.delete(tracking).where(eq(tracking.status, 'error'));
    const counts = await trackingCountsByStatus(db);
    expect(sorted(counts)).toEqual(sorted(await countedByStatus()));
    expect(counts.has('blocked')).toBe(false); // a status whose last tracking left is absent, not 0

    await db.execute(sql`truncate table ${tracking} cascade`);
    expect(sorted(await trackingCountsByStatus(db))).toEqual([]);
  });

  it('stay exact through concurrent writers and concurrent reads that fold them', async () => {
    const { db } = handle;
    await addTrackings(40, 100);
    const ids = (await db.select({ id: tracking.id }).from(tracking)).map((r) => r.id);
    const statuses = ['ok', 'error', 'blocked', 'idle', 'paused'];
    // writers on their own connections (as replicas or a command would be), each a run of one-row updates
    const writers = Array.from({ length: 4 }, () => postgres(handle.url, { max: 1, onnotice: () => {} }));
    let writing = true;
    let folds = 0;
    try {
      const writes = writers.map(async (w, k) => {
        for (let i = 0; i < 350; i++) {
          const id = ids[(i * 7 + k * 13) % ids.length]!;
          await w`update tracking set status = ${statuses[(i + k) % statuses.length]!} where id = ${id}`;
        }
      });
      // a reader folds while the writers append (more than the fold threshold of 1,000 rows in all)
      const reads = (async () => {
        while (writing) {
          const before = (await db.select({ n: count() }).from(trackingStatusCount))[0]!.n;
          await trackingCountsByStatus(db);
          if ((await db.select({ n: count() }).from(trackingStatusCount))[0]!.n < before) folds += 1;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })();
      await Promise.all(writes);
      writing = false;
      await reads;
    } finally {
      await Promise.all(writers.map((w) => w.end()));
    }
    expect(folds).toBeGreaterThan(0);
    expect(sorted(await trackingCountsByStatus(db))).toEqual(sorted(await countedByStatus()));
    expect((await db.select({ n: count() }).from(trackingStatusCount))[0]!.n).toBeLessThan(1_000);
  }, 120_000);
});

describe('patches per project, state and archived flag', () => {
  it('follow ingest, state and archive changes, deletes, and answer the patch list filters', async () => {
    const { db } = handle;
    const project = await createProject(db, { linkName: 'counted', name: 'Counted', listId: 'counted.example.org' });
    const other = await createProject(db, { linkName: 'other', name: 'Other', listId: 'other.example.org' });
    const store = new MailStore(db);
    await store.storeBatch(Array.from({ length: 20 }, (_, i) => ({ raw: patchMail(i, { listId: 'counted.example.org' }), listId: null })));
    await store.storeBatch(Array.from({ length: 5 }, (_, i) => ({ raw: patchMail(100 + i, { listId: 'other.example.org' }), listId: null })));
    const ids = (await db.select({ id: mailPatch.id }).from(mailPatch).where(eq(mailPatch.projectId, project.id)).orderBy(mailPatch.id)).map((r) => r.id);
    expect(ids).toHaveLength(20);

    await updatePatches(db, ids.slice(0, 6), { state: 'under-review' }, null);
    await updatePatches(db, ids.slice(4, 9), { state: 'accepted', archived: true }, null);
    await db.delete(mailPatch).where(inArray(mailPatch.id, ids.slice(15)));

    const filters = [
      { projectId: project.id },
      { projectId: project.id, archived: false },
      { projectId: project.id, states: ['under-review'], archived: false },
      { projectId: project.id, states: ['accepted'], archived: true },
      { projectId: project.id, states: ['new', 'accepted'] },
      { projectId: other.id, states: ['new'] },
    ];
    for (const filter of filters) {
      const counted = await countPatches(db, { ...filter, q: 'counter' }); // a search: counted over the table
      expect(await patchCount(db, filter), JSON.stringify(filter)).toBe(counted);
    }
    expect(await patchCount(db, { projectId: project.id, states: ['under-review'], archived: false })).toBe(4);
    expect(await patchCount(db, { projectId: project.id, states: ['accepted'], archived: true })).toBe(5);
    expect(await patchCount(db, { projectId: other.id })).toBe(5);
  });
});
