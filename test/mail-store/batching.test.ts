/**
 * Batching must not change the answer: an archive from a real git history (series, cover letters, v2/v3
 * re-sends, review replies), stored in small batches that cut series apart, gives the same series, the
 * same cover letters and the same version links as the parser's in-memory assembler fed mail by mail.
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
import { readMbox } from '../../src/mail/mbox.js';
import { parseMail } from '../../src/mail/parse.js';
import { SeriesAssembler } from '../../src/mail/series.js';
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

describe('stored in batches of 7 = assembled in memory mail by mail', () => {
  it('same classes, series, covers and version links', async () => {
    const assembler = new SeriesAssembler();
    const counts = { patch: 0, cover: 0, comment: 0 };
    for await (const m of readMbox(archive)) {
      const r = parseMail(m.raw);
      if (!r.ok) throw new Error(r.reason);
      const o = assembler.add(r.mail);
      if (o.class === 'patch' || o.class === 'cover' || o.class === 'comment') counts[o.class]++;
    }
    const memory = assembler.result();
    const signature = (msgids: string[]) => [...msgids].sort().join(' ');
    const memorySeries = new Map(memory.map((s) => [s.id, signature([...(s.cover ? [s.cover.msgid] : []), ...s.patches.map((p) => p.msgid)])]));
    const memoryLinks = new Map(memory.map((s) => [memorySeries.get(s.id)!, s.previous ? memorySeries.get(s.previous.id as number)! : null]));

    const project = await createProject(handle.db, { linkName: 'bench', listId: 'bench.lists.example.org' });
    const summary = await importArchives(new MailStore(handle.db), [archive], { batchSize: 7 });
    expect({ patch: summary.patches, cover: summary.covers, comment: summary.comments }).toEqual(counts);
    expect(summary.dropped).toBe(0);

    const series = await handle.db.select().from(mailSeries).where(eq(mailSeries.projectId, project.id));
    const patches = await handle.db.select({ msgid: mailPatch.msgid, seriesId: mailPatch.seriesId }).from(mailPatch).where(eq(mailPatch.projectId, project.id));
    const covers = await handle.db.select({ msgid: mailCover.msgid, seriesId: mailCover.seriesId }).from(mailCover).where(eq(mailCover.projectId, project.id));
    const members = new Map<number, string[]>();
    for (const m of [...patches, ...covers]) if (m.seriesId !== null) members.set(m.seriesId, [...(members.get(m.seriesId) ?? []), m.msgid]);
    const storedSeries = new Map(series.map((s) => [s.id, signature(members.get(s.id) ?? [])]));
    const storedLinks = new Map(series.map((s) => [storedSeries.get(s.id)!, s.previousVersionId === null ? null : storedSeries.get(s.previousVersionId)!]));

    expect(series.length).toBe(memory.length);
    expect([...storedLinks.keys()].sort()).toEqual([...memoryLinks.keys()].sort());
    expect(Object.fromEntries(storedLinks)).toEqual(Object.fromEntries(memoryLinks));
    // the archive has re-sends, so some links exist
    expect([...storedLinks.values()].filter(Boolean).length).toBeGreaterThan(20);
    expect(series.every((s) => s.receivedAll)).toBe(true);
  });
});
