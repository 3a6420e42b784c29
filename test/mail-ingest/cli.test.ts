/**
 * The commands as an MTA or an admin runs them: real child processes of `patch-tracking`, on a database of
 * their own (a throwaway database on the test run's PostgreSQL server).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { mailDropped, mailPatch } from '../../src/db/schema/mail.js';
import { createThrowawayDatabase } from '../helpers/db.js';
import { CORPUS } from '../mail/corpus.js';
import { LIST_ID, patchMail, replyMail } from './mails.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'cli/patch-tracking.ts');

let dir: string;
let env: NodeJS.ProcessEnv;
let drop: (() => Promise<void>) | undefined;
let databaseUrl: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pt-mail-cli-'));
  env = { ...process.env, DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'silent', PATCH_TRACKING_CONFIG: '' };
  const db = await createThrowawayDatabase();
  databaseUrl = db.url;
  drop = db.drop;
  env.DATABASE_URL = db.url;
});

afterAll(async () => {
  await drop?.();
  rmSync(dir, { recursive: true, force: true });
});

function run(args: string[], stdin?: Buffer, extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, env: { ...env, ...extraEnv }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin ?? Buffer.alloc(0));
  });
}

async function inDatabase<T>(work: (db: Awaited<ReturnType<typeof openDatabase>>['db']) => Promise<T>): Promise<T> {
  const h = await openDatabase({ databaseUrl });
  try {
    return await work(h.db);
  } finally {
    await h.close();
  }
}

const pullRequest = readFileSync(join(CORPUS, 'mail/0001-git-pull-request.mbox'));
const utf8Body = readFileSync(join(CORPUS, 'mail/0013-with-utf8-body.mbox'));

describe('patch-tracking parsemail / parsearchive / project / mail parse', () => {
  it('parsemail with no project drops the mail, keeps it, and still exits 0', async () => {
    const r = await run(['parsemail'], pullRequest);
    expect(r.code, r.stderr).toBe(0);
    const outcome = JSON.parse(r.stdout);
    expect(outcome.status).toBe('dropped');
    expect(outcome.reason).toMatch(/^no project for list-id /);
    expect(r.stderr).toContain('mail dropped: no project for list-id');
  });

  it('project add, then parsemail --list-id stores 1 patch; parsing it again is a tolerated duplicate', async () => {
    const add = await run(['project', 'add', 'dev', '--list-id', LIST_ID, '--delegate', 'maint@example.org']);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toMatch(/project dev \(id \d+\) tracks dev\.lists\.example\.org/);

    const first = await run(['parsemail', '--list-id', LIST_ID], pullRequest);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ status: 'patch', msgid: expect.stringMatching(/^</) });
    const again = await run(['parsemail', '--list-id', LIST_ID], pullRequest);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).status).toBe('duplicate');

    const list = await run(['project', 'list', '--json']);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ link_name: 'dev', list_id: LIST_ID })]);
  });

  it('parsearchive with no project: Processed 1 messages --> … 1 dropped', async () => {
    const r = await run(['parsearchive', '--list-id', 'unknown.example.org', join(CORPUS, 'mail/0013-with-utf8-body.mbox')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      'Processed 1 messages --> 0 patches, 0 covers, 0 comments, 0 duplicates, 1 dropped\n  dropped 1: no project for list-id unknown.example.org\n',
    );
  });

  it('parsearchive imports mbox files and a Maildir folder, and a second run only finds duplicates', async () => {
    const maildir = join(dir, 'Maildir');
    for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(maildir, sub), { recursive: true });
    writeFileSync(join(maildir, 'new', '1700000000.1.host'), patchMail(1));
    writeFileSync(join(maildir, 'new', '1700000001.2.host'), replyMail(1, '<patch-1@example.org>'));
    writeFileSync(join(maildir, 'cur', '1700000002.3.host:2,S'), patchMail(2, { headers: ['X-Patchwork-Ignore: yes'] }));
    const series = join(CORPUS, 'series/base-cover-letter.mbox');
    const args = ['parsearchive', '--list-id', LIST_ID, series, maildir];
    const r = await run(args);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      'Processed 6 messages --> 3 patches, 1 covers, 1 comments, 0 duplicates, 1 dropped\n  dropped 1: ignored by X-Patchwork-Ignore\n',
    );
    const again = await run([...args.slice(0, 1), '--json', ...args.slice(1)]);
    expect(JSON.parse(again.stdout)).toMatchObject({ processed: 6, patches: 0, duplicates: 5, dropped: 1 });

    const missing = await run(['parsearchive', join(dir, 'no-such.mbox')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`cannot read ${join(dir, 'no-such.mbox')}: ENOENT`);
  });

  it('mail parse FILE --json prints one object per message and stores nothing', async () => {
    const r = await run(['mail', 'parse', join(CORPUS, 'series/base-cover-letter.mbox'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.class)).toEqual(['cover', 'patch', 'patch']);
    expect(lines[1]).toMatchObject({ series_marker: [1, 2], has_diff: true });
  });

  it('the database holds what the commands reported, and the dropped mails with their bytes', async () => {
    const { patches, dropped } = await inDatabase(async (db) => ({
      patches: Number((await db.select({ n: count() }).from(mailPatch))[0]!.n),
      dropped: await db.select().from(mailDropped).orderBy(mailDropped.id),
    }));
    expect(patches).toBe(4);
    expect(dropped.map((d) => d.reason)).toEqual([
      expect.stringMatching(/^no project for list-id/),
      'no project for list-id unknown.example.org',
      'ignored by X-Patchwork-Ignore',
    ]);
    // the message as the archive held it, less the mbox envelope line
    const raw = dropped[1]!.raw.toString('latin1');
    expect(raw.startsWith('From ')).toBe(false);
    expect(utf8Body.toString('latin1')).toContain(raw.trimEnd());
    expect(raw.length).toBeGreaterThan(utf8Body.length - 100);
  });

  it('parsemail exits 75 (try again later) when the database is unreachable', async () => {
    const r = await run(['parsemail'], pullRequest, { DATABASE_URL: 'postgres://nobody:secret-pw@127.0.0.1:1/none' });
    expect(r.code).toBe(75);
    expect(r.stderr).not.toContain('secret-pw');
  });
});
