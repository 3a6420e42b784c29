import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, addProjectDelegate } from '../../src/mail/store/projects.js';
import { corpusMessages } from '../mail/corpus.js';
import { basicAuth, createIntegrationApi } from './integration-api.js';

type Api = Awaited<ReturnType<typeof createIntegrationApi>>;
let api: Api;
const LIST = 'demo.example.org';

async function store(file: string, listId = LIST) {
  const raws = await corpusMessages(file);
  return api.store.storeBatch(raws.map((raw) => ({ raw, listId })));
}

async function get(path: string, init?: RequestInit) {
  const res = await api.app.request(path, init);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { res, body: body as any };
}

const form = (fields: Record<string, string>, auth = true): RequestInit => ({
  method: 'PATCH',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth ? { authorization: basicAuth() } : {}) },
  body: new URLSearchParams(fields).toString(),
});

beforeAll(async () => {
  api = await createIntegrationApi();
  await createProject(api.db, { linkName: 'demo', name: 'Demo', listId: LIST, listArchiveUrl: 'https://lore.example.org/demo', scmUrl: 'https://git.example.org/demo.git' });
  await createProject(api.db, { linkName: 'other', listId: 'other.example.org' });
  await store('series/base-cover-letter.mbox'); // cover 1, patches 1-2, series 1
  await store('series/bugs-multiple-content-types.mbox'); // patch 3 + a comment on it
  await store('series/base-single-patch.mbox', 'other.example.org'); // patch 4, other project
});
afterAll(async () => {
  await api?.close();
});

describe('index and projects', () => {
  it('lists every resource by absolute URL, with or without the trailing slash, in the version asked for', async () => {
    for (const path of ['/api/1.3/', '/api/1.3']) {
      const { res, body } = await get(path);
      expect(res.status).toBe(200);
      expect(Object.keys(body).sort()).toEqual(['bundles', 'covers', 'events', 'patches', 'people', 'projects', 'series', 'users']);
      expect(body.patches).toBe('http://localhost/api/1.3/patches/');
    }
    const { body } = await get('/api/1.2/');
    expect(body.series).toBe('http://localhost/api/1.2/series/');
  });

  it('serves a project by id and by link name, with Patchwork field names', async () => {
    const { body: list } = await get('/api/1.3/projects/');
    expect(list.map((p: any) => p.link_name)).toEqual(['demo', 'other']);
    const { body } = await get('/api/1.3/projects/demo/');
    expect(body).toMatchObject({ id: 1, name: 'Demo', link_name: 'demo', list_id: LIST, scm_url: 'https://git.example.org/demo.git', maintainers: [] });
    expect((await get('/api/1.3/projects/nope/')).res.status).toBe(404);
  });
});

