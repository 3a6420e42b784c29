/**
 * Dashboard sessions live in the database: another app over the same database (a restart, or a second
 * replica) accepts the cookie; logging out ends the session everywhere; a session expires, and expired
 * rows are pruned; only a digest of the session id is stored.
 */
import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Authenticator } from '../../src/auth/authenticator.js';
import { hashPassword } from '../../src/auth/passwords.js';
import { SessionStore } from '../../src/auth/sessions.js';
import { webSession } from '../../src/db/schema/index.js';
import { getTracking } from '../../src/db/trackings.js';
import { createLogger } from '../../src/log.js';
import { webRoutes } from '../../src/web/routes.js';
import { TEST_PASSWORD, TEST_USER } from '../helpers/service.js';
import { createIntegrationApi } from '../patchwork/integration-api.js';
import { createWorld, csrfOf, logIn, mergeCookies, postForm, type World } from './world.js';

let world: World;
beforeAll(async () => {
  world = await createWorld();
});
afterAll(() => world?.close());

const sessionId = (jar: string) => /pt_session=([^;]+)/.exec(jar)![1]!;
const who = async (app: { request(path: string, init?: RequestInit): Response | Promise<Response> }, jar: string) => {
  const html = await (await app.request('/', { headers: { cookie: jar } })).text();
  return html.includes(`<span>${TEST_USER}</span>`) ? TEST_USER : html.includes('>Log in</a>') ? 'anonymous' : 'unknown';
};

describe('sessions in the database', () => {
  it('a new app instance over the same database accepts the cookie, for reads and writes', async () => {
    const { jar, csrf } = await logIn(world);
    expect(await who(world.app, jar)).toBe(TEST_USER);
    const restarted = await createIntegrationApi({ db: world.db });
    try {
      expect(await who(restarted.app, jar)).toBe(TEST_USER);
      const id = world.trackings.healthy.id;
      const off = await postForm(restarted, `/trackings/${id}/enabled`, jar, { enabled: 'no', _csrf: csrf });
      expect(off.status).toBe(303);
      expect((await getTracking(world.db, id))!.enabled).toBe(false);
      await postForm(restarted, `/trackings/${id}/enabled`, jar, { enabled: 'yes', _csrf: csrf });
    } finally {
      await restarted.close();
    }
  });

  it('stores only a digest of the session id; logging out on one instance ends it on the others', async () => {
    const { jar } = await logIn(world);
    const id = sessionId(jar);
    const rows = await world.db.select().from(webSession);
    expect(rows.map((r) => r.digest)).toContain(createHash('sha256').update(id).digest('hex'));
    expect(JSON.stringify(rows)).not.toContain(id);
    expect(rows.find((r) => r.digest === createHash('sha256').update(id).digest('hex'))!.principal).toBe(TEST_USER);

    const other = await createIntegrationApi({ db: world.db });
    try {
      const home = await world.app.request('/', { headers: { cookie: jar } });
      const out = await postForm(world, '/logout', jar, { _csrf: csrfOf(await home.text()) });
      expect(out.status).toBe(303);
      expect(await who(other.app, jar)).toBe('anonymous');
      expect(await who(world.app, jar)).toBe('anonymous');
    } finally {
      await other.close();
    }
  });

  it('a session expires after its time (reads as logged out, writes go to the login page); expired rows are pruned', async () => {
    let clock = Date.now();
    const authenticator = new Authenticator({ user: TEST_USER, passwordHash: await hashPassword(TEST_PASSWORD), db: world.db });
    const sessions = new SessionStore(world.db, 60_000, () => clock, () => authenticator.adminStamp());
    const app = new Hono().route(
      '/',
      webRoutes({
        db: world.db,
        authenticator,
        logger: createLogger('silent'),
        readAuth: false,
        sessions,
      }),
    );
    const served = { app };
    const { jar, csrf, res } = await logIn(served);
    expect(res.headers.getSetCookie().find((c) => c.startsWith('pt_session='))).toMatch(/Max-Age=60;/);
    expect(await who(app, jar)).toBe(TEST_USER);
    clock += 59_000;
    expect(await who(app, jar)).toBe(TEST_USER);
    clock += 2_000;
    expect(await who(app, jar)).toBe('anonymous');
    const write = await postForm(served, `/trackings/${world.trackings.healthy.id}/enabled`, jar, { enabled: 'no', _csrf: csrf });
    expect(write.status).toBe(303);
    expect(write.headers.get('location')).toMatch(/^\/login\?next=/);
    expect((await getTracking(world.db, world.trackings.healthy.id))!.enabled).toBe(true);

    const expiredDigest = createHash('sha256').update(sessionId(jar)).digest('hex');
    expect((await world.db.select().from(webSession)).map((r) => r.digest)).toContain(expiredDigest);
    // the next login prunes it
    const again = await logIn(served);
    expect(await who(app, again.jar)).toBe(TEST_USER);
    expect((await world.db.select().from(webSession)).map((r) => r.digest)).not.toContain(expiredDigest);
    expect(mergeCookies(jar, again.res)).not.toContain(sessionId(jar));
  });

  it("the settings' admin's session ends when USER or PASSWORD changes, and outlives a restart with the same settings", async () => {
    const served = (user: string, passwordHash: string) => {
      const authenticator = new Authenticator({ user, passwordHash, db: world.db });
      return { authenticator, app: new Hono().route('/', webRoutes({ db: world.db, authenticator, logger: createLogger('silent'), readAuth: false })) };
    };
    const first = served(TEST_USER, await hashPassword(TEST_PASSWORD));
    const { jar } = await logIn(first);
    expect(await who(first.app, jar)).toBe(TEST_USER);
    const newHash = await hashPassword('Another@Password1');
    first.authenticator.setPasswordHash(newHash);
    expect(await who(first.app, jar)).toBe('anonymous');

    const again = await logIn(first, { user: TEST_USER, password: 'Another@Password1' });
    expect(await who(served(TEST_USER, newHash).app, again.jar)).toBe(TEST_USER);
    expect(await who(served('someone-else', newHash).app, again.jar)).toBe('anonymous');
  });

  it('a cookie that is no session id is simply not a session', async () => {
    expect(await who(world.app, 'pt_session=not-a-session')).toBe('anonymous');
    expect(await who(world.app, `pt_session=${'A'.repeat(43)}`)).toBe('anonymous');
  });
});
