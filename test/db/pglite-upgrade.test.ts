/**
 * A DATA_DIR from before the embedded server (PGlite files in DATA_DIR/pglite) is moved over on the first
 * open: every row of every table, the identity counters, and the old directory kept under a new name.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS_FOLDER, openDatabase, type Database } from '../../src/db/client.js';
import { embeddedLayout } from '../../src/db/embedded.js';
import { upsertTracking } from '../../src/db/trackings.js';
import { MailStore } from '../../src/mail/store/mail-store.js';
import { createProject } from '../../src/mail/store/projects.js';
import { LIST_ID, patchMail, replyMail } from '../mail-ingest/mails.js';
import { contents, tempDataDirs } from './helpers.js';

const tmp = tempDataDirs('pt-pglite-');

describe('upgrade from a PGlite data directory', { timeout: 120_000 }, () => {
  it('copies every row into the embedded server on first open, keeps the counters going, and renames the old directory', async () => {
    const dataDir = tmp();
    const old = new PGlite(path.join(dataDir, 'pglite'));
    const oldDb = drizzle(old) as unknown as Database;
    await migrate(drizzle(old), { migrationsFolder: MIGRATIONS_FOLDER });
    await createProject(oldDb, { linkName: 'dev', name: 'Dev', listId: LIST_ID });
    const store = new MailStore(oldDb);
    await store.storeOne({ raw: patchMail(1) });
    await store.storeOne({ raw: replyMail(1, '<patch-1@example.org>') });
    await store.storeOne({ raw: patchMail(2, { listId: 'nobody.example.org' }) }); // dropped, kept with its bytes
    await upsertTracking(oldDb, { versionControl: 'git', scmRepo: 'https://example.org/a.git', scmBranch: 'main', repo: 'o/a', branch: 'master', enabled: true });
    const before = await contents((t) => old.query<Record<string, unknown>>(t).then((r) => r.rows));
    await old.close();
    expect(before.mail_message!.length).toBeGreaterThan(0);
    expect(before.mail_dropped).toHaveLength(1);

    const messages: string[] = [];
    const handle = await openDatabase({ dataDir, log: (_level, message) => messages.push(message) });
    try {
      const after = await contents((t) => handle.client.unsafe(t) as unknown as Promise<Record<string, unknown>[]>);
      expect(after).toEqual(before);
      const kept = readdirSync(dataDir).find((f) => f.startsWith('pglite.migrated-'));
      expect(kept).toBeDefined();
      expect(readdirSync(dataDir)).not.toContain('pglite');
      expect(messages.join('\n')).toMatch(new RegExp(`moved the PGlite data of .*pglite into the embedded PostgreSQL server: \\d+ rows in \\d+ tables; the old directory is kept as .*${kept}`));

      // identity counters went along: new rows do not collide with copied ones
      const outcome = await new MailStore(handle.db).storeOne({ raw: patchMail(3) });
      expect(outcome.status).toBe('patch');
      const ids = (await handle.client`select id from mail_message order by id`).map((r) => Number(r.id));
      expect(new Set(ids).size).toBe(ids.length);
    } finally {
      await handle.close();
    }

    // a second open finds nothing left to move and keeps what it has
    const again = await openDatabase({ dataDir });
    expect((await again.client`select count(*)::int as n from mail_message`)[0]!.n).toBe(before.mail_message!.length + 1);
    await again.close();
  });

  it('stops at a damaged PGlite directory, naming the missing file, before any cluster is initialised', async () => {
    const dataDir = tmp();
    mkdirSync(path.join(dataDir, 'pglite'));
    writeFileSync(path.join(dataDir, 'pglite', 'postgresql.conf'), '# left over\n');
    await expect(openDatabase({ dataDir })).rejects.toThrow(`${path.join(dataDir, 'pglite', 'PG_VERSION')} is missing`);
    expect(existsSync(embeddedLayout(dataDir).cluster)).toBe(false);
    expect(readdirSync(path.join(dataDir, 'pglite'))).toEqual(['postgresql.conf']);
  });
});
