/**
 * Series assembly as production does it: mails stored through the MailStore, series read back from the
 * database (names, completeness, version links, dependencies). The decision functions themselves are
 * tested without a database in test/mail/series.test.ts.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { asc, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/client.js';
import { mailCover, mailPatch, mailSeries, mailSeriesDependency } from '../../src/db/schema/mail.js';
import { readMbox } from '../../src/mail/mbox.js';
import { MailStore } from '../../src/mail/store/mail-store.js';
import { createProject } from '../../src/mail/store/projects.js';
import { CORPUS, corpusMessages } from '../mail/corpus.js';
import { createTestDatabase } from '../helpers/db.js';

let handle: DatabaseHandle;
let n = 0;

beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => {
  await handle?.close();
});

/** A fresh project and a store that files every mail under it. */
async function newList() {
  const project = await createProject(handle.db, { linkName: `s${++n}`, listId: `series${n}.example.org` });
  const store = new MailStore(handle.db);
  return {
    project,
    /** one transaction per mail, so the series can be watched as each one arrives */
    storeOne: (raw: Buffer) => store.storeOne({ raw, listId: project.listId }),
    storeAll: (raws: Buffer[]) => store.storeBatch(raws.map((raw) => ({ raw, listId: project.listId }))),
  };
}

/** The project's series ordered by date, with their patch numbers and cover letters. */
async function seriesOf(projectId: number) {
  const db = handle.db;
  const series = await db.select().from(mailSeries).where(eq(mailSeries.projectId, projectId)).orderBy(asc(mailSeries.date), asc(mailSeries.id));
  const patches = await db.select({ seriesId: mailPatch.seriesId, number: mailPatch.number }).from(mailPatch).where(eq(mailPatch.projectId, projectId));
  const covers = await db.select({ seriesId: mailCover.seriesId }).from(mailCover).where(eq(mailCover.projectId, projectId));
  const deps = series.length
    ? await db.select().from(mailSeriesDependency).where(inArray(mailSeriesDependency.seriesId, series.map((s) => s.id))).orderBy(asc(mailSeriesDependency.position))
    : [];
  return series.map((s) => ({
    ...s,
    numbers: patches.filter((p) => p.seriesId === s.id).map((p) => p.number!).sort((a, b) => a - b),
    covers: covers.filter((c) => c.seriesId === s.id).length,
    dependencies: deps.filter((d) => d.seriesId === s.id).map((d) => d.dependencyId),
  }));
}

async function stored(file: string) {
  const list = await newList();
  await list.storeAll(await corpusMessages(file));
  return seriesOf(list.project.id);
}

describe('series names, completeness, versions', () => {
  it('base-out-of-order: no name after 2/2, patch 1’s name after 1/2, the cover’s title after the cover', async () => {
    const list = await newList();
    const names: Array<string | null> = [];
    for (const raw of await corpusMessages('series/base-out-of-order.mbox')) {
      await list.storeOne(raw);
      const series = await seriesOf(list.project.id);
      expect(series).toHaveLength(1);
      names.push(series[0]!.name);
    }
    expect(names).toEqual([null, '[1/2] test: Add some lorem ipsum', 'A sample series']);
  });

  it('base-cover-letter: named after the cover from the first mail on', async () => {
    const list = await newList();
    for (const raw of await corpusMessages('series/base-cover-letter.mbox')) {
      await list.storeOne(raw);
      expect((await seriesOf(list.project.id)).map((s) => s.name)).toEqual(['A sample series']);
    }
  });

  it('base-no-cover-letter: the name is patch 1’s full name, prefixes included', async () => {
    expect((await stored('series/base-no-cover-letter.mbox'))[0]!.name).toBe('[1/2] test: Add some lorem ipsum');
  });

  it('base-extra-patches and base-incomplete: patches above the total count, missing numbers leave it incomplete', async () => {
    const [extra] = await stored('series/base-extra-patches.mbox');
    expect(extra).toMatchObject({ total: 2, receivedTotal: 3, receivedAll: true, numbers: [1, 2, 3] });
    const [incomplete] = await stored('series/base-incomplete.mbox');
    expect(incomplete).toMatchObject({ total: 2, receivedTotal: 1, receivedAll: false, numbers: [1] });
  });

  it('v2 knows v1: same submitter and title (revision-basic, bugs-nocover), a re-send is marked as such', async () => {
    const basic = await stored('series/revision-basic.mbox');
    expect(basic.map((s) => s.version)).toEqual([1, 2]);
    expect(basic[1]).toMatchObject({ previousVersionId: basic[0]!.id, previousVersionReason: 'subject' });
    expect(basic[0]!.previousVersionId).toBeNull();

    const nocover = await stored('series/bugs-nocover.mbox');
    expect(nocover[1]).toMatchObject({ previousVersionId: nocover[0]!.id, previousVersionReason: 'subject' });

    // v1 had a cover letter, v2 has none: the patch titles match
    const nocoverV2 = await stored('series/revision-no-cover-letter.mbox');
    expect(nocoverV2[1]).toMatchObject({ previousVersionId: nocoverV2[0]!.id, previousVersionReason: 'patches' });
    expect(nocoverV2[1]!.version).toBeGreaterThan(nocoverV2[0]!.version);

    // a re-send: linked, under the same version number
    const unlabeled = await stored('series/revision-unlabeled.mbox');
    expect(unlabeled[1]).toMatchObject({ previousVersionId: unlabeled[0]!.id, previousVersionReason: 'subject', version: unlabeled[0]!.version });
  });

  it('Depends-on: in a cover letter and in patches is recorded and resolved to the series holding that message', async () => {
    const base = await corpusMessages('series/dependency-base-patch.mbox');
    const baseCover = '<20240610210912.161735-1-ahassick@iol.unh.edu>';
    const basePatch = '<20240610210912.161735-3-ahassick@iol.unh.edu>';
    const withTemplate = async (text: string): Promise<Buffer[]> => {
      const raws: Buffer[] = [...base];
      for await (const m of readMbox([Buffer.from(text, 'latin1')])) raws.push(m.raw);
      return raws;
    };
    for (const [template, tokens] of [
      ['dependency-one-cover.mbox.template', { depends_token: baseCover }],
      ['dependency-one-first-patch.mbox.template', { depends_token: basePatch }],
    ] as const) {
      const text = readFileSync(resolve(CORPUS, 'series', template), 'latin1').replace(/\{(\w+)\}/g, (_, k: string) => (tokens as Record<string, string>)[k]!);
      const list = await newList();
      await list.storeAll(await withTemplate(text));
      const series = await seriesOf(list.project.id);
      expect(series).toHaveLength(2);
      expect(series[1]!.dependsOn).toEqual([Object.values(tokens)[0]]);
      expect(series[1]!.dependencies).toEqual([series[0]!.id]);
      expect(series[0]!.dependencies).toEqual([]);
    }
    const multi = readFileSync(resolve(CORPUS, 'series/dependency-multi-2.mbox.template'), 'latin1')
      .replace('{depends_token_1}', baseCover)
      .replace('{depends_token_2}', '<not-here@example.org>');
    const list = await newList();
    await list.storeAll(await withTemplate(multi));
    const series = await seriesOf(list.project.id);
    expect(series[1]!.dependsOn).toEqual([baseCover, '<not-here@example.org>']);
    expect(series[1]!.dependencies).toEqual([series[0]!.id]);
  });
});