describe('patches', () => {
  it('filters by project (link name or id) and state, as git pw patch list asks', async () => {
    const { res, body } = await get('/api/1.3/patches/?project=demo&state=new&archived=false&order=-id');
    expect(res.status).toBe(200);
    expect(body.map((p: any) => p.id)).toEqual([3, 2, 1]);
    expect((await get('/api/1.3/patches/?project=DEMO&state=New')).body).toHaveLength(3);
    const byId = await get('/api/1.3/patches/?project=2');
    expect(byId.body.map((p: any) => p.id)).toEqual([4]);
    const none = await get('/api/1.3/patches/?project=demo&state=accepted');
    expect(none.body).toEqual([]);
  });

  it('list entries carry the Patchwork 1.3 fields; detail adds headers, content, diff and prefixes', async () => {
    const { body: list } = await get('/api/1.3/patches/?project=demo');
    expect(Object.keys(list[0]).sort()).toEqual(
      ['archived', 'check', 'checks', 'comments', 'commit_ref', 'date', 'delegate', 'hash', 'id', 'list_archive_url', 'mbox', 'msgid', 'name', 'project', 'pull_url', 'related', 'series', 'state', 'submitter', 'tags', 'url', 'web_url'].sort(),
    );
    const { body } = await get('/api/1.3/patches/1/');
    expect(body.name).toBe('[1/2] test: Add some lorem ipsum');
    expect(body.prefixes).toEqual(['1/2']);
    expect(body.submitter).toEqual({ id: 1, url: 'http://localhost/api/1.3/people/1/', name: 'Stephen Finucane', email: 'stephenfinucane@gmail.com' });
    expect(body.headers.Subject).toBe('[PATCH 1/2] test: Add some lorem ipsum');
    expect(body.diff).toMatch(/^diff --git a\/test.txt b\/test.txt/);
    expect(body.mbox).toBe('http://localhost/project/demo/patch/1473632524-8585-2-git-send-email-stephenfinucane@gmail.com/mbox/');
    expect(body.series).toEqual([expect.objectContaining({ id: 1, name: 'A sample series', mbox: 'http://localhost/series/1/mbox/' })]);
    expect(body.date).toBe('2016-09-11T22:22:03');
  });

  it('filters by msgid (with or without brackets), hash, submitter address and date', async () => {
    const msgid = '1473632524-8585-3-git-send-email-stephenfinucane@gmail.com';
    expect((await get(`/api/1.3/patches/?msgid=${encodeURIComponent(msgid)}`)).body.map((p: any) => p.id)).toEqual([2]);
    expect((await get(`/api/1.3/patches/?msgid=${encodeURIComponent(`<${msgid}>`)}`)).body.map((p: any) => p.id)).toEqual([2]);
    const { body: one } = await get('/api/1.3/patches/2/');
    expect((await get(`/api/1.3/patches/?hash=${one.hash}`)).body.map((p: any) => p.id)).toContain(2);
    expect((await get('/api/1.3/patches/?project=demo&submitter=stephenfinucane@gmail.com')).body.map((p: any) => p.id)).toEqual([1, 2]);
    expect((await get('/api/1.3/patches/?project=demo&since=2016-09-11T22:22:04')).body.map((p: any) => p.id)).toEqual([2, 3]);
    expect((await get('/api/1.3/patches/?project=demo&before=2016-09-11T22:22:04')).body.map((p: any) => p.id)).toEqual([1]);
  });

  it('pages with page/per_page and a Link header; a page past the end is a 404', async () => {
    const { res, body } = await get('/api/1.3/patches/?per_page=2&page=1');
    expect(body.map((p: any) => p.id)).toEqual([1, 2]);
    const link = res.headers.get('link')!;
    expect(link).toContain('<http://localhost/api/1.3/patches/?per_page=2&page=2>; rel="next"');
    expect(link).toContain('rel="last"');
    const second = await get('/api/1.3/patches/?per_page=2&page=2');
    expect(second.body.map((p: any) => p.id)).toEqual([3, 4]);
    expect(second.res.headers.get('link')).toContain('rel="prev"');
    expect(second.res.headers.get('link')).not.toContain('rel="next"');
    expect((await get('/api/1.3/patches/?per_page=2&page=3')).res.status).toBe(404);
  });

  it('answers bad filters with a 400 naming the parameter', async () => {
    for (const [query, field] of [
      ['per_page=zero', 'per_page'],
      ['since=yesterday', 'since'],
      ['archived=maybe', 'archived'],
      ['hash=xyz', 'hash'],
      ['order=password', 'order'],
      ['series=abc', 'series'],
      ['project=nope', 'project'],
      ['state=frobnicated', 'state'],
      ['submitter=nobody@example.org', 'submitter'],
      ['delegate=424242', 'delegate'],
    ]) {
      const { res, body } = await get(`/api/1.3/patches/?${query}`);
      expect(res.status, query).toBe(400);
      expect(body.error.field).toBe(field);
    }
  });

  it('lets an authenticated maintainer change state, delegate and archived, recording events', async () => {
    expect((await get('/api/1.3/patches/1/', form({ state: 'accepted' }, false))).res.status).toBe(401);
    expect((await get('/api/1.3/patches/1/')).body.state).toBe('new');

    const delegateId = await addProjectDelegate(api.db, 1, 'maint@example.org', 'Main Tainer');
    const { res, body } = await get('/api/1.3/patches/1/', form({ state: 'under-review', delegate: String(delegateId), archived: 'true' }));
    expect(res.status).toBe(200);
    expect(body.state).toBe('under-review');
    expect(body.archived).toBe(true);
    expect(body.delegate).toMatchObject({ id: delegateId, username: 'maint@example.org', email: 'maint@example.org' });

    // pwclient sends JSON; a state may be given by name
    const json = await get('/api/1.3/patches/1/', {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', authorization: basicAuth() },
      body: JSON.stringify({ state: 'Changes Requested', archived: false }),
    });
    expect(json.body.state).toBe('changes-requested');

    const events = await get('/api/1.3/events/?category=patch-state-changed&patch=1&order=date');
    expect(events.body.map((e: any) => [e.payload.previous_state, e.payload.current_state])).toEqual([
      ['new', 'under-review'],
      ['under-review', 'changes-requested'],
    ]);
    expect(events.body[0].actor.username).toBe('admin');
    const delegated = await get('/api/1.3/events/?category=patch-delegated');
    expect(delegated.body[0].payload).toMatchObject({ patch: { id: 1 }, previous_delegate: null, current_delegate: { id: delegateId } });

    expect((await get('/api/1.3/patches/?project=demo&delegate=maint@example.org')).body.map((p: any) => p.id)).toEqual([1]);
    expect((await get('/api/1.3/patches/?project=demo&state=changes-requested')).body.map((p: any) => p.id)).toEqual([1]);
  });

  it('refuses an unknown state, an unknown delegate and unknown fields with a 400 naming them', async () => {
    for (const [fields, field] of [
      [{ state: 'frobnicated' }, 'state'],
      [{ delegate: 'nobody@example.org' }, 'delegate'],
      [{ password: 'x' }, 'password'],
      [{ archived: 'perhaps' }, 'archived'],
    ] as const) {
      const { res, body } = await get('/api/1.3/patches/2/', form(fields as Record<string, string>));
      expect(res.status, JSON.stringify(fields)).toBe(400);
      expect(body.error.field).toBe(field);
    }
    expect((await get('/api/1.3/patches/999/', form({ state: 'new' }))).res.status).toBe(404);
  });
});

