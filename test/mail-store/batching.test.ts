/**
 * Batching must not change the answer: an archive from a real git history (series, cover letters, v2/v3
 * re-sends, review replies), stored in small batches that cut series apart, gives the same series, the
 * same cover letters and the same version links as the whole archive stored in one batch (which decides mail by mail in
 * arrival order, as corpus.test.ts checks against one transaction per mail).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateArchive, makeHistory } from '../../bench/generate-archive.js';
import type { DatabaseHandle } from '../../src/db/client.js';
import { mailCover, mailPatch, mailSeries } from '../../src/db/schema/mail.js';
import { importArchives } from '../../src/mail/ingest/archive.js';
import { MailStore } from '../../src/mail/store/mail-store.js';
import { createProject } from '../../src/mail/store/projects.js';
import { createTestDatabase } from '../helpers/db.js';

let dir: string;
let handle: DatabaseHandle;
let archive: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pt-batching-'));
  archive = join(dir, 'list.mbox');
  await generateArchive(archive, 1200, makeHistory(150, 3), 11);
  handle = await createTestDatabase();
});
afterAll(async () => {
  await handle?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Each series as the sorted message ids of its members, and each one's previous version the same way. */
async function storedSeries(projectId: number) {
  const series = await handle.db.select().from(mailSeries).where(eq(mailSeries.projectId, projectId));
  const patches = await handle.db.select({ msgid: mailPatch.msgid, seriesId: mailPatch.seriesId }).from(mailPatch).where(eq(mailPatch.projectId, projectId));
  const covers = await handle.db.select({ msgid: mailCover.msgid, seriesId: mailCover.seriesId }).from(mailCover).where(eq(mailCover.projectId, projectId));
  const members = new Map<number, string[]>();
  for (const m of [...patches, ...covers]) if (m.seriesId !== null) members.set(m.seriesId, [...(members.get(m.seriesId) ?? []), m.msgid]);
  const signature = new Map(series.map((s) => [s.id, [...(members.get(s.id) ?? [])].sort().join(' ')]));
  const links = new Map(series.map((s) => [signature.get(s.id)!, s.previousVersionId === null ? null : signature.get(s.previousVersionId)!]));
  return { series, links };
}

describe('stored in batches of 7 = stored in one batch', () => {
  it('same classes, series, covers and version links', async () => {
    const single = await createProject(handle.db, { linkName: 'single', listId: 'single.lists.example.org' });
    const one = await importArchives(new MailStore(handle.db), [archive], { batchSize: 100_000, listId: single.listId });
    const project = await createProject(handle.db, { linkName: 'bench', listId: 'bench.lists.example.org' });
    const summary = await importArchives(new MailStore(handle.db), [archive], { batchSize: 7 });
    expect({ patch: summary.patches, cover: summary.covers, comment: summary.comments }).toEqual({ patch: one.patches, cover: one.covers, comment: one.comments });
    expect(summary.patches).toBeGreaterThan(0);
    expect(summary.dropped).toBe(0);
    expect(one.dropped).toBe(0);

    const batched = await storedSeries(project.id);
    const byOne = await storedSeries(single.id);
    expect(batched.series.length).toBe(byOne.series.length);
    expect([...batched.links.keys()].sort()).toEqual([...byOne.links.keys()].sort());
    expect(Object.fromEntries(batched.links)).toEqual(Object.fromEntries(byOne.links));
    // the archive has re-sends, so some links exist
    expect([...batched.links.values()].filter(Boolean).length).toBeGreaterThan(20);
    expect(batched.series.every((s) => s.receivedAll)).toBe(true);
    // two imports of 1,200 mails: slow on a loaded machine, not stuck
  }, 120_000);
});
