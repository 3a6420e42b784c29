import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/client.js';
import { mailPatch } from '../../src/db/schema/mail.js';
import { ImapImporter, type ImapImportOptions } from '../../src/mail/ingest/imap.js';
import { MailStore } from '../../src/mail/store/mail-store.js';
import { createProject } from '../../src/mail/store/projects.js';
import { createTestDatabase } from '../helpers/db.js';
import { destroyDovecot, startDovecot, type Dovecot } from './dovecot.js';
import { LIST_ID, patchMail } from './mails.js';

let dovecot: Dovecot;
let handle: DatabaseHandle;
let store: MailStore;
let projectId: number;
let next = 1;

beforeAll(async () => {
  [dovecot, handle] = await Promise.all([startDovecot(), createTestDatabase()]);
  projectId = (await createProject(handle.db, { linkName: 'dev', listId: LIST_ID })).id;
  store = new MailStore(handle.db);
}, 300_000);

afterAll(async () => {
  await destroyDovecot(dovecot);
  await handle?.close();
});

function options(over: Partial<ImapImportOptions> = {}): ImapImportOptions {
  return {
    host: '127.0.0.1',
    port: dovecot.tlsPort,
    security: 'tls',
    user: dovecot.user,
    password: dovecot.password,
    folders: ['INBOX'],
    after: { kind: 'seen' },
    fingerprint: dovecot.fingerprint,
    backoff: { initialMs: 100, maxMs: 800 },
    ...over,
  };
}

async function storedPatches(): Promise<number> {
  const [row] = await handle.db.select({ n: count() }).from(mailPatch).where(eq(mailPatch.projectId, projectId));
  return Number(row!.n);
}

function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = async (): Promise<void> => {
      const v = await check().catch(() => undefined);
      if (v !== undefined) return resolve(v);
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 100);
    };
    void tick();
  });
}

describe('IMAP importer against a real dovecot', () => {
  it('imports new mail from several folders over TLS with the right pin, marks it \\Seen, and skips it next time', async () => {
    const before = await storedPatches();
    await dovecot.append('INBOX', patchMail(next++));
    await dovecot.append('INBOX', patchMail(next++));
    await dovecot.append('Lists', patchMail(next++));
    const importer = new ImapImporter(store, options({ folders: ['INBOX', 'Lists'] }));
    const summary = await importer.importOnce();
    expect(summary.patches).toBe(3);
    expect(await storedPatches()).toBe(before + 3);
    for (const folder of ['INBOX', 'Lists']) {
      for (const flags of (await dovecot.flags(folder)).values()) expect(flags).toContain('\\Seen');
    }
    const again = await new ImapImporter(store, options({ folders: ['INBOX', 'Lists'] })).importOnce();
    expect(again.processed).toBe(0);
  });

  it('flags with a keyword of its own (leaving \\Seen for people) or deletes after import', async () => {
    await dovecot.append('kw', patchMail(next++));
    const kw = await new ImapImporter(store, options({ folders: ['kw'], after: { kind: 'keyword', keyword: 'PatchTracked' } })).importOnce();
    expect(kw.patches).toBe(1);
    const flags = [...(await dovecot.flags('kw')).values()];
    expect(flags).toEqual([['PatchTracked']]);

    await dovecot.append('del', patchMail(next++));
    await dovecot.append('del', patchMail(next++));
    const del = await new ImapImporter(store, options({ folders: ['del'], after: { kind: 'delete' } })).importOnce();
    expect(del.patches).toBe(2);
    expect((await dovecot.flags('del')).size).toBe(0);
  });

  it('refuses a server whose certificate does not match the pin, before logging in', async () => {
    const wrong = 'AA:'.repeat(31) + 'AA';
    const importer = new ImapImporter(store, options({ fingerprint: wrong }));
    await expect(importer.importOnce()).rejects.toThrow(/does not match the pinned fingerprint; refusing to log in/);
    // the same pin check guards STARTTLS on the plain port
    await expect(new ImapImporter(store, options({ port: dovecot.port, security: 'starttls', fingerprint: wrong })).importOnce()).rejects.toThrow(
      /does not match the pinned fingerprint/,
    );
    const ok = await new ImapImporter(store, options({ port: dovecot.port, security: 'starttls' })).importOnce();
    expect(ok.processed).toBe(0);
    // without a pin, the self-signed certificate fails normal verification
    await expect(new ImapImporter(store, options({ fingerprint: null })).importOnce()).rejects.toThrow(/cannot connect to IMAP server 127\.0\.0\.1:\d+ \(tls\)/);
  });

  it('reports a wrong password without echoing it', async () => {
    const err = await new ImapImporter(store, options({ password: 'not-the-password' })).importOnce().catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/IMAP login to 127\.0\.0\.1:\d+ as patches failed/);
    expect((err as Error).message).not.toContain('not-the-password');
  });

  it('picks up a new message by IDLE, and carries on after the server restarts', async () => {
    const importer = new ImapImporter(store, options());
    const seen: string[] = [];
    let connects = 0;
    importer.on('imported', ({ outcomes }) => seen.push(...outcomes.map((o) => o.msgid ?? '')));
    importer.on('connected', () => connects++);
    const abort = new AbortController();
    const running = importer.run(abort.signal);
    try {
      await waitFor('first connection', async () => (connects >= 1 ? true : undefined));
      await new Promise((r) => setTimeout(r, 300)); // let it settle into IDLE
      const idleMail = next++;
      await dovecot.append('INBOX', patchMail(idleMail));
      await waitFor('IDLE pick-up', async () => (seen.includes(`<patch-${idleMail}@example.org>`) ? true : undefined));

      await dovecot.stop();
      await new Promise((r) => setTimeout(r, 400)); // a few refused reconnects
      await dovecot.start();
      await waitFor('reconnect', async () => (connects >= 2 ? true : undefined));
      const afterRestart = next++;
      await dovecot.append('INBOX', patchMail(afterRestart));
      await waitFor('import after restart', async () => (seen.includes(`<patch-${afterRestart}@example.org>`) ? true : undefined));
    } finally {
      abort.abort();
      await running;
    }
  });

  it('patch-tracking imap --once imports with settings from the environment and prints the summary', async () => {
    await dovecot.append('cli', patchMail(next++, { listId: 'cli-only.example.org' }));
    const dataDir = mkdtempSync(join(tmpdir(), 'pt-imap-cli-'));
    const root = resolve(import.meta.dirname, '../..');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATA_DIR: dataDir,
      PATCH_TRACKING_CONFIG: '',
      IMAP_HOST: '127.0.0.1',
      IMAP_PORT: String(dovecot.tlsPort),
      IMAP_USER: dovecot.user,
      IMAP_PASSWORD: dovecot.password,
      IMAP_FINGERPRINT: dovecot.fingerprint,
    };
    delete env.DATABASE_URL;
    try {
      const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
        const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'cli/patch-tracking.ts'), 'imap', '--once', '--folder', 'cli', '--after', 'keyword:Done'], { cwd: root, env });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        child.on('close', (code) => done({ code, stdout, stderr }));
      });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      // the CLI's database has no project for this list: the mail is kept as dropped, and marked done on the server
      expect(result.stdout).toContain('Processed 1 messages --> 0 patches, 0 covers, 0 comments, 0 duplicates, 1 dropped');
      expect(result.stdout).toContain('dropped 1: no project for list-id cli-only.example.org');
      expect([...(await dovecot.flags('cli')).values()]).toEqual([['Done']]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
