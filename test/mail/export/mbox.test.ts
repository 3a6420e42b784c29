/** The Patchwork-style mbox export, called directly (the downloads and the CI hook both build on it). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import type { DatabaseHandle } from '../../../src/db/client.js';
import { mailCover } from '../../../src/db/schema/mail.js';
import { coverMbox, downloadName, patchesMbox, seriesPatches } from '../../../src/mail/export/mbox.js';
import { MailStore } from '../../../src/mail/store/mail-store.js';
import { createProject } from '../../../src/mail/store/projects.js';
import { createTestDatabase } from '../../helpers/db.js';
import { corpusMessages } from '../corpus.js';

let handle: DatabaseHandle;
let store: MailStore;

beforeAll(async () => {
  handle = await createTestDatabase();
  await createProject(handle.db, { linkName: 'demo', listId: 'demo.example.org' });
  store = new MailStore(handle.db);
  const raws = await corpusMessages('series/base-cover-letter.mbox');
  await store.storeBatch(raws.map((raw) => ({ raw, listId: 'demo.example.org' })));
});
afterAll(async () => {
  await handle?.close();
});

describe('patchesMbox', () => {
  it('one envelope per patch, in series order, separated by a blank line', async () => {
    const patches = await seriesPatches(handle.db, 1);
    expect(patches.map((p) => p.number)).toEqual([1, 2]);
    const text = (await patchesMbox(handle.db, patches)).toString('utf8');
    expect(text.match(/^From patchwork /gm)).toHaveLength(2);
    expect([...text.matchAll(/^X-Patchwork-Id: (\d+)$/gm)].map((m) => Number(m[1]))).toEqual(patches.map((p) => p.id));
    const second = text.indexOf('\nFrom patchwork ');
    expect(text.slice(second - 1, second + 1)).toBe('\n\n');
    expect(text.endsWith(patches[1]!.diff!)).toBe(true);
    expect((await patchesMbox(handle.db, [])).length).toBe(0);
  });

  it('encodes a non-ASCII submitter name and copies the original headers raw, folded ones too', async () => {
    const [raw] = await corpusMessages('mail/0013-with-utf8-body.mbox');
    const [out] = await store.storeBatch([{ raw: raw!, listId: 'demo.example.org' }]);
    expect(out).toMatchObject({ status: 'patch' });
    const patches = await seriesPatches(handle.db, (out as { seriesId: number }).seriesId);
    const text = (await patchesMbox(handle.db, patches)).toString('utf8');
    expect(text).toContain(`\nX-Patchwork-Submitter: =?utf-8?b?${Buffer.from('Rafał Miłecki').toString('base64')}?= <zajec5@gmail.com>\n`);
    expect(text).toContain('\nFrom: =?utf-8?b?UmFmYcWCIE1pxYJlY2tp?= <zajec5@gmail.com>\n');
    expect(text).toContain('\nCc: bcm-kernel-feedback-list@broadcom.com,\n =?UTF-8?q?Rafa=C5=82=20Mi=C5=82ecki?= <zajec5@gmail.com>,\n');
    expect(text).toContain('\nDate: Wed,  1 Jun 2016 22:00:54 +0200\n');
    expect(text).toContain('\nSigned-off-by: Rafał Miłecki <zajec5@gmail.com>\n---\n MAINTAINERS | 4 +++-\n');
  });
});

describe('coverMbox', () => {
  it('the cover letter alone, without a diff', async () => {
    const [cover] = await handle.db.select().from(mailCover).where(eq(mailCover.seriesId, 1));
    const text = (await coverMbox(handle.db, cover!)).toString('utf8');
    expect(text.startsWith('From patchwork ')).toBe(true);
    expect(text).toContain(`\nX-Patchwork-Id: ${cover!.id}\n`);
    expect(text).toContain('This is a sample cover letter');
    expect(text).not.toContain('diff --git');
  });
});

describe('downloadName', () => {
  it('collapses runs of odd characters to -, trims them, and falls back to "patch"', () => {
    expect(downloadName('[PATCH 1/2] test: Add some lorem ipsum', 'patch')).toBe('attachment; filename=PATCH-1-2-test-Add-some-lorem-ipsum.patch');
    expect(downloadName('%%%', 'mbox')).toBe('attachment; filename=patch.mbox');
    expect(downloadName('x'.repeat(300), 'diff')).toBe(`attachment; filename=${'x'.repeat(200)}.diff`);
  });
});
