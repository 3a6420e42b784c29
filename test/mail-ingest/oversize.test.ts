/** A mail over the size limit, from stdin, an mbox or a Maildir, is kept as dropped, cut to the limit, with the reason. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/client.js';
import { mailDropped } from '../../src/db/schema/mail.js';
import { readMaildir, readMbox } from '../../src/mail/mbox.js';
import { readAll, parseMailFromStream } from '../../src/mail/ingest/stdin.js';
import { MailStore } from '../../src/mail/store/mail-store.js';
import { createProject } from '../../src/mail/store/projects.js';
import { createTestDatabase } from '../helpers/db.js';
import { LIST_ID, patchMail } from './mails.js';

let handle: DatabaseHandle;
let store: MailStore;
let dir: string;

beforeAll(async () => {
  handle = await createTestDatabase();
  await createProject(handle.db, { linkName: 'dev', listId: LIST_ID });
  store = new MailStore(handle.db);
  dir = mkdtempSync(join(tmpdir(), 'pt-oversize-'));
});
afterAll(async () => {
  await handle?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function* chunked(b: Buffer, size = 1000): AsyncGenerator<Buffer> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

describe('mails over the limit', () => {
  it('readAll keeps the first bytes, reads the rest to the end, and says it cut', async () => {
    const raw = Buffer.alloc(5000, 0x61);
    let pulled = 0;
    const input = (async function* () {
      for await (const c of chunked(raw)) {
        pulled += c.length;
        yield c;
      }
    })();
    const r = await readAll(input, 1500);
    expect(r.truncated).toBe(true);
    expect(r.raw.equals(raw.subarray(0, 1500))).toBe(true);
    expect(pulled).toBe(5000);
    expect(await readAll(chunked(raw), 5000)).toEqual({ raw, truncated: false });
  });

  it('parsemail input over the limit is kept in mail_dropped, cut, with the reason and its Message-Id', async () => {
    const raw = Buffer.concat([patchMail(1), Buffer.alloc(4000, 0x61)]);
    const out = await parseMailFromStream(store, chunked(raw), null, 2048);
    expect(out).toEqual({ status: 'dropped', msgid: '<patch-1@example.org>', projectId: null, reason: 'larger than the 2048-byte limit: only its first 2048 bytes are kept' });
    const [row] = await handle.db.select().from(mailDropped).where(eq(mailDropped.msgid, '<patch-1@example.org>'));
    expect(row!.raw.equals(raw.subarray(0, 2048))).toBe(true);
  });

  it('mbox and Maildir readers flag a message cut at the limit', async () => {
    const big = Buffer.concat([patchMail(2), Buffer.alloc(4000, 0x61)]);
    const mbox = join(dir, 'a.mbox');
    writeFileSync(mbox, Buffer.concat([Buffer.from('From a@b Sat Nov 21 10:00:00 2026\n'), big, Buffer.from('\n\nFrom a@b Sat Nov 21 10:00:00 2026\n'), patchMail(3)]));
    const fromMbox = [];
    for await (const m of readMbox(mbox, { maxMessageBytes: 2048 })) fromMbox.push(m);
    expect(fromMbox.map((m) => m.truncated)).toEqual([true, false]);
    mkdirSync(join(dir, 'md', 'cur'), { recursive: true });
    writeFileSync(join(dir, 'md', 'cur', '1'), big);
    writeFileSync(join(dir, 'md', 'cur', '2'), patchMail(4));
    const fromMaildir = [];
    for await (const m of readMaildir(join(dir, 'md'), 2048)) fromMaildir.push(m);
    expect(fromMaildir.map((m) => [m.raw.length, m.truncated])).toEqual([[2048, true], [patchMail(4).length, false]]);
  });
});
