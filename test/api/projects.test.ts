/** /api/v1/projects: mailing-list projects over HTTP, with the domain's rules and the admin scope for writes. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/auth/tokens.js';
import { basicAuth, createTestApi, jsonRequest } from '../helpers/api.js';
import { patchMail } from '../mail-ingest/mails.js';

let api: Awaited<ReturnType<typeof createTestApi>>;
let mailToken: string;
beforeAll(async () => {
  api = await createTestApi();
  mailToken = (await createApiToken(api.db, 'mta', ['mail'])).token;
});
afterAll(() => api?.close());

const req = (path: string, init?: RequestInit) => api.app.request(path, init);
const postMail = (raw: Buffer) => req('/api/v1/mail', { method: 'POST', headers: { 'content-type': 'message/rfc822', authorization: `Bearer ${mailToken}` }, body: raw });

describe('/api/v1/projects', () => {
  let id: number;

  it('creates a project (201, Location), which the mail intake uses at once', async () => {
    // the intake has read the projects already: this list has none yet, so the mail is kept as dropped
    const before = await postMail(patchMail(1, { listId: 'kernel.lists.example.org', msgid: '<p1@example.org>' }));
    expect((await before.json()).status).toBe('dropped');

    const res = await req(
      '/api/v1/projects',
      jsonRequest('POST', {
        link_name: 'kernel',
        list_id: 'kernel.lists.example.org',
        list_email: 'kernel@lists.example.org',
        name: 'The Kernel',
        web_url: 'https://kernel.example.org/',
        scm_url: 'https://git.example.org/kernel.git',
        delegates: ['maint@example.org'],
        autodelegate: [{ path: 'drivers/*', email: 'drivers@example.org', priority: 2 }],
      }),
    );
    expect(res.status).toBe(201);
    const body = await res.json();
    id = body.id;
    expect(res.headers.get('location')).toBe(`/api/v1/projects/${id}`);
    expect(body).toMatchObject({ link_name: 'kernel', name: 'The Kernel', list_id: 'kernel.lists.example.org', list_email: 'kernel@lists.example.org', subject_match: '', scm_url: 'https://git.example.org/kernel.git' });

    const after = await postMail(patchMail(2, { listId: 'kernel.lists.example.org', msgid: '<p2@example.org>' }));
    expect(after.status).toBe(201);
    expect(await after.json()).toMatchObject({ status: 'patch', project_id: id });
    // the Patchwork API sees it too, with its delegate
    const pw = await (await req(`/api/1.3/projects/${id}/`)).json();
    expect(pw).toMatchObject({ link_name: 'kernel', list_id: 'kernel.lists.example.org' });
  });

  it('lists and gets; 404 for a missing id', async () => {
    const list = (await (await req('/api/v1/projects')).json()) as Array<{ id: number; link_name: string }>;
    expect(list.map((p) => p.link_name)).toContain('kernel');
    expect((await (await req(`/api/v1/projects/${id}`)).json()).link_name).toBe('kernel');
    const missing = await req('/api/v1/projects/999999');
    expect(missing.status).toBe(404);
  });

  it('changes fields with PATCH, under the same rules', async () => {
    const res = await req(`/api/v1/projects/${id}`, jsonRequest('PATCH', { name: 'Linux', subject_match: '\\[PATCH kernel' }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id, link_name: 'kernel', name: 'Linux', subject_match: '\\[PATCH kernel' });
    const bad = await req(`/api/v1/projects/${id}`, jsonRequest('PATCH', { subject_match: '([' }));
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatchObject({ code: 'invalid_project', field: 'subject_match' });
    const empty = await req(`/api/v1/projects/${id}`, jsonRequest('PATCH', {}));
    expect(empty.status).toBe(400);
    const missing = await req('/api/v1/projects/999999', jsonRequest('PATCH', { name: 'x' }));
    expect(missing.status).toBe(404);
  });

  it('bad input is a 400 naming the field', async () => {
    const cases: Array<[unknown, string]> = [
      [{ link_name: 'has space', list_id: 'a.example.org' }, 'link_name'],
      [{ link_name: 'ok', list_id: 'a <b>' }, 'list_id'],
      [{ link_name: 'ok' }, 'list_id'],
      [{ link_name: 'ok', list_id: 'a.example.org', colour: 'red' }, 'colour'],
      [{ link_name: 'ok', list_id: 'a.example.org', delegates: ['not-an-address'] }, 'delegates.0'],
      [{ link_name: 'ok', list_id: 'a.example.org', subject_match: '(' }, 'subject_match'],
    ];
    for (const [body, field] of cases) {
      const res = await req('/api/v1/projects', jsonRequest('POST', body));
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await res.json()).error.field).toBe(field);
    }
  });

  it('a duplicate link name or list id is a 409, on POST and on PATCH', async () => {
    const sameName = await req('/api/v1/projects', jsonRequest('POST', { link_name: 'kernel', list_id: 'other.example.org' }));
    expect(sameName.status).toBe(409);
    expect((await sameName.json()).error).toMatchObject({ code: 'project_exists', field: 'link_name' });
    const other = await (await req('/api/v1/projects', jsonRequest('POST', { link_name: 'net', list_id: 'net.lists.example.org' }))).json();
    const sameList = await req('/api/v1/projects', jsonRequest('POST', { link_name: 'net2', list_id: 'net.lists.example.org' }));
    expect(sameList.status).toBe(409);
    expect((await sameList.json()).error).toMatchObject({ code: 'project_exists', field: 'list_id' });
    const rename = await req(`/api/v1/projects/${other.id}`, jsonRequest('PATCH', { link_name: 'kernel' }));
    expect(rename.status).toBe(409);
  });

  it('writes need the admin scope; reads do not (READ_AUTH off)', async () => {
    const { token } = await createApiToken(api.db, 'trackings-only', ['trackings']);
    const res = await req('/api/v1/projects', jsonRequest('POST', { link_name: 'x', list_id: 'x.example.org' }, { authorization: `Bearer ${token}` }));
    expect(res.status).toBe(403);
    expect((await res.json()).error.code).toBe('insufficient_scope');
    expect((await req('/api/v1/projects', jsonRequest('POST', { link_name: 'x', list_id: 'x.example.org' }, { authorization: '' }))).status).toBe(401);
    expect((await req('/api/v1/projects')).status).toBe(200);
    const { token: admin } = await createApiToken(api.db, 'admin', ['admin']);
    expect((await req(`/api/v1/projects/${id}`, jsonRequest('PATCH', { web_url: 'https://k.example.org/' }, { authorization: `Bearer ${admin}` }))).status).toBe(200);
  });

  it('is in the OpenAPI document', async () => {
    const doc = await (await req('/api/v1/openapi.json', { headers: { authorization: basicAuth() } })).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/projects', '/projects/{id}']));
    expect(Object.keys(doc.paths['/projects'])).toEqual(expect.arrayContaining(['get', 'post']));
  });
});
