/** parsearchive against a database that cannot be reached: one clear rejection the CLI maps to "try later". */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { importArchives } from '../../src/mail/ingest/archive.js';
import { isDatabaseUnavailable, MailStore } from '../../src/mail/store/mail-store.js';
import { patchMail } from './mails.js';

const dir = mkdtempSync(join(tmpdir(), 'pt-archive-failure-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('importArchives when the database is unreachable', () => {
  it('rejects with the connection error while later batches are still being read, instead of an unhandled rejection', async () => {
    // a Maildir: every message is a file read of its own, so the failed store settles while reading waits
    const maildir = join(dir, 'Maildir');
    mkdirSync(join(maildir, 'cur'), { recursive: true });
    for (let i = 0; i < 200; i++) writeFileSync(join(maildir, 'cur', String(i).padStart(4, '0')), patchMail(i + 1));
    const client = postgres('postgres://nobody@127.0.0.1:1/none', { max: 1, connect_timeout: 5, onnotice: () => {} });
    try {
      const store = new MailStore(drizzle(client) as unknown as Database);
      const err = await importArchives(store, [maildir], { batchSize: 50 }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).not.toBeNull();
      expect(isDatabaseUnavailable(err)).toBe(true);
    } finally {
      await client.end({ timeout: 0 });
    }
  });
});
