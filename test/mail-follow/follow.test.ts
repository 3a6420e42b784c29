/**
 * Following real public-inbox v2 archives, built with public-inbox's own tools (public-inbox-init -V2,
 * public-inbox-mda) and read over file://.
 */
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asc, eq } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailArchiveEpoch, mailEvent, mailPatch, mailSeries } from '../../src/db/schema/index.js';
import { addArchive, ArchiveFollower } from '../../src/mail/follow/follow.js';
import { MailStore } from '../../src/mail/store/mail-store.js';
import { GitSource } from '../../src/sources/git.js';
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

  const noHttpd = spawnSync('sh', ['-c', 'command -v public-inbox-httpd']).status !== 0;
  it.skipIf(noHttpd)(`follows an inbox served by public-inbox-httpd (the clone URLs lore.kernel.org answers)${noHttpd ? ' (skipped: public-inbox-httpd not installed)' : ''}`, async () => {
    const project = await ctx.newProject({ listId: 'web.lists.example.org' });
    execFileSync('public-inbox-init', ['-V2', 'web', join(dir, 'web'), 'http://example.org/web', 'web@lists.example.org'], { env, stdio: 'pipe' });
    // public-inbox-mda takes a mail only when the inbox's address is among its recipients
    for (const n of [21, 22]) {
      execFileSync('public-inbox-mda', [], { env: { ...env, ORIGINAL_RECIPIENT: 'web@lists.example.org' }, input: patchMail(n, { listId: 'web.lists.example.org', headers: ['Cc: web@lists.example.org'] }), stdio: ['pipe', 'pipe', 'pipe'] });
    }
    const port = await freePort();
    const httpd = spawn('public-inbox-httpd', ['-W0', '-l', `http://127.0.0.1:${port}`], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    httpd.stderr.on('data', (c: Buffer) => (log += c.toString()));
    try {
      await waitForGit(`http://127.0.0.1:${port}/web/git/0.git`).catch((e: Error) => {
        throw new Error(`${e.message}; public-inbox-httpd said: ${log}`);
      });
      const archive = await addArchive(ctx.handle.db, project.id, `http://127.0.0.1:${port}/web`);
      const result = await follower().follow(archive);
      expect(result.error).toBeUndefined();
      expect(result.epochs).toEqual([{ epoch: 0, read: 2, stored: 2, skipped: 0 }]);
      expect(await patchesOf(project.id)).toEqual(['fix counter number 21', 'fix counter number 22']);
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
