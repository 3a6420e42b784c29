import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../src/api/app.js';
import { Authenticator } from '../../src/auth/authenticator.js';
import { hashPassword } from '../../src/auth/passwords.js';
import type { DatabaseHandle } from '../../src/db/client.js';
import { mailMessage, mailPatch } from '../../src/db/schema/mail.js';
import { createLogger } from '../../src/log.js';
import { createProject } from '../../src/mail/store/projects.js';
import { basicAuth } from '../helpers/api.js';
import { createTestDatabase } from '../helpers/db.js';
import { createUpstreamRepo, removeTempDirs } from '../helpers/git-repo.js';
import { TEST_PASSWORD, TEST_USER } from '../helpers/service.js';
import { LIST_ID, patchMail, replyMail } from './mails.js';

let handle: DatabaseHandle;
let app: ReturnType<typeof createApi>;

beforeAll(async () => {
  handle = await createTestDatabase();
  await createProject(handle.db, { linkName: 'dev', listId: LIST_ID });
  const authenticator = new Authenticator({ user: TEST_USER, passwordHash: await hashPassword(TEST_PASSWORD), db: handle.db });
  app = createApi({
    db: handle.db,
    authenticator,
    logger: createLogger('silent'),
    readAuth: false,
    bodyLimit: 1024 * 1024,
    mail: { maxBytes: 64 * 1024 },
  });
});

afterAll(async () => {
  await handle?.close();
  removeTempDirs();
});

function post(body: Buffer | string, headers: Record<string, string> = { 'content-type': 'message/rfc822', authorization: basicAuth() }, query = '') {
  return app.request(`/api/v1/mail${query}`, { method: 'POST', headers, body });
}

describe('POST /api/v1/mail', () => {
  it('stores a patch (201), answers 200 for the same mail again, and 201 for a reply as a comment', async () => {
    const raw = patchMail(1);
    const created = await post(raw);
    expect(created.status).toBe(201);
    const json = (await created.json()) as { status: string; id: number; msgid: string; project_id: number };
    expect(json).toMatchObject({ status: 'patch', msgid: '<patch-1@example.org>' });
    const [row] = await handle.db.select().from(mailPatch).where(eq(mailPatch.id, json.id));
    expect(row!.name).toBe('fix counter number 1'); // Patchwork drops the PATCH prefix
    const [message] = await handle.db.select().from(mailMessage).where(eq(mailMessage.id, row!.messageId));
    expect(message!.raw.equals(raw)).toBe(true);

    const dup = await post(raw);
    expect(dup.status).toBe(200);
    expect(await dup.json()).toEqual({ status: 'duplicate', msgid: '<patch-1@example.org>', project_id: json.project_id });

    const reply = await post(replyMail(1, '<patch-1@example.org>'), { 'content-type': 'message/RFC822; charset=binary', authorization: basicAuth() });
    expect(reply.status).toBe(201);
    expect(await reply.json()).toMatchObject({ status: 'comment', patch_id: json.id });
    const [after] = await handle.db.select().from(mailPatch).where(eq(mailPatch.id, json.id));
    expect(after!.reviewedCount).toBe(1);
  });

  it('answers 202 with the reason when the mail is dropped; list_id overrides the headers', async () => {
    const r = await post(patchMail(2, { listId: 'other.example.org' }));
    expect(r.status).toBe(202);
    expect(await r.json()).toMatchObject({ status: 'dropped', dropped: 'no project for list-id other.example.org' });
    const forced = await post(patchMail(3, { listId: 'other.example.org' }), undefined, `?list_id=${LIST_ID}`);
    expect(forced.status).toBe(201);
  });

  it("takes `git format-patch` output (no List-Id) with ?list_id=; without it, the reason says to give list_id", async () => {
    const repo = createUpstreamRepo();
    repo.commit('counter: start at zero', { files: { 'src/zero.c': 'int zero = 0;\n' } });
    const mail = repo.git('format-patch', '--stdout', '-1');
    expect(mail).not.toMatch(/^List-Id:/im);

    const dropped = await post(mail);
    expect(dropped.status).toBe(202);
    const why = (await dropped.json()) as { status: string; dropped: string };
    expect(why.status).toBe('dropped');
    expect(why.dropped).toContain('no List-Id header');
    expect(why.dropped).toContain('?list_id=');

    const stored = await post(mail, undefined, `?list_id=${LIST_ID}`);
    expect(stored.status).toBe(201);
    expect(await stored.json()).toMatchObject({ status: 'patch' });
  });

  it('needs authentication, message/rfc822 and a body', async () => {
    const anon = await post(patchMail(4), { 'content-type': 'message/rfc822' });
    expect(anon.status).toBe(401);
    const wrongType = await post(patchMail(4), { 'content-type': 'text/plain', authorization: basicAuth() });
    expect(wrongType.status).toBe(415);
    expect(await wrongType.json()).toEqual({
      error: { code: 'unsupported_media_type', message: 'send the mail as Content-Type: message/rfc822, not text/plain', field: 'content-type' },
    });
    const empty = await post('');
    expect(empty.status).toBe(400);
  });
});
