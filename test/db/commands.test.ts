/**
 * The admin and MTA commands on the embedded database: next to a running service (the README's MTA pipe),
 * and backup/restore.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { count, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { embeddedServerRunning } from '../../src/db/embedded.js';
import { mailMessage, mailPatch, mailProject } from '../../src/db/schema/index.js';
import { startTestService } from '../helpers/service.js';
import { LIST_ID, patchMail } from '../mail-ingest/mails.js';
import { contents, runBin, tempDataDirs } from './helpers.js';

const tmp = tempDataDirs('pt-cmd-');

describe('commands next to a running service', { timeout: 180_000 }, () => {
  it('project add and the MTA pipe (parsemail on stdin) store into the database the service runs on, and the service still answers', async () => {
    const dataDir = tmp();
    const service = await startTestService({ embedded: true, dataDir });
    try {
      const env = { DATA_DIR: dataDir };
      const add = await runBin(['project', 'add', 'dev', '--list-id', LIST_ID], env);
      expect(add.code, add.stderr).toBe(0);
      const piped = await runBin(['parsemail'], env, patchMail(7));
      expect(piped.code, piped.stderr).toBe(0);
      expect(JSON.parse(piped.stdout).status).toBe('patch');

      const [row] = await service.db.db.select({ n: count() }).from(mailPatch);
      expect(row!.n).toBe(1);
      const answer = await fetch(`${service.url}/tracking`);
      expect(answer.status).toBe(200);
      expect(embeddedServerRunning(dataDir)).toBe(true); // the commands left the service's server running
    } finally {
      await service.stop();
    }
  });
});

describe('patch-tracking backup / restore', { timeout: 180_000 }, () => {
  it('round-trips every row, refuses to restore under a running service, and explains a bad file', async () => {
    const dataDir = tmp();
    const env = { DATA_DIR: dataDir };
    const file = path.join(dataDir, 'before.backup');
    expect((await runBin(['project', 'add', 'dev', '--list-id', LIST_ID], env)).code).toBe(0);
    expect((await runBin(['parsemail'], env, patchMail(1))).code).toBe(0);
    expect((await runBin(['parsemail'], env, patchMail(2))).code).toBe(0);

    const snapshot = async () => {
      const h = await openDatabase({ dataDir });
      try {
        return await contents((t) => h.client.unsafe(t) as unknown as Promise<Record<string, unknown>[]>);
      } finally {
        await h.close();
      }
    };
    const before = await snapshot();
    const backup = await runBin(['backup', file], env);
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stdout).toMatch(new RegExp(`backup written to ${file}: \\d+ rows in \\d+ tables`));

    // changes after the backup: a new project, a new mail, a deleted one
    expect((await runBin(['project', 'add', 'other', '--list-id', 'other.example.org'], env)).code).toBe(0);
    expect((await runBin(['parsemail'], env, patchMail(3))).code).toBe(0);
    const h = await openDatabase({ dataDir });
    await h.db.delete(mailMessage).where(eq(mailMessage.msgid, '<patch-1@example.org>'));
    await h.close();
    expect(await snapshot()).not.toEqual(before);

    const service = await startTestService({ embedded: true, dataDir });
    try {
      const refused = await runBin(['restore', file], env);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/already in use by patch-tracking service \(pid \d+\)\. Stop it first/);
    } finally {
      await service.stop();
    }

    const restore = await runBin(['restore', file], env);
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stdout).toMatch(/restored \d+ rows in \d+ tables/);
    expect(await snapshot()).toEqual(before);
    // the identity counters came back too: the next project gets a fresh id
    expect((await runBin(['project', 'add', 'third', '--list-id', 'third.example.org'], env)).code).toBe(0);
    const after = await openDatabase({ dataDir });
    expect((await after.db.select().from(mailProject)).map((p) => p.linkName).sort()).toEqual(['dev', 'third']);
    await after.close();

    const junk = path.join(dataDir, 'junk.backup');
    writeFileSync(junk, 'not a backup\n');
    for (const [bad, message] of [
      [junk, `${junk} cannot be read as a patch-tracking backup`],
      [path.join(dataDir, 'missing.backup'), `${path.join(dataDir, 'missing.backup')} does not exist`],
    ] as const) {
      const r = await runBin(['restore', bad], env);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
