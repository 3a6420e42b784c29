/**
 * Following real public-inbox archives (v2 and v1), built with public-inbox's own tools (public-inbox-init,
 * public-inbox-mda, public-inbox-learn) and read over file:// and from public-inbox-httpd.
 */
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asc, eq } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailArchive, mailArchiveEpoch, mailEvent, mailPatch, mailSeries } from '../../src/db/schema/index.js';
import { addArchive, ArchiveFollower } from '../../src/mail/follow/follow.js';
import { inboxLayout, parseManifest } from '../../src/mail/follow/manifest.js';
import { MailStore } from '../../src/mail/store/mail-store.js';
import { GitSource } from '../../src/sources/git.js';
import { getFromUpstream } from '../../src/sources/upstream-http.js';
import { UpstreamPolicy } from '../../src/sources/upstream-policy.js';
import { LOCAL_UPSTREAMS_ALLOWED } from '../helpers/git-repo.js';
import { mailStoreContext } from '../mail-store/context.js';
import { patchMail } from '../mail-ingest/mails.js';

const missing = ['public-inbox-init', 'public-inbox-mda'].filter((p) => spawnSync('sh', ['-c', `command -v ${p}`]).status !== 0);
const LIST = 'dev.lists.example.org';

describe.skipIf(missing.length > 0)(`following a public-inbox v2 archive${missing.length ? ` (skipped: ${missing.join(', ')} not installed; apt-get install public-inbox)` : ''}`, () => {
  const ctx = mailStoreContext();
  let dir: string;
  let inbox: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pi-follow-'));
    inbox = join(dir, 'inbox');
    env = { ...process.env, HOME: dir, PI_CONFIG: join(dir, 'pi-config') };
    execFileSync('public-inbox-init', ['-V2', 'dev', inbox, 'http://example.org/dev', 'dev@lists.example.org'], { env, stdio: 'pipe' });
    execFileSync('git', ['config', '-f', join(dir, 'pi-config'), 'publicinboxmda.spamcheck', 'none'], { env });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Delivers a mail the way a list server does. */
  const deliver = (raw: Buffer): void => {
    execFileSync('public-inbox-mda', [], { env: { ...env, ORIGINAL_RECIPIENT: 'dev@lists.example.org' }, input: raw, stdio: ['pipe', 'pipe', 'pipe'] });
  };
  /** A fresh follower, as a restarted service builds it: nothing kept in memory between runs. */
  const follower = () =>
    new ArchiveFollower({ db: ctx.handle.db, git: new GitSource({ dataDir: join(dir, 'data'), upstreamPolicy: LOCAL_UPSTREAMS_ALLOWED }), store: new MailStore(ctx.handle.db, { projectRefreshMs: 0 }), logger: pino({ level: 'silent' }) });
  const patchesOf = async (projectId: number) =>
    (await ctx.handle.db.select().from(mailPatch).where(eq(mailPatch.projectId, projectId)).orderBy(asc(mailPatch.id))).map((p) => p.name);

  it('ingests an archive, then only new mails; restarts and new epochs; reports a rewritten epoch', async () => {
    const project = await ctx.newProject({ listId: LIST });
    const series = (n: number, of: number, tag: string) =>
      patchMail(n, { subject: `[PATCH ${n}/${of}] ${tag} step ${n}`, msgid: `<${tag}-${n}@example.org>`, headers: n > 1 ? [`In-Reply-To: <${tag}-1@example.org>`] : [] });
    deliver(series(1, 2, 'alpha'));
    deliver(series(2, 2, 'alpha'));
    deliver(patchMail(7));

    const archive = await addArchive(ctx.handle.db, project.id, `file://${inbox}/`);
    const first = await follower().follow(archive, { batchSize: 2 });
    expect(first.error).toBeUndefined();
    expect(first.epochs).toEqual([{ epoch: 0, read: 3, stored: 3, skipped: 0 }]);
    expect(await patchesOf(project.id)).toEqual(['[1/2] alpha step 1', '[2/2] alpha step 2', 'fix counter number 7']);
    const [s] = await ctx.handle.db.select().from(mailSeries).where(eq(mailSeries.projectId, project.id));
    expect(s).toMatchObject({ total: 2, receivedAll: true });

    // nothing new: nothing read
    expect((await follower().follow(archive)).epochs).toEqual([{ epoch: 0, read: 0, stored: 0, skipped: 0 }]);

    // new mails: only those are read, by a new follower over the same database (a restart)
    deliver(patchMail(8));
    deliver(patchMail(9));
    expect((await follower().follow(archive)).epochs).toEqual([{ epoch: 0, read: 2, stored: 2, skipped: 0 }]);
    expect(await patchesOf(project.id)).toHaveLength(5);

    // a crash after a batch was stored but before its cursor moved: the batch is read again, stored once
    const firstCommit = execFileSync('git', ['-C', join(inbox, 'git', '0.git'), 'rev-list', '--reverse', 'master']).toString().split('\n')[0]!;
    await ctx.handle.db.update(mailArchiveEpoch).set({ lastCommit: firstCommit }).where(eq(mailArchiveEpoch.archiveId, archive.id));
    expect((await follower().follow(archive)).epochs).toEqual([{ epoch: 0, read: 4, stored: 0, skipped: 0 }]);
    expect(await patchesOf(project.id)).toHaveLength(5);

    // public-inbox writes into the newest epoch directory it finds: an empty git/1.git starts epoch 1
    execFileSync('git', ['init', '--quiet', '--bare', join(inbox, 'git', '1.git')]);
    deliver(patchMail(10));
    const withEpoch = await follower().follow(archive);
    expect(withEpoch.epochs).toEqual([
      { epoch: 0, read: 0, stored: 0, skipped: 0 },
      { epoch: 1, read: 1, stored: 1, skipped: 0 },
    ]);
    expect(await patchesOf(project.id)).toHaveLength(6);

    // the epoch's history rewritten behind our back (the cursor commit is dropped): reported, not re-read
    const epoch1 = join(inbox, 'git', '1.git');
    deliver(patchMail(11));
    const rewritten = execFileSync('git', ['-C', epoch1, 'commit-tree', '-m', 'rewritten', `HEAD~1^{tree}`]).toString().trim();
    execFileSync('git', ['-C', epoch1, 'update-ref', 'refs/heads/master', rewritten]);
    const after = await follower().follow(archive);
    expect(after.epochs[1]!.error).toMatch(/epoch 1 of file:\/\/.*was rewritten/);
    expect(await patchesOf(project.id)).toHaveLength(6);
    const events = await ctx.handle.db.select().from(mailEvent).where(eq(mailEvent.category, 'archive-rewritten'));
    expect(events).toHaveLength(1);
    expect(events[0]!.payload).toMatchObject({ epoch: 1 });
    const cursors = await ctx.handle.db.select().from(mailArchiveEpoch).where(eq(mailArchiveEpoch.archiveId, archive.id)).orderBy(asc(mailArchiveEpoch.epoch));
    expect(cursors.map((c) => [c.epoch, c.messages, !!c.error])).toEqual([
      [0, 9, false],
      [1, 1, true],
    ]);
    // stays reported on the next cycle, and still reads nothing from that epoch
    expect((await follower().follow(archive)).epochs[1]!.error).toMatch(/rewritten/);
  });

  /** A v1 inbox: one git repository at the inbox path, the message a file named after its Message-ID's SHA-1. */
  const initV1 = (name: string): string => {
    const path = join(dir, name);
    execFileSync('public-inbox-init', ['-V1', name, path, `http://example.org/${name}`, `${name}@lists.example.org`], { env, stdio: 'pipe' });
    return path;
  };
  const deliverTo = (name: string, raw: Buffer): void => {
    execFileSync('public-inbox-mda', [], { env: { ...env, ORIGINAL_RECIPIENT: `${name}@lists.example.org` }, input: raw, stdio: ['pipe', 'pipe', 'pipe'] });
  };
  const listMail = (name: string, n: number) => patchMail(n, { listId: `${name}.lists.example.org`, headers: [`Cc: ${name}@lists.example.org`] });

  it('follows a v1 inbox from disk: initial ingest, new mails, a removal, a restart, no duplicates', async () => {
    const project = await ctx.newProject({ listId: 'old.lists.example.org' });
    const old = initV1('old');
    for (const n of [31, 32]) deliverTo('old', listMail('old', n));
    // public-inbox lays a v1 message out as ab/cdef… (the SHA-1 of its Message-ID), not as a v2 `m`
    expect(execFileSync('git', ['-C', old, 'ls-tree', '-r', '--name-only', 'master']).toString()).toMatch(/^[0-9a-f]{2}\/[0-9a-f]{38}$/m);

    const archive = await addArchive(ctx.handle.db, project.id, `file://${old}`);
    const first = await follower().follow(archive, { batchSize: 1 });
    expect(first).toMatchObject({ format: 'v1', epochs: [{ epoch: 0, read: 2, stored: 2, skipped: 0 }] });
    expect(first.error).toBeUndefined();
    expect(await patchesOf(project.id)).toEqual(['fix counter number 31', 'fix counter number 32']);

    // a removal (public-inbox-learn rm deletes the file in a new commit) reads nothing; the cursor moves past it
    execFileSync('public-inbox-learn', ['rm'], { env, input: listMail('old', 31), stdio: ['pipe', 'pipe', 'pipe'] });
    deliverTo('old', listMail('old', 33));
    const [row] = await ctx.handle.db.select().from(mailArchive).where(eq(mailArchive.id, archive.id));
    expect(row!.format).toBe('v1');
    expect((await follower().follow(row!)).epochs).toEqual([{ epoch: 0, read: 1, stored: 1, skipped: 0 }]);
    expect((await follower().follow(row!)).epochs).toEqual([{ epoch: 0, read: 0, stored: 0, skipped: 0 }]);

    // a crash before the cursor moved: the messages are read again and stored once
    const firstCommit = execFileSync('git', ['-C', old, 'rev-list', '--reverse', 'master']).toString().split('\n')[0]!;
    await ctx.handle.db.update(mailArchiveEpoch).set({ lastCommit: firstCommit }).where(eq(mailArchiveEpoch.archiveId, archive.id));
    expect((await follower().follow(row!)).epochs).toEqual([{ epoch: 0, read: 2, stored: 0, skipped: 0 }]);
    expect(await patchesOf(project.id)).toEqual(['fix counter number 31', 'fix counter number 32', 'fix counter number 33']);

    // its one history rewritten (the newest commit replaced, 34 delivered after): reported as epoch 0, then
    // accepted with reingest, which reads 33 again (kept once) and 34
    const replaced = execFileSync('git', ['-C', old, 'commit-tree', '-p', 'master~1', '-m', 'edited', 'master^{tree}']).toString().trim();
    execFileSync('git', ['-C', old, 'update-ref', 'refs/heads/master', replaced]);
    deliverTo('old', listMail('old', 34));
    expect((await follower().follow(row!)).epochs[0]!.error).toMatch(/epoch 0 of file:\/\/.*\/old was rewritten/);
    await expect(follower().acceptRewrite(row!, 1, { reingest: true })).rejects.toThrow(/epoch 1 of file:.* has no reported rewrite/);
    expect(await follower().acceptRewrite(row!, 0, { reingest: true })).toMatchObject({ epoch: 0, rewritten: 2, reingest: true });
    expect((await follower().follow(row!)).epochs).toEqual([{ epoch: 0, read: 2, stored: 1, skipped: 0 }]);
    expect(await patchesOf(project.id)).toHaveLength(4);
  });

  const noHttpd = spawnSync('sh', ['-c', 'command -v public-inbox-httpd']).status !== 0;
  it.skipIf(noHttpd)(`follows v2 and v1 inboxes served by public-inbox-httpd, epochs listed by its manifest${noHttpd ? ' (skipped: public-inbox-httpd not installed)' : ''}`, async () => {
    const web = await ctx.newProject({ listId: 'web.lists.example.org' });
    const legacy = await ctx.newProject({ listId: 'legacy.lists.example.org' });
    const webDir = join(dir, 'web');
    execFileSync('public-inbox-init', ['-V2', 'web', webDir, 'http://example.org/web', 'web@lists.example.org'], { env, stdio: 'pipe' });
    // public-inbox-mda takes a mail only when the inbox's address is among its recipients
    for (const n of [21, 22]) deliverTo('web', listMail('web', n));
    initV1('legacy');
    for (const n of [41, 42]) deliverTo('legacy', listMail('legacy', n));
    const port = await freePort();
    const httpd = spawn('public-inbox-httpd', ['-W0', '-l', `http://127.0.0.1:${port}`], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    httpd.stderr.on('data', (c: Buffer) => (log += c.toString()));
    const base = `http://127.0.0.1:${port}`;
    try {
      await waitForGit(`${base}/web/git/0.git`).catch((e: Error) => {
        throw new Error(`${e.message}; public-inbox-httpd said: ${log}`);
      });

      // what public-inbox-httpd serves: a manifest per inbox, keyed by epoch path (v2) or the inbox path (v1)
      const manifest = parseManifest(await getBody(`${base}/web/manifest.js.gz`), 'web manifest');
      expect([...manifest.keys()]).toEqual(['/web/git/0.git']);
      expect(manifest.get('/web/git/0.git')!.fingerprint).toMatch(/^[0-9a-f]{40}$/);
      expect([...parseManifest(await getBody(`${base}/legacy/manifest.js.gz`), 'legacy manifest').keys()]).toEqual(['/legacy']);
      // behind a reverse proxy adding a path prefix, the manifest still names /web/…: found as public-inbox finds it
      expect(inboxLayout(manifest, '/archives/web')).toMatchObject({ format: 'v2', epochs: new Map([[0, manifest.get('/web/git/0.git')]]) });

      const webArchive = await addArchive(ctx.handle.db, web.id, `${base}/web`);
      const first = await follower().follow(webArchive);
      expect(first.error).toBeUndefined();
      expect(first).toMatchObject({ format: 'v2', epochs: [{ epoch: 0, read: 2, stored: 2, skipped: 0 }] });
      expect(await patchesOf(web.id)).toEqual(['fix counter number 21', 'fix counter number 22']);
      // the manifest's fingerprint has not moved: the epoch is not even fetched
      expect((await follower().follow(webArchive)).epochs).toEqual([{ epoch: 0, read: 0, stored: 0, skipped: 0, unchanged: true }]);
      deliverTo('web', listMail('web', 23));
      expect((await follower().follow(webArchive)).epochs).toEqual([{ epoch: 0, read: 1, stored: 1, skipped: 0 }]);
      // a new epoch appears in the manifest and is followed; the old one, unchanged, is not fetched
      execFileSync('git', ['init', '--quiet', '--bare', join(webDir, 'git', '1.git')]);
      deliverTo('web', listMail('web', 24));
      // public-inbox-index joins the new epoch to all.git's alternates, which is how public-inbox-httpd notices it
      execFileSync('public-inbox-index', [webDir], { env, stdio: 'pipe' });
      expect((await follower().follow(webArchive)).epochs).toEqual([
        { epoch: 0, read: 0, stored: 0, skipped: 0, unchanged: true },
        { epoch: 1, read: 1, stored: 1, skipped: 0 },
      ]);
      expect(await patchesOf(web.id)).toHaveLength(4);

      const legacyArchive = await addArchive(ctx.handle.db, legacy.id, `${base}/legacy/`);
      const v1 = await follower().follow(legacyArchive, { batchSize: 1 });
      expect(v1.error).toBeUndefined();
      expect(v1).toMatchObject({ format: 'v1', epochs: [{ epoch: 0, read: 2, stored: 2, skipped: 0 }] });
      expect((await follower().follow(legacyArchive)).epochs).toEqual([{ epoch: 0, read: 0, stored: 0, skipped: 0, unchanged: true }]);
      deliverTo('legacy', listMail('legacy', 43));
      expect((await follower().follow(legacyArchive)).epochs).toEqual([{ epoch: 0, read: 1, stored: 1, skipped: 0 }]);
      expect(await patchesOf(legacy.id)).toEqual(['fix counter number 41', 'fix counter number 42', 'fix counter number 43']);

      // the manifest is fetched under the upstream policy like git: refused for a loopback address by default,
      const refusing = new ArchiveFollower({ db: ctx.handle.db, git: new GitSource({ dataDir: join(dir, 'data') }), store: new MailStore(ctx.handle.db), logger: pino({ level: 'silent' }) });
      expect((await refusing.follow(webArchive)).error).toMatch(/url "http:\/\/127\.0\.0\.1:\d+\/web\/manifest\.js\.gz" is not allowed/);
      // and read where an administrator allows the host (UPSTREAM_ALLOW_HOSTS), with the policy on
      const allowing = new UpstreamPolicy({ allowLocal: false, allowHosts: ['127.0.0.1'] });
      const got = await getFromUpstream(allowing, `${base}/web/manifest.js.gz`, { field: 'url', maxBytes: 1 << 20 });
      expect(got.status).toBe(200);
      expect([...parseManifest(got.body, 'allowed').keys()].sort()).toEqual(['/web/git/0.git', '/web/git/1.git']);
      expect((await getFromUpstream(allowing, `${base}/nothing/manifest.js.gz`, { field: 'url', maxBytes: 1 << 20 })).status).toBe(404);
    } finally {
      httpd.kill();
    }
  });

  it('names the archive when it is no public-inbox archive', async () => {
    const project = await ctx.newProject();
    const archive = await addArchive(ctx.handle.db, project.id, `file://${dir}/nothing-here`);
    const result = await follower().follow(archive);
    expect(result.error).toMatch(/nothing-here is not a public-inbox archive with messages: neither file:\/\/.*\/nothing-here\/git\/0\.git \(v2\) nor the URL itself \(v1\)/);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The body of a plain GET (what public-inbox-httpd serves, read without our code in the way). */
async function getBody(url: string): Promise<Buffer> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

/** Waits until git can read `url` (the server is up and serves the repository). */
async function waitForGit(url: string): Promise<void> {
  let last = '';
  for (let i = 0; i < 300; i++) {
    const r = await new Promise<{ code: number | null; err: string }>((resolve) => {
      execFile('git', ['ls-remote', url], (e, _out, err) => resolve({ code: e ? 1 : 0, err: String(err) }));
    });
    if (r.code === 0) return;
    last = r.err;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`${url} did not answer: ${last}`);
}
