/**
 * A complete series on a mailing list becomes a PR through the same publishing steps as upstream commits:
 * one branch, issue and PR per series version, exactly once; v2 tells v1's PR it is superseded. The
 * series is a real `git format-patch` series, stored through the mail ingest; the published patch files
 * must `git am` onto the upstream base and rebuild the upstream tree.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { issue, tracking } from '../../src/db/schema/index.js';
import { upsertTracking } from '../../src/db/trackings.js';
import { createLogger } from '../../src/log.js';
import { readMbox } from '../../src/mail/mbox.js';
import { MailStore } from '../../src/mail/store/mail-store.js';
import { createProject } from '../../src/mail/store/projects.js';
import { MailSource } from '../../src/sources/mail.js';
import { Engine } from '../../src/tracker/engine.js';
import { upstreamOf } from '../../src/tracker/run.js';
import { createTestDatabase } from '../helpers/db.js';
import { FakeForge, fakeForges } from '../helpers/fake-forge.js';
import { createUpstreamRepo, GIT, makeTempDir, removeTempDirs, testGitEnv, type TestRepo } from '../helpers/git-repo.js';

const LIST = 'lib-devel.lists.example.org';
let handle: Awaited<ReturnType<typeof createTestDatabase>>;
let forge: FakeForge;
let upstream: TestRepo;
let sent = 0;

const engine = () =>
  new Engine({
    db: handle.db,
    logger: createLogger('silent'),
    forges: fakeForges(forge),
    sources: { mail: new MailSource(handle.db) },
    unavailable: {},
    publish: { specEdit: 'off', botName: 'patch-tracking', botEmail: 'bot@example.org' },
    maxPatchesPerPr: 100,
  });

/** Mails a `git format-patch` series (with a cover letter) to the list: stores every message of it. */
async function sendSeries(title: string, range: string, extra: string[] = []): Promise<void> {
  const dir = makeTempDir('pt-series-');
  const mbox = path.join(dir, 'series.mbox');
  const text = upstream.git('format-patch', '--stdout', '--cover-letter', '--thread=shallow', '--to=lib-devel@lists.example.org', ...extra, range);
  // format-patch's message ids carry the time in seconds: two series sent within a second would share them
  writeFileSync(mbox, text.replace('*** SUBJECT HERE ***', title).replaceAll('.git.dev@upstream.example>', `.${++sent}.git.dev@upstream.example>`));
  const mails = [];
  for await (const message of readMbox(mbox)) mails.push({ raw: message.raw, listId: LIST });
  const outcomes = await new MailStore(handle.db).storeBatch(mails);
  expect(outcomes.filter((o) => o.status === 'dropped')).toEqual([]);
}

beforeEach(async () => {
  handle = await createTestDatabase();
  forge = new FakeForge({ 'README.md': 'downstream\n' });
  upstream = createUpstreamRepo();
  await createProject(handle.db, { linkName: 'lib-devel', listId: LIST });
});
afterEach(() => handle.close());
afterAll(() => removeTempDirs());

