import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asc, eq } from 'drizzle-orm';
import type { DatabaseHandle } from '../../src/db/client.js';
import { mailCover, mailPatch, mailSeries } from '../../src/db/schema/mail.js';
import { MailStore } from '../../src/mail/store/mail-store.js';
import { createProject } from '../../src/mail/store/projects.js';
import { corpusMessages, SERIES_EXPECTATIONS } from '../mail/corpus.js';
import { createTestDatabase } from '../helpers/db.js';

const EXPECTED = SERIES_EXPECTATIONS;

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => {
  await handle?.close();
});

async function seriesOf(projectId: number) {
  const db = handle.db;
  const series = await db.select().from(mailSeries).where(eq(mailSeries.projectId, projectId)).orderBy(asc(mailSeries.date), asc(mailSeries.id));
  const patches = await db.select({ seriesId: mailPatch.seriesId }).from(mailPatch).where(eq(mailPatch.projectId, projectId));
  const covers = await db.select({ seriesId: mailCover.seriesId }).from(mailCover).where(eq(mailCover.projectId, projectId));
  return series.map((s) => ({
    row: s,
    patches: patches.filter((p) => p.seriesId === s.id).length,
    covers: covers.filter((c) => c.seriesId === s.id).length,
  }));
}

describe('every series fixture, stored one mail at a time and as one batch, gives README.fixtures.md split', () => {
  it('covers the whole series directory', () => {
    const files = readdirSync(new URL('../fixtures/patchwork/series/', import.meta.url)).filter((f) => f.endsWith('.mbox'));
    expect(files.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  let n = 0;
  for (const [file, want] of Object.entries(EXPECTED)) {
    // one transaction per mail for the fixtures where arrival order and references matter most
    const modes = /out-of-order|revision-|nocover|unlabeled|no-references|spamming/.test(file) ? (['one by one', 'one batch'] as const) : (['one batch'] as const);
    for (const mode of modes) {
      it(`${file} (${mode})`, async () => {
        const project = await createProject(handle.db, { linkName: `p${n++}`, listId: `list${n}.example.org` });
        const store = new MailStore(handle.db);
        const raws = await corpusMessages(`series/${file}`);
        const mails = raws.map((raw) => ({ raw, listId: project.listId }));
        const outcomes = mode === 'one batch' ? await store.storeBatch(mails) : await (async () => {
          const out = [];
          for (const m of mails) out.push(await store.storeOne(m));
          return out;
        })();
        const count = (s: string) => outcomes.filter((o) => o.status === s).length;
        expect([count('cover'), count('patch'), outcomes.length - count('cover') - count('patch')]).toEqual(want.counts);
        const series = await seriesOf(project.id);
        expect(series.map((s) => s.patches)).toEqual(want.patches);
        if (want.covers) expect(series.map((s) => s.covers)).toEqual(want.covers);
        if (want.receivedAll) expect(series.map((s) => s.row.receivedAll)).toEqual(want.receivedAll);

        // re-import is a no-op
        const again = await store.storeBatch(mails);
        expect(again.every((o) => o.status === 'duplicate' || (o.status === 'dropped' && outcomes[again.indexOf(o)]!.status === 'dropped'))).toBe(true);
        expect((await seriesOf(project.id)).map((s) => s.patches)).toEqual(want.patches);
      });
    }
  }
});
