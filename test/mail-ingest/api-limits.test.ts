/**
 * POST /api/v1/mail and size: a mail is taken as large as the CLI takes it, whatever the app-wide
 * BODY_LIMIT; a mail over the mail route's own limit is kept as dropped, cut to the limit, with the reason.
 * An unreachable database is a 503 to retry, logged in one short line.
 */
import { eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../src/api/app.js';
import { MailStore } from '../../src/mail/store/mail-store.js';
import { Authenticator } from '../../src/auth/authenticator.js';
import { hashPassword } from '../../src/auth/passwords.js';
import type { Database, DatabaseHandle } from '../../src/db/client.js';
import { mailDropped, mailPatch } from '../../src/db/schema/mail.js';
import { createLogger, type Logger } from '../../src/log.js';
import { MAX_MAIL_BYTES } from '../../src/mail/parse.js';
import { createProject } from '../../src/mail/store/projects.js';
import { basicAuth } from '../helpers/api.js';
import { createTestDatabase } from '../helpers/db.js';
import { TEST_PASSWORD, TEST_USER } from '../helpers/service.js';
import { LIST_ID, patchMail } from './mails.js';

let handle: DatabaseHandle;
let authenticator: Authenticator;
const APP_BODY_LIMIT = 256 * 1024;

beforeAll(async () => {
  handle = await createTestDatabase();
  await createProject(handle.db, { linkName: 'dev', listId: LIST_ID });
  authenticator = new Authenticator({ user: TEST_USER, passwordHash: await hashPassword(TEST_PASSWORD), db: handle.db });
});

afterAll(async () => {
  await handle?.close();
});

function api(maxBytes?: number, mailDb: Database = handle.db, logger: Logger = createLogger('silent')) {
  return createApi({
    db: handle.db,
    authenticator,
    logger,
    readAuth: false,
    bodyLimit: APP_BODY_LIMIT,
    mail: { store: new MailStore(mailDb), ...(maxBytes ? { maxBytes } : {}) },
  });
}

function post(app: ReturnType<typeof api>, body: Buffer) {
  return app.request('/api/v1/mail', { method: 'POST', headers: { 'content-type': 'message/rfc822', authorization: basicAuth() }, body });
}

/** A patch mail whose commit message carries `extra` bytes of text. */
function bigPatch(n: number, extra: number): Buffer {
  const mail = patchMail(n).toString('latin1');
  const filler = ('lorem ipsum dolor sit amet '.repeat(3) + '\r\n').repeat(Math.ceil(extra / 83)).slice(0, extra);
  return Buffer.from(mail.replace(`The counter was off by ${n}.`, `The counter was off by ${n}.\r\n${filler}`), 'latin1');
}

describe('POST /api/v1/mail size limits', () => {
  it('stores a mail larger than the app-wide body limit (the CLI takes it too)', async () => {
    expect(MAX_MAIL_BYTES).toBeGreaterThan(APP_BODY_LIMIT * 4);
    const raw = bigPatch(1, APP_BODY_LIMIT * 2);
    const r = await post(api(), raw);
    expect(r.status).toBe(201);
    const json = (await r.json()) as { status: string; id: number };
    expect(json.status).toBe('patch');
    const [row] = await handle.db.select().from(mailPatch).where(eq(mailPatch.id, json.id));
    expect(row!.content?.length).toBeGreaterThan(APP_BODY_LIMIT);
  });

  it('keeps a mail over the route limit as dropped, cut to the limit, with the reason (202, not 413)', async () => {
    const limit = 64 * 1024;
    const raw = bigPatch(2, limit + 10_000);
    const r = await post(api(limit), raw);
    expect(r.status).toBe(202);
    const json = (await r.json()) as { status: string; dropped: string; msgid: string | null };
    expect(json).toMatchObject({ status: 'dropped', msgid: '<patch-2@example.org>' });
    expect(json.dropped).toBe(`larger than the ${limit}-byte limit: only its first ${limit} bytes are kept`);
    const rows = await handle.db.select().from(mailDropped).where(eq(mailDropped.msgid, '<patch-2@example.org>'));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.raw.equals(raw.subarray(0, limit))).toBe(true);
    expect(await handle.db.select().from(mailPatch).where(eq(mailPatch.msgid, '<patch-2@example.org>'))).toHaveLength(0);
  });

  it('other routes still answer 413 above the app-wide body limit', async () => {
    const r = await api().request('/api/v1/trackings', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basicAuth() },
      body: JSON.stringify({ pad: 'x'.repeat(APP_BODY_LIMIT + 1) }),
    });
    expect(r.status).toBe(413);
  });

  it('answers 503 with Retry-After when the database cannot be reached, and logs one short line', async () => {
    const client = postgres('postgres://nobody@127.0.0.1:1/none', { max: 1, connect_timeout: 5, onnotice: () => {} });
    const lines: string[] = [];
    const logger = createLogger('warn', { write: (line: string) => lines.push(line) } as unknown as NodeJS.WritableStream);
    try {
      const r = await post(api(undefined, drizzle(client) as unknown as Database, logger), patchMail(3));
      expect(r.status).toBe(503);
      expect(r.headers.get('retry-after')).toBe('60');
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('database_unavailable');
      expect(lines).toHaveLength(1);
      expect(lines[0]!.length).toBeLessThan(500);
      expect(lines[0]).toContain('ECONNREFUSED');
    } finally {
      await client.end({ timeout: 0 });
    }
  });
});
