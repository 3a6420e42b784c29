/**
 * The admin's pages: users, project maintainers and API tokens. Only an admin login reads or writes them
 * (anonymous → the login page, a maintainer → 403), every form needs its CSRF token, a refused form names
 * the field, and a token's secret is shown once. A dashboard session ends with what it logged in with: a
 * token revoked (through the API or the page), a user removed, deactivated or given a new password.
 */
import { Writable } from 'node:stream';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Authenticator } from '../../src/auth/authenticator.js';
import { hashPassword } from '../../src/auth/passwords.js';
import { listApiTokens } from '../../src/auth/tokens.js';
import { createUser, findUserByName, projectMaintainers } from '../../src/auth/users.js';
import { createLogger } from '../../src/log.js';
import { webRoutes } from '../../src/web/routes.js';
import { basicAuth } from '../helpers/api.js';
import { TEST_PASSWORD, TEST_USER } from '../helpers/service.js';
import { createWorld, csrfOf, logIn, postForm, type Served, type World } from './world.js';

const PASSWORD = 'a long password 1';
let world: World;
let admin: { jar: string; csrf: string };
let maintainer: { jar: string; csrf: string };

beforeAll(async () => {
  world = await createWorld();
  await createUser(world.db, { name: 'maint', email: 'maint@example.org', password: PASSWORD });
  admin = await logIn(world);
  maintainer = await logIn(world, { user: 'maint', password: PASSWORD });
});
afterAll(() => world?.close());

const get = async (path: string, jar?: string, served: Served = world) => {
  const res = await served.app.request(path, { headers: jar ? { cookie: jar } : {} });
  return { res, html: await res.text() };
};

/** Who the dashboard says is logged in with these cookies. */
const who = async (jar: string) => {
  const { html } = await get('/', jar);
  return /<span class="who"><span>([^<]+)<\/span>/.exec(html)?.[1] ?? 'anonymous';
};

const ADMIN_PAGES = ['/admin/users', '/admin/users/maint', '/admin/projects', '/admin/projects/demo/maintainers', '/admin/tokens'];

describe('who may see the admin pages', () => {
  it('sends anonymous visitors to the login page and refuses a maintainer with a 403 page', async () => {
    for (const path of ADMIN_PAGES) {
      const anonymous = await get(path);
      expect(anonymous.res.status, path).toBe(303);
      expect(anonymous.res.headers.get('location'), path).toBe(`/login?next=${encodeURIComponent(path)}`);
      const refused = await get(path, maintainer.jar);
      expect(refused.res.status, path).toBe(403);
      expect(refused.html).toContain('this needs the &quot;admin&quot; scope; this login has: read, patches');
    }
  });

  it('shows them to an admin, linked from the nav; the nav of others has no admin links', async () => {
    for (const path of ADMIN_PAGES) expect((await get(path, admin.jar)).res.status, path).toBe(200);
    expect((await get('/', admin.jar)).html).toContain('<a href="/admin/tokens">Tokens</a>');
    expect((await get('/project/demo/list/', admin.jar)).html).toContain('href="/admin/projects/demo/maintainers"');
    expect((await get('/', maintainer.jar)).html).not.toContain('/admin/');
    expect((await get('/project/demo/list/', maintainer.jar)).html).not.toContain('/admin/');
    expect((await get('/')).html).not.toContain('/admin/');
  });

  it('refuses every write without the form CSRF token, and a maintainer with it', async () => {
    const writes: Array<[string, Record<string, string>]> = [
      ['/admin/users', { name: 'mallory', email: 'm@example.org', password: PASSWORD, admin: 'yes' }],
      ['/admin/users/maint/update', { email: 'evil@example.org', admin: 'yes' }],
      ['/admin/users/maint/password', { password: 'another password' }],
      ['/admin/users/maint/active', { active: 'no' }],
      ['/admin/users/maint/remove', {}],
      ['/admin/projects/demo/maintainers', { user: 'maint' }],
      ['/admin/tokens', { name: 'stolen', scope: 'admin' }],
    ];
    for (const [path, fields] of writes) {
      const noCsrf = await postForm(world, path, admin.jar, fields);
      expect(noCsrf.status, path).toBe(403);
      expect(await noCsrf.text()).toContain('the form is stale or came from another site');
      const asMaintainer = await postForm(world, path, maintainer.jar, { ...fields, _csrf: maintainer.csrf });
      expect(asMaintainer.status, path).toBe(403);
      const anonymous = await postForm(world, path, '', fields);
      expect(anonymous.status, path).toBe(303);
      expect(anonymous.headers.get('location')).toMatch(/^\/login\?next=/);
    }
    expect(await findUserByName(world.db, 'mallory')).toBeUndefined();
    expect(await findUserByName(world.db, 'maint')).toMatchObject({ email: 'maint@example.org', admin: false, active: true });
    expect(await projectMaintainers(world.db, 'demo')).toEqual([]);
    expect((await listApiTokens(world.db)).map((t) => t.name)).not.toContain('stolen');
    expect(await who(maintainer.jar)).toBe('maint');
  });
});