describe('version_control: mail', () => {
  it('publishes a complete series once, as git-am-able patch files, and supersedes v1 with v2', async () => {
    // an old series on the list before the tracking was added is not published
    upstream.commit('old: before tracking', { files: { 'old.txt': 'old\n' } });
    await sendSeries('old work', '-1');
    const { row: t } = await upsertTracking(handle.db, { versionControl: 'mail', scmRepo: LIST, scmBranch: 'PATCH', repo: 'src-openeuler/lib', branch: 'master', enabled: true });
    await engine().runCycle();
    expect((await handle.db.select().from(tracking).where(eq(tracking.id, t.id)))[0]!.scmCommit).not.toBeNull();
    expect(forge.pulls).toHaveLength(0);

    const start = upstream.head();
    upstream.commit('lib: drop b', { files: { 'src/lib.c': 'int a;\nint c;\n' } });
    upstream.commit('lib: add d', { files: { 'src/lib.c': 'int a;\nint c;\nint d;\n' } });
    await sendSeries('lib: cleanups', `${start}..HEAD`);
    await engine().runCycle();
    expect(forge.pulls).toHaveLength(1);
    expect(forge.writes.map((w) => w.split(' ')[0])).toEqual(['branch', 'commit', 'issue', 'pr']);

    // the patch files are mails git am takes, and they rebuild the upstream tree
    const files = [...forge.branches.get(forge.pulls[0]!.head)!.files.entries()].filter(([name]) => name.endsWith('.patch'));
    expect(files).toHaveLength(2);
    const clone = path.join(makeTempDir('pt-am-'), 'clone');
    execFileSync(GIT, ['clone', '--quiet', upstream.dir, clone], { env: testGitEnv });
    execFileSync(GIT, ['checkout', '--quiet', start], { cwd: clone, env: testGitEnv });
    const order = forge.issues[0]!.body.match(/`([0-9a-f]{40}\.patch)`/g)!.map((m) => m.slice(1, -1));
    for (const name of order) {
      const file = path.join(clone, '..', name);
      writeFileSync(file, files.find(([n]) => n === name)![1]);
      execFileSync(GIT, ['am', '--quiet', file], { cwd: clone, env: testGitEnv });
    }
    expect(readFileSync(path.join(clone, 'src/lib.c'), 'utf8')).toBe('int a;\nint c;\nint d;\n');
    expect(execFileSync(GIT, ['log', '-1', '--format=%s'], { cwd: clone, env: testGitEnv }).toString().trim()).toBe('lib: add d');

    // nothing new: nothing written
    await engine().runCycle();
    expect(forge.pulls).toHaveLength(1);

    // a published series reads back as the same commits (what recreating its PR publishes again)
    const [published] = await handle.db.select().from(issue);
    const source = new MailSource(handle.db);
    const again = await source.range(upstreamOf((await handle.db.select().from(tracking).where(eq(tracking.id, t.id)))[0]!), published!.rangeFrom!, published!.rangeTo!);
    expect(again.map((c) => c.subject)).toEqual(['lib: drop b', 'lib: add d']);
    expect(order).toEqual(again.map((c) => `${c.sha}.patch`));
    await expect(source.range(upstreamOf(t), 'v1', 'v1')).rejects.toThrow(/a mail range starts at s<series id>/);

    // v2 of the series: a new PR, and v1's PR and issue are told
    upstream.git('reset', '--hard', start);
    upstream.commit('lib: drop b', { files: { 'src/lib.c': 'int a;\nint c;\n' } });
    upstream.commit('lib: add d', { files: { 'src/lib.c': 'int a;\nint c;\nint d; /* v2 */\n' } });
    await sendSeries('lib: cleanups', `${start}..HEAD`, ['-v2']);
    await engine().runCycle();
    expect(forge.pulls).toHaveLength(2);
    expect(forge.issues[0]!.comments.join('\n')).toContain(`Superseded by version 2 of this series: ${forge.pulls[1]!.url}`);
    const rows = await handle.db.select().from(issue).orderBy(issue.id);
    expect(rows.map((r) => r.state)).toEqual(['superseded', 'open']);
  });

  it('publishes a series that arrived between the add and the first scan, and none from before the add', async () => {
    upstream.commit('old: before tracking', { files: { 'old.txt': 'old\n' } });
    await sendSeries('old work', '-1');
    const { row: t } = await upsertTracking(handle.db, { versionControl: 'mail', scmRepo: LIST, scmBranch: 'PATCH', repo: 'src-openeuler/lib', branch: 'master', enabled: true });
    upstream.commit('lib: add e', { files: { 'src/lib.c': 'int a;\nint e;\n' } });
    await sendSeries('lib: add e', '-1');

    const result = await engine().scanNow(t.id);
    expect(result).toMatchObject({ action: 'published', published: [{ commits: 1, resumed: false }] });
    expect(forge.pulls).toHaveLength(1);
    expect(forge.issues[0]!.body).toContain('lib: add e');
    expect(forge.issues.map((i) => i.body).join('\n')).not.toContain('old: before tracking');
  });

  it('the scheduler starts a new mail tracking at its add time too: the series is published on the next cycle', async () => {
    const { row: t } = await upsertTracking(handle.db, { versionControl: 'mail', scmRepo: LIST, scmBranch: '*', repo: 'src-openeuler/lib', branch: 'master', enabled: true });
    upstream.commit('lib: add f', { files: { 'src/lib.c': 'int a;\nint f;\n' } });
    await sendSeries('lib: add f', '-1');
    await engine().runCycle();
    await engine().runCycle();
    expect(forge.pulls).toHaveLength(1);
    expect((await handle.db.select().from(issue).where(eq(issue.trackingId, t.id))).map((r) => r.state)).toEqual(['open']);
  });

  it('says plainly when the list has no project', async () => {
    const { row: t } = await upsertTracking(handle.db, { versionControl: 'mail', scmRepo: 'nope.lists.example.org', scmBranch: '*', repo: 'src-openeuler/lib', branch: 'master', enabled: true });
    await engine().runCycle();
    const after = (await handle.db.select().from(tracking).where(eq(tracking.id, t.id)))[0]!;
    expect(after.status).toBe('blocked');
    expect(after.lastError).toMatch(/no mailing-list project "nope.lists.example.org"/);
  });
});
