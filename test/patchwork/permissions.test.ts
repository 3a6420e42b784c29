/**
 * Who may change a mail patch (Patchwork's rule): admins, the project's maintainers and the patch's
 * delegate change anything; its submitter only its state, to rfc / not-applicable / superseded; anyone
 * else nothing. The Patchwork API's PATCH and the dashboard's state form both follow it; a token of a
 * user acts as that user.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/auth/tokens.js';
import { addMaintainer, createUser, removeMaintainer, setUserPassword } from '../../src/auth/users.js';
import { MailStore } from '../../src/mail/store/mail-store.js';
import { addProjectDelegate, createProject } from '../../src/mail/store/projects.js';
import { basicAuth, createTestApi } from '../helpers/api.js';
import { patchMail } from '../mail-ingest/mails.js';
import { logIn, postForm, type World } from '../web/world.js';

let api: Awaited<ReturnType<typeof createTestApi>>;
let patchId: number;
const PASSWORD = 'a long password 1';

beforeAll(async () => {
  api = await createTestApi();
  const project = await createProject(api.db, { linkName: 'dev', listId: 'dev.lists.example.org' });
  await addProjectDelegate(api.db, project.id, 'eve@example.org');
  const [stored] = await new MailStore(api.db).storeBatch([{ raw: patchMail(1), listId: null }]);
  patchId = (stored as { id: number }).id;
  await createUser(api.db, { name: 'maint', email: 'maint@example.org', password: PASSWORD });
  await createUser(api.db, { name: 'ada', email: 'ADA@example.org', password: PASSWORD }); // the patch's submitter
  await createUser(api.db, { name: 'eve', email: 'eve@example.org', password: PASSWORD });
  await addMaintainer(api.db, 'dev', 'maint');
});
afterAll(() => api?.close());

const patch = (body: unknown, authorization: string) =>
  api.app.request(`/api/1.3/patches/${patchId}/`, { method: 'PATCH', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify(body) });
const stateOf = async () => ((await (await api.app.request(`/api/1.3/patches/${patchId}/`)).json()) as { state: string }).state;
const as = (user: string) => basicAuth(user, PASSWORD);

describe('the Patchwork API PATCH', () => {
  it('refuses someone who is neither maintainer, delegate nor submitter with 403, changing nothing', async () => {
    const res = await patch({ state: 'accepted' }, as('eve'));
    expect(res.status).toBe(403);
    expect((await res.json()).error).toEqual({ code: 'patch_forbidden', message: "only the maintainers of dev, the patch's delegate and admins may change this patch" });
    expect(await stateOf()).toBe('new');
  });

  it('lets the submitter withdraw their patch, but not accept, archive or delegate it', async () => {
    expect((await patch({ state: 'superseded' }, as('ada'))).status).toBe(200);
    expect(await stateOf()).toBe('superseded');
    for (const body of [{ state: 'accepted' }, { archived: true }, { delegate: 'maint@example.org' }]) {
      const res = await patch(body, as('ada'));
      expect(res.status, JSON.stringify(body)).toBe(403);
      expect((await res.json()).error.message).toContain('as its submitter you may only set');
    }
    expect(await stateOf()).toBe('superseded');
  });

  it('lets a maintainer change anything, and stops when they are no longer one', async () => {
    expect((await patch({ state: 'accepted', archived: true }, as('maint'))).status).toBe(200);
    expect(await stateOf()).toBe('accepted');
    await removeMaintainer(api.db, 'dev', 'maint');
    expect((await patch({ state: 'new' }, as('maint'))).status).toBe(403);
    await addMaintainer(api.db, 'dev', 'maint');
  });

  it('lets the delegate change the patch', async () => {
    expect((await patch({ delegate: 'eve@example.org' }, basicAuth())).status).toBe(200);
    expect((await patch({ state: 'under-review' }, as('eve'))).status).toBe(200);
    expect((await patch({ delegate: null }, basicAuth())).status).toBe(200);
    expect((await patch({ state: 'new' }, as('eve'))).status).toBe(403);
  });

  it('the settings admin, and a token of no user, change anything; a token of a user acts as that user', async () => {
    expect((await patch({ state: 'rfc' }, basicAuth())).status).toBe(200);
    const service = (await createApiToken(api.db, 'bot', ['patches'])).token;
    expect((await patch({ state: 'new' }, `Bearer ${service}`)).status).toBe(200);
    const eves = (await createApiToken(api.db, 'eve-cli', ['patches'], 'eve')).token;
    expect((await patch({ state: 'accepted' }, `Bearer ${eves}`)).status).toBe(403);
    const maints = (await createApiToken(api.db, 'maint-cli', ['patches'], 'maint')).token;
    expect((await patch({ state: 'accepted' }, `Bearer ${maints}`)).status).toBe(200);
  });

  it('a changed password takes effect at once, even for a credential verified a moment ago', async () => {
    expect((await patch({ state: 'new' }, as('maint'))).status).toBe(200);
    await setUserPassword(api.db, 'maint', 'another long password');
    expect((await patch({ state: 'accepted' }, as('maint'))).status).toBe(401);
    expect((await patch({ state: 'accepted' }, basicAuth('maint', 'another long password'))).status).toBe(200);
    await setUserPassword(api.db, 'maint', PASSWORD);
  });
});

describe('the dashboard state form', () => {
  const world = () => ({ app: api.app }) as unknown as World;

  async function setState(login: Record<string, string>, state: string) {
    const { jar, csrf, res } = await logIn(world(), login);
    expect(res.status).toBe(303);
    return postForm(world(), `/patch/${patchId}/update`, jar, { state, _csrf: csrf });
  }

  it('follows the same rule: eve is refused on the page, ada may withdraw, maint may accept', async () => {
    const refused = await setState({ user: 'eve', password: PASSWORD }, 'accepted');
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('only the maintainers of dev');
    expect((await setState({ user: 'ada', password: PASSWORD }, 'not-applicable')).status).toBe(303);
    expect(await stateOf()).toBe('not-applicable');
    expect((await setState({ user: 'ada', password: PASSWORD }, 'accepted')).status).toBe(403);
    expect((await setState({ user: 'maint', password: PASSWORD }, 'accepted')).status).toBe(303);
    expect(await stateOf()).toBe('accepted');
  });

  it('a login with a token holds only its scopes: a read token may not change a patch', async () => {
    const { token } = await createApiToken(api.db, 'viewer', ['read']);
    const res = await setState({ token }, 'new');
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('this needs the &quot;patches&quot; scope');
    expect(await stateOf()).toBe('accepted');
    const { token: writer } = await createApiToken(api.db, 'writer', ['patches']);
    expect((await setState({ token: writer }, 'new')).status).toBe(303);
  });
});