describe('users', () => {
  it('adds a user; a bad or taken field is refused on the page, naming the field', async () => {
    const added = await postForm(world, '/admin/users', admin.jar, { _csrf: admin.csrf, name: 'ada', email: 'Ada@Example.org', password: PASSWORD, admin: 'no' });
    expect(added.status).toBe(303);
    expect(added.headers.get('location')).toBe('/admin/users/ada?done=created');
    const page = await get('/admin/users/ada?done=created', admin.jar);
    expect(page.html).toContain('User added.');
    expect(page.html).toContain('ada@example.org');
    expect((await get('/admin/users', admin.jar)).html).toContain('href="/admin/users/ada"');

    const badEmail = await postForm(world, '/admin/users', admin.jar, { _csrf: admin.csrf, name: 'bob', email: 'not an address', password: PASSWORD });
    expect(badEmail.status).toBe(400);
    expect(await badEmail.text()).toContain('email &quot;not an address&quot; is not an email address');
    const shortPassword = await postForm(world, '/admin/users', admin.jar, { _csrf: admin.csrf, name: 'bob', email: 'bob@example.org', password: 'short' });
    expect(shortPassword.status).toBe(400);
    expect(await shortPassword.text()).toContain('password: must be 8 to 200 characters long');
    const taken = await postForm(world, '/admin/users', admin.jar, { _csrf: admin.csrf, name: 'ada', email: 'ada2@example.org', password: PASSWORD });
    expect(taken.status).toBe(409);
    expect(await taken.text()).toContain('a user named &quot;ada&quot; exists');
    const badFlag = await postForm(world, '/admin/users', admin.jar, { _csrf: admin.csrf, name: 'bob', email: 'bob@example.org', password: PASSWORD, admin: 'maybe' });
    expect(badFlag.status).toBe(400);
    expect(await badFlag.text()).toContain('admin: &quot;maybe&quot; is not yes, no or both');
    expect(await findUserByName(world.db, 'bob')).toBeUndefined();
    expect((await get('/admin/users/nobody', admin.jar)).res.status).toBe(404);
  });

  it('changes email and admin flag, and the change ends their sessions: they log in again with what they may do now', async () => {
    await createUser(world.db, { name: 'grace', email: 'grace@example.org', password: PASSWORD });
    const grace = await logIn(world, { user: 'grace', password: PASSWORD });
    expect(await who(grace.jar)).toBe('grace');
    expect((await get('/admin/tokens', grace.jar)).res.status).toBe(403);

    const changed = await postForm(world, '/admin/users/grace/update', admin.jar, { _csrf: admin.csrf, email: 'grace@new.example.org', admin: 'yes' });
    expect(changed.status).toBe(303);
    expect(await findUserByName(world.db, 'grace')).toMatchObject({ email: 'grace@new.example.org', admin: true });
    expect(await who(grace.jar)).toBe('anonymous');
    const again = await logIn(world, { user: 'grace', password: PASSWORD });
    expect((await get('/admin/tokens', again.jar)).res.status).toBe(200);

    const refused = await postForm(world, '/admin/users/grace/update', admin.jar, { _csrf: admin.csrf, email: 'nope', admin: 'yes' });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('is not an email address');
  });

  it("a new password ends the user's password sessions; the old password no longer logs in", async () => {
    await createUser(world.db, { name: 'linus', email: 'linus@example.org', password: PASSWORD });
    const linus = await logIn(world, { user: 'linus', password: PASSWORD });
    expect(await who(linus.jar)).toBe('linus');
    const set = await postForm(world, '/admin/users/linus/password', admin.jar, { _csrf: admin.csrf, password: 'the new password' });
    expect(set.status).toBe(303);
    expect(await who(linus.jar)).toBe('anonymous');
    expect((await logIn(world, { user: 'linus', password: PASSWORD })).res.status).toBe(401);
    expect((await logIn(world, { user: 'linus', password: 'the new password' })).res.status).toBe(303);
    const short = await postForm(world, '/admin/users/linus/password', admin.jar, { _csrf: admin.csrf, password: 'short' });
    expect(short.status).toBe(400);
    expect(await short.text()).toContain('password: must be 8 to 200 characters long');
  });

  it('deactivating ends their sessions, refuses their logins and tokens; activating lets them in again; removing ends all', async () => {
    await createUser(world.db, { name: 'ken', email: 'ken@example.org', password: PASSWORD });
    const created = await postForm(world, '/admin/tokens', admin.jar, { _csrf: admin.csrf, name: 'ken-bot', scope: 'patches', user: 'ken' });
    const token = /value="(ptk_[^"]+)"/.exec(await created.text())![1]!;
    const bySession = await logIn(world, { user: 'ken', password: PASSWORD });
    const byToken = await logIn(world, { token });
    expect(await who(byToken.jar)).toBe('token:ken-bot');

    expect((await postForm(world, '/admin/users/ken/active', admin.jar, { _csrf: admin.csrf, active: 'no' })).status).toBe(303);
    expect((await get('/admin/users/ken?done=deactivated', admin.jar)).html).toContain('Deactivated: they cannot log in');
    expect(await who(bySession.jar)).toBe('anonymous');
    expect(await who(byToken.jar)).toBe('anonymous');
    expect((await logIn(world, { user: 'ken', password: PASSWORD })).res.status).toBe(401);
    expect((await world.app.request('/api/1.3/patches/1/', { method: 'PATCH', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"state":"rfc"}' })).status).toBe(401);

    expect((await postForm(world, '/admin/users/ken/active', admin.jar, { _csrf: admin.csrf, active: 'yes' })).status).toBe(303);
    const back = await logIn(world, { user: 'ken', password: PASSWORD });
    expect(await who(back.jar)).toBe('ken');

    const removed = await postForm(world, '/admin/users/ken/remove', admin.jar, { _csrf: admin.csrf });
    expect(removed.headers.get('location')).toBe('/admin/users?done=removed');
    expect(await who(back.jar)).toBe('anonymous');
    expect(await findUserByName(world.db, 'ken')).toBeUndefined();
    expect((await listApiTokens(world.db)).map((t) => t.name)).not.toContain('ken-bot');
  });
});

describe('project maintainers', () => {
  it('adds and removes a maintainer of a project, and refuses an unknown user naming the field', async () => {
    await createUser(world.db, { name: 'tove', email: 'tove@example.org', password: PASSWORD });
    const path = '/admin/projects/demo/maintainers';
    expect((await get(path, admin.jar)).html).toContain('<option value="tove">');
    const added = await postForm(world, path, admin.jar, { _csrf: admin.csrf, user: 'tove' });
    expect(added.headers.get('location')).toBe(`${path}?done=added`);
    expect(await projectMaintainers(world.db, 'demo')).toContain('tove');
    const page = await get(`${path}?done=added`, admin.jar);
    expect(page.html).toContain('Maintainer added.');
    expect(page.html).toContain('aria-label="Remove tove"');
    expect((await get('/admin/projects', admin.jar)).html).toMatch(/demo\.example\.org<\/td><td>[^<]*tove/);

    const unknown = await postForm(world, path, admin.jar, { _csrf: admin.csrf, user: 'nobody' });
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('no user &quot;nobody&quot;');
    const empty = await postForm(world, path, admin.jar, { _csrf: admin.csrf, user: '' });
    expect(empty.status).toBe(400);
    expect(await empty.text()).toContain('user: is required');

    const removed = await postForm(world, `${path}/remove`, admin.jar, { _csrf: admin.csrf, user: 'tove' });
    expect(removed.headers.get('location')).toBe(`${path}?done=unassigned`);
    expect(await projectMaintainers(world.db, 'demo')).not.toContain('tove');
    expect((await postForm(world, `${path}/remove`, admin.jar, { _csrf: admin.csrf, user: 'tove' })).status).toBe(400);
    expect((await get('/admin/projects/nope/maintainers', admin.jar)).res.status).toBe(404);
  });
});

describe('API tokens', () => {
  it('creates a token with the chosen scopes, shows it once and logs it nowhere; revokes it', async () => {
    const lines: string[] = [];
    const logger = createLogger('info', new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }));
    const app = new Hono().route('/', webRoutes({ db: world.db, authenticator: new Authenticator({ user: TEST_USER, passwordHash: await hashPassword(TEST_PASSWORD), db: world.db }), logger, readAuth: false }));
    const served = { app };
    const me = await logIn(served);

    const created = await postForm(served, '/admin/tokens', me.jar, { _csrf: me.csrf, name: 'ci-bot', scope: 'checks', user: '' });
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    const html = await created.text();
    const token = /value="(ptk_[A-Za-z0-9_-]{43})"/.exec(html)![1]!;
    expect(html).toContain('shown only this once');
    expect(html).toContain('Scopes: checks; acts as the service.');
    const row = (await listApiTokens(world.db)).find((t) => t.name === 'ci-bot')!;
    expect(row.scopes).toEqual(['checks']);
    expect(row.userId).toBeNull();

    const listing = (await get('/admin/tokens', me.jar, served)).html;
    expect(listing).toContain('ci-bot');
    expect(listing).toContain(`${token.slice(0, 10)}…`);
    expect(listing).not.toContain(token);
    expect(lines.join('')).toContain('API token created from the dashboard');
    expect(lines.join('')).not.toContain(token);

    // the token works on the API with its scope only
    expect((await world.app.request('/api/v1/tokens', { headers: { authorization: `Bearer ${token}` } })).status).toBe(403);

    const revoked = await postForm(served, `/admin/tokens/${row.id}/revoke`, me.jar, { _csrf: me.csrf });
    expect(revoked.headers.get('location')).toBe('/admin/tokens?done=revoked');
    expect((await listApiTokens(world.db)).find((t) => t.id === row.id)!.revokedAt).not.toBeNull();
    expect((await get('/admin/tokens?done=revoked', me.jar, served)).html).toMatch(/revoked <time/);
    const twice = await postForm(served, `/admin/tokens/${row.id}/revoke`, me.jar, { _csrf: me.csrf });
    expect(twice.status).toBe(404);
    expect(await twice.text()).toContain(`no live token ${row.id}`);
  });

  it('refuses a token without scopes, with an unknown scope, or for an unknown user, naming the field', async () => {
    const cases: Array<[Record<string, string>, number, string]> = [
      [{ name: 'x', user: '' }, 400, 'scopes: give at least one scope'],
      [{ name: 'x', scope: 'root' }, 400, 'scopes: &quot;root&quot; is not a scope'],
      [{ name: '', scope: 'read' }, 400, 'name: is required'],
      [{ name: 'x', scope: 'read', user: 'nobody' }, 400, 'user: no user &quot;nobody&quot;'],
    ];
    const before = (await listApiTokens(world.db)).length;
    for (const [fields, status, message] of cases) {
      const res = await postForm(world, '/admin/tokens', admin.jar, { _csrf: admin.csrf, ...fields });
      expect(res.status, message).toBe(status);
      expect(await res.text()).toContain(message);
    }
    expect((await listApiTokens(world.db)).length).toBe(before);
  });
});