describe('series, covers, comments, people', () => {
  it('series detail lists its patches in order with the cover letter and mbox URL', async () => {
    const { body } = await get('/api/1.3/series/1/');
    expect(body).toMatchObject({ id: 1, name: 'A sample series', version: 1, total: 2, received_total: 2, received_all: true, mbox: 'http://localhost/series/1/mbox/' });
    expect(body.patches.map((p: any) => p.id)).toEqual([1, 2]);
    expect(body.cover_letter).toMatchObject({ id: 1, name: '[0/2] A sample series' });
    expect((await get('/api/1.3/series/?project=other')).body.map((s: any) => s.project.link_name)).toEqual(['other']);
  });

  it('covers and comments', async () => {
    const { body: covers } = await get('/api/1.3/covers/?project=demo');
    expect(covers.map((c: any) => c.id)).toEqual([1]);
    const { body: cover } = await get('/api/1.3/covers/1/');
    expect(cover.content).toContain('This is a sample cover letter');
    const { body: comments } = await get('/api/1.3/patches/3/comments/');
    expect(comments).toHaveLength(1);
    expect(comments[0]).toMatchObject({ subject: expect.stringMatching(/^Re:/), submitter: { email: expect.any(String) } });
    expect(comments[0].headers['Message-ID'] ?? comments[0].headers['Message-Id']).toBe(comments[0].msgid);
  });

  it('people and users (delegates are looked up by address through /users/?q=)', async () => {
    const { body } = await get('/api/1.3/people/?q=finucane');
    expect(body.map((p: any) => p.email)).toContain('stephenfinucane@gmail.com');
    const { body: users } = await get('/api/1.3/users/?q=maint@example.org');
    expect(users).toEqual([expect.objectContaining({ username: 'maint@example.org' })]);
  });
});

describe('checks through /api/1.3/patches/{id}/checks/', () => {
  it('needs authentication to post, validates, and folds into the patch check state', async () => {
    const post = (fields: Record<string, string>, auth = true) =>
      get('/api/1.3/patches/2/checks/', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth ? { authorization: basicAuth() } : {}) },
        body: new URLSearchParams(fields).toString(),
      });
    expect((await post({ state: 'success' }, false)).res.status).toBe(401);
    const badState = await post({ state: 'great' });
    expect(badState.res.status).toBe(400);
    expect(badState.body.error.field).toBe('state');
    const badContext = await post({ state: 'success', context: 'has spaces' });
    expect(badContext.body.error.field).toBe('context');

    const created = await post({ state: 'success', context: 'build', target_url: 'https://ci.example.org/1', description: 'built' });
    expect(created.res.status).toBe(201);
    expect(created.body).toMatchObject({ state: 'success', context: 'build', target_url: 'https://ci.example.org/1', user: { username: 'admin' } });
    expect((await get('/api/1.3/patches/2/')).body.check).toBe('success');

    await post({ state: 'fail', context: 'test' });
    expect((await get('/api/1.3/patches/2/')).body.check).toBe('fail');
    // a newer result of the same context replaces the old one
    await post({ state: 'success', context: 'test' });
    expect((await get('/api/1.3/patches/2/')).body.check).toBe('success');

    const { body: list } = await get('/api/1.3/patches/2/checks/');
    expect(list.map((c: any) => `${c.context}:${c.state}`)).toEqual(['build:success', 'test:fail', 'test:success']);
    expect((await get(`/api/1.3/patches/2/checks/${list[0].id}/`)).body.id).toBe(list[0].id);
    expect((await get('/api/1.3/patches/2/checks/?context=test&state=fail')).body).toHaveLength(1);

    const events = await get('/api/1.3/events/?category=check-created&patch=2');
    expect(events.body).toHaveLength(3);
    expect(events.body[0].payload).toMatchObject({ patch: { id: 2 }, check: { state: 'success', context: 'test' } });
  });
});

