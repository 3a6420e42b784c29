/**
 * Issue 12, part 1: a series posted to the list, then applied upstream, becomes accepted by itself with the
 * right commit; a patch the maintainer re-typed with a small fix is a fuzzy match with its evidence; a
 * rejected patch stays rejected. Real mails through the real ingest, a real upstream repository, the
 * scan cycle's step.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/client.js';
import { mailEvent, mailPatch, mailSeries, patchLanding, upstreamCommit } from '../../src/db/schema/mail.js';
import { createLogger } from '../../src/log.js';
import { landedStep } from '../../src/mail/landed/landed.js';
import { MailStore } from '../../src/mail/store/mail-store.js';
import { createProject, updateProjectByLinkName } from '../../src/mail/store/projects.js';
import { updatePatch } from '../../src/patchwork/patch-update.js';
import { GitSource } from '../../src/sources/git.js';
import { createTestDatabase } from '../helpers/db.js';
import { LOCAL_UPSTREAMS_ALLOWED, makeTempDir, removeTempDirs } from '../helpers/git-repo.js';
import { applyWithAm, CONTRIBUTOR, DOC, postSeries, type Posted } from './upstream.js';

let h: DatabaseHandle;
let posted: Posted;
let source: GitSource;
let projectId: number;
const logger = createLogger('silent');

const patches = () => h.db.select().from(mailPatch).where(eq(mailPatch.projectId, projectId)).orderBy(asc(mailPatch.id));
const byName = async (title: string) => (await patches()).find((p) => p.name.endsWith(title))!;

beforeAll(async () => {
  h = await createTestDatabase();
  posted = postSeries();
  source = new GitSource({ dataDir: makeTempDir('pt-landed-data-'), upstreamPolicy: LOCAL_UPSTREAMS_ALLOWED });
  projectId = (await createProject(h.db, { linkName: 'demo', listId: 'demo.example.org', scmUrl: posted.upstream.url })).id;
  const outcomes = await new MailStore(h.db).storeBatch(posted.mails('demo.example.org'));
  expect(outcomes.map((o) => o.status)).toEqual(['cover', 'patch', 'patch', 'patch', 'patch']);
}, 120_000);
afterAll(async () => {
  await h?.close();
  removeTempDirs();
});

describe('patches landed upstream', { timeout: 120_000 }, () => {
  it('stores the git patch-id of each patch at ingest, equal to what git computes for its commit', async () => {
    const rows = await patches();
    expect(rows).toHaveLength(4);
    for (const p of rows) {
      const subject = p.name.replace(/^\[[^\]]*\]\s*/, '');
      expect(p.gitPatchId, p.name).toBe(posted.patchIds[subject]);
    }
  });

  it('the first cycle only records where the upstream is: nothing was applied yet', async () => {
    expect(await landedStep(h.db, source, logger)).toEqual({ landed: 0, failed: 0 });
    expect((await patches()).map((p) => p.state)).toEqual(['new', 'new', 'new', 'new']);
  });

  it('marks the applied series accepted with its commits, the re-typed patch as a fuzzy match, and keeps a rejection', async () => {
    const dropB = await byName('lib: drop b');
    await updatePatch(h.db, dropB.id, { state: 'rejected' }, 'maintainer');
    const seriesCommits = applyWithAm(posted.upstream, posted.files.series.filter((f) => !f.endsWith('cover-letter.patch')));
    const [rejectedCommit] = applyWithAm(posted.upstream, [posted.files.dropB]);
    // the maintainer fixes the typo fix while applying it: same author, subject and date, another diff
    const mail = readFileSync(posted.files.typo, 'utf8');
    const date = /^Date: (.*)$/m.exec(mail)![1]!;
    writeFileSync(join(posted.upstream.dir, 'doc/notes.md'), DOC.replace('teh', 'the').replace('manual', 'handbook'));
    posted.upstream.git('add', '-A');
    posted.upstream.git('commit', '--quiet', '-m', 'doc: fix a typo', `--author=${CONTRIBUTOR.name} <${CONTRIBUTOR.email}>`, `--date=${date}`);
    const typoCommit = posted.upstream.head();

    expect(await landedStep(h.db, source, logger)).toEqual({ landed: 3, failed: 0 });

    const addD = await byName('lib: add d');
    const addE = await byName('lib: add e');
    expect(addD).toMatchObject({ state: 'accepted', commitRef: seriesCommits[0] });
    expect(addE).toMatchObject({ state: 'accepted', commitRef: seriesCommits[1] });
    expect(await byName('lib: drop b')).toMatchObject({ state: 'rejected', commitRef: null });
    expect(rejectedCommit).toMatch(/^[0-9a-f]{40}$/);
    const typo = await byName('doc: fix a typo');
    expect(typo).toMatchObject({ state: 'accepted', commitRef: typoCommit });

    const landings = await h.db.select().from(patchLanding).orderBy(asc(patchLanding.patchId));
    expect(landings.map((l) => [l.patchId, l.method])).toEqual([
      [addD.id, 'patch-id'],
      [addE.id, 'patch-id'],
      [typo.id, 'fuzzy'],
    ]);
    const fuzzy = landings.find((l) => l.method === 'fuzzy')!;
    expect(fuzzy.sha).toBe(typoCommit);
    expect(fuzzy.evidence).toContain(CONTRIBUTOR.email);
    expect(fuzzy.evidence).toContain('"doc: fix a typo"');
    expect(fuzzy.evidence).toContain(`mail ${typo.gitPatchId}`);

    const events = await h.db.select().from(mailEvent).where(and(eq(mailEvent.projectId, projectId), eq(mailEvent.category, 'patch-state-changed'))).orderBy(asc(mailEvent.id));
    const ofTypo = events.find((e) => e.patchId === typo.id)!;
    expect(ofTypo.payload).toMatchObject({ previous: 'new', current: 'accepted', commit_ref: typoCommit, method: 'fuzzy' });
    expect(events.find((e) => e.patchId === addD.id)!.payload).toMatchObject({ commit_ref: seriesCommits[0], method: 'patch-id' });

    const [series] = await h.db.select().from(mailSeries).where(eq(mailSeries.id, addD.seriesId!));
    const accepted = await h.db.select().from(mailEvent).where(eq(mailEvent.category, 'series-accepted')).orderBy(asc(mailEvent.seriesId));
    // the series, and the lone typo fix (a series of one); not the rejected patch's
    expect(accepted.map((e) => e.seriesId)).toEqual([series!.id, typo.seriesId]);
    expect(accepted[0]).toMatchObject({ payload: { state: 'accepted', commits: seriesCommits } });
  });

  it('records each upstream commit once with its patch-id, and a later cycle changes nothing', async () => {
    const commits = await h.db.select().from(upstreamCommit).where(eq(upstreamCommit.projectId, projectId));
    expect(commits).toHaveLength(4);
    const ids = new Map(commits.map((c) => [c.subject, c.patchId]));
    expect(ids.get('lib: add d')).toBe(posted.patchIds['lib: add d']);
    expect(ids.get('doc: fix a typo')).not.toBe(posted.patchIds['doc: fix a typo']);
    expect(commits.every((c) => c.authorEmail === CONTRIBUTOR.email)).toBe(true);
    const eventsBefore = (await h.db.select().from(mailEvent)).length;
    expect(await landedStep(h.db, source, logger)).toEqual({ landed: 0, failed: 0 });
    expect((await h.db.select().from(mailEvent)).length).toBe(eventsBefore);
  });

  it('a project with an unreadable upstream fails on its own, with the reason logged, not the cycle', async () => {
    await createProject(h.db, { linkName: 'gone', listId: 'gone.example.org', scmUrl: `file://${makeTempDir('pt-none-')}/missing.git` });
    expect(await landedStep(h.db, source, logger)).toEqual({ landed: 0, failed: 1 });
    await updateProjectByLinkName(h.db, 'gone', { scmUrl: '' });
    expect(await landedStep(h.db, source, logger)).toEqual({ landed: 0, failed: 0 });
  });
});