describe('a session ends with its token', () => {
  it('logged in with a token, revoked through the API: the next page request is logged out, and writes go to the login page', async () => {
    const created = await world.app.request('/api/v1/tokens', {
      method: 'POST',
      headers: { authorization: basicAuth(), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'laptop', scopes: ['trackings'] }),
    });
    const { id, token } = (await created.json()) as { id: number; token: string };
    const session = await logIn(world, { token });
    expect(await who(session.jar)).toBe('token:laptop');
    const id1 = world.trackings.healthy.id;
    expect((await postForm(world, `/trackings/${id1}/enabled`, session.jar, { _csrf: session.csrf, enabled: 'yes' })).status).toBe(303);

    expect((await world.app.request(`/api/v1/tokens/${id}`, { method: 'DELETE', headers: { authorization: basicAuth() } })).status).toBe(204);
    expect(await who(session.jar)).toBe('anonymous');
    const write = await postForm(world, `/trackings/${id1}/enabled`, session.jar, { _csrf: session.csrf, enabled: 'no' });
    expect(write.status).toBe(303);
    expect(write.headers.get('location')).toMatch(/^\/login\?next=/);
    // sessions of other logins are untouched
    expect(await who(admin.jar)).toBe(TEST_USER);
  });

  it('revoked from the admin page: the same', async () => {
    const created = await postForm(world, '/admin/tokens', admin.jar, { _csrf: admin.csrf, name: 'desk', scope: 'read' });
    const token = /value="(ptk_[^"]+)"/.exec(await created.text())![1]!;
    const session = await logIn(world, { token });
    expect(await who(session.jar)).toBe('token:desk');
    const row = (await listApiTokens(world.db)).find((t) => t.name === 'desk')!;
    const tokensPage = await get('/admin/tokens', admin.jar);
    expect(csrfOf(tokensPage.html)).toBe(admin.csrf);
    expect(tokensPage.html).toContain(`action="/admin/tokens/${row.id}/revoke"`);
    await postForm(world, `/admin/tokens/${row.id}/revoke`, admin.jar, { _csrf: admin.csrf });
    expect(await who(session.jar)).toBe('anonymous');
  });
});