describe('downloads', () => {
  it('serves a patch mbox at the web path git-pw uses, with Content-Disposition', async () => {
    const { body: patch } = await get('/api/1.3/patches/1/');
    const res = await api.app.request(new URL(patch.mbox).pathname);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename=1-2-test-Add-some-lorem-ipsum.patch');
    const text = await res.text();
    expect(text.startsWith('From patchwork ')).toBe(true);
    expect(text).toContain('\nSubject: [PATCH 1/2] test: Add some lorem ipsum\n');
    expect(text).toContain('\nFrom: Stephen Finucane <stephenfinucane@gmail.com>\n');
    expect(text).toContain(`\nMessage-Id: ${patch.msgid}\n`);
    expect(text).toContain('\nX-Patchwork-Delegate: maint@example.org\n');
    expect(text.endsWith(patch.diff)).toBe(true);
    const byId = await api.app.request('/api/1.3/patches/1/mbox/');
    expect(await byId.text()).toBe(text);
  });

  it('serves the raw diff, the cover mbox, and 404s for unknown message ids', async () => {
    const { body: patch } = await get('/api/1.3/patches/2/');
    const raw = await api.app.request(new URL(patch.mbox).pathname.replace(/mbox\/$/, 'raw/'));
    expect(raw.headers.get('content-disposition')).toMatch(/\.diff$/);
    expect(await raw.text()).toBe(patch.diff);
    const { body: cover } = await get('/api/1.3/covers/1/');
    const coverMbox = await api.app.request(new URL(cover.mbox).pathname);
    expect(await coverMbox.text()).toContain('This is a sample cover letter');
    expect((await api.app.request('/project/demo/patch/nothing@example.org/mbox/')).status).toBe(404);
    expect((await api.app.request('/project/nope/patch/x@y/mbox/')).status).toBe(404);
    // web URLs lead to the dashboard's pages: the patch's page, and the list of the series' patches
    expect((await api.app.request(new URL(patch.web_url).pathname)).headers.get('location')).toBe('/patch/2/');
    const { body: series } = await get('/api/1.3/series/1/');
    const webSeries = new URL(series.web_url);
    const seriesList = await api.app.request(webSeries.pathname + webSeries.search);
    expect(seriesList.status).toBe(200);
    expect(await seriesList.text()).toContain('href="/series/1/"');
  });

  it('message ids with /, + and % survive the round trip through the mbox URL', async () => {
    const raw = [
      'From: Odd Sender <odd@example.org>',
      'To: demo@example.org',
      'List-Id: <demo.example.org>',
      'Subject: [PATCH] odd: message id',
      'Date: Fri, 02 Jan 2026 10:00:00 +0000',
      'Message-Id: <a/b+c%41d@example.org>',
      '',
      'Odd.',
      '---',
      'diff --git a/x b/x',
      '--- a/x',
      '+++ b/x',
      '@@ -1 +1 @@',
      '-a',
      '+b',
      '',
    ].join('\n');
    api.store.invalidateProjects();
    const [out] = await api.store.storeBatch([{ raw: Buffer.from(raw) }]);
    expect(out).toMatchObject({ status: 'patch' });
    const { body } = await get(`/api/1.3/patches/${(out as { id: number }).id}/`);
    expect(body.msgid).toBe('<a/b+c%41d@example.org>');
    const res = await api.app.request(new URL(body.mbox).pathname);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('\nMessage-Id: <a/b+c%41d@example.org>\n');
  });

  it('the series mbox holds every patch in order; ?series=* on a patch holds it and its predecessors', async () => {
    const res = await api.app.request('/series/1/mbox/');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename=A-sample-series.patch');
    const text = await res.text();
    const subjects = [...text.matchAll(/^Subject: (.*)$/gm)].map((m) => m[1]);
    expect(subjects).toEqual(['[PATCH 1/2] test: Add some lorem ipsum', '[PATCH 2/2] test: Convert to Markdown']);
    expect(text.match(/^From patchwork /gm)).toHaveLength(2);
    const { body: second } = await get('/api/1.3/patches/2/');
    const withDeps = await (await api.app.request(`${new URL(second.mbox).pathname}?series=*`)).text();
    expect(withDeps.match(/^From patchwork /gm)).toHaveLength(2);
    expect((await api.app.request('/series/99/mbox/')).status).toBe(404);
  });
});

describe('read authentication', () => {
  it('follows READ_AUTH: reads need credentials when it is on', async () => {
    const closed = await createIntegrationApi({ readAuth: true, db: api.db });
    try {
      expect((await closed.app.request('/api/1.3/patches/')).status).toBe(401);
      expect((await closed.app.request('/series/1/mbox/')).status).toBe(401);
      expect((await closed.app.request('/api/1.3/patches/', { headers: { authorization: basicAuth() } })).status).toBe(200);
    } finally {
      await closed.close();
    }
  });
});
